import ArgumentParser
import Foundation
import NTK
import Networks
import NumericCore

struct NTKConvergenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convergence",
        abstract: "Empirical NTK → analytic NTK as the width grows: relative error against N with a fitted exponent.",
        discussion: HelpText.paragraphs("""
        Every hidden Dense layer of the SPEC is set to each width N (the readout keeps its width); for each N,
        --networks independently initialised networks (seeded by --seed and N, network m on Philox stream m) give
        ε = ‖Θ̂_ab(x, x') − Θ(x, x') δ_ab‖_F / ‖Θ δ_ab‖_F over the full tensor kernel on the points. The mean of ε
        with its standard error is fitted to A·N^b (weighted on log–log axes); the central-limit expectation is
        b = −1/2.

        Writes to DIR: convergence.json (per width the errors, mean, standard error; the fit with the exponent's
        standard error and reduced χ²), convergence.svg (log–log, with the fit and the N^(-1/2) reference),
        errors.npy [widths, networks], widths.npy, and the analytic nngp.npy and ntk.npy [P, P]. The
        networks finished so far are saved in DIR/checkpoints; SIGINT/SIGTERM stop after the current network,
        and --resume continues to the same bits.

        Example:
          nntheory ntk convergence \\
              --net "Dense(1, W_std=1.5) Relu Dense(1, W_std=1.5) Relu Dense(1)" \\
              --x "1,0,0;0,1,0;0.6,0.8,0;-0.3,0.2,0.9" \\
              --widths 64,128,256,512,1024,2048 --networks 8 --out conv
        """)
    )

    @OptionGroup var input: NetworkPointSetOptions

    @Option(parsing: .unconditional, help: "Comma-separated hidden widths N.")
    var widths: String = "64,128,256,512,1024,2048"

    @Option(parsing: .unconditional, help: "Independently initialised networks per width.")
    var networks: Int = 8

    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOptions

    @OptionGroup var resume: ResumeOption

    func run() throws {
        try output.run(resume: resume.resume) { dir in
            let (serial, x, inputShape) = try input.resolve()
            let ws = try parseWidths(widths)
            guard networks >= 1 else { throw InputError("--networks \(networks), expected at least 1") }
            // Every network's error is kept (errors.npy, the checkpoint): networks × widths doubles, a few copies.
            try MemoryBudget.check(4 * 8 * Double(networks) * Double(ws.count), for: "the errors of \(networks) networks at \(ws.count) widths",
                                   option: "--networks \(networks)")
            let scan = try NTKConvergence(network: serial, points: x, inputShape: inputShape, widths: ws, networks: networks, seed: seed.seed)
            StopRequest.install()
            let r = try exitingOnInterrupt("ntk convergence") {
                try scan.run(progress: progress, checkpoints: dir.appendingPathComponent("checkpoints"), resume: resume.resume,
                             stop: { StopRequest.received })
            }
            try NTKConvergenceReport.write(r, spec: serial.description, to: dir)
            let fit = r.fit.map { f in String(format: "fitted exponent %.3f", f.exponent) + (f.exponentError.map { String(format: " ± %.3f", $0) } ?? "") } ?? "no fit"
            print("\(serial.description): relative NTK error \(String(format: "%.3g", r.widths.first!.mean)) at N = \(ws.first!) → \(String(format: "%.3g", r.widths.last!.mean)) at N = \(ws.last!); \(fit) (expected −0.5) → \(output.out)")
        }
    }
}

/// The files of `ntk convergence` (also used by the demo).
enum NTKConvergenceReport {
    struct Summary: Codable {
        let spec: String
        let points: Int
        let widths: [NTKConvergence.WidthResult]
        let fit: PowerLawFit?
        let expectedExponent: Double
        enum CodingKeys: String, CodingKey { case spec, points, widths, fit, expectedExponent = "expected_exponent" }
    }

    static func write(_ r: NTKConvergence.Result, spec: String, to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try JSONOutput.writeSummary(Summary(spec: spec, points: r.ntk.rows, widths: r.widths, fit: r.fit, expectedExponent: -0.5),
                             to: dir.appendingPathComponent("convergence.json"))
        let M = r.widths.first?.errors.count ?? 0
        try NPY.write(NDArray(shape: [r.widths.count, M], data: r.widths.flatMap(\.errors)), to: dir.appendingPathComponent("errors.npy"))
        try NPY.write(NDArray(shape: [r.widths.count], data: r.widths.map { Double($0.width) }), to: dir.appendingPathComponent("widths.npy"))
        try NPY.write(NDArray(shape: [r.ntk.rows, r.ntk.cols], data: r.ntk.data), to: dir.appendingPathComponent("ntk.npy"))
        try NPY.write(NDArray(shape: [r.nngp.rows, r.nngp.cols], data: r.nngp.data), to: dir.appendingPathComponent("nngp.npy"))
        var plot = SVGPlot(title: "Empirical NTK → analytic NTK", xLabel: "width N", yLabel: "‖Θ̂ − Θ‖ / ‖Θ‖", logX: true, logY: true)
        let x = r.widths.map { Double($0.width) }
        for (m, _) in (r.widths.first?.errors ?? []).enumerated() {
            plot.series.append(.init(label: m == 0 ? "single networks" : "", x: x, y: r.widths.map { $0.errors[m] }, color: "#bbbbbb", lines: false))
        }
        let se = r.widths.compactMap(\.standardError)
        plot.series.append(.init(label: "mean over networks ± s.e.", x: x, y: r.widths.map(\.mean), color: SVGPlot.palette[0],
                                 errors: se.count == x.count ? se : nil))
        if let f = r.fit {
            plot.series.append(.init(label: String(format: "fit A·N^%.3f", f.exponent), x: x, y: x.map { f.prefactor * pow($0, f.exponent) },
                                     color: SVGPlot.palette[1], dashed: true, markers: false))
            let c = f.prefactor * pow(x[0], f.exponent) * pow(x[0], 0.5)
            plot.series.append(.init(label: "N^(-1/2)", x: x, y: x.map { c * pow($0, -0.5) }, color: SVGPlot.palette[2], dashed: true, markers: false))
        }
        try plot.write(to: dir.appendingPathComponent("convergence.svg"))
    }
}

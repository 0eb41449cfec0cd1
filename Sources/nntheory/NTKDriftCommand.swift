import ArgumentParser
import Foundation
import NTK
import Networks
import NumericCore

struct NTKDriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "NTK drift during gradient-descent training on an MSE task, and actual against linearised training, for several widths.",
        discussion: HelpText.paragraphs("""
        Each width N (every hidden Dense layer set to N) is trained by full-batch gradient descent on the points X
        of --x, L = (1/2n)‖f(X) − Y‖² (n = P·O) with step η for --steps steps. At every --record-every steps (time
        t = η·step) it records the loss, the kernel drift ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F (full tensor empirical NTK on the
        training points) and the gap ‖f_t − f^lin_t‖_F/‖f_0 − Y‖_F to the linearised network trained by the same
        steps, f^lin = Y + (I − ηΘ_0/n)^k (f_0 − Y) (and gap_flow: to neural-tangents' continuous-time
        gradient_descent_mse at t = ηk; test_gap on --x-test through Θ_0(x*, X)). Final drift and gap are fitted
        against N: the drift vanishes at least like N^(-1/2) (Lee et al. 1902.06720), generically like 1/N
        (Dyer & Gur-Ari 1909.11304).

        Targets: --y (.npy [P, O] or inline), default y_a(x) = sin(x_1 + … + x_d + a) for output a.
        Learning rate: --lr, default η = n/λ_max(Θ_∞) — half the largest stable step of the infinite-width model.

        Writes to DIR: drift.json (per width: steps, time, loss, drift, gap, gap_flow, test_gap, errors; the
        fits; η), drift.svg (drift against t per width), linearization.svg (gap against t), and
        width_N/f_train.npy, width_N/f_train_linear.npy [T, P, O] (network 0, actual and linearised).
        SIGINT/SIGTERM stop after the current gradient step, keeping the finished networks in DIR/checkpoints;
        --resume continues bit-identically.

        Example:
          nntheory ntk drift \\
              --net "Dense(1, W_std=1.5) Erf Dense(1, W_std=1.5) Erf Dense(1)" \\
              --x "0,0;0.5,1;1,-0.5;-1,0.3;0.2,-1;-0.7,-0.7" \\
              --widths 64,256,1024,4096 --steps 200 --out drift
        """)
    )

    @OptionGroup var input: NetworkPointSetOptions

    @Option(name: .customLong("y"), parsing: .unconditional, help: "Targets [P, O]: .npy or inline rows (default: sin(Σ_i x_i + a)).")
    var targets: String?

    @Option(name: .customLong("x-test"), parsing: .unconditional, help: "Test points for the linearised prediction (optional).")
    var testPoints: String?

    @Option(parsing: .unconditional, help: "Comma-separated hidden widths N.")
    var widths: String = "64,256,1024"

    @Option(parsing: .unconditional, help: "Independently initialised networks per width (curves are their means).")
    var networks: Int = 1

    @Option(parsing: .unconditional, help: "Gradient-descent steps.")
    var steps: Int = 200

    @Option(parsing: .unconditional, help: "Record every K steps.")
    var recordEvery: Int = 10

    @Option(parsing: .unconditional, help: "Learning rate η (default: n/λ_max of the analytic NTK).")
    var lr: Double?

    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOptions
    @OptionGroup var resume: ResumeOption

    func run() throws {
        try output.run(resume: resume.resume) { dir in
            let (serial, x, shape) = try input.resolve()
            guard shape.spatial.isEmpty else { throw InputError("--x: points of shape \(shape), expected vectors [P, d]") }
            let O = serial.outputWidth(inputWidth: x.cols)
            let y = try targets.map { try PointSet.parse($0, dimension: O) } ?? NTKDrift.defaultTargets(x, outputs: O)
            guard y.rows == x.rows else { throw InputError("--y has \(y.rows) rows, expected \(x.rows) (one per training point)") }
            let xt = try testPoints.map { try PointSet.parse($0, dimension: x.cols) }
            if let η = lr, !(η > 0) { throw InputError("--lr \(η), expected a positive learning rate") }
            guard steps >= 1 else { throw InputError("--steps \(steps), expected at least 1") }
            guard recordEvery >= 1 else { throw InputError("--record-every \(recordEvery), expected at least 1") }
            guard networks >= 1 else { throw InputError("--networks \(networks), expected at least 1") }
            let d = try NTKDrift(network: serial, trainX: x, trainY: y, testX: xt, widths: try parseWidths(widths), networks: networks,
                                 steps: steps, recordEvery: recordEvery, learningRate: lr, seed: seed.seed)
            StopRequest.install()
            let r = try exitingOnInterrupt("ntk drift") {
                try d.run(progress: progress, checkpoints: dir.appendingPathComponent("checkpoints"), resume: resume.resume,
                          stop: { StopRequest.received })
            }
            try NTKDriftReport.write(r, spec: serial.description, to: dir)
            func fit(_ f: PowerLawFit?) -> String {
                f.map { String(format: "%.3f", $0.exponent) + ($0.exponentError.map { String(format: " ± %.3f", $0) } ?? "") } ?? "n/a"
            }
            print("\(serial.description): η = \(String(format: "%.4g", r.learningRate)); final kernel drift ∝ N^\(fit(r.driftFit)), gap to linearised ∝ N^\(fit(r.gapFit)) → \(output.out)")
        }
    }
}

/// The files of `ntk drift` (also used by the demo).
enum NTKDriftReport {
    struct Width: Codable {
        let width: Int
        let steps: [Int]
        let time, loss, drift, gap, gapFlow: [Double]
        let driftError, gapError, testGap: [Double]?
        enum CodingKeys: String, CodingKey {
            case width, steps, time, loss, drift, gap, driftError = "drift_error", gapError = "gap_error"
            case gapFlow = "gap_flow", testGap = "test_gap"
        }
    }

    struct Summary: Codable {
        let spec: String
        let learningRate: Double
        let widths: [Width]
        let driftFit, gapFit: PowerLawFit?
        enum CodingKeys: String, CodingKey {
            case spec, widths, learningRate = "learning_rate", driftFit = "drift_fit", gapFit = "gap_fit"
        }
    }

    static func write(_ r: NTKDrift.Result, spec: String, to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let widths = r.widths.map {
            Width(width: $0.width, steps: $0.steps, time: $0.time, loss: $0.loss, drift: $0.drift, gap: $0.gap, gapFlow: $0.gapFlow,
                  driftError: $0.driftError, gapError: $0.gapError, testGap: $0.testGap)
        }
        try JSONOutput.writeSummary(Summary(spec: spec, learningRate: r.learningRate, widths: widths, driftFit: r.driftFit, gapFit: r.gapFit),
                             to: dir.appendingPathComponent("drift.json"))
        for w in r.widths {
            let sub = dir.appendingPathComponent("width_\(w.width)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            try NPY.write(w.trainOutputs, to: sub.appendingPathComponent("f_train.npy"))
            try NPY.write(w.linearTrainOutputs, to: sub.appendingPathComponent("f_train_linear.npy"))
        }
        var drift = SVGPlot(title: "NTK drift during gradient descent", xLabel: "t = η·step", yLabel: "‖Θ_t − Θ_0‖ / ‖Θ_0‖", logY: true)
        var gap = SVGPlot(title: "Actual against linearised training", xLabel: "t = η·step", yLabel: "‖f_t − f_t^lin‖ / ‖f_0 − Y‖", logY: true)
        for (k, w) in r.widths.enumerated() {
            let c = SVGPlot.palette[k % SVGPlot.palette.count]
            drift.series.append(.init(label: "N = \(w.width)", x: Array(w.time.dropFirst()), y: Array(w.drift.dropFirst()), color: c,
                                      errors: w.driftError.map { Array($0.dropFirst()) }))
            gap.series.append(.init(label: "N = \(w.width)", x: Array(w.time.dropFirst()), y: Array(w.gap.dropFirst()), color: c,
                                    errors: w.gapError.map { Array($0.dropFirst()) }))
        }
        try drift.write(to: dir.appendingPathComponent("drift.svg"))
        try gap.write(to: dir.appendingPathComponent("linearization.svg"))
    }
}

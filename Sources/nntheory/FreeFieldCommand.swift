import ArgumentParser
import FieldTheory
import Foundation
import NumericCore

struct FreeFieldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freefield",
        abstract: "The free scalar as a cos-net field theory: Monte Carlo two- and four-point functions against the exact ones.",
        discussion: HelpText.paragraphs("""
        φ(x) = C Σ_i a_i s(b_i) cos(b_i·x + c_i) with N neurons (arXiv 2307.03223, 2402.13321 eqs. 11–12; --sampling). Its two-point
        function is the cutoff propagator G_Λ(x − y) = ∫_{|p|<Λ} dᵈp/(2π)ᵈ e^{ip·(x−y)}/(p² + m²) at every width;
        its connected four-point function is a pure 1/N term, known exactly (cos-net of arXiv 2112.04527; the 1/N term from E[a⁴] = 3σ_a⁴/N² and the phase average of four cosines). M networks
        (network k on Philox stream k of --seed) give G₂ and G₄c with delete-one-block jackknife errors.
        --networks 0 writes the exact values alone.

        Writes to DIR: exact_G2.npy [P, P], exact_G4c.npy [P, P, P, P], G2.npy, G2_error.npy, G4c.npy,
        G4c_error.npy (Monte Carlo; four-point tensors for P ≤ 8 points), propagator.svg (G_Λ against distance,
        with the Λ → ∞ form and the Monte Carlo values) and summary.json (settings, the arrays above as nested
        lists in the order of the points, and the largest |MC − exact|/error). The field samples are checkpointed
        in DIR/checkpoints after every tenth of the run; --resume continues an interrupted run to the same numbers.

        Example:
          nntheory freefield --d 1 --mass 1 --cutoff 10 --width 100 \\
              --networks 100000 --x 0,0.25,0.5,1 --seed 0 --out ff
        """)
    )

    @OptionGroup var theory: FieldTheoryOptions

    @Option(parsing: .unconditional, help: "Width N (neurons).")
    var width: Int = 100

    @Option(parsing: .unconditional, help: "Networks M in the ensemble (0: exact values only).")
    var networks: Int = 100_000

    @OptionGroup var jackknife: JackknifeOptions
    @OptionGroup var seed: SeedOption
    @OptionGroup var resume: ResumeOption
    @OptionGroup var output: OutputOptions

    struct Summary: Encodable {
        let d: Int, mass: Double, cutoff: Double, width: Int, networks: Int, seed: UInt64, sampling: String
        let points: NestedArray
        let exact_G2: NestedArray
        let exact_G4c: NestedArray?
        let G2: NestedArray?, G2_error: NestedArray?
        let G4c: NestedArray?, G4c_error: NestedArray?
        let max_pull_G2: Double?, max_pull_G4c: Double?
    }

    func run() throws {
        try output.run(resume: resume.resume) { dir in
            let (sampling, x) = try theory.validated()
            guard networks >= 0 else { throw InputError("--networks \(networks), expected M ≥ 0") }
            try jackknife.check(networks: networks)
            try theory.checkMemory(width: width, networks: networks, points: x.rows, tensors: 2)
            let exp = try FreeFieldExperiment(dimension: theory.dimension, mass: theory.mass, cutoff: theory.cutoff, width: width,
                                              sampling: sampling, points: x)
            let g2 = exp.exactTwoPoint()
            let g4 = exp.hasFourPoint ? exp.exactConnectedFourPoint() : nil
            try writeNPY(g2, "exact_G2.npy", in: dir)
            if let g4 { try writeNPY(g4, "exact_G4c.npy", in: dir) } else {
                progress("freefield: \(x.rows) points > \(FreeFieldExperiment.maxFourPointPoints): four-point functions skipped")
            }
            var mc: WeightedCorrelators? = nil
            if networks > 0 {
                let store = SampleCheckpoint(directory: dir.appendingPathComponent("checkpoints"), fingerprint: exp.fingerprint + " seed=\(seed.seed)")
                StopRequest.install()
                let c = try exitingOnInterrupt("freefield") {
                    try resume.continuing(store) {
                        try exp.measure(networks: networks, seed: seed.seed, blocks: jackknife.blocks, progress: progress, checkpoint: store,
                                        stop: { StopRequest.received })
                    }
                }
                mc = c
                try writeNPY(c.g2, "G2.npy", in: dir)
                try writeNPY(c.g2Error, "G2_error.npy", in: dir)
                if g4 != nil {
                    try writeNPY(c.g4c, "G4c.npy", in: dir)
                    try writeNPY(c.g4cError, "G4c_error.npy", in: dir)
                }
            }
            let pull2 = mc?.maxTwoPointPull(from: g2), pull4 = g4.flatMap { mc?.maxConnectedFourPointPull(from: $0) }
            try Self.plot(exp, measured: mc).write(to: dir.appendingPathComponent("propagator.svg"))
            let summary = Summary(d: theory.dimension, mass: theory.mass, cutoff: theory.cutoff, width: width, networks: networks,
                                  seed: seed.seed, sampling: sampling.rawValue, points: NestedArray(NDArray(x)),
                                  exact_G2: NestedArray(g2), exact_G4c: g4.map(NestedArray.init),
                                  G2: mc.map { NestedArray($0.g2) }, G2_error: mc.map { NestedArray($0.g2Error) },
                                  G4c: g4 == nil ? nil : mc.map { NestedArray($0.g4c) }, G4c_error: g4 == nil ? nil : mc.map { NestedArray($0.g4cError) },
                                  max_pull_G2: pull2, max_pull_G4c: pull4)
            try JSONOutput.writeSummary(summary, to: dir.appendingPathComponent("summary.json"))
            var line = String(format: "freefield d = %ld, m = %g, Λ = %g, N = %ld: G_Λ(0) = %.6f", theory.dimension, theory.mass, theory.cutoff, width, g2.data[0])
            if let mc { line += String(format: ", Monte Carlo %.6f ± %.6f", mc.g2.data[0], mc.g2Error.data[0]) }
            if let pull2 { line += String(format: "; max |MC − exact|/σ: G2 %.2f", pull2) }
            if let pull4 { line += String(format: ", G4c %.2f", pull4) }
            print(line + " → \(output.out)")
        }
    }

    /// G_Λ(r) and its Λ → ∞ form against r, with the Monte Carlo G₂(x_i, x_j) at their separations.
    static func plot(_ exp: FreeFieldExperiment, measured: WeightedCorrelators?) -> SVGPlot {
        let P = exp.points.rows, d = exp.points.cols
        var rs: [Double] = [], mcs: [Double] = [], mce: [Double] = []
        var rmax = 0.0
        for i in 0..<P { for j in i..<P {
            var r2 = 0.0
            for k in 0..<d { r2 += pow(exp.points[i, k] - exp.points[j, k], 2) }
            rs.append(r2.squareRoot()); rmax = max(rmax, r2.squareRoot())
            if let m = measured { mcs.append(m.g2.data[i * P + j]); mce.append(m.g2Error.data[i * P + j]) }
        } }
        rmax = max(rmax, 3 / exp.exact.mass)
        let grid = (0...200).map { rmax * Double($0) / 200 }
        var plot = SVGPlot(title: "cos-net propagator, d = \(d), m = \(exp.exact.mass), Λ = \(exp.exact.cutoff), N = \(exp.ensemble.network.width)",
                           xLabel: "|x − y|", yLabel: "G(x − y)")
        plot.series.append(.init(label: "exact G_Λ", x: grid, y: grid.map { exp.exact.propagator($0) }, color: SVGPlot.palette[0], markers: false))
        let cont = grid.dropFirst().map { FreeScalarExact.continuumPropagator(dimension: d, mass: exp.exact.mass, distance: $0) }
        plot.series.append(.init(label: "Λ → ∞", x: Array(grid.dropFirst()), y: cont.map { min($0, 2 * exp.exact.propagatorAtZero) },
                                 color: "#7f7f7f", dashed: true, markers: false))
        if measured != nil { plot.series.append(.init(label: "Monte Carlo ± s.e.", x: rs, y: mcs, color: SVGPlot.palette[1], lines: false, errors: mce)) }
        return plot
    }
}

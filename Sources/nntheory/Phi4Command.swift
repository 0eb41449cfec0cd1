import ArgumentParser
import FieldTheory
import Foundation
import NumericCore

struct Phi4Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phi4",
        abstract: "φ⁴ theory from the cos-net by deforming its parameter density: measured G₄c against the leading-order prediction.",
        discussion: HelpText.paragraphs("""
        Samples P(θ)·exp(−(λ/4!)∫_V φ_θ⁴ dᵈx) over the box V = [−L/2, L/2]ᵈ (the φ⁴ deformation of the cos-net density, arXiv 2307.03223) by
          reweight     free networks weighted by exp(−(λ/24)∫_Vφ⁴) (∫_Vφ⁴ exact); the effective sample size is reported,
          metropolis   single-neuron proposals from the free density, accepted with min(1, e^{−ΔS}),
          hmc          Hamiltonian Monte Carlo in (a, b, c) with reflection at |b| = Λ and wrapped phases,
        and compares the connected four-point function with the leading order
          G_c⁽⁴⁾(x₁..x₄) = −λ ∫_V dᵈy Π_i G_Λ(x_i − y)
        (Legendre quadrature over V, converged to round-off). The measured G₄c(λ, N) is split into the free theory's
        exact 1/N part and the λ-part Δ(λ, N) (reweighting: against the same draws at λ = 0); with several --width
        values Δ = Δ_∞ + c/N is fitted (N → ∞ at fixed λ). For Markov chains --networks is the number of recorded
        sweeps/trajectories over all chains; acceptance and integrated autocorrelation times are reported.
        --networks 0 writes the prediction alone. Reweighting samples are checkpointed in DIR/checkpoints after
        every tenth of the run, Markov chains every 30 s and when each (N, λ) cell ends; --resume continues an
        interrupted run to the same numbers.

        Writes to DIR: vertex.npy [P,P,P,P] (V; prediction = −λV), prediction_G4c.npy [λ, P,P,P,P], exact_G2.npy
        [P,P], tadpole_G2.npy [λ, P,P] (G_Λ + O(λ) tadpole), free_G4c.npy [N, P,P,P,P]; with networks: G2.npy,
        G2_error.npy [N, λ, P,P], G4c.npy, G4c_error.npy, G4c_lambda_part.npy, G4c_lambda_part_error.npy
        [N, λ, P,P,P,P], and with several widths extrapolated_lambda_part.npy (+ _error) [λ, P,P,P,P];
        g4c_vs_lambda.svg (measured λ-part at the coincident point and, with P ≥ 2, at (x₁,x₁,x₂,x₂), against
        the prediction), extrapolation.svg, summary.json (settings; exact_G2, prediction_G4c, G2, G4c, ... as
        nested lists in the order of the points, widths first, then couplings; diagnostics per cell).

        Example (d = 1, m = 1, Λ = 10, see docs/fieldtheory.md):
          nntheory phi4 --d 1 --mass 1 --cutoff 10 --lambda 0.5,1,2 --box 4 \\
              --sampler reweight --width 1000 --networks 200000 --x 0,0.4 --seed 1 \\
              --out phi4
        """)
    )

    @OptionGroup var theory: FieldTheoryOptions

    @Option(name: .customLong("lambda"), parsing: .unconditional, help: "Couplings λ ≥ 0, comma-separated.")
    var couplings: String = "0.5,1,2"

    @Option(parsing: .unconditional, help: "Side L of the interaction box [−L/2, L/2]ᵈ (must contain the points).")
    var box: Double = 4

    @Option(help: "Sampler: reweight, metropolis or hmc.")
    var sampler: String = "reweight"

    @Option(parsing: .unconditional, help: "Widths N, comma-separated (several: N → ∞ extrapolation).")
    var width: String = "1000"

    @Option(parsing: .unconditional, help: "Free networks (reweight) or recorded sweeps/trajectories (chains); 0: prediction only.")
    var networks: Int = 200_000

    @Option(parsing: .unconditional, help: "Markov chains: thermalisation sweeps/trajectories per chain.")
    var thermalization: Int = 200

    @Option(parsing: .unconditional, help: "Markov chains: independent chains (run in parallel).")
    var chains: Int = 2

    @Option(name: .customLong("step-size"), parsing: .unconditional, help: "HMC leapfrog step size.")
    var stepSize: Double = 0.1

    @Option(name: .customLong("leapfrog-steps"), parsing: .unconditional, help: "HMC leapfrog steps per trajectory (drawn from [n/2, n]).")
    var leapfrogSteps: Int = 16

    @OptionGroup var jackknife: JackknifeOptions
    @OptionGroup var seed: SeedOption
    @OptionGroup var resume: ResumeOption
    @OptionGroup var output: OutputOptions

    struct Cell: Encodable {
        let width: Int, lambda: Double
        let effective_sample_size: Double?, acceptance: Double?, tau_int_action: Double?, tau_int_phi2: Double?
    }

    struct Summary: Encodable {
        let d: Int, mass: Double, cutoff: Double, box: Double, sampler: String, sampling: String, seed: UInt64, networks: Int
        let widths: [Int], lambdas: [Double]
        let points: NestedArray
        let exact_G2: NestedArray
        let tadpole_G2: NestedArray
        let vertex: NestedArray
        let prediction_G4c: NestedArray
        let free_G4c: NestedArray
        let G2: NestedArray?, G2_error: NestedArray?
        let G4c: NestedArray?, G4c_error: NestedArray?
        let G4c_lambda_part: NestedArray?, G4c_lambda_part_error: NestedArray?
        let extrapolated_lambda_part: NestedArray?, extrapolated_lambda_part_error: NestedArray?
        let cells: [Cell]
    }

    func run() throws {
        try output.run(resume: resume.resume) { dir in
            let (sampling, x) = try theory.validated()
            let lambdas = try parseList(couplings, option: "--lambda", expected: "a number") { Double($0) }
            for λ in lambdas where (try? QuarticAction.validatedCoupling(λ)) == nil { throw InputError("--lambda \(λ), expected a finite λ ≥ 0") }
            let widths = try parseList(width, option: "--width", expected: "a positive integer") { Int($0) }
            for N in widths where N < 1 { throw InputError("--width \(N), expected N ≥ 1") }
            guard box > 0, box.isFinite else { throw InputError("--box \(box), expected a side L > 0") }
            guard let kind = Phi4SamplerKind(rawValue: sampler.lowercased()) else {
                throw InputError("--sampler '\(sampler)', expected reweight, metropolis or hmc")
            }
            guard networks >= 0 else { throw InputError("--networks \(networks), expected ≥ 0") }
            guard chains >= 1 else { throw InputError("--chains \(chains), expected ≥ 1") }
            guard thermalization >= 0 else { throw InputError("--thermalization \(thermalization), expected ≥ 0") }
            try jackknife.check(networks: kind == .reweight ? networks : 0)
            try theory.checkMemory(width: widths.max() ?? 1, networks: networks, points: x.rows,
                                   tensors: 4 * widths.count * (lambdas.count + 1))
            var s = Phi4Experiment.Settings(dimension: theory.dimension, mass: theory.mass, cutoff: theory.cutoff,
                                            box: try Box(side: box, dimension: theory.dimension), couplings: lambdas, widths: widths,
                                            sampler: kind, networks: networks)
            s.sampling = sampling; s.thermalization = thermalization; s.chains = chains; s.stepSize = stepSize
            s.leapfrogSteps = leapfrogSteps; s.seed = seed.seed; s.blocks = jackknife.blocks
            let exp = try Phi4Experiment(settings: s, points: x)
            let store = SampleCheckpoint(directory: dir.appendingPathComponent("checkpoints"), fingerprint: exp.fingerprint)
            let chainStates = ChainCheckpoint(directory: store.directory, fingerprint: exp.chainFingerprint)
            StopRequest.install()
            let r = try exitingOnInterrupt("phi4") {
                try resume.continuing(store, chains: chainStates) {
                    progress("phi4: leading-order vertex integrals over the box")
                    return try exp.run(progress: { progress($0) }, checkpoint: store, stop: { StopRequest.received })
                }
            }
            try Self.write(r, to: dir)
            print(Self.headline(r) + " → \(output.out)")
        }
    }

    /// The report on stdout: the leading-order prediction, then one line per measured (N, λ) — every width run —
    /// and, with several widths, the N → ∞ extrapolation per λ.
    static func headline(_ r: Phi4Experiment.Result) -> String {
        let v0 = r.vertex.data[0]
        var lines = [String(format: "phi4 d = %ld, m = %g, Λ = %g, box %g: prediction G4c(x1,x1,x1,x1) = −λ·%.6g",
                            r.settings.dimension, r.settings.mass, r.settings.cutoff, r.settings.box.sides[0], v0)]
        for row in r.cells {
            for c in row {
                lines.append(String(format: "  N = %ld, λ = %g: λ-part %.4g ± %.2g (prediction %.4g)", c.width, c.coupling,
                                    c.lambdaPart.data[0], c.lambdaPartError.data[0], -c.coupling * v0))
            }
        }
        if let e = r.extrapolated {
            for (l, λ) in r.settings.couplings.enumerated() where l < e.count {
                lines.append(String(format: "  N → ∞, λ = %g: λ-part %.4g ± %.2g (prediction %.4g)", λ,
                                    e[l].value.data[0], e[l].error.data[0], -λ * v0))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func write(_ r: Phi4Experiment.Result, to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let s = r.settings
        let preds = stack(s.couplings.map { r.prediction(coupling: $0) })
        let tad = stack(s.couplings.map { r.tadpoleTwoPoint(coupling: $0) })
        try writeNPY(r.vertex, "vertex.npy", in: dir)
        try writeNPY(preds, "prediction_G4c.npy", in: dir)
        try writeNPY(r.exactTwoPoint, "exact_G2.npy", in: dir)
        try writeNPY(tad, "tadpole_G2.npy", in: dir)
        let free = stack(r.freeConnectedFourPoint)
        try writeNPY(free, "free_G4c.npy", in: dir)
        let measured = !r.cells.isEmpty
        func grid(_ f: (Phi4Experiment.Cell) -> NDArray<Double>) -> NDArray<Double> { stack(r.cells.map { row in stack(row.map(f)) }) }
        var arrays: [String: NDArray<Double>] = [:]
        if measured {
            arrays["G2"] = grid { $0.correlators.g2 }
            arrays["G2_error"] = grid { $0.correlators.g2Error }
            arrays["G4c"] = grid { $0.correlators.g4c }
            arrays["G4c_error"] = grid { $0.correlators.g4cError }
            arrays["G4c_lambda_part"] = grid { $0.lambdaPart }
            arrays["G4c_lambda_part_error"] = grid { $0.lambdaPartError }
            for (k, v) in arrays { try writeNPY(v, k + ".npy", in: dir) }
        }
        if let e = r.extrapolated {
            arrays["extrapolated_lambda_part"] = stack(e.map(\.value))
            arrays["extrapolated_lambda_part_error"] = stack(e.map(\.error))
            try writeNPY(arrays["extrapolated_lambda_part"]!, "extrapolated_lambda_part.npy", in: dir)
            try writeNPY(arrays["extrapolated_lambda_part_error"]!, "extrapolated_lambda_part_error.npy", in: dir)
        }
        let cells = r.cells.flatMap { $0 }.map {
            Cell(width: $0.width, lambda: $0.coupling, effective_sample_size: $0.effectiveSampleSize, acceptance: $0.acceptance,
                 tau_int_action: $0.tauInteraction?.tau, tau_int_phi2: $0.tauFieldSquared?.tau)
        }
        let summary = Summary(d: s.dimension, mass: s.mass, cutoff: s.cutoff, box: s.box.sides[0], sampler: s.sampler.rawValue,
                              sampling: s.sampling.rawValue, seed: s.seed, networks: s.networks, widths: s.widths, lambdas: s.couplings,
                              points: NestedArray(NDArray(r.points)), exact_G2: NestedArray(r.exactTwoPoint), tadpole_G2: NestedArray(tad),
                              vertex: NestedArray(r.vertex), prediction_G4c: NestedArray(preds), free_G4c: NestedArray(free),
                              G2: arrays["G2"].map(NestedArray.init), G2_error: arrays["G2_error"].map(NestedArray.init),
                              G4c: arrays["G4c"].map(NestedArray.init), G4c_error: arrays["G4c_error"].map(NestedArray.init),
                              G4c_lambda_part: arrays["G4c_lambda_part"].map(NestedArray.init),
                              G4c_lambda_part_error: arrays["G4c_lambda_part_error"].map(NestedArray.init),
                              extrapolated_lambda_part: arrays["extrapolated_lambda_part"].map(NestedArray.init),
                              extrapolated_lambda_part_error: arrays["extrapolated_lambda_part_error"].map(NestedArray.init), cells: cells)
        try JSONOutput.writeSummary(summary, to: dir.appendingPathComponent("summary.json"))
        try plotAgainstCoupling(r).write(to: dir.appendingPathComponent("g4c_vs_lambda.svg"))
        if r.extrapolated != nil { try plotExtrapolation(r).write(to: dir.appendingPathComponent("extrapolation.svg")) }
    }

    /// The quadruples shown in the plots: (x₁,x₁,x₁,x₁) and, with two points, (x₁,x₁,x₂,x₂).
    static func shownQuadruples(_ P: Int) -> [(label: String, index: Int)] {
        var q = [("(x1,x1,x1,x1)", 0)]
        if P >= 2 { q.append(("(x1,x1,x2,x2)", (0 * P + 0) * P * P + 1 * P + 1)) }
        return q
    }

    static let colors = SVGPlot.palette

    static func plotAgainstCoupling(_ r: Phi4Experiment.Result) -> SVGPlot {
        let s = r.settings
        var plot = SVGPlot(title: "φ⁴ cos-net: λ-part of G4c against λ (d = \(s.dimension), Λ = \(s.cutoff), \(s.sampler.rawValue))",
                           xLabel: "λ", yLabel: "G4c(λ) − G4c(0)")
        let lmax = max(s.couplings.max() ?? 1, 1e-12)
        let line = (0...50).map { lmax * Double($0) / 50 }
        for (k, q) in shownQuadruples(r.points.rows).enumerated() {
            plot.series.append(.init(label: "−λV \(q.label)", x: line, y: line.map { -$0 * r.vertex.data[q.index] },
                                     color: colors[k % colors.count], dashed: true, markers: false))
            for (w, row) in r.cells.enumerated() {
                plot.series.append(.init(label: "N = \(s.widths[w]) \(q.label)", x: row.map(\.coupling), y: row.map { $0.lambdaPart.data[q.index] },
                                         color: colors[(k + 2 + w) % colors.count], lines: false, errors: row.map { $0.lambdaPartError.data[q.index] }))
            }
        }
        return plot
    }

    static func plotExtrapolation(_ r: Phi4Experiment.Result) -> SVGPlot {
        let s = r.settings
        var plot = SVGPlot(title: "λ-part of G4c(x1,x1,x1,x1) against 1/N, with the N → ∞ fit", xLabel: "1/N", yLabel: "G4c(λ) − G4c(0)")
        let inv = s.widths.map { 1 / Double($0) }
        for (l, λ) in s.couplings.enumerated() {
            let c = colors[l % colors.count]
            plot.series.append(.init(label: "λ = \(λ)", x: inv, y: r.cells.map { $0[l].lambdaPart.data[0] }, color: c, lines: false,
                                     errors: r.cells.map { $0[l].lambdaPartError.data[0] }))
            if let e = r.extrapolated {
                let f = Phi4Experiment.fitInverseWidth(widths: s.widths, values: r.cells.map { $0[l].lambdaPart.data[0] },
                                                       errors: r.cells.map { $0[l].lambdaPartError.data[0] })
                let xs = [0] + inv
                plot.series.append(.init(label: "", x: xs, y: xs.map { f.intercept + f.slope * $0 }, color: c, markers: false))
                plot.series.append(.init(label: "", x: [0], y: [-λ * r.vertex.data[0]], color: c, markers: true, lines: false, marker: .star))
                _ = e
            }
        }
        return plot
    }
}

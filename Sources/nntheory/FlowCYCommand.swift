import ArgumentParser
import Foundation
import MetricFlow
import NumericCore

/// `nntheory flow cy`: gradient descent on φ-models of growing width against the Kähler–Ricci flow.
struct FlowCYCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cy",
        abstract: "φ-model training flows on a Calabi–Yau against the Kähler–Ricci flow, with the NTK drift against width.",
        discussion: HelpText.paragraphs("""
        φ-models g = g_FS + ∂∂̄φ, φ = Dense(w) ACT Dense(1) (NTK parameterisation, bihomogeneous
        inputs, centred: every width starts at Fubini–Study exactly), trained by full-batch gradient
        descent at rate --lr on L = mean (det g/(κ|Ω|²) − 1)² over --points points, in three arms
        (--arms): full (every parameter), linearized (the network linearised at θ₀, its NTK frozen),
        last-layer (the readout only). At every --record-every steps, on a separate validation
        sample: σ, the Ricci measure, Vol_K, the drift ‖Θ_t − Θ₀‖_F/‖Θ₀‖_F of the metric-NTK (g's
        real components) on --probe-points points, and the alignment of the arm's velocity φ̇ = J θ̇ with the Kähler–Ricci
        velocity F = log(det g/(κ|Ω|²)) (cosine and speed ⟨φ̇, F⟩/⟨F, F⟩ in the Calabi–Yau measure).
        The reference: the Kähler–Ricci flow ∂_t K = F projected on the algebraic metrics of each
        degree in --krf-degrees (Galerkin least squares over --krf-points points, Heun steps to
        --krf-time), σ and the exact Ricci measure along it.

        Writes to DIR: summary.json (provenance, times; per arm and width sigma, sigma_error, ricci,
        vol_k, ntk_drift, loss, krf_cosine, krf_speed; per arm drift_exponent {exponent, error}; krf:
        per degree times, sigma, sigma_error, ricci, relative_residual; sigma_fs), sigma.svg,
        ntk_drift.svg, checkpoints/flow_cy.json (after every arm and width and every reference;
        --resume skips what it holds, with the same numbers). SIGINT/SIGTERM stop after the current
        step (exit status 130/143) keeping the completed units. Conventions and findings:
        docs/cy-neural.md.

        Examples:
          nntheory flow cy --widths 8,16,32 --points 60 --validation-points 200 \\
              --steps 2 --record-every 1 --score-points 5 --krf-degrees 1,2 \\
              --krf-time 0.05 --krf-steps 2 --krf-points 300 --out flow-small
          nntheory flow cy --out flow-quintic        # the study of docs/cy-neural.md §7, ≈ 11 min
        """)
    )

    @Option(help: "Variety: a built-in name or a polynomial in one projective space.")
    var variety: String = "fermat-quintic"

    @Option(help: ArgumentHelp("Hidden widths.", valueName: "W,W,…"))
    var widths: String = "64,128,256,512,1024,2048"

    @Option(help: ArgumentHelp("Arms: full, linearized, last-layer.", valueName: "ARM,…"))
    var arms: String = "full,linearized,last-layer"

    @Option(help: "Hidden activation (a SPEC activation with closed-form jets).")
    var activation: String = "Gelu"

    @Option(parsing: .unconditional, help: "Points of the loss (full batch).")
    var points: Int = 512

    @Option(name: .customLong("validation-points"), parsing: .unconditional, help: "Validation points.")
    var validationPoints: Int = 1000

    @Option(parsing: .unconditional, help: "Gradient steps.")
    var steps: Int = 40

    @Option(parsing: .unconditional, help: "Learning rate η (gradient-flow time t = η·step).")
    var lr: Double = 0.5

    @Option(name: .customLong("record-every"), parsing: .unconditional, help: "Record every this many steps.")
    var recordEvery: Int = 8

    @Option(name: .customLong("probe-points"), parsing: .unconditional, help: "Points of the NTK drift.")
    var probePoints: Int = 16

    @Option(name: .customLong("score-points"), parsing: .unconditional, help: "Validation points of the Ricci measure (0: skip).")
    var scorePoints: Int = 10

    @Option(name: .customLong("krf-degrees"), help: ArgumentHelp("Degrees k of the Kähler–Ricci reference (1…4; empty: none).", valueName: "K,…"))
    var krfDegrees: String = "1,2,3"

    @Option(name: .customLong("krf-time"), parsing: .unconditional, help: "Kähler–Ricci reference: final time.")
    var krfTime: Double = 0.3

    @Option(name: .customLong("krf-steps"), parsing: .unconditional, help: "Kähler–Ricci reference: Heun steps.")
    var krfSteps: Int = 30

    @Option(name: .customLong("krf-points"), parsing: .unconditional, help: "Kähler–Ricci reference: points of the projection.")
    var krfPoints: Int = 10_000

    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOptions
    @OptionGroup var resume: ResumeOption

    func config() throws -> CYFlowConfig {
        var c = CYFlowConfig()
        c.variety = variety
        c.widths = try parseList(widths, option: "--widths", expected: "a positive integer") { Int($0) }
        c.arms = try parseList(arms, option: "--arms", expected: "full, linearized or last-layer") { CYFlowArm(rawValue: $0.lowercased()) }
        c.activation = activation
        c.points = points; c.validationPoints = validationPoints; c.steps = steps; c.rate = lr; c.recordEvery = recordEvery
        c.probePoints = probePoints; c.scorePoints = scorePoints
        c.krfDegrees = krfDegrees.isEmpty ? [] : try parseList(krfDegrees, option: "--krf-degrees", expected: "a degree 1…4") { Int($0) }
        c.krfTime = krfTime; c.krfSteps = krfSteps; c.krfPoints = krfPoints
        c.seed = seed.seed
        return c
    }

    func run() throws {
        try output.run(resume: resume.resume) { dir in
            let c = try config()
            let experiment = try CYFlowExperiment(config: c)
            let meter = ProgressMeter(label: "flow cy")
            StopRequest.install()
            let r: CYFlowResult
            do {
                r = try experiment.run(root: dir, resume: resume.resume, stop: { StopRequest.received }, progress: meter.update)
            } catch let i as StopRequest.Interrupted {
                FileHandle.standardError.write("error: flow cy: \(i); the completed arms and widths are kept in \(output.out)/checkpoints: rerun with --resume to continue\n".data(using: .utf8)!)
                Foundation.exit(i.exitStatus)
            }
            meter.finish()
            if let k = r.resumedUnits {
                let total = c.arms.count * c.widths.count + c.krfDegrees.count
                FileHandle.standardError.write(Data("flow cy: resumed: \(k) of \(total) arm/width runs and references taken from the checkpoint\n".utf8))
            }
            let summary = CYFlowSummary(r, variety: experiment.variety)
            try JSONOutput.writeSummary(summary, to: dir.appendingPathComponent("summary.json"))
            try Self.sigmaPlot(r).write(to: dir.appendingPathComponent("sigma.svg"))
            try Self.driftPlot(r).write(to: dir.appendingPathComponent("ntk_drift.svg"))
            var line = "flow cy: \(experiment.variety.name), widths \(c.widths.map(String.init).joined(separator: ",")), t = 0…\(String(format: "%g", r.times.last ?? 0))"
            if let w = c.widths.last, let full = r.records[.full]?[w], let s = full.sigma.last { line += String(format: "; full arm at width %ld: σ %.4f → %.4f", w, full.sigma[0], s) }
            for arm in c.arms { if let e = r.driftExponent[arm] { line += String(format: "; %@ drift ∝ w^(%.2f ± %.2f)", arm.rawValue, e.exponent, e.exponentError ?? .nan) } }
            print(line + String(format: " (%.1f s) → %@", r.seconds, output.out))
        }
    }

    /// σ against time: each arm at the largest width (with error bars), and each Kähler–Ricci reference.
    static func sigmaPlot(_ r: CYFlowResult) -> SVGPlot {
        var p = SVGPlot(title: "σ along the flows", xLabel: "time t (gradient flow: η·step; Kähler–Ricci: t)", yLabel: "σ (validation)")
        var i = 0
        if let w = r.config.widths.last {
            for arm in r.config.arms {
                guard let rec = r.records[arm]?[w] else { continue }
                var s = SVGPlot.Series(label: "\(arm.rawValue), width \(w)", x: r.times, y: rec.sigma, color: SVGPlot.palette[i % SVGPlot.palette.count])
                s.errors = rec.sigmaError
                p.series.append(s); i += 1
            }
        }
        for ref in r.references {
            var s = SVGPlot.Series(label: "Kähler–Ricci, k = \(ref.degree)", x: ref.times, y: ref.sigma, color: SVGPlot.palette[i % SVGPlot.palette.count], dashed: true)
            s.errors = ref.sigmaError
            p.series.append(s); i += 1
        }
        return p
    }

    /// The final NTK drift against width, per arm (log–log).
    static func driftPlot(_ r: CYFlowResult) -> SVGPlot {
        var p = SVGPlot(title: "NTK drift at the final time", xLabel: "hidden width", yLabel: "‖Θ_t − Θ₀‖_F/‖Θ₀‖_F", logX: true, logY: true)
        for (i, arm) in r.config.arms.enumerated() {
            let ws = r.config.widths.filter { r.records[arm]?[$0] != nil }
            p.series.append(SVGPlot.Series(label: arm.rawValue, x: ws.map(Double.init), y: ws.map { r.records[arm]![$0]!.drift.last ?? .nan },
                                           color: SVGPlot.palette[i % SVGPlot.palette.count]))
        }
        return p
    }
}

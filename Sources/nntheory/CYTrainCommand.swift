import ArgumentParser
import CYBridge
import Foundation
import Networks
import NumericCore
import Optimization
import Training

/// `nntheory cy train`: a neural Kähler metric on a Calabi–Yau trained towards Ricci-flatness.
struct CYTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a neural Kähler metric (cymetric's φ, additive, multiplicative or free model) towards Ricci-flatness.",
        discussion: HelpText.paragraphs("""
        Models (--model): phi, g = g_ref + ∂∂̄φ (default); additive, g = g_ref + H;
        multiplicative, g = g_ref ⊙ (1 + H); free, g = H — H the network's n² outputs packed
        into a Hermitian n×n matrix in the point's chart (cymetric's packing). The φ-model
        is Kähler by construction; the others learn closedness from the Kähler loss
        (--kahler-weight), their class from the volume loss (--volume-weight) and
        agreement across charts from the transition loss.

        The network φ (--net, one output) sees cymetric's inputs, [Re z, Im z] of the
        patch-normalised homogeneous coordinates, or with --inputs bihomogeneous the
        features z_i z̄_j/|z|² of each factor (invariant under z → λz: φ is then one
        function on X, needs no transition loss and keeps Vol_K); g = g_FS(t) + ∂∂̄φ is
        pulled back to X (Kähler, in the class of t when φ is global). With --reference DIR
        the balanced metric of `cy donaldson` replaces g_FS (φ corrects Donaldson's metric). Loss: the mean over a minibatch of
        |det g/(κ|Ω|²) − 1|^p (--power p; cymetric's sigma_loss) plus --transition-weight
        times the mean of |φ(z') − φ(z)|^p over the point's other patches (φ must be one
        function on X; for the matrix models the mean of |g − T g' T†|^p over the entries),
        plus the Kähler and volume losses (and with --ricci-weight the Ricci loss on
        --ricci-points points of each minibatch), minimised by --optimizer at --lr. After every
        epoch, on a separate validation sample (its own seed): σ with its jackknife error,
        the Monge–Ampère, Kähler, transition and volume losses, and on its first
        --score-points points the Kähler and transition measures and the Ricci measure
        (finite differences in charts).
        A checkpoint is written after every epoch; --resume continues bit-identically.
        SIGINT/SIGTERM stop the run after the current step, keeping the last epoch's
        checkpoint (exit status 130/143; --resume continues).

        Writes to DIR: summary.json (provenance, kappa, per epoch epochs, sigma,
        sigma_error, monge_ampere_loss, kahler_loss, transition_loss, volume_loss,
        kahler_measure, transition_measure, ricci, training_loss, epoch_seconds;
        sigma_final, sigma_fs),
        params.npy (θ, the network's flat layout), sigma.svg, checkpoints/.

        The network is a SPEC (--net); the SPEC grammar is documented in docs/networks.md.
        Results and conventions: docs/cy-neural.md.

        Examples:
          nntheory cy train --points 2000 --validation-points 1000 --epochs 2 --out phi
          nntheory cy train --inputs bihomogeneous --points 90000 --epochs 16 --batch 64 \\
              --out phi-quintic
          nntheory cy train --variety bicubic --inputs bihomogeneous --points 50000 \\
              --epochs 10 --batch 64 --out phi-bicubic
          nntheory cy train --model multiplicative --points 90000 --epochs 50 --batch 64 \
              --out mult-quintic
        """)
    )

    @OptionGroup var geometry: CYVarietyOptions

    @Option(help: "Model: phi (g = g_ref + ∂∂̄φ), additive (g_ref + H), multiplicative (g_ref ⊙ (1 + H)) or free (H); H the n² outputs as a Hermitian matrix.")
    var model: String = "phi"

    @Option(help: ArgumentHelp("Network SPEC (one output for phi, n² for the others; standard parameterisation unless a layer names another). Default: 3 × 64 GELU and a small readout.", valueName: "SPEC"))
    var net: String?

    @Option(help: "Network inputs: coordinates ([Re z, Im z] of the patch-normalised point, cymetric's) or bihomogeneous (z_i z̄_j/|z|² per factor: patch-invariant, φ one function on X).")
    var inputs: String = "coordinates"

    @Option(help: ArgumentHelp("A directory written by `cy donaldson`: its balanced metric replaces g_FS as the reference of g = g_ref + ∂∂̄φ.", valueName: "DIR"))
    var reference: String?

    @Option(name: .customLong("reference-k"), parsing: .unconditional, help: "Degree k of the balanced metric in --reference (default: the largest present).")
    var referenceK: Int?

    @Option(parsing: .unconditional, help: "Training points.")
    var points: Int = 20_000

    @Option(name: .customLong("validation-points"), parsing: .unconditional, help: "Validation points (a separate sample).")
    var validationPoints: Int = 10_000

    @Option(parsing: .unconditional, help: "Epochs.")
    var epochs: Int = 10

    @Option(parsing: .unconditional, help: "Minibatch size.")
    var batch: Int = 1000

    @Option(parsing: .unconditional, help: "Learning rate.")
    var lr: Double = 1e-3

    @Option(help: "Optimiser: adam, sgd (momentum 0.9) or gd.")
    var optimizer: String = "adam"

    @Option(help: "Learning-rate schedule in optimiser steps: constant, exp:HALFLIFE, step:EVERY:FACTOR, cosine:STEPS.")
    var schedule: String = "constant"

    @Option(parsing: .unconditional, help: "Exponent p of the Monge–Ampère and transition losses, |det g/(κ|Ω|²) − 1|^p (1…4).")
    var power: Double = 1

    @Option(parsing: .unconditional, help: "Clip each minibatch gradient to this global norm (cymetric: 5; default: no clipping).")
    var clip: Double?

    @Flag(name: .customLong("weighted-loss"), help: "Weight each point's Monge–Ampère term by its integration weight w/mean(w) (σ's measure; cymetric: unweighted).")
    var weightedLoss = false

    @Option(name: .customLong("transition-weight"), parsing: .unconditional, help: "Weight of the transition loss over the other patches (0: off).")
    var transitionWeight: Double = 1

    @Option(name: .customLong("kahler-weight"), parsing: .unconditional, help: "Weight of the Kähler loss Σ|∂_c g_ab̄ − ∂_a g_cb̄|² (matrix models; φ is Kähler by construction).")
    var kahlerWeight: Double = 1

    @Option(name: .customLong("volume-weight"), parsing: .unconditional, help: "Weight of the volume loss (the slopes ∫ω^{n−1}∧J_a against the class t's; default 1 for the matrix models, 0 for phi).")
    var volumeWeight: Double?

    @Option(name: .customLong("ricci-weight"), parsing: .unconditional, help: "Weight of the Ricci loss, the mean of |R|^p with R the Ricci scalar by the Ricci measure's differences (0: off, cymetric's default).")
    var ricciWeight: Double = 0

    @Option(name: .customLong("ricci-points"), parsing: .unconditional, help: "Points of each minibatch the Ricci loss is taken on (145 metric evaluations each on a threefold).")
    var ricciPoints: Int = 8

    @Option(name: .customLong("score-points"), parsing: .unconditional, help: "Validation points for the Kähler, transition and Ricci measures after each epoch (0: skip; default 100, or all if fewer).")
    var scorePoints: Int?

    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOptions
    @OptionGroup var resume: ResumeOption

    func config() throws -> CYTrainingConfig {
        var c = CYTrainingConfig()
        let g = try geometry.resolve()
        c.variety = geometry.variety
        c.psi = [g.psi.real, g.psi.imaginary]
        c.ambient = try geometry.ambient.map { try parseList($0, option: "--ambient", expected: "a positive integer") { Int($0) } }
        c.kahler = g.kahler
        guard let m = CYMetricModel(rawValue: model.lowercased()) else { throw InputError("--model '\(model)', expected phi, additive, multiplicative or free") }
        c.model = m
        if let net { c.net = net }
        guard let i = CYNetworkInputs(rawValue: inputs.lowercased()) else { throw InputError("--inputs '\(inputs)', expected coordinates or bihomogeneous") }
        c.inputs = i
        c.reference = reference; c.referenceDegree = referenceK
        c.points = points; c.validationPoints = validationPoints; c.epochs = epochs; c.batch = batch; c.rate = lr
        guard let o = OptimizerKind(rawValue: optimizer.lowercased()) else { throw InputError("--optimizer '\(optimizer)', expected adam, sgd or gd") }
        c.optimizer = o
        c.schedule = schedule; c.power = power; c.seed = seed.seed
        c.transitionWeight = transitionWeight; c.kahlerWeight = kahlerWeight; c.volumeWeight = volumeWeight; c.scorePoints = scorePoints; c.weightedLoss = weightedLoss; c.clip = clip
        c.ricciWeight = ricciWeight; c.ricciPoints = ricciPoints
        return c
    }

    func run() throws {
        try output.run(resume: resume.resume) { dir in
            let start = Date()
            let c = try config()
            let trainer = try CYTrainer(config: c)
            let meter = ProgressMeter(label: "cy train")
            StopRequest.install()
            let outcome = try trainer.run(root: dir, resume: resume.resume, stop: { StopRequest.received }, progress: { epoch, h in
                let s = h.sigma.last ?? .nan, e = h.sigmaError.last ?? .nan
                FileHandle.standardError.write(String(format: "cy train: epoch %ld/%ld  σ = %.5f ± %.5f  loss %.5g  (%.1f s)\n", epoch, c.epochs, s, e,
                                                      h.trainingLoss.last ?? .nan, h.epochSeconds.last ?? 0).data(using: .utf8)!)
                meter.update(Double(epoch) / Double(max(1, c.epochs)))
            })
            meter.finish()
            if let r = outcome.resumedFrom { FileHandle.standardError.write("cy train: resumed from the checkpoint of epoch \(r)\n".data(using: .utf8)!) }
            let summary = try CYTrainOutput.write(trainer, outcome, seconds: Date().timeIntervalSince(start), to: dir)
            let history = outcome.history
            if let i = outcome.interruption {
                FileHandle.standardError.write("error: cy train: \(i); summary.json has complete = false\n".data(using: .utf8)!)
                Foundation.exit(i.exitStatus)
            }
            if let failure = outcome.failure { throw InputError("cy train: \(failure); summary.json has complete = false") }
            print(String(format: "cy train: %@ %@-model, σ %.5f → %.5f (FS %.5f), %.1f s per epoch → %@", trainer.variety.name, c.model.rawValue,
                         history.sigma.first ?? .nan, summary.sigma_final, summary.sigma_fs,
                         history.epochSeconds.dropFirst().reduce(0, +) / Double(max(1, history.epochSeconds.count - 1)), output.out))
        }
    }
}

/// The files `cy train` writes: summary.json, params.npy, sigma.svg.
enum CYTrainOutput {
    @discardableResult
    static func write(_ trainer: CYTrainer, _ outcome: CYTrainer.Outcome, seconds: Double, to dir: URL) throws -> CYTrainingSummary {
        let history = outcome.history, metric = outcome.metric
        let summary = CYTrainingSummary(trainer, history: history, parameterCount: metric.network.parameterCount,
                                        complete: outcome.isComplete, seconds: seconds)
        try JSONOutput.writeSummary(summary, to: dir.appendingPathComponent("summary.json"), complete: summary.complete)
        try NPY.write(NDArray(shape: [metric.network.parameterCount], data: metric.network.parameters), to: dir.appendingPathComponent("params.npy"))
        var p = SVGPlot(title: "σ on the validation sample (\(trainer.variety.name), \(trainer.config.model.rawValue)-model, \(trainer.config.inputs.rawValue) inputs)",
                        xLabel: "epoch", yLabel: "σ", logY: true)
        var sigma = SVGPlot.Series(label: "σ ± jackknife error, neural metric", x: history.epochs.map(Double.init), y: history.sigma, color: SVGPlot.palette[0])
        sigma.errors = history.sigmaError
        p.series.append(sigma)
        p.series.append(.init(label: "σ, Fubini–Study", x: history.epochs.map(Double.init), y: history.epochs.map { _ in summary.sigma_fs },
                              color: SVGPlot.palette[1], dashed: true, markers: false))
        try p.write(to: dir.appendingPathComponent("sigma.svg"))
        return summary
    }
}

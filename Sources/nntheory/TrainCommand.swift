import ArgumentParser
import Foundation
import Networks
import NumericCore
import Optimization
import Training

/// `nntheory train`: training networks on losses that contain their input derivatives.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train neural-network metrics by gradient descent on curvature losses.",
        discussion: "The network is a SPEC (--net); the SPEC grammar is documented in docs/networks.md.",
        subcommands: [TrainTorusCommand.self]
    )
}

struct TrainTorusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torus",
        abstract: "Train a network metric on the torus T^n (n = 2, 3) on a curvature loss, recording the flow of g.",
        discussion: HelpText.paragraphs("""
        The metric g(x) on T^n = [0, 2π)^n is built from a network of the periodic features cos(k x_j), sin(k x_j),
        k = 1…--harmonics: conformal g = e^u δ (1 output), ldl g = L D Lᵀ with D = e^d (n(n+1)/2 outputs, positive
        definite), components g_ij = h (n(n+1)/2 outputs), additive g = g_ref + h (n(n+1)/2 outputs, the upper triangle; g_ref = δ or --reference "u = EXPR"
        for e^u δ, with exact derivatives of the formula). Curvature comes from the network's
        exact second derivatives in x (Taylor jets), the parameter gradient from the reverse pass through them.

        Losses: scalar2 ∫R² dV, ricci2 ∫|Ric|² dV, perelman F = ∫(R + |∇f|²) e^{-f} dV (the network gets one more
        output, the dilaton f), mse ∫|g − g*|² dⁿx to the --init metric. Curvature losses hold the volume at its
        value when training starts (the metric used is ĝ = (V₀/V)^{2/n} g; --no-volume-constraint turns this off).
        --init "u = EXPR" (x, y, z, numbers, + - * / ^, sin cos tan exp log sqrt tanh, pi) gives the starting
        metric g* = e^u δ, fitted first by --init-steps Adam steps on the MSE loss at --init-lr.
        --points N: a uniform N^(1/n)-per-side grid when N is a perfect n-th power (spectrally accurate), else N
        fresh uniform random points per step (Monte Carlo); --batch B draws minibatches of the grid.
        Schedules (--schedule): constant, exp:HALFLIFE, step:EVERY:FACTOR, cosine:STEPS (absolute steps).

        Writes to DIR: loss.npy (one value per step), init_loss.npy (the fit), snapshots/g_SSSSSSSS.npy [M, n, n]
        (g on the --eval-grid grid, snapshots/grid.npy, at main steps 0, every --snapshot-every and the last;
        snapshots/index.json gives step, t = η·step, ∫R² dV and the volume of each), params/ (theta.npy and, in
        neural-tangents' layout, p{i}_W.npy [fan_in, fan_out], p{i}_b.npy for the layer at SPEC position i), loss.svg, summary.json, and checkpoints/
        every --checkpoint-every steps (parameters, optimiser state, step counter = random-stream counter).
        --resume continues from the newest checkpoint in DIR up to --steps; the result is bit-identical to an
        uninterrupted run. A loss, gradient or metric that stops being finite ends the run with an error naming
        the step.

        Examples:
          nntheory train torus --dim 2 --metric conformal \\
              --net "Dense(32) Tanh Dense(32) Tanh Dense(1)" --loss scalar2 \\
              --init "u = 0.5*cos(x) + 0.2*sin(2*y)" --points 1024 --steps 2000 \\
              --lr 0.01 --optimizer adam --seed 1 --checkpoint-every 200 --out flat2
          nntheory train torus --dim 2 --metric conformal \\
              --net "Dense(32) Tanh Dense(32) Tanh Dense(1)" --loss scalar2 \\
              --init "u = 0.5*cos(x) + 0.2*sin(2*y)" --points 1024 --steps 4000 \\
              --lr 0.01 --optimizer adam --seed 1 --checkpoint-every 200 --out flat2 \\
              --resume
          nntheory train torus --dim 3 --metric ldl --loss ricci2 \\
              --init "u = 0.3*cos(x)*sin(y+z)" --points 4096 --steps 500 --lr 0.003 \\
              --out ricci3
          nntheory train torus --dim 2 --metric additive \\
              --reference "u = 0.4*sin(x)*cos(y)" \\
              --net "Dense(32) Tanh Dense(32) Tanh Dense(3, W_std=0.01)" \\
              --loss scalar2 --steps 1000 --out corr
        """)
    )

    @Option(parsing: .unconditional, help: "Torus dimension n (2 or 3).")
    var dim: Int = 2

    @Option(help: "Metric parametrisation: conformal, ldl, components or additive.")
    var metric: String = "conformal"

    @OptionGroup var network: NetworkOptions

    @Option(help: "Loss: scalar2, ricci2, perelman or mse.")
    var loss: String = "scalar2"

    @Option(help: "Starting metric e^u δ as 'u = EXPR', fitted first by the MSE loss.")
    var `init`: String?

    @Option(help: "Reference metric e^u δ of --metric additive as 'u = EXPR' (default: flat δ).")
    var reference: String?

    @Option(parsing: .unconditional, help: "MSE fit steps for --init.")
    var initSteps: Int = 300

    @Option(parsing: .unconditional, help: "Learning rate of the --init fit (Adam).")
    var initLr: Double = 0.01

    @Option(parsing: .unconditional, help: "Training points per step (a perfect n-th power: a grid).")
    var points: Int = 1024

    @Option(parsing: .unconditional, help: "Minibatch size drawn from the grid per step (0: full batch).")
    var batch: Int = 0

    @Option(parsing: .unconditional, help: "Training steps (after the --init fit).")
    var steps: Int = 1000

    @Option(parsing: .unconditional, help: "Learning rate η (L-BFGS: initial step length, 1 is natural).")
    var lr: Double = 0.01

    @Option(help: "Optimiser: adam, sgd (momentum 0.9), gd (plain gradient descent) or lbfgs (full batch).")
    var optimizer: String = "adam"

    @Option(help: "Learning-rate schedule: constant, exp:HALFLIFE, step:EVERY:FACTOR, cosine:STEPS.")
    var schedule: String = "constant"

    @Option(parsing: .unconditional, help: "Periodic harmonics K of the input embedding.")
    var harmonics: Int = 2

    @Option(parsing: .unconditional, help: "Evaluation grid points per side for snapshots.")
    var evalGrid: Int?

    @Option(parsing: .unconditional, help: "Snapshot every K steps (0: first and last only; default steps/10).")
    var snapshotEvery: Int?

    @Flag(help: "Let the volume change under curvature losses.")
    var noVolumeConstraint = false

    @Option(parsing: .unconditional, help: "Checkpoint every K steps.")
    var checkpointEvery: Int = 100

    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOptions
    @OptionGroup var resume: ResumeOption

    func run() throws {
        try output.run(resume: resume.resume) { dir in
            var c = TorusTrainingConfig()
            c.dimension = dim
            guard let m = MetricParametrization(rawValue: metric.lowercased()), m.supportsRealCoordinates else {
                throw InputError("--metric '\(metric)', expected conformal, ldl, components or additive")
            }
            guard let l = CurvatureLoss(rawValue: loss.lowercased()) else {
                throw InputError("--loss '\(loss)', expected ricci2, scalar2, perelman or mse")
            }
            guard let o = OptimizerKind(rawValue: optimizer.lowercased()) else {
                throw InputError("--optimizer '\(optimizer)', expected adam, sgd, gd or lbfgs")
            }
            guard dim == 2 || dim == 3 else { throw InputError("--dim \(dim), expected 2 or 3") }
            c.metric = m; c.loss = l; c.optimizer = o
            c.net = network.net ?? TorusTrainingConfig.defaultNet(outputs: c.networkOutputs)
            c.parameterization = try network.defaultParameterization()
            c.harmonics = harmonics
            c.initExpression = `init`
            c.reference = reference
            c.initSteps = initSteps; c.initRate = initLr
            c.points = points; c.batch = batch; c.steps = steps; c.rate = lr
            c.schedule = schedule; c.seed = seed.seed; c.checkpointEvery = checkpointEvery
            c.evalSide = evalGrid ?? TorusTrainingConfig.defaultEvalSide(dimension: dim)
            c.snapshotEvery = snapshotEvery ?? TorusTrainingConfig.defaultSnapshotEvery(steps: steps)
            c.volumeConstraint = !noVolumeConstraint
            let trainer = try TorusTrainer(config: c)
            StopRequest.install()
            let s: TorusTrainingSummary
            s = try exitingOnInterrupt("train torus") { try trainer.run(root: dir, resume: resume.resume, stop: { StopRequest.received }, progress: progress) }
            var line = "train torus: T^\(dim) \(m.rawValue) metric, \(l.rawValue) loss, \(s.parameterCount) parameters"
            if let a = s.initialLoss, let b = s.finalLoss { line += String(format: "; loss %.4e → %.4e", a, b) }
            if let r = s.scalar2Reduction { line += String(format: "; ∫R²dV ÷ %.3g", r) }
            if let v = s.volumeRelativeChange { line += String(format: "; volume change %.2e", v) }
            print(line + String(format: " (%.1f s) → %@", s.seconds, output.out))
        }
    }
}

import Foundation
import Networks
import NumericCore
import Optimization

/// Everything that defines a torus-metric training run (`nntheory train torus`).
public struct TorusTrainingConfig: Codable, Sendable, Equatable {
    /// Torus dimension n (2 or 3).
    public var dimension = 2
    /// How the network's outputs build g.
    public var metric: MetricParametrization = .conformal
    /// The network h, a SPEC string (`NetworkSpec`), with `parameterization` for Dense layers that name none.
    public var net = TorusTrainingConfig.defaultNet(outputs: 1)
    /// Parameterisation of Dense layers in `net` that name none (`ntk`; the default `net` names `standard`).
    public var parameterization: Dense.Parameterization = .ntk
    /// Harmonics K of the torus embedding (width 2nK).
    public var harmonics = 2
    /// The loss of the main phase.
    public var loss: CurvatureLoss = .scalar2
    /// Defining function of the starting metric g* = e^{u}δ (`u = …`), fitted first by the MSE loss.
    public var initExpression: String? = nil
    /// Reference metric e^{u_ref}δ of the additive parametrisation (`u = …`; nil: flat).
    public var reference: String? = nil
    /// Adam steps of the MSE fit to `initExpression` (none without one).
    public var initSteps = 300
    /// Learning rate of the MSE fit.
    public var initRate = 0.01
    /// Training points per step: a uniform grid when this is a perfect n-th power, else fresh uniform random
    /// points every step (Monte Carlo).
    public var points = 1024
    /// Minibatch size drawn from the grid each step (0: the full grid).
    public var batch = 0
    /// Steps of the main phase.
    public var steps = 1000
    /// Learning rate η of the main phase (L-BFGS: the initial step length).
    public var rate = 1e-3
    /// Optimiser of the main phase.
    public var optimizer: OptimizerKind = .adam
    /// Learning-rate schedule (`LearningRateSchedule.parse`: constant, exp:H, step:K:F, cosine:T).
    public var schedule = "constant"
    /// Seed of the parameters (stream 0) and of the per-step minibatch and Monte Carlo streams.
    public var seed: UInt64 = 0
    /// Checkpoint every this many steps.
    public var checkpointEvery = 100
    /// Side of the evaluation grid of the snapshots.
    public var evalSide = 32
    /// Snapshot every this many steps (0: first and last only).
    public var snapshotEvery = 100
    /// Volume normalisation of curvature losses (Vol fixed at its value when the main phase starts).
    public var volumeConstraint = true

    /// The defaults of `nntheory train torus` (conformal metric on T², default network, scalar2 loss, Adam).
    public init() {}

    /// The default side of the evaluation grid: 32 on T² (1024 points), 12 on T³ (1728 points).
    public static func defaultEvalSide(dimension n: Int) -> Int { n == 2 ? 32 : 12 }

    /// The default snapshot interval: ten snapshots over the main phase (at least every step).
    public static func defaultSnapshotEvery(steps: Int) -> Int { max(1, steps / 10) }

    /// The default network of torus metrics with `outputs` outputs: two hidden tanh layers of width 32, standard
    /// parameterisation with trainable biases starting at 0 (written out, so the SPEC means the same in every command).
    public static func defaultNet(outputs: Int) -> String {
        let d = "b_std=0, parameterization=standard"
        return "Dense(32, \(d)) Tanh Dense(32, \(d)) Tanh Dense(\(outputs), \(d))"
    }

    /// The network outputs `metric` needs in `dimension` (1 or n(n+1)/2), plus the dilaton f of the `perelman` loss.
    public var networkOutputs: Int { metric.outputCount(dimension: dimension) + (loss == .perelman ? 1 : 0) }

    /// The network's architecture: `net` parsed with `parameterization` as the Dense layers' default.
    public func architecture() throws -> Serial {
        try NetworkSpec.parse(net, defaultParameterization: parameterization)
    }

    /// The `train torus` option that sets the configuration key `key` (for messages: "--init" for init_expression).
    public static func optionName(_ key: String) -> String {
        let named = ["dimension": "--dim", "init_expression": "--init", "rate": "--lr", "init_rate": "--init-lr",
                     "eval_side": "--eval-grid", "volume_constraint": "--no-volume-constraint"]
        return named[key] ?? "--" + key.replacingOccurrences(of: "_", with: "-")
    }

    enum CodingKeys: String, CodingKey {
        case dimension, metric, net, parameterization, harmonics, loss, reference, points, batch, steps, rate, optimizer, schedule, seed
        case initExpression = "init_expression", initSteps = "init_steps", initRate = "init_rate", checkpointEvery = "checkpoint_every"
        case evalSide = "eval_side", snapshotEvery = "snapshot_every", volumeConstraint = "volume_constraint"
    }

    /// Decodes a configuration (snake_case keys; the camelCase keys of runs written before 2026-12-03 are read too);
    /// a missing `parameterization` (runs written before it existed) reads as `ntk`.
    public init(from decoder: Decoder) throws {
        let c = try LegacyKeyedContainer(decoder.container(keyedBy: CodingKeys.self), legacy: decoder.container(keyedBy: LegacyKey.self))
        dimension = try c.decode(Int.self, forKey: .dimension)
        metric = try c.decode(MetricParametrization.self, forKey: .metric)
        net = try c.decode(String.self, forKey: .net)
        parameterization = try c.decodeIfPresent(Dense.Parameterization.self, forKey: .parameterization) ?? .ntk
        harmonics = try c.decode(Int.self, forKey: .harmonics)
        loss = try c.decode(CurvatureLoss.self, forKey: .loss)
        initExpression = try c.decodeIfPresent(String.self, forKey: .initExpression)
        reference = try c.decodeIfPresent(String.self, forKey: .reference)
        initSteps = try c.decode(Int.self, forKey: .initSteps)
        initRate = try c.decode(Double.self, forKey: .initRate)
        points = try c.decode(Int.self, forKey: .points)
        batch = try c.decode(Int.self, forKey: .batch)
        steps = try c.decode(Int.self, forKey: .steps)
        rate = try c.decode(Double.self, forKey: .rate)
        optimizer = try c.decode(OptimizerKind.self, forKey: .optimizer)
        schedule = try c.decode(String.self, forKey: .schedule)
        seed = try c.decode(UInt64.self, forKey: .seed)
        checkpointEvery = try c.decode(Int.self, forKey: .checkpointEvery)
        evalSide = try c.decode(Int.self, forKey: .evalSide)
        snapshotEvery = try c.decode(Int.self, forKey: .snapshotEvery)
        volumeConstraint = try c.decode(Bool.self, forKey: .volumeConstraint)
    }

    /// Checks ranges; errors are one line naming the option and value.
    public func validate() throws {
        guard dimension == 2 || dimension == 3 else { throw SettingError("dimension", "\(dimension), expected 2 or 3") }
        guard rate.isFinite && rate > 0 else { throw SettingError("rate", "\(rate), expected a positive number") }
        guard initRate.isFinite && initRate > 0 else { throw SettingError("initRate", "\(initRate), expected a positive number") }
        guard points >= 1 else { throw SettingError("points", "\(points), expected a positive count") }
        // Per point: the metric's components with their first and second derivatives and the curvature built from
        // them, ≤ 128 doubles in n = 3.
        try MemoryBudget.check(Double(points) * 128 * 8, for: "the metric jets at \(points) points", option: "--points \(points)")
        guard batch >= 0 else { throw SettingError("batch", "\(batch), expected ≥ 0 (0: full batch)") }
        guard steps >= 0 else { throw SettingError("steps", "\(steps), expected ≥ 0") }
        guard initSteps >= 0 else { throw SettingError("initSteps", "\(initSteps), expected ≥ 0") }
        guard checkpointEvery >= 1 else { throw SettingError("checkpointEvery", "\(checkpointEvery), expected a positive count") }
        guard evalSide >= 2 else { throw SettingError("evalSide", "\(evalSide), expected ≥ 2") }
        guard snapshotEvery >= 0 else { throw SettingError("snapshotEvery", "\(snapshotEvery), expected ≥ 0") }
        guard harmonics >= 1 && harmonics <= 64 else { throw SettingError("harmonics", "\(harmonics), expected 1…64") }
        _ = try LearningRateSchedule.parse(schedule)
        _ = try architecture()
        if let e = initExpression {
            do { try TorusExpression(e, dimension: dimension).checkFinite() } catch let e as InputError { throw SettingError("initExpression", ": \(e)") }
        }
        if let r = reference {
            guard metric == .additive else { throw SettingError("reference", "needs the additive metric, not \(metric.rawValue)") }
            do { try TorusExpression(r, dimension: dimension).checkFinite() } catch let e as InputError { throw SettingError("reference", ": \(e)") }
        }
        if loss == .mse && initExpression == nil { throw SettingError("loss", "mse needs a target, expected a starting metric (initExpression \"u = …\")") }
        if optimizer == .lbfgs && batch > 0 { throw SettingError("optimizer", "lbfgs needs full batches, expected batch 0, got \(batch)") }
    }
}

/// A snapshot of g on the evaluation grid.
public struct SnapshotRecord: Codable, Sendable, Equatable {
    /// The main step of the snapshot.
    public var step: Int
    /// t = η·step (constant schedule) or Σ_{i<step} η_i.
    public var t: Double
    /// The snapshot's file name in `snapshots/`, `g_SSSSSSSS.npy`.
    public var file: String
    /// ∫R² dV and Vol of the (normalised) metric on the evaluation grid.
    public var scalar2: Double
    /// Vol = ∫√det g dⁿx of the (normalised) metric on the evaluation grid.
    public var volume: Double
}

/// The result of a run.
public struct TorusTrainingSummary: Codable, Sendable {
    /// The configuration of the run (what `NeuralTorusMetric.trained(from:)` rebuilds the network from).
    public var config: TorusTrainingConfig
    /// Length of θ.
    public var parameterCount: Int
    /// Training points per step (`config.points`).
    public var trainingPoints: Int
    /// "grid", "grid minibatch" or "monte carlo".
    public var quadrature: String
    /// Loss at the first main step.
    public var initialLoss: Double?
    /// Loss at the last main step.
    public var finalLoss: Double?
    /// Monte Carlo standard error of the final loss (random training points or minibatches only).
    public var finalLossStandardError: Double?
    /// First over last main-phase loss.
    public var lossReduction: Double?
    /// Last loss of the MSE fit to the starting metric (nil without one).
    public var initFitLoss: Double?
    /// Volume V₀ the curvature losses hold (nil without the constraint).
    public var volumeTarget: Double?
    /// Every snapshot of the run, in step order.
    public var snapshots: [SnapshotRecord]
    /// ∫R² dV of the first snapshot over that of the last.
    public var scalar2Reduction: Double?
    /// Vol(last snapshot)/Vol(first snapshot) − 1.
    public var volumeRelativeChange: Double?
    /// The step the run was resumed from (nil: not resumed).
    public var resumedFrom: Int?
    /// Wall-clock time of this invocation, in seconds.
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case config, quadrature, snapshots, seconds
        case parameterCount = "parameter_count", trainingPoints = "training_points", initialLoss = "initial_loss"
        case finalLoss = "final_loss", finalLossStandardError = "final_loss_standard_error", lossReduction = "loss_reduction"
        case initFitLoss = "init_fit_loss", volumeTarget = "volume_target", scalar2Reduction = "scalar2_reduction"
        case volumeRelativeChange = "volume_relative_change", resumedFrom = "resumed_from"
    }
}

/// Errors that stop a run (non-finite values), one line naming the step and the quantity.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    /// The one-line message, e.g. "step 120 (main): loss is nan; lower --lr".
    public let description: String
    /// An error with message `d`.
    public init(_ d: String) { description = d }
}

/// Runs torus-metric training: an optional MSE fit of the network to the starting metric e^{u}δ (`initSteps`
/// Adam steps at `initRate`), then `steps` steps of the chosen loss and optimiser. Step s (global, init phase
/// first) draws its minibatch or Monte Carlo points from Philox stream s, so every step is a pure function of
/// (parameters, optimiser state, s) and a resumed run is bit-identical to an uninterrupted one.
public final class TorusTrainer {
    /// The (validated) configuration.
    public let config: TorusTrainingConfig
    /// The metric being trained; its network's parameters move with every step.
    public private(set) var model: NeuralTorusMetric
    /// The network's architecture, parsed from `config.net`.
    public let architecture: Serial
    /// The learning-rate schedule, in absolute main steps.
    public let schedule: LearningRateSchedule
    /// The starting metric's u in g* = e^{u}δ (nil: no MSE fit).
    public let initTarget: TorusExpression?
    /// The training grid when `config.points` is a perfect n-th power (nil: random points every step).
    public let grid: TorusQuadrature?
    /// The evaluation grid of the snapshots (`config.evalSide` per side).
    public let evalGrid: TorusQuadrature
    /// Main-phase loss at every step so far.
    public private(set) var losses: [Double] = []
    /// MSE-fit loss at every step so far.
    public private(set) var initLosses: [Double] = []
    /// Snapshots written so far.
    public private(set) var snapshots: [SnapshotRecord] = []
    /// Volume V₀ that the curvature losses hold (set when the main phase starts; nil without the constraint).
    public private(set) var volumeTarget: Double?
    var lastStandardError: Double?
    var optimizer: OptimizerState
    var step = 0

    let fixedVolumeTarget: Double?

    /// A trainer; `parameters` warm-starts the network (instead of the seed's initialisation) and `volumeTarget`
    /// fixes V₀ (instead of the volume when the main phase starts), e.g. to polish another run's result.
    public init(config: TorusTrainingConfig, parameters: [Double]? = nil, volumeTarget: Double? = nil) throws {
        try config.validate()
        self.config = config
        architecture = try config.architecture()
        schedule = try LearningRateSchedule.parse(config.schedule)
        initTarget = try config.initExpression.map { try TorusExpression($0, dimension: config.dimension) }
        model = try config.model()
        grid = TorusQuadrature.gridSide(points: config.points, dimension: config.dimension)
            .map { TorusQuadrature.grid(dimension: config.dimension, side: $0) }
        evalGrid = TorusQuadrature.grid(dimension: config.dimension, side: config.evalSide)
        optimizer = OptimizerState(kind: initTarget != nil && config.initSteps > 0 ? .adam : config.optimizer, parameters: model.network.parameterCount)
        fixedVolumeTarget = volumeTarget
        if let th = parameters {
            guard th.count == model.network.parameterCount else { throw InputError("\(th.count) starting parameters, expected \(model.network.parameterCount)") }
            model.network.parameters = th
        }
    }

    var totalSteps: Int { (initTarget != nil ? config.initSteps : 0) + config.steps }
    var initSteps: Int { initTarget != nil ? config.initSteps : 0 }

    /// Names global step g (1-based; init-fit steps first, then the main phase — the counter the random streams and
    /// checkpoints use) together with its place in its phase: "step 35 of 50 (ricci2 step 5 of 20)",
    /// "step 12 of 50 (init fit step 12 of 30)".
    func stepLabel(_ g: Int) -> String {
        let phase = g <= initSteps ? "init fit step \(g) of \(initSteps)" : "\(config.loss.rawValue) step \(g - initSteps) of \(config.steps)"
        return "step \(g) of \(totalSteps) (\(phase))"
    }

    /// The quadrature of global step s: the grid (or a minibatch of it), or fresh random points.
    func quadrature(step s: Int) -> TorusQuadrature {
        let n = config.dimension
        guard let g = grid else {
            return TorusQuadrature.random(dimension: n, points: config.points, seed: deriveSeed(config.seed, 2), stream: UInt64(s))
        }
        let P = g.points.rows
        guard config.batch > 0 && config.batch < P else { return g }
        var rng = RandomStream(seed: deriveSeed(config.seed, 1), stream: UInt64(s))
        var idx = Array(0..<P)
        for i in 0..<config.batch { let j = i + Int(rng.nextUInt64() % UInt64(P - i)); idx.swapAt(i, j) }
        var x = Matrix(rows: config.batch, cols: n)
        for i in 0..<config.batch { for j in 0..<n { x[i, j] = g.points[idx[i], j] } }
        return TorusQuadrature(points: x, weight: pow(2 * .pi, Double(n)) / Double(config.batch), isGrid: false)
    }

    /// Target metric e^{u(x)}δ at the points, [P, n²].
    func target(_ x: Matrix) -> Matrix {
        let n = config.dimension
        var t = Matrix(rows: x.rows, cols: n * n)
        for p in 0..<x.rows { let e = exp(initTarget!(x.row(p))); for i in 0..<n { t[p, i * n + i] = e } }
        return t
    }

    /// Loss and gradient at global step s for parameters θ.
    func evaluate(_ theta: [Double], step s: Int) -> LossEvaluation {
        var m = model
        m.network.parameters = theta
        let q = quadrature(step: s)
        if s < initSteps { return m.lossAndGradient(.mse, quadrature: q, target: target(q.points)) }
        return m.lossAndGradient(config.loss, quadrature: q, target: config.loss == .mse ? target(q.points) : nil,
                                 volumeTarget: config.volumeConstraint ? volumeTarget : nil)
    }

    /// Stops with a one-line error if the evaluation is not finite.
    /// `s` is the number of steps taken before this evaluation (the error names step s + 1).
    func guardFinite(_ e: LossEvaluation, step s: Int) throws {
        let q = quadrature(step: s)
        let label = stepLabel(s + 1)
        if let p = e.badPoint {
            let x = q.points.row(p).map { String(format: "%.4g", $0) }.joined(separator: ", ")
            throw TrainingError("\(label): the metric is degenerate or not finite at x = (\(x)) (det g ≤ 0, NaN or Inf); expected a smaller learning rate")
        }
        guard e.loss.isFinite else { throw TrainingError("\(label): loss is \(e.loss); expected a smaller learning rate") }
        if let k = e.gradient.firstIndex(where: { !$0.isFinite }) {
            throw TrainingError("\(label): gradient entry \(k) of the parameters is \(e.gradient[k]); expected a smaller learning rate")
        }
    }

    /// Time t of main step k.
    func time(_ k: Int) -> Double {
        if schedule == .constant { return config.rate * Double(k) }
        var t = 0.0
        for i in 0..<k { t += schedule.rate(config.rate, step: i) }
        return t
    }

    /// Snapshot of the normalised metric on the evaluation grid at main step k.
    func snapshot(_ k: Int, root: URL?) throws {
        let ev = model.evaluate(evalGrid.points)
        let n = Double(config.dimension)
        var s = 1.0
        if config.volumeConstraint, let V0 = volumeTarget, config.loss != .mse {
            let V = grid != nil ? model.lossAndGradient(.scalar2, quadrature: grid!, gradient: false).volume : evalGrid.integrate(ev.volumeForm)
            s = pow(V0 / V, 2 / n)
        }
        if let bad = ev.metric.data.firstIndex(where: { !($0 * s).isFinite }) {
            throw TrainingError("\(stepLabel(k + initSteps)): the normalised metric is \(ev.metric.data[bad] * s) on the evaluation grid; expected a smaller learning rate")
        }
        let r2 = zip(ev.scalar, ev.volumeForm).map { $0 * $0 * $1 }
        let rec = SnapshotRecord(step: k, t: time(k), file: String(format: "g_%08ld.npy", k),
                                 scalar2: pow(s, n / 2 - 2) * evalGrid.integrate(r2), volume: pow(s, n / 2) * evalGrid.integrate(ev.volumeForm))
        if let root = root {
            var g = ev.metric
            for i in 0..<g.data.count { g.data[i] *= s }
            try NPY.write(g, to: root.appendingPathComponent("snapshots").appendingPathComponent(rec.file))
        }
        snapshots.removeAll { $0.step == k }
        snapshots.append(rec)
    }

    func checkpoint(root: URL) throws {
        let st = TorusCheckpointState(step: step, optimizer: optimizer.kind, optimizerUpdates: optimizer.t, volumeTarget: volumeTarget,
                                          seed: config.seed, nextRandomCounter: step, snapshots: snapshots, config: config)
        try TrainingCheckpoint(state: st, parameters: model.network.parameters, optimizer: optimizer, losses: losses, initLosses: initLosses).write(root: root)
    }

    /// Runs to the end (`initSteps + steps` global steps). With `root`, writes checkpoints, snapshots and the
    /// final outputs there; with `resume`, continues from the newest checkpoint in `root`.
    @discardableResult
    ///
    /// `stop()` is polled after every step: a signal number ends the run there with a checkpoint of that step (in
    /// `root`), throwing `StopRequest.Interrupted`; `--resume` continues from it bit-identically.
    public func run(root: URL?, resume: Bool = false, stop: () -> Int32? = { nil }, progress: (String) -> Void = { _ in }) throws -> TorusTrainingSummary {
        let start = Date()
        var resumedFrom: Int? = nil
        if let root = root {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("snapshots"), withIntermediateDirectories: true)
            if resume {
                guard let c = try TrainingCheckpoint<TorusCheckpointState>.newest(in: root) else { throw InputError("no checkpoint in \(root.path)/checkpoints to resume from, expected one written by an earlier run") }
                var a = c.state.config, b = config
                a.steps = 0; b.steps = 0; a.checkpointEvery = 1; b.checkpointEvery = 1; a.snapshotEvery = 0; b.snapshotEvery = 0
                guard a == b else {
                    let differing = JSONOutput.differingKeys(a, b).map(TorusTrainingConfig.optionName)
                    throw InputError("the checkpoint in \(root.path) was made with other settings (\(differing.joined(separator: ", "))), expected the same (only --steps, --checkpoint-every and --snapshot-every may change)")
                }
                guard c.parameters.count == model.network.parameterCount else { throw InputError("the checkpoint has \(c.parameters.count) parameters, expected \(model.network.parameterCount)") }
                model.network.parameters = c.parameters
                optimizer = c.optimizer
                losses = c.losses; initLosses = c.initLosses
                snapshots = c.state.snapshots; volumeTarget = c.state.volumeTarget
                step = c.state.step
                resumedFrom = step
                // Checkpoints count global steps (init fit, then main phase: the random-stream counter); say both.
                progress(step >= initSteps
                    ? "resuming after main step \(step - initSteps) of \(config.steps) (global step \(step), after the \(initSteps) init-fit steps; checkpoint \(root.path)/checkpoints)"
                    : "resuming in the init fit after step \(step) of \(initSteps) (checkpoint \(root.path)/checkpoints)")
                if step > totalSteps {
                    throw SettingError("steps", "\(config.steps): the checkpoint is after main step \(step - initSteps), expected --steps at least \(step - initSteps)")
                }
            }
        }
        let total = totalSteps
        let every = max(1, total / 20)
        var lastReport = Date()
        while step < total {
            let s = step
            let inInit = s < initSteps
            let k = s - initSteps          // main-phase step
            if !inInit && k == 0 {
                // Phase start: fresh optimiser, volume target, first snapshot.
                if initSteps > 0 { optimizer = OptimizerState(kind: config.optimizer, parameters: model.network.parameterCount) }
                if config.volumeConstraint && config.loss != .mse {
                    let q = grid ?? evalGrid
                    volumeTarget = fixedVolumeTarget ?? model.lossAndGradient(.scalar2, quadrature: q, gradient: false).volume
                }
                try snapshot(0, root: root)
            }
            let e = evaluate(model.network.parameters, step: s)
            try guardFinite(e, step: s)
            if inInit { initLosses.append(e.loss) } else { losses.append(e.loss); lastStandardError = e.standardError }
            let eta = inInit ? config.initRate : schedule.rate(config.rate, step: k)
            if !inInit && config.optimizer == .lbfgs {
                let r = try LBFGS.step(model.network.parameters, loss: e.loss, gradient: e.gradient, rate: eta, state: &optimizer) { th in
                    let t = evaluate(th, step: s)
                    return (t.badPoint == nil ? t.loss : .nan, t.gradient)
                }
                model.network.parameters = r.theta
            } else {
                optimizer.update(&model.network.parameters, gradient: e.gradient, rate: eta)
            }
            step += 1
            if !inInit, config.snapshotEvery > 0, (k + 1) % config.snapshotEvery == 0, step < total { try snapshot(k + 1, root: root) }
            if let root = root, step % config.checkpointEvery == 0 || step == total { try checkpoint(root: root) }
            if step < total, let sig = stop() {
                if let root = root { try checkpoint(root: root) }
                throw StopRequest.Interrupted(signal: sig, detail: "after \(stepLabel(step))" + (root.map { "; the checkpoint of step \(step) is in \($0.path)/checkpoints: rerun with --resume to continue" } ?? ""))
            }
            if step % every == 0 || step == total || Date().timeIntervalSince(lastReport) > 5 {
                lastReport = Date()
                progress(String(format: "step %ld/%ld  (%@ %ld/%ld) loss %.6e", step, total, inInit ? "init fit" : config.loss.rawValue,
                                inInit ? step : step - initSteps, inInit ? initSteps : config.steps, e.loss))
            }
        }
        if config.steps > 0 && snapshots.last?.step != config.steps {
            try snapshot(config.steps, root: root)
            if let root = root { try checkpoint(root: root) }
        }
        let first = snapshots.first, last = snapshots.last
        var summary = TorusTrainingSummary(
            config: config, parameterCount: model.network.parameterCount, trainingPoints: config.points,
            quadrature: grid != nil ? (config.batch > 0 ? "grid minibatch" : "grid") : "monte carlo",
            initialLoss: losses.first, finalLoss: losses.last, finalLossStandardError: lastStandardError, lossReduction: nil, initFitLoss: initLosses.last,
            volumeTarget: volumeTarget, snapshots: snapshots, scalar2Reduction: nil, volumeRelativeChange: nil,
            resumedFrom: resumedFrom, seconds: Date().timeIntervalSince(start))
        if let a = losses.first, let b = losses.last { summary.lossReduction = a / b }
        if let a = first, let b = last { summary.scalar2Reduction = a.scalar2 / b.scalar2; summary.volumeRelativeChange = b.volume / a.volume - 1 }
        if let root = root { try writeOutputs(root: root, summary: summary) }
        return summary
    }

    func writeOutputs(root: URL, summary: TorusTrainingSummary) throws {
        try NPY.write(losses, to: root.appendingPathComponent("loss.npy"))
        if !initLosses.isEmpty { try NPY.write(initLosses, to: root.appendingPathComponent("init_loss.npy")) }
        let pdir = root.appendingPathComponent("params")
        try ParameterIO.save(model.network, to: pdir)
        try NPY.write(model.network.parameters, to: pdir.appendingPathComponent("theta.npy"))
        try NPY.write(NDArray(evalGrid.points), to: root.appendingPathComponent("snapshots").appendingPathComponent("grid.npy"))
        try JSONOutput.write(snapshots, to: root.appendingPathComponent("snapshots").appendingPathComponent("index.json"))
        var plot = SVGPlot(title: "\(config.loss.rawValue) loss, \(config.metric.rawValue) metric on T^\(config.dimension)", xLabel: "step", yLabel: "loss", logY: true)
        if !initLosses.isEmpty {
            plot.series.append(.init(label: "init fit (MSE)", x: (0..<initLosses.count).map { Double($0 - initLosses.count) }, y: initLosses, color: SVGPlot.palette[1], markers: false))
        }
        plot.series.append(.init(label: config.loss.rawValue, x: (0..<losses.count).map(Double.init), y: losses, color: SVGPlot.palette[0], markers: false))
        if config.loss != .scalar2 {
            plot.series.append(.init(label: "∫R² dV (eval grid)", x: snapshots.map { Double($0.step) }, y: snapshots.map(\.scalar2), color: SVGPlot.palette[2], lines: false))
        }
        try plot.write(to: root.appendingPathComponent("loss.svg"))
        try JSONOutput.writeSummary(summary, to: root.appendingPathComponent("summary.json"))
    }
}

/// A key by name (the camelCase keys of earlier `train torus` runs).
struct LegacyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Decodes a snake_case key, or its camelCase spelling (the Swift name of the case) when absent: reads files written
/// before the keys became snake_case.
struct LegacyKeyedContainer<K: CodingKey> {
    let current: KeyedDecodingContainer<K>
    let legacy: KeyedDecodingContainer<LegacyKey>
    init(_ current: KeyedDecodingContainer<K>, legacy: KeyedDecodingContainer<LegacyKey>) { self.current = current; self.legacy = legacy }
    /// The camelCase name of a key: its `stringValue` with "_x" → "X".
    static func camel(_ key: K) -> LegacyKey {
        var out = "", up = false
        for ch in key.stringValue { if ch == "_" { up = true } else { out += up ? ch.uppercased() : String(ch); up = false } }
        return LegacyKey(stringValue: out)
    }
    func decode<T: Decodable>(_ type: T.Type, forKey key: K) throws -> T {
        if current.contains(key) { return try current.decode(type, forKey: key) }
        let old = Self.camel(key)
        if legacy.contains(old) { return try legacy.decode(type, forKey: old) }
        return try current.decode(type, forKey: key)   // throws keyNotFound naming the snake_case key
    }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: K) throws -> T? {
        if current.contains(key) { return try current.decodeIfPresent(type, forKey: key) }
        return try legacy.decodeIfPresent(type, forKey: Self.camel(key))
    }
}

import CYBridge
import Foundation
import Networks
import NumericCore
import Optimization

/// The settings of a neural Calabi–Yau metric run (`nntheory cy train`).
public struct CYTrainingConfig: Codable, Sendable, Equatable {
    /// Variety: a built-in name or polynomial(s) (`Variety.resolve`).
    public var variety = "fermat-quintic"
    /// ψ of the built-in families (real, imaginary).
    public var psi: [Double] = [0, 0]
    /// Ambient factor dimensions of a polynomial variety (nil: one projective space).
    public var ambient: [Int]? = nil
    /// Kähler moduli t (nil: all 1).
    public var kahler: [Double]? = nil
    /// The model.
    public var model: CYMetricModel = .phi
    /// Network SPEC (one output for `phi`, n² for the matrix models). The φ default is replaced by
    /// `NeuralCYMetric.defaultNet(model:dimension:)` for the matrix models when the trainer resolves the settings.
    public var net = NeuralCYMetric.defaultNet
    /// What the network sees of a point (cymetric's coordinates, or patch-invariant bihomogeneous features).
    public var inputs: CYNetworkInputs = .coordinates
    /// A directory written by `cy donaldson` whose balanced metric is the reference of g = g_ref + ∂∂̄φ (nil:
    /// Fubini–Study at t), and its degree k (nil: the largest present).
    public var reference: String? = nil
    public var referenceDegree: Int? = nil
    /// Training points.
    public var points = 20_000
    /// Validation points (their own sample, another seed).
    public var validationPoints = 10_000
    /// Epochs (passes over the training points).
    public var epochs = 10
    /// Minibatch size.
    public var batch = 1000
    /// Learning rate η.
    public var rate = 1e-3
    /// Optimiser (`OptimizerKind`; L-BFGS is full-batch and not offered here).
    public var optimizer: OptimizerKind = .adam
    /// Learning-rate schedule in epochs×batches steps (`LearningRateSchedule`).
    public var schedule = "constant"
    /// Exponent p of the Monge–Ampère loss |det g/(κ|Ω|²) − 1|^p and of the transition loss (cymetric's default 1).
    public var power = 1.0
    /// Whether the Monge–Ampère loss weights each training point by its integration weight w/mean(w) (the loss then
    /// estimates ∫_X |det g/(κ|Ω|²) − 1|^p dVol_CY, σ's integrand; cymetric's default is unweighted).
    public var weightedLoss = false
    /// Clip each minibatch gradient to this global norm before the optimiser step (cymetric clips at 5; nil: no
    /// clipping).
    public var clip: Double? = nil
    /// Weight α_T of the transition loss in the total loss L_MA + α_K·L_K + α_T·L_T + α_V·L_V (cymetric's default 1; 0
    /// switches it off).
    public var transitionWeight = 1.0
    /// Weight α_K of the Kähler loss (`KahlerLoss`; cymetric's default 1; the φ-model is Kähler by construction).
    public var kahlerWeight = 1.0
    /// Weight α_V of the volume loss (`VolumeLoss`); nil: cymetric's 1 for the matrix models, 0 for φ (whose class is
    /// fixed by construction with patch-invariant inputs, and by the transition loss otherwise).
    public var volumeWeight: Double? = nil
    /// Weight α_R of the Ricci loss (`RicciLoss`, mean |R|^power; cymetric's default 0: off).
    public var ricciWeight = 0.0
    /// The Ricci loss is taken on the first `ricciPoints` points of each minibatch (a random subset: the batches are
    /// random); each costs 145 metric evaluations on a threefold.
    public var ricciPoints = 8

    /// The loss weights of a training step.
    public var lossWeights: NeuralCYMetric.LossWeights {
        .init(kahler: kahlerWeight, transition: transitionWeight, volume: volumeWeight ?? (model == .phi ? 0 : 1),
              ricci: ricciWeight, ricciPoints: ricciPoints)
    }
    /// Validation points on which the Kähler, transition and Ricci measures are taken after every epoch (finite
    /// differences in charts; 0: skip them; nil: 100, or all validation points if fewer).
    public var scorePoints: Int? = nil

    /// The validation points the measures use: `scorePoints`, else min(100, validationPoints).
    public var measuredPoints: Int { scorePoints ?? min(100, validationPoints) }
    /// The run's seed: network from deriveSeed(seed, 0), training sample deriveSeed(seed, 1), validation sample
    /// deriveSeed(seed, 2), the minibatch order of epoch e from stream e of deriveSeed(seed, 3).
    public var seed: UInt64 = 0

    /// The defaults (φ-model on the Fermat quintic, 20 000 points, 10 epochs).
    public init() {}

    enum CodingKeys: String, CodingKey {
        case variety, psi, ambient, kahler, model, net, inputs, reference, points, epochs, batch, rate, optimizer, schedule, power, seed
        case referenceDegree = "reference_degree"
        case validationPoints = "validation_points", transitionWeight = "transition_weight", scorePoints = "score_points"
        case weightedLoss = "weighted_loss", clip
        case kahlerWeight = "kahler_weight", volumeWeight = "volume_weight"
        case ricciWeight = "ricci_weight", ricciPoints = "ricci_points"
    }

    /// Decodes settings; a key that is absent takes its default (runs written before a setting existed, e.g.
    /// `kahler_weight` and `volume_weight`, read as they ran).
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func take<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws { if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v } }
        try take(.variety, &variety); try take(.psi, &psi); try take(.model, &model); try take(.net, &net); try take(.inputs, &inputs)
        try take(.points, &points); try take(.validationPoints, &validationPoints); try take(.epochs, &epochs); try take(.batch, &batch)
        try take(.rate, &rate); try take(.optimizer, &optimizer); try take(.schedule, &schedule); try take(.power, &power)
        try take(.weightedLoss, &weightedLoss); try take(.transitionWeight, &transitionWeight); try take(.kahlerWeight, &kahlerWeight)
        try take(.seed, &seed); try take(.ricciWeight, &ricciWeight); try take(.ricciPoints, &ricciPoints)
        ambient = try c.decodeIfPresent([Int].self, forKey: .ambient)
        kahler = try c.decodeIfPresent([Double].self, forKey: .kahler)
        reference = try c.decodeIfPresent(String.self, forKey: .reference)
        referenceDegree = try c.decodeIfPresent(Int.self, forKey: .referenceDegree)
        clip = try c.decodeIfPresent(Double.self, forKey: .clip)
        volumeWeight = try c.decodeIfPresent(Double.self, forKey: .volumeWeight)
        scorePoints = try c.decodeIfPresent(Int.self, forKey: .scorePoints)
    }

    /// Checks every setting; throws a one-line `SettingError` naming the first bad one.
    public func validate() throws {
        guard points >= 10, points <= 10_000_000 else { throw SettingError("points", "\(points), expected 10…10000000 training points") }
        guard validationPoints >= 10, validationPoints <= 10_000_000 else { throw SettingError("validationPoints", "\(validationPoints), expected 10…10000000") }
        guard epochs >= 0, epochs <= 1_000_000 else { throw SettingError("epochs", "\(epochs), expected 0…1000000") }
        guard batch >= 1, batch <= points else { throw SettingError("batch", "\(batch), expected 1…\(points) (the training points)") }
        guard rate.isFinite, rate > 0 else { throw SettingError("rate", "\(rate), expected a positive learning rate") }
        guard optimizer != .lbfgs else { throw SettingError("optimizer", "lbfgs, expected adam, sgd or gd (minibatch training)") }
        guard power.isFinite, power >= 1, power <= 4 else { throw SettingError("power", "\(power), expected 1…4") }
        guard psi.count == 2, psi.allSatisfy(\.isFinite) else { throw SettingError("psi", "\(psi), expected a finite complex number") }
        if let c = clip, !(c.isFinite && c > 0) { throw SettingError("clip", "\(c), expected a positive gradient norm") }
        guard transitionWeight.isFinite, transitionWeight >= 0 else { throw SettingError("transitionWeight", "\(transitionWeight), expected a weight ≥ 0") }
        guard kahlerWeight.isFinite, kahlerWeight >= 0 else { throw SettingError("kahlerWeight", "\(kahlerWeight), expected a weight ≥ 0") }
        if let v = volumeWeight, !(v.isFinite && v >= 0) { throw SettingError("volumeWeight", "\(v), expected a weight ≥ 0") }
        guard ricciWeight.isFinite, ricciWeight >= 0 else { throw SettingError("ricciWeight", "\(ricciWeight), expected a weight ≥ 0") }
        guard ricciPoints >= 1, ricciPoints <= points else { throw SettingError("ricciPoints", "\(ricciPoints), expected 1…\(points) (points of a minibatch)") }
        if let sp = scorePoints, !(sp >= 0 && sp <= validationPoints) { throw SettingError("scorePoints", "\(sp), expected 0…\(validationPoints) (the validation points)") }
        _ = try LearningRateSchedule.parse(schedule)
    }
}

/// What a CY training run records per epoch (validation set) and at its end.
public struct CYTrainingHistory: Codable, Sendable {
    /// Epochs completed (0 = the initial network).
    public var epochs: [Int] = []
    /// σ on the validation sample after each epoch.
    public var sigma: [Double] = []
    /// Its jackknife standard error.
    public var sigmaError: [Double] = []
    /// Mean training loss L_MA + α_T·L_T over the epoch's batches (at epoch 0 the validation Monge–Ampère loss).
    public var trainingLoss: [Double] = []
    /// Monge–Ampère loss on the validation sample.
    public var mongeAmpereLoss: [Double] = []
    /// Wall-clock seconds of each epoch.
    public var epochSeconds: [Double] = []
    /// The model's transition loss on the validation sample (`NeuralCYMetric.transitionLoss`).
    public var transitionLoss: [Double] = []
    /// The Kähler loss (`KahlerLoss`, exact, from the outputs' jets) on the validation sample: 0 for the φ-model by
    /// construction.
    public var kahlerLoss: [Double] = []
    /// CYBridge's Kähler measure (`KahlerMeasure`, the same torsion by finite differences of g in each point's chart)
    /// on the first `scorePoints` validation points: 0 for a Kähler metric up to the differences' truncation.
    public var kahlerMeasure: [Double] = []
    /// CYBridge's transition measure of the metric (`TransitionMeasure`: g against T g' T† in every other chart) on the
    /// first `scorePoints` validation points.
    public var transitionMeasure: [Double] = []
    /// The Ricci measure ‖R‖ (`RicciMeasure`, R by finite differences of log det g) on the first `scorePoints`
    /// validation points.
    public var ricci: [Double] = []
    /// The volume loss (`VolumeLoss`: the slopes ∫ω^{n−1}∧J_a against the class's) on the validation sample.
    public var volumeLoss: [Double] = []

    /// An empty history.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, sigma
        case sigmaError = "sigma_error", trainingLoss = "training_loss", mongeAmpereLoss = "monge_ampere_loss"
        case epochSeconds = "epoch_seconds", transitionLoss = "transition_loss", kahlerLoss = "kahler_loss", kahlerMeasure = "kahler_measure"
        case transitionMeasure = "transition_measure", ricci, volumeLoss = "volume_loss"
    }
}

/// Trains a `NeuralCYMetric` on the Monge–Ampère loss by minibatch gradient descent (Adam by default) and scores
/// it on a validation sample after every epoch.
public struct CYTrainer: Sendable {
    /// The settings.
    public let config: CYTrainingConfig
    /// The variety.
    public let variety: Variety
    /// Kähler moduli.
    public let kahler: [Double]
    /// The training sample.
    public let training: CYTrainingSample
    /// The validation sample.
    public let validation: CYTrainingSample
    /// The metric at the start.
    public let initial: NeuralCYMetric

    /// Validates `config`, samples both point sets and draws the network.
    public init(config requested: CYTrainingConfig, threads: Int? = nil) throws {
        try requested.validate()
        var config = requested
        let v = try Variety.resolve(config.variety, psi: ComplexDouble(config.psi[0], config.psi[1]), ambient: config.ambient)
        guard v.isCalabiYau else { throw SettingError("variety", "'\(config.variety)' is not Calabi–Yau (c₁ ≠ 0), expected Σ_a q_ar = n_r + 1 in every factor") }
        if config.net == NeuralCYMetric.defaultNet { config.net = NeuralCYMetric.defaultNet(model: config.model, dimension: v.dimension) }
        self.config = config
        variety = v
        let t = config.kahler ?? [Double](repeating: 1, count: v.ambient.factorCount)
        kahler = t
        var referenceMetric: AlgebraicMetric? = nil
        if let path = config.reference {
            let dir = URL(fileURLWithPath: path)
            let loaded: (metric: AlgebraicMetric, degree: Int)
            do { loaded = try BalancedMetricDirectory.load(dir, degree: config.referenceDegree, variety: v) } catch {
                throw SettingError("reference", "'\(path)': \(error), expected a directory written by `nntheory cy donaldson` for \(v.name)")
            }
            let cls = BalancedMetricDirectory.kahlerClass(dir) ?? [Double](repeating: 1, count: v.ambient.factorCount)
            guard cls == t else {
                throw SettingError("reference", "'\(path)' holds balanced metrics in the class \(cls), expected the class of --kahler \(t)")
            }
            referenceMetric = loaded.metric
        }
        let sampler = try PointSampler(variety: v)
        let derivatives = config.model == .multiplicative && config.kahlerWeight > 0
        training = try CYTrainingSample(sample: try sampler.sample(count: config.points, seed: deriveSeed(config.seed, 1), threads: threads), kahler: t,
                                        reference: referenceMetric, derivatives: derivatives, threads: threads)
        validation = try CYTrainingSample(sample: try sampler.sample(count: config.validationPoints, seed: deriveSeed(config.seed, 2), threads: threads), kahler: t,
                                          reference: referenceMetric, derivatives: config.model == .multiplicative, threads: threads)
        let architecture = try NetworkSpec.parse(config.net, defaultParameterization: .standard)
        var start = try NeuralCYMetric(variety: v, kahler: t, model: config.model, inputs: config.inputs, reference: referenceMetric, architecture: architecture, seed: deriveSeed(config.seed, 0))
        if config.model == .free { try start.setFreeStart(scale: NeuralCYMetric.freeStartScale(training)) }
        initial = start
    }

    /// The validation scores of a metric (`CYTrainingHistory` has their definitions).
    public struct Score: Sendable {
        public var sigma: Double, error: Double, loss: Double, transition: Double, volume: Double
        public var kahler: Double, kahlerMeasure: Double, transitionMeasure: Double, ricci: Double
    }

    /// σ of `metric` on the validation sample with its jackknife error, the validation Monge–Ampère, Kähler,
    /// transition and volume losses (the training losses on the whole validation sample), and on its first
    /// `scorePoints` points the Kähler and transition measures by finite differences and the Ricci measure (NaN when
    /// `measuredPoints` is 0).
    public func score(_ metric: NeuralCYMetric) -> Score {
        let (gs, det) = metric.metricsAndDeterminants(validation)
        let s = validation.sample
        let sigma = SigmaMeasure.sigma(weights: s.weights, omegaSquared: s.omegaSquared, determinants: det)
        let err = SigmaMeasure.jackknifeError(weights: s.weights, omegaSquared: s.omegaSquared, determinants: det)
        var loss = 0.0
        for i in 0..<s.count {
            let m = abs(det[i] / (validation.kappa * s.omegaSquared[i]) - 1)
            loss += config.power == 1 ? m : pow(m, config.power)
        }
        let transition = metric.inputs.isPatchInvariant && metric.model == .phi ? 0 : metric.transitionLoss(validation, power: config.power)
        let volume = VolumeLoss.loss(slopes: VolumeLoss.slopes(validation, metrics: gs), targets: validation.slopeTargets, power: config.power).loss
        var kahlerLoss = 0.0
        if !metric.model.isKahlerByConstruction {
            var lo = 0
            while lo < s.count {
                let idx = Array(lo..<min(s.count, lo + 4096))
                kahlerLoss += metric.evaluate(validation, indices: idx, power: config.power, weights: .init(kahler: 1), wantGradient: false).kahler * Double(idx.count)
                lo += idx.count
            }
            kahlerLoss /= Double(s.count)
        }
        var sc = Score(sigma: sigma, error: err, loss: loss / Double(s.count), transition: transition, volume: volume,
                       kahler: kahlerLoss, kahlerMeasure: .nan, transitionMeasure: .nan, ricci: .nan)
        if config.measuredPoints > 0 {
            let m = config.measuredPoints
            sc.kahlerMeasure = KahlerMeasure.measure(s, metric: metric.chartMetric, count: m)
            sc.transitionMeasure = TransitionMeasure.measure(s, metric: metric.chartMetric, count: m)
            let r = RicciMeasure.ricciScalars(s, metric: metric.metricFunction, count: m)
            sc.ricci = RicciMeasure.measure(weights: Array(s.weights[0..<m]), omegaSquared: Array(s.omegaSquared[0..<m]),
                                            determinants: Array(det[0..<m]), ricci: r, dimension: variety.dimension)
        }
        return sc
    }

    /// Appends a score to the history.
    static func record(_ sc: Score, epoch: Int, trainingLoss: Double, seconds: Double, into h: inout CYTrainingHistory) {
        h.epochs.append(epoch); h.sigma.append(sc.sigma); h.sigmaError.append(sc.error)
        h.mongeAmpereLoss.append(sc.loss); h.trainingLoss.append(trainingLoss); h.epochSeconds.append(seconds)
        h.transitionLoss.append(sc.transition); h.kahlerLoss.append(sc.kahler); h.kahlerMeasure.append(sc.kahlerMeasure); h.transitionMeasure.append(sc.transitionMeasure)
        h.ricci.append(sc.ricci); h.volumeLoss.append(sc.volume)
    }

    /// The minibatch order of epoch e: a permutation of the training points from stream e of deriveSeed(seed, 3).
    public func order(epoch e: Int) -> [Int] {
        var rng = RandomStream(seed: deriveSeed(config.seed, 3), stream: UInt64(e))
        var p = Array(0..<training.count)
        for i in stride(from: p.count - 1, to: 0, by: -1) {
            let j = Int(rng.nextUInt64() % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }

    /// What a run reached: the metric after its last completed epoch, the history, and the error that stopped it
    /// early (nil when every epoch ran).
    public struct Outcome: Sendable {
        public var metric: NeuralCYMetric
        public var history: CYTrainingHistory
        public var failure: TrainingError?
        /// The epoch a resumed run started from (nil for a fresh run).
        public var resumedFrom: Int?
        /// The signal stop (`StopRequest`), nil when the run was not interrupted.
        public var interruption: StopRequest.Interrupted? = nil
        /// Whether every epoch ran.
        public var isComplete: Bool { failure == nil && interruption == nil }
    }

    /// Runs the epochs from `initial` (or, with `resume`, from the newest checkpoint in `root`); `progress(epoch,
    /// history)` after each. With `root`, a checkpoint (`TrainingCheckpoint` of `CYCheckpointState`) is written after
    /// every epoch, so a resumed run continues bit-identically (the minibatch order of an epoch and the schedule's step
    /// are functions of the epoch). When the metric stops being positive definite the run stops with a `TrainingError`
    /// naming the epoch, the batch and the fraction of points, keeping the last completed epoch's metric and history.
    /// `stop()` is polled after every optimiser step: a signal number ends the run there with the last completed
    /// epoch's metric and checkpoint (the partial epoch is discarded; `--resume` redoes it, bit-identically).
    public func run(root: URL? = nil, resume: Bool = false, stop: () -> Int32? = { nil },
                    progress: (Int, CYTrainingHistory) -> Void = { _, _ in }) throws -> Outcome {
        var metric = initial
        var theta = metric.network.parameters
        var opt = OptimizerState(kind: config.optimizer, parameters: theta.count)
        let schedule = try LearningRateSchedule.parse(config.schedule)
        var history = CYTrainingHistory()
        var first = 1, resumedFrom: Int? = nil
        if resume, let root {
            guard let c = try TrainingCheckpoint<CYCheckpointState>.newest(in: root) else {
                throw InputError("no checkpoint in \(root.path)/checkpoints to resume from, expected one written by an earlier `cy train`")
            }
            var a = c.state.config, b = config
            a.epochs = 0; b.epochs = 0
            guard a == b else {
                let differing = JSONOutput.differingKeys(a, b)
                throw InputError("the checkpoint in \(root.path) was made with other settings (\(differing.joined(separator: ", "))), expected the same (only --epochs may change)")
            }
            guard c.parameters.count == theta.count else { throw InputError("the checkpoint has \(c.parameters.count) parameters, expected \(theta.count)") }
            theta = c.parameters; metric.network.parameters = theta
            opt = c.optimizer
            history = c.state.history
            first = c.state.step + 1; resumedFrom = c.state.step
        } else {
            let det0 = metric.determinants(validation)
            let bad = det0.filter { !($0 > 0) }.count
            guard bad == 0 else {
                throw SettingError("net", "'\(config.net)': the initial metric (\(config.model.rawValue) model) is not positive definite at \(bad) of \(det0.count) validation points (\(String(format: "%.2g", Double(bad) / Double(det0.count) * 100)) %), expected a network whose ∂∂̄φ starts small (e.g. a readout with W_std ≤ 0.05)")
            }
            let s0 = score(metric)
            Self.record(s0, epoch: 0, trainingLoss: s0.loss, seconds: 0, into: &history)
        }
        progress(first - 1, history)
        let batches = (training.count + config.batch - 1) / config.batch
        var step = (first - 1) * batches
        let w = training.sample.weights, meanW = w.reduce(0, +) / Double(max(1, w.count))
        let lossWeights: [Double]? = config.weightedLoss ? w.map { $0 / meanW } : nil
        let lossWeightsOfStep = config.lossWeights
        for epoch in first..<max(first, config.epochs + 1) {
            let start = Date()
            let order = order(epoch: epoch)
            let epochStart = theta
            var lossSum = 0.0
            for b in 0..<batches {
                let idx = Array(order[(b * config.batch)..<min(order.count, (b + 1) * config.batch)])
                let e = metric.evaluate(training, indices: idx, power: config.power, weights: lossWeightsOfStep,
                                        lossWeights: lossWeights, wantGradient: true)
                guard e.nonPositive == 0, var g = e.gradient, e.total(lossWeightsOfStep).isFinite else {
                    let why = e.nonPositive > 0
                        ? "the metric is not positive definite at \(e.nonPositive) of \(idx.count) points (\(String(format: "%.2g", Double(e.nonPositive) / Double(idx.count) * 100)) %)"
                        : e.ricci.isNaN ? "the metric is not positive definite at a node of the Ricci loss's difference stencils"
                        : "the loss is \(e.total(lossWeightsOfStep))"
                    let kept = root == nil ? "" : "; the metric of epoch \(epoch - 1) is kept (checkpoint and params.npy)"
                    return Outcome(metric: trainedMetric(epochStart),
                                   history: history, failure: TrainingError("epoch \(epoch), batch \(b + 1): \(why); lower --lr\(kept)"),
                                   resumedFrom: resumedFrom)
                }
                lossSum += e.total(lossWeightsOfStep)
                if let c = config.clip { clipByGlobalNorm(&g, maximum: c) }
                opt.update(&theta, gradient: g, rate: schedule.rate(config.rate, step: step))
                metric.network.parameters = theta
                step += 1
                if let sig = stop() {
                    var o = Outcome(metric: trainedMetric(epochStart), history: history, failure: nil, resumedFrom: resumedFrom)
                    o.interruption = StopRequest.Interrupted(signal: sig, detail: "in epoch \(epoch) (batch \(b + 1) of \(batches))"
                        + (root == nil ? "" : "; the checkpoint of epoch \(epoch - 1) is kept: rerun with --resume to continue"))
                    return o
                }
            }
            let seconds = Date().timeIntervalSince(start)
            Self.record(score(metric), epoch: epoch, trainingLoss: lossSum / Double(batches), seconds: seconds, into: &history)
            if let root {
                let st = CYCheckpointState(step: epoch, optimizer: opt.kind, optimizerUpdates: opt.t, config: config, history: history)
                try TrainingCheckpoint(state: st, parameters: theta, optimizer: opt, losses: history.trainingLoss, initLosses: []).write(root: root, keep: 2)
            }
            progress(epoch, history)
        }
        return Outcome(metric: metric, history: history, failure: nil, resumedFrom: resumedFrom)
    }

    /// The initial metric with parameters θ.
    func trainedMetric(_ theta: [Double]) -> NeuralCYMetric {
        var m = initial
        m.network.parameters = theta
        return m
    }
}

/// The state of a `cy train` checkpoint, written after every epoch.
public struct CYCheckpointState: CheckpointState {
    /// The epoch completed.
    public var step: Int
    /// The optimiser.
    public var optimizer: OptimizerKind
    /// Its update count.
    public var optimizerUpdates: Int
    /// The run's settings.
    public var config: CYTrainingConfig
    /// The per-epoch history so far.
    public var history: CYTrainingHistory
}

/// The contents of `summary.json` of `nntheory cy train` (snake_case keys).
public struct CYTrainingSummary: Encodable, Sendable {
    /// Tool and settings.
    public struct Provenance: Encodable, Sendable {
        public var tool = "nntheory cy train"
        public var config: CYTrainingConfig
    }
    public var provenance: Provenance
    /// The variety's name, its dimension n and Kähler moduli t.
    public var variety: String
    public var dimension: Int
    public var kahler: [Double]
    /// κ = Vol_K/Vol_CY of the training and the validation samples.
    public var kappa: Double
    public var validation_kappa: Double
    /// Network parameters.
    public var parameter_count: Int
    /// Per epoch (0 = the initial network; `CYTrainingHistory` has the definitions): on the validation sample σ and its
    /// jackknife error, the Monge–Ampère, Kähler, transition and volume losses, and on its first `score_points` points the
    /// Kähler and transition measures and the Ricci measure; the mean training loss and the epoch's seconds.
    public var epochs: [Int]
    public var sigma: [Double]
    public var sigma_error: [Double]
    public var monge_ampere_loss: [Double]
    public var transition_loss: [Double]
    public var volume_loss: [Double]
    public var kahler_loss: [Double]
    public var kahler_measure: [Double?]
    public var transition_measure: [Double?]
    public var ricci: [Double?]
    public var training_loss: [Double]
    public var epoch_seconds: [Double]
    /// σ after the last epoch, and of the Fubini–Study metric on the same validation sample.
    public var sigma_final: Double
    public var sigma_fs: Double
    /// Whether every epoch ran.
    public var complete: Bool
    /// Wall-clock seconds (sampling included).
    public var seconds: Double

    /// The summary of a run of `trainer` with `history`.
    public init(_ trainer: CYTrainer, history: CYTrainingHistory, parameterCount: Int, complete: Bool, seconds: Double) {
        provenance = Provenance(config: trainer.config)
        variety = trainer.variety.name; dimension = trainer.variety.dimension; kahler = trainer.kahler
        kappa = trainer.training.kappa; validation_kappa = trainer.validation.kappa
        parameter_count = parameterCount
        epochs = history.epochs; sigma = history.sigma; sigma_error = history.sigmaError
        monge_ampere_loss = history.mongeAmpereLoss; transition_loss = history.transitionLoss; volume_loss = history.volumeLoss
        let finite = { (x: [Double]) in x.map { $0.isFinite ? $0 : nil } }
        kahler_loss = history.kahlerLoss; kahler_measure = finite(history.kahlerMeasure); transition_measure = finite(history.transitionMeasure); ricci = finite(history.ricci)
        training_loss = history.trainingLoss; epoch_seconds = history.epochSeconds
        sigma_final = history.sigma.last ?? .nan
        let v = trainer.validation.sample
        sigma_fs = SigmaMeasure.sigma(weights: v.weights, omegaSquared: v.omegaSquared, determinants: v.fubiniStudyDeterminants(kahler: trainer.kahler))
        self.complete = complete; self.seconds = seconds
    }
}

extension NeuralCYMetric {
    /// The metric a `cy train` run in `dir` ended with: its settings from summary.json's provenance, θ from params.npy
    /// (the last completed epoch), the reference metric reloaded from the settings' `reference` directory.
    /// - Throws: `InputError` naming the file when dir is not the output of `nntheory cy train`.
    public static func trained(from dir: URL) throws -> NeuralCYMetric {
        struct Written: Decodable { struct P: Decodable { let tool: String; let config: CYTrainingConfig }; let provenance: P }
        let summaryURL = dir.appendingPathComponent("summary.json"), paramsURL = dir.appendingPathComponent("params.npy")
        guard let data = try? Data(contentsOf: summaryURL), let w = try? JSONOutput.decode(Written.self, from: data),
              w.provenance.tool == "nntheory cy train" else {
            throw InputError("\(summaryURL.path) is not the summary of a `nntheory cy train` run, expected the output directory of one")
        }
        let c = w.provenance.config
        let v = try Variety.resolve(c.variety, psi: ComplexDouble(c.psi[0], c.psi[1]), ambient: c.ambient)
        let t = c.kahler ?? [Double](repeating: 1, count: v.ambient.factorCount)
        let reference = try c.reference.map { try BalancedMetricDirectory.load(URL(fileURLWithPath: $0), degree: c.referenceDegree, variety: v).metric }
        var m = try NeuralCYMetric(variety: v, kahler: t, model: c.model, inputs: c.inputs, reference: reference,
                                   architecture: try NetworkSpec.parse(c.net, defaultParameterization: .standard), seed: 0)
        let theta: [Double]
        do { theta = try NPY.readDoubles(paramsURL).data } catch { throw InputError("\(paramsURL.path): \(error), expected the run's parameters") }
        guard theta.count == m.network.parameterCount else {
            throw InputError("\(paramsURL.path) has \(theta.count) parameters, expected \(m.network.parameterCount) for the run's --net")
        }
        m.network.parameters = theta
        return m
    }
}

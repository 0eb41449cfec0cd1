import CYBridge
import Foundation
import Networks
import NumericCore
import Numerics
import Training

/// How the parameters of a φ-model move in `flow cy`.
public enum CYFlowArm: String, Codable, CaseIterable, Sendable {
    /// Gradient descent on every parameter.
    case full
    /// Gradient descent on the network linearised at its initial parameters θ₀: φ_lin(θ) = φ(θ₀) + J₀(θ − θ₀) (the
    /// NTK limit's dynamics at finite width).
    case linearized
    /// Gradient descent on the readout layer only (a random-feature model).
    case lastLayer = "last-layer"
}

/// The settings of `nntheory flow cy` (the defaults are the study of docs/cy-neural.md §7): φ-models g = g_FS + ∂∂̄φ of one hidden layer (NTK parameterisation,
/// bihomogeneous inputs, centred so that every width starts at Fubini–Study exactly) trained by full-batch gradient
/// descent on L = mean (det g/(κ|Ω|²) − 1)², against the Kähler–Ricci flow projected on the algebraic metrics of
/// degree k (`AlgebraicKahlerRicciFlow`).
public struct CYFlowConfig: Codable, Sendable, Equatable {
    /// The variety (one projective factor).
    public var variety = "fermat-quintic"
    public var psi: [Double] = [0, 0]
    /// Hidden widths.
    public var widths = [64, 128, 256, 512, 1024, 2048]
    /// Arms.
    public var arms = CYFlowArm.allCases
    /// Hidden activation (a SPEC activation with closed-form jets to order 3).
    public var activation = "Gelu"
    /// Points the loss is taken on (full batch), and the validation sample σ and the Ricci measure are taken on.
    public var points = 512
    public var validationPoints = 1000
    /// Gradient steps and rate η: gradient-flow time t = η·step.
    public var steps = 40
    public var rate = 0.5
    /// Record every this many steps (and the last).
    public var recordEvery = 8
    /// Probe points of the NTK drift ‖Θ_t − Θ₀‖_F/‖Θ₀‖_F (the metric-NTK at these validation points).
    public var probePoints = 16
    /// Validation points of the Ricci measure (finite differences; 0: skip).
    public var scorePoints = 10
    /// Degrees k of the Kähler–Ricci reference, its time, Heun steps and points.
    public var krfDegrees = [1, 2, 3]
    public var krfTime = 0.3
    public var krfSteps = 30
    public var krfPoints = 10_000
    public var seed: UInt64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case variety, psi, widths, arms, activation, points, steps, rate, seed
        case validationPoints = "validation_points", recordEvery = "record_every", probePoints = "probe_points", scorePoints = "score_points"
        case krfDegrees = "krf_degrees", krfTime = "krf_time", krfSteps = "krf_steps", krfPoints = "krf_points"
    }

    /// Checks every setting; throws a one-line `SettingError` naming the first bad one.
    public func validate() throws {
        guard !widths.isEmpty, widths.allSatisfy({ $0 >= 1 && $0 <= 65_536 }) else { throw SettingError("widths", "\(widths), expected widths 1…65536") }
        guard !arms.isEmpty else { throw SettingError("arms", "empty, expected full, linearized and/or last-layer") }
        guard points >= 10, points <= 1_000_000 else { throw SettingError("points", "\(points), expected 10…1000000") }
        guard validationPoints >= 10, validationPoints <= 1_000_000 else { throw SettingError("validationPoints", "\(validationPoints), expected 10…1000000") }
        guard steps >= 1, steps <= 1_000_000 else { throw SettingError("steps", "\(steps), expected 1…1000000") }
        guard rate.isFinite, rate > 0 else { throw SettingError("rate", "\(rate), expected a positive step") }
        guard recordEvery >= 1 else { throw SettingError("recordEvery", "\(recordEvery), expected ≥ 1") }
        guard probePoints >= 2, probePoints <= validationPoints else { throw SettingError("probePoints", "\(probePoints), expected 2…\(validationPoints)") }
        guard scorePoints >= 0, scorePoints <= validationPoints else { throw SettingError("scorePoints", "\(scorePoints), expected 0…\(validationPoints)") }
        guard krfDegrees.allSatisfy({ $0 >= 1 && $0 <= 4 }) else { throw SettingError("krfDegrees", "\(krfDegrees), expected degrees 1…4") }
        guard krfTime.isFinite, krfTime >= 0 else { throw SettingError("krfTime", "\(krfTime), expected a time ≥ 0") }
        guard krfSteps >= 1, krfPoints >= 100 else { throw SettingError("krfSteps", "\(krfSteps) steps on \(krfPoints) points, expected ≥ 1 step and ≥ 100 points") }
        guard psi.count == 2, psi.allSatisfy(\.isFinite) else { throw SettingError("psi", "\(psi), expected a finite complex number") }
    }
}

/// What one arm at one width records (at the recorded steps).
public struct CYFlowRecord: Sendable, Codable, Equatable {
    /// σ and its jackknife error on the validation sample.
    public var sigma: [Double] = [], sigmaError: [Double] = []
    /// The Ricci measure on the first `scorePoints` validation points (NaN when skipped).
    public var ricci: [Double] = []
    /// Vol_K(g)/Vol_K(t) on the validation sample (Monte Carlo).
    public var volume: [Double] = []
    /// ‖Θ(θ_t) − Θ(θ₀)‖_F/‖Θ(θ₀)‖_F of the metric-NTK (`NeuralCYMetric.metricNTK`, g's n² real components) on the
    /// probe points, at the arm's parameters.
    public var drift: [Double] = []
    /// The training loss on the flow points.
    public var loss: [Double] = []
    /// The velocity of φ under the arm, φ̇ = J θ̇ with θ̇ = −∇L (per unit gradient-flow time), against the Kähler–Ricci
    /// velocity F = log(det g/(κ|Ω|²)) on the flow points, both without their weighted means: the cosine and the speed
    /// ⟨φ̇, F⟩_w/⟨F, F⟩_w (1 and 1 if the arm moved along the Kähler–Ricci flow at its speed).
    public var krfCosine: [Double] = [], krfSpeed: [Double] = []

    public init() {}
}

/// `nntheory flow cy`: the training flows of φ-models against the Kähler–Ricci flow.
public struct CYFlowExperiment: Sendable {
    public let config: CYFlowConfig
    public let variety: Variety
    /// The flow (loss) points and the validation points.
    public let flow: CYTrainingSample
    public let validation: CYTrainingSample

    public init(config: CYFlowConfig) throws {
        try config.validate()
        self.config = config
        let v = try Variety.resolve(config.variety, psi: ComplexDouble(config.psi[0], config.psi[1]), ambient: nil)
        guard v.isCalabiYau else { throw SettingError("variety", "'\(config.variety)' is not Calabi–Yau, expected c₁ = 0") }
        guard v.ambient.factorCount == 1 else { throw SettingError("variety", "'\(config.variety)' has \(v.ambient.factorCount) factors, expected one projective space (the Kähler–Ricci reference's algebraic metrics)") }
        variety = v
        let sampler = try PointSampler(variety: v)
        flow = try CYTrainingSample(sample: try sampler.sample(count: config.points, seed: deriveSeed(config.seed, 1)), kahler: [1])
        validation = try CYTrainingSample(sample: try sampler.sample(count: config.validationPoints, seed: deriveSeed(config.seed, 2)), kahler: [1])
    }

    /// The centred φ-model of width w (seed deriveSeed(seed, w)).
    public func model(width w: Int) throws -> NeuralCYMetric {
        let spec = "Dense(\(w), parameterization=ntk) \(config.activation) Dense(1, parameterization=ntk)"
        var m = try NeuralCYMetric(variety: variety, kahler: [1], model: .phi, inputs: .bihomogeneous,
                                   architecture: try NetworkSpec.parse(spec), seed: deriveSeed(config.seed, UInt64(w)))
        m.centering = m.network.parameters
        return m
    }

    /// J₀δ, the output jets of the network linearised at θ₀ (`m.centering`) along δ, on the points `indices` of `s`:
    /// the central difference [f(θ₀ + εδ) − f(θ₀ − εδ)]/(2ε) with ε·max|δ| = 1e-4 (truncation ≈ 1e-8 relative, the
    /// network's third θ-derivative times (εδ)²; round-off ≈ 1e-12).
    static func linearJets(_ m: NeuralCYMetric, direction d: [Double], _ s: CYTrainingSample, indices: [Int], order: Int) -> [Double] {
        let input = m.networkInputs(s, indices: indices, order: order)
        let size = input.indexSet.count * indices.count * m.network.outputWidth
        let scale = d.reduce(0) { max($0, abs($1)) }
        guard scale > 0, let theta0 = m.centering else { return [Double](repeating: 0, count: size) }
        let eps = 1e-4 / scale
        var plus = m.network, minus = m.network
        plus.parameters = zip(theta0, d).map { $0 + eps * $1 }
        minus.parameters = zip(theta0, d).map { $0 - eps * $1 }
        let a = plus.forward(inputJet: input.data, indexSet: input.indexSet, points: indices.count, keepTape: false).output
        let b = minus.forward(inputJet: input.data, indexSet: input.indexSet, points: indices.count, keepTape: false).output
        return zip(a, b).map { ($0 - $1) / (2 * eps) }
    }

    /// The metric of an arm at parameters θ as a `RicciMeasure.MetricFunction` (single points): the network's, or for
    /// the linearised arm g_FS + J₀δ's Hessian by the same central difference in θ.
    static func metricFunction(_ m: NeuralCYMetric, arm: CYFlowArm, theta: [Double]) -> RicciMeasure.MetricFunction {
        var at = m
        at.network.parameters = theta
        guard arm == .linearized, let theta0 = m.centering else { return at.metricFunction }
        let d = zip(theta, theta0).map { $0 - $1 }
        let scale = d.reduce(0) { max($0, abs($1)) }
        guard scale > 0 else { var fs = m; fs.network.parameters = theta0; return fs.metricFunction }
        let eps = 1e-4 / scale
        var plus = m, minus = m
        plus.centering = nil; minus.centering = nil
        plus.network.parameters = zip(theta0, d).map { $0 + eps * $1 }
        minus.network.parameters = zip(theta0, d).map { $0 - eps * $1 }
        let (p, q) = (plus, minus)
        return { z, jac in
            let a = p.metric(at: z, jacobian: jac), b = q.metric(at: z, jacobian: jac), r = p.referenceMetric(at: z, jacobian: jac)
            return (0..<a.count).map { r[$0] + (a[$0] - b[$0]) / ComplexDouble(2 * eps, 0) }
        }
    }

    /// The validation measures of an arm at θ (det g from the jets of its model).
    func score(_ m: NeuralCYMetric, arm: CYFlowArm, theta: [Double], into r: inout CYFlowRecord, kernel0: Matrix) throws {
        let all = Array(0..<validation.count)
        var det: [Double]
        if arm == .linearized, let theta0 = m.centering {
            let d = zip(theta, theta0).map { $0 - $1 }
            det = []
            var lo = 0
            while lo < all.count {
                let idx = Array(lo..<min(all.count, lo + 2048))
                let jets = Self.linearJets(m, direction: d, validation, indices: idx, order: 2)
                det += m.evaluate(validation, indices: idx, outputJet: jets, power: 2, wantAdjoint: false).determinants
                lo += idx.count
            }
        } else {
            var at = m
            at.network.parameters = theta
            det = at.determinants(validation)
        }
        let s = validation.sample
        r.sigma.append(SigmaMeasure.sigma(weights: s.weights, omegaSquared: s.omegaSquared, determinants: det))
        r.sigmaError.append(SigmaMeasure.jackknifeError(weights: s.weights, omegaSquared: s.omegaSquared, determinants: det))
        r.volume.append(s.kahlerVolume(determinants: det) / variety.kahlerVolume([1]))
        if config.scorePoints > 0 {
            let k = config.scorePoints
            let ric = RicciMeasure.ricciScalars(s, metric: Self.metricFunction(m, arm: arm, theta: theta), count: k)
            r.ricci.append(RicciMeasure.measure(weights: Array(s.weights[0..<k]), omegaSquared: Array(s.omegaSquared[0..<k]),
                                                determinants: Array(det[0..<k]), ricci: ric, dimension: variety.dimension))
        } else {
            r.ricci.append(.nan)
        }
        var at = m
        at.network.parameters = theta
        let k1 = at.metricNTK(validation, indices: Array(0..<config.probePoints))
        var num = 0.0, den = 0.0
        for e in 0..<k1.data.count { num += (k1.data[e] - kernel0.data[e]) * (k1.data[e] - kernel0.data[e]); den += kernel0.data[e] * kernel0.data[e] }
        r.drift.append((num / den).squareRoot())
    }

    /// Runs one arm at one width; `progress(fraction)` after every step; `stop()` is polled after every step (a signal
    /// number throws `StopRequest.Interrupted`).
    public func run(arm: CYFlowArm, width w: Int, stop: () -> Int32? = { nil }, progress: (Double) -> Void = { _ in }) throws -> CYFlowRecord {
        var m = try model(width: w)
        let theta0 = m.network.parameters
        var theta = theta0
        let all = Array(0..<flow.count)
        let readout = m.network.layout.slices.last { $0.hasWeight }!
        let readoutRange = readout.weightOffset..<((readout.biasOffset.map { $0 + readout.fanOut }) ?? (readout.weightOffset + readout.fanIn * readout.fanOut))
        let kernel0 = m.metricNTK(validation, indices: Array(0..<config.probePoints))
        let weights = flow.sample.weights
        var r = CYFlowRecord()
        for step in 0...config.steps {
            // The loss and its gradient at θ (for the linearised arm: of φ_lin, by the jet adjoint at θ₀).
            let e: NeuralCYMetric.BatchEvaluation
            var g: [Double]
            if arm == .linearized {
                let d = zip(theta, theta0).map { $0 - $1 }
                let jets = Self.linearJets(m, direction: d, flow, indices: all, order: 2)
                e = m.evaluate(flow, indices: all, outputJet: jets, power: 2, wantAdjoint: true)
                guard let u = e.outputAdjoint else { throw TrainingError("flow cy: the linearized arm's metric is not positive definite at \(e.nonPositive) points after step \(step) of \(config.steps) (width \(w)); lower --lr") }
                var n0 = m.network
                n0.parameters = theta0
                let input = m.networkInputs(flow, indices: all, order: 2)
                let (_, tape) = n0.forward(inputJet: input.data, indexSet: input.indexSet, points: all.count, keepTape: true)
                g = n0.parameterGradient(tape: tape!, outputAdjoint: u)
                tape!.recycle()
            } else {
                m.network.parameters = theta
                e = m.evaluate(flow, indices: all, power: 2, wantGradient: true)
                guard let gg = e.gradient else { throw TrainingError("flow cy: the \(arm.rawValue) arm's metric is not positive definite at \(e.nonPositive) points after step \(step) of \(config.steps) (width \(w)); lower --lr") }
                g = gg
                if arm == .lastLayer { for k in 0..<g.count where !readoutRange.contains(k) { g[k] = 0 } }
            }
            if step % config.recordEvery == 0 || step == config.steps {
                r.loss.append(e.mongeAmpere)
                try score(m, arm: arm, theta: theta, into: &r, kernel0: kernel0)
                // φ̇ = J(−g) at the flow points against F.
                let velocityJets: [Double]
                var at = m
                at.network.parameters = arm == .linearized ? theta0 : theta
                at.centering = at.network.parameters
                velocityJets = Self.linearJets(at, direction: g.map { -$0 }, flow, indices: all, order: 0)
                let F = (0..<flow.count).map { log(e.determinants[$0] / (flow.kappa * flow.sample.omegaSquared[$0])) }
                let (cosine, speed) = Self.alignment(velocityJets, F, weights: weights)
                r.krfCosine.append(cosine); r.krfSpeed.append(speed)
            }
            if step == config.steps { break }
            for k in 0..<theta.count { theta[k] -= config.rate * g[k] }
            progress(Double(step + 1) / Double(config.steps))
            if let sig = stop() { throw StopRequest.Interrupted(signal: sig, detail: "in the \(arm.rawValue) arm at width \(w), after step \(step + 1) of \(config.steps)") }
        }
        return r
    }

    /// The weighted cosine and projection coefficient ⟨a, b⟩_w/⟨b, b⟩_w of a and b after removing their weighted means.
    static func alignment(_ a: [Double], _ b: [Double], weights w: [Double]) -> (cosine: Double, speed: Double) {
        let W = w.reduce(0, +)
        let ma = zip(w, a).reduce(0) { $0 + $1.0 * $1.1 } / W, mb = zip(w, b).reduce(0) { $0 + $1.0 * $1.1 } / W
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<a.count {
            let x = a[i] - ma, y = b[i] - mb
            ab += w[i] * x * y; aa += w[i] * x * x; bb += w[i] * y * y
        }
        return (aa > 0 && bb > 0 ? ab / (aa * bb).squareRoot() : .nan, bb > 0 ? ab / bb : .nan)
    }

    /// The Kähler–Ricci reference of degree k: times, σ and its error and the Ricci measure (exact, from the algebraic
    /// metric's own derivatives) on the validation sample, and the projection's relative residual.
    public func reference(degree k: Int, progress: (Double) -> Void = { _ in }) throws -> CYFlowReference {
        let s = try PointSampler(variety: variety).sample(count: config.krfPoints, seed: deriveSeed(config.seed, 4))
        let krf = try AlgebraicKahlerRicciFlow(variety: variety, degree: k, sample: s, seed: config.seed)
        let states = try krf.run(time: config.krfTime, steps: config.krfSteps, recordEvery: 1) { progress(Double($0) / Double(config.krfSteps)) }
        var out = CYFlowReference(degree: k)
        let v = validation.sample, n = variety.dimension
        let kr = min(v.count, max(config.scorePoints, 100))
        let pts = Array(v.points[0..<(kr * variety.coordinateCount)]), jac = Array(validation.jacobians[0..<(kr * n * variety.coordinateCount)])
        let dj = AlgebraicMetric.jacobianDerivatives(variety: variety, points: pts, jacobians: jac, dependent: Array(v.dependent[0..<(kr * variety.equationCount)]))
        for st in states {
            let g = try krf.metric(st.h)
            let det = try g.pullbackDeterminants(points: v.points, jacobians: validation.jacobians, dimension: n)
            out.times.append(st.time)
            out.sigma.append(SigmaMeasure.sigma(weights: v.weights, omegaSquared: v.omegaSquared, determinants: det))
            out.sigmaError.append(SigmaMeasure.jackknifeError(weights: v.weights, omegaSquared: v.omegaSquared, determinants: det))
            let ric = try g.ricciScalars(points: pts, jacobians: jac, jacobianDerivatives: dj, dimension: n)
            out.ricci.append(RicciMeasure.measure(weights: Array(v.weights[0..<kr]), omegaSquared: Array(v.omegaSquared[0..<kr]),
                                                  determinants: Array(det[0..<kr]), ricci: ric, dimension: n))
            out.relativeResidual.append(st.relativeResidual)
        }
        return out
    }
}

/// The Kähler–Ricci reference of one degree.
public struct CYFlowReference: Sendable, Codable, Equatable {
    public var degree: Int
    public var times: [Double] = []
    public var sigma: [Double] = []
    public var sigmaError: [Double] = []
    public var ricci: [Double] = []
    public var relativeResidual: [Double] = []
    public init(degree: Int) { self.degree = degree }
    enum CodingKeys: String, CodingKey {
        case degree, times, sigma, ricci
        case sigmaError = "sigma_error", relativeResidual = "relative_residual"
    }
}

/// Everything `flow cy` computes.
public struct CYFlowResult: Sendable {
    public var config: CYFlowConfig
    /// Gradient-flow times of the records, t = η·step.
    public var times: [Double]
    /// Per arm and width.
    public var records: [CYFlowArm: [Int: CYFlowRecord]] = [:]
    /// The Kähler–Ricci references, one per degree.
    public var references: [CYFlowReference] = []
    /// σ of Fubini–Study on the validation sample.
    public var sigmaFubiniStudy: Double
    /// Per arm, the power law ntk_drift(final) ∝ width^exponent fitted over the widths (nil with fewer than 3 widths).
    public var driftExponent: [CYFlowArm: PowerLawFit] = [:]
    public var seconds: Double = 0
    /// Units (arm and width, or reference) taken from the checkpoint of a resumed run (nil: not resumed).
    public var resumedUnits: Int? = nil
}

/// The progress of a `flow cy` run, written to `checkpoints/flow_cy.json` after every completed arm and width and
/// every reference: `--resume` skips what is there (every unit is a pure function of the settings, so the resumed
/// result is the uninterrupted one).
public struct CYFlowCheckpoint: Codable, Sendable, Equatable {
    public struct Unit: Codable, Sendable, Equatable { public var arm: CYFlowArm; public var width: Int; public var record: CYFlowRecord }
    public var config: CYFlowConfig
    public var units: [Unit] = []
    public var references: [CYFlowReference] = []

    /// The checkpoint file of an output directory.
    public static func url(in root: URL) -> URL { root.appendingPathComponent("checkpoints/flow_cy.json") }
}

extension CYFlowExperiment {
    /// Every arm at every width, then the Kähler–Ricci references; `progress(fraction)` throughout. With `root`, a
    /// checkpoint after every unit; with `resume`, the units of the checkpoint in `root` are taken as done (its
    /// settings must be these). `stop()` is polled after every gradient step and between units: a signal throws
    /// `StopRequest.Interrupted`, the checkpoint keeping every completed unit.
    public func run(root: URL? = nil, resume: Bool = false, stop: () -> Int32? = { nil }, progress: (Double) -> Void = { _ in }) throws -> CYFlowResult {
        let start = Date()
        var steps = Array(stride(from: 0, through: config.steps, by: config.recordEvery))
        if steps.last != config.steps { steps.append(config.steps) }
        let v = validation.sample
        var result = CYFlowResult(config: config, times: steps.map { Double($0) * config.rate },
                                  sigmaFubiniStudy: SigmaMeasure.sigma(weights: v.weights, omegaSquared: v.omegaSquared, determinants: v.fubiniStudyDeterminants(kahler: [1])))
        var state = CYFlowCheckpoint(config: config)
        if resume, let root {
            let url = CYFlowCheckpoint.url(in: root)
            guard let data = try? Data(contentsOf: url) else {
                throw InputError("no checkpoint \(url.path) to resume from, expected one written by an earlier `flow cy` into this --out")
            }
            let old: CYFlowCheckpoint
            do { old = try JSONOutput.decode(CYFlowCheckpoint.self, from: data) } catch { throw InputError("\(url.path): \(error), expected a flow cy checkpoint") }
            guard old.config == config else {
                let differing = JSONOutput.differingKeys(old.config, config)
                throw InputError("the checkpoint in \(root.path) was made with other settings (\(differing.joined(separator: ", "))), expected the same")
            }
            state = old
            result.resumedUnits = old.units.count + old.references.count
        }
        func save() throws { try AtomicFile.durably { if let root { try JSONOutput.write(state, to: CYFlowCheckpoint.url(in: root)) } } }
        // Work ∝ width per arm (the linearised arm ≈ twice); the references a fixed share.
        let armCost: (CYFlowArm) -> Double = { $0 == .linearized ? 2 : 1 }
        let total = config.arms.reduce(0) { $0 + armCost($1) } * Double(config.widths.reduce(0, +)) * 1.2
        var done = 0.0
        for arm in config.arms {
            for w in config.widths {
                let share = armCost(arm) * Double(w)
                let r: CYFlowRecord
                if let u = state.units.first(where: { $0.arm == arm && $0.width == w }) {
                    r = u.record
                } else {
                    if let sig = stop() { throw StopRequest.Interrupted(signal: sig, detail: "before the \(arm.rawValue) arm at width \(w)") }
                    r = try run(arm: arm, width: w, stop: stop) { progress((done + $0 * share) / total) }
                    state.units.append(.init(arm: arm, width: w, record: r))
                    try save()
                }
                result.records[arm, default: [:]][w] = r
                done += share
            }
            if config.widths.count >= 3 {
                let finals = config.widths.map { result.records[arm]![$0]!.drift.last ?? .nan }
                result.driftExponent[arm] = PowerLawFit(x: config.widths.map(Double.init), y: finals)
            }
        }
        let refShare = (total - done) / Double(max(1, config.krfDegrees.count))
        for k in config.krfDegrees {
            if let r = state.references.first(where: { $0.degree == k }) {
                result.references.append(r)
            } else {
                if let sig = stop() { throw StopRequest.Interrupted(signal: sig, detail: "before the Kähler–Ricci reference of degree \(k)") }
                let r = try reference(degree: k) { progress((done + $0 * refShare) / total) }
                state.references.append(r)
                try save()
                result.references.append(r)
            }
            done += refShare
        }
        result.seconds = Date().timeIntervalSince(start)
        return result
    }
}

/// The contents of `summary.json` of `nntheory flow cy` (snake_case keys; per-arm maps keyed by the arm, per-width maps
/// by the width as a string).
public struct CYFlowSummary: Encodable, Sendable {
    public struct Provenance: Encodable, Sendable {
        public var tool = "nntheory flow cy"
        public var config: CYFlowConfig
    }
    public struct Exponent: Encodable, Sendable { public var exponent: Double; public var error: Double? }
    public var provenance: Provenance
    public var variety: String
    /// Gradient-flow times t = η·step of the records.
    public var times: [Double]
    /// Per arm and width, at the records: σ and its error, Ricci measure, Vol_K/Vol_K(t), NTK drift, loss, and the
    /// alignment of the arm's φ̇ with the Kähler–Ricci velocity (cosine, speed).
    public var sigma: [String: [String: [Double]]]
    public var sigma_error: [String: [String: [Double]]]
    public var ricci: [String: [String: [Double?]]]
    public var vol_k: [String: [String: [Double]]]
    public var ntk_drift: [String: [String: [Double]]]
    public var loss: [String: [String: [Double]]]
    public var krf_cosine: [String: [String: [Double?]]]
    public var krf_speed: [String: [String: [Double?]]]
    /// Per arm: the final drift ∝ width^exponent.
    public var drift_exponent: [String: Exponent]
    /// The Kähler–Ricci references (degree, times, sigma, sigma_error, ricci, relative_residual).
    public var krf: [CYFlowReference]
    public var sigma_fs: Double
    public var seconds: Double

    public init(_ r: CYFlowResult, variety: Variety) {
        provenance = Provenance(config: r.config)
        self.variety = variety.name
        times = r.times
        func map<T>(_ f: (CYFlowRecord) -> [T]) -> [String: [String: [T]]] {
            Dictionary(uniqueKeysWithValues: r.records.map { arm, byWidth in
                (arm.rawValue, Dictionary(uniqueKeysWithValues: byWidth.map { (String($0.key), f($0.value)) }))
            })
        }
        let opt = { (x: [Double]) in x.map { $0.isFinite ? $0 : nil } }
        sigma = map(\.sigma); sigma_error = map(\.sigmaError); ricci = map { opt($0.ricci) }; vol_k = map(\.volume)
        ntk_drift = map(\.drift); loss = map(\.loss); krf_cosine = map { opt($0.krfCosine) }; krf_speed = map { opt($0.krfSpeed) }
        drift_exponent = Dictionary(uniqueKeysWithValues: r.driftExponent.map { ($0.key.rawValue, Exponent(exponent: $0.value.exponent, error: $0.value.exponentError)) })
        krf = r.references
        sigma_fs = r.sigmaFubiniStudy
        seconds = r.seconds
    }
}

import Ensembles
import Foundation
import NumericCore

/// How the φ⁴ density P(θ)e^{−S_int} is sampled.
public enum Phi4SamplerKind: String, Sendable, CaseIterable, Codable {
    /// Importance reweighting of free draws by w = e^{−(λ/24)∫_Vφ⁴} (`ImportanceReweighting`).
    case reweight
    /// Single-neuron prior proposals accepted with min(1, e^{−ΔS_int}) (`MetropolisSampler`).
    case metropolis
    /// Hamiltonian Monte Carlo in q = (a, b, c) (`HamiltonianSampler`).
    case hmc
}

/// The φ⁴ measurement behind `nntheory phi4`: for every width N and coupling λ, G₂ and G₄c of the deformed
/// ensemble at the points, separated as
///   G₄c(λ, N) = G₄c(0, N) [the free theory's exact 1/N part] + Δ(λ, N) [the λ-part],
/// with Δ → −λV (V the leading-order vertex integral over the box) as N → ∞ and λ → 0. The λ-part is measured
/// against the same draws at λ = 0 for reweighting (paired jackknife: the free fluctuations cancel) and against
/// the exact free 1/N term for Markov chains. With several widths, Δ(λ, N) = Δ_∞(λ) + c(λ)/N is fitted per entry
/// (weighted least squares in 1/N) — the extrapolation N → ∞ at fixed λ.
public struct Phi4Experiment: Sendable {
    /// What a φ⁴ measurement depends on: the free theory, the box, the couplings and widths, and the sampler.
    public struct Settings: Sendable {
        /// The dimension d (1, 2 or 3).
        public var dimension: Int
        /// The mass m > 0.
        public var mass: Double
        /// The momentum cutoff Λ > 0.
        public var cutoff: Double
        /// The box V of S_int = (λ/4!) ∫_V φ⁴; it must contain the points.
        public var box: Box
        /// The couplings λ (finite, ≥ 0).
        public var couplings: [Double]
        /// The widths N (≥ 1).
        public var widths: [Int]
        /// How P(θ)e^{−S_int} is sampled.
        public var sampler: Phi4SamplerKind
        /// The cos-net's momentum sampling.
        public var sampling: MomentumSampling = .ball
        /// Free networks (reweighting) or recorded sweeps/trajectories in all chains together (Markov chains).
        public var networks: Int
        /// Markov chains: sweeps/trajectories per chain discarded before recording.
        public var thermalization = 200
        /// Markov chains: independent chains, chain c on generator stream c.
        public var chains = 2
        /// HMC: the leapfrog step ε.
        public var stepSize = 0.1
        /// HMC: the largest number of leapfrog steps per trajectory.
        public var leapfrogSteps = 16
        /// The generator seed.
        public var seed: UInt64 = 0
        /// Reweighting: jackknife blocks.
        public var blocks = 32
        /// Markov chains with a checkpoint: seconds between saves of each running chain.
        public var chainCheckpointInterval = 30.0

        /// The settings with the defaults above for the sampler details.
        public init(dimension: Int, mass: Double, cutoff: Double, box: Box, couplings: [Double], widths: [Int],
                    sampler: Phi4SamplerKind, networks: Int) {
            self.dimension = dimension; self.mass = mass; self.cutoff = cutoff; self.box = box
            self.couplings = couplings; self.widths = widths; self.sampler = sampler; self.networks = networks
        }
    }

    /// One (N, λ) cell.
    public struct Cell: Sendable {
        /// The width N.
        public let width: Int
        /// The coupling λ.
        public let coupling: Double
        /// G₂, G₄c and their errors in this cell.
        public let correlators: WeightedCorrelators
        /// Δ(λ, N) and its error, [P, P, P, P].
        public let lambdaPart: NDArray<Double>
        /// The jackknife error of Δ(λ, N), [P, P, P, P].
        public let lambdaPartError: NDArray<Double>
        /// Reweighting: effective sample size; chains: nil.
        public let effectiveSampleSize: Double?
        /// Markov chains: accepted/proposed; reweighting: nil.
        public let acceptance: Double?
        /// Markov chains: τ_int of ∫_V φ⁴; reweighting: nil.
        public let tauInteraction: IntegratedAutocorrelation?
        /// Markov chains: τ_int of φ(x₁)²; reweighting: nil.
        public let tauFieldSquared: IntegratedAutocorrelation?
    }

    /// Everything a run measured and predicted, for all widths and couplings.
    public struct Result: Sendable {
        /// The settings.
        public let settings: Settings
        /// The points x_p, [P, d].
        public let points: Matrix
        /// V(i, j, k, l); the prediction at λ is −λV.
        public let vertex: NDArray<Double>
        /// G_Λ(x_i − x_j) and the O(λ) tadpole per unit λ, δG₂/λ, [P, P].
        public let exactTwoPoint: NDArray<Double>
        /// δG₂/λ = −½ G_Λ(0) ∫ G_Λ(x_i − z) G_Λ(z − x_j) dᵈz, [P, P].
        public let tadpolePerCoupling: NDArray<Double>
        /// The exact free G₄c per width, [P, P, P, P] each.
        public let freeConnectedFourPoint: [NDArray<Double>]
        /// cells[w][l] for widths[w], couplings[l].
        public let cells: [[Cell]]
        /// Per coupling: the N → ∞ intercept Δ_∞ and its error (nil with one width).
        public let extrapolated: [(value: NDArray<Double>, error: NDArray<Double>)]?

        /// The leading-order G₄c at coupling λ: −λV, [P, P, P, P].
        public func prediction(coupling λ: Double) -> NDArray<Double> { NDArray(shape: vertex.shape, data: vertex.data.map { -λ * $0 }) }
        /// The two-point function to O(λ), G_Λ + λ·δG₂/λ (free propagator plus tadpole), [P, P].
        public func tadpoleTwoPoint(coupling λ: Double) -> NDArray<Double> {
            NDArray(shape: exactTwoPoint.shape, data: zip(exactTwoPoint.data, tadpolePerCoupling.data).map { $0 + λ * $1 })
        }
    }

    /// The settings it runs.
    public let settings: Settings
    /// The points x_p, [P, d].
    public let points: Matrix

    /// The experiment for valid settings and points [P, d] inside the box (P ≤ `FreeFieldExperiment.maxFourPointPoints`);
    /// throws `InputError` naming the offending value otherwise.
    public init(settings s: Settings, points: Matrix) throws {
        _ = try FreeScalarExact(dimension: s.dimension, mass: s.mass, cutoff: s.cutoff, sampling: s.sampling)
        guard points.cols == s.dimension else { throw InputError("points have dimension \(points.cols), expected d = \(s.dimension)") }
        guard points.rows <= FreeFieldExperiment.maxFourPointPoints else {
            throw InputError("\(points.rows) points; expected at most \(FreeFieldExperiment.maxFourPointPoints) (the four-point tensor has P⁴ entries)")
        }
        guard s.box.dimension == s.dimension else { throw InputError("box has dimension \(s.box.dimension), expected d = \(s.dimension)") }
        for p in 0..<points.rows {
            let x = (0..<s.dimension).map { points[p, $0] }
            guard s.box.contains(x) else {
                throw InputError("point \(x) lies outside the box \(zip(s.box.lower, s.box.upper).map { "[\($0), \($1)]" }.joined(separator: "×")); expected a box that contains every point")
            }
        }
        for λ in s.couplings { _ = try QuarticAction.validatedCoupling(λ) }
        for N in s.widths where N < 1 { throw InputError("width N = \(N), expected N ≥ 1") }
        guard s.networks >= 0 else { throw InputError("networks \(s.networks), expected ≥ 0") }
        if s.sampler != .reweight && s.networks > 0 && s.networks < 16 * s.chains {
            throw InputError("networks \(s.networks) for \(s.sampler.rawValue); expected at least \(16 * s.chains) recorded steps")
        }
        settings = s
        self.points = points
    }

    /// The leading-order predictions alone (what `--networks 0` gives).
    public func predictions() throws -> (vertex: NDArray<Double>, exactTwoPoint: NDArray<Double>, tadpole: NDArray<Double>) {
        let s = settings
        let exact = try FreeScalarExact(dimension: s.dimension, mass: s.mass, cutoff: s.cutoff, sampling: s.sampling)
        var span = 0.0
        for j in 0..<s.dimension { span += pow(s.box.upper[j] - s.box.lower[j], 2) }
        let lo = LeadingOrderPhi4(exact, maxDistance: span.squareRoot() + 1)
        let vertex = lo.vertexTensor(points: points, box: s.box)
        let P = points.rows
        var g2 = [Double](repeating: 0, count: P * P), tad = g2
        for i in 0..<P { for j in 0..<P {
            let xi = (0..<s.dimension).map { points[i, $0] }, xj = (0..<s.dimension).map { points[j, $0] }
            let r = zip(xi, xj).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            g2[i * P + j] = exact.propagator(r)
            tad[i * P + j] = lo.tadpole(xi, xj, coupling: 1)
        } }
        return (vertex, NDArray(shape: [P, P], data: g2), NDArray(shape: [P, P], data: tad))
    }

    /// The settings Markov chains depend on (for their checkpoints): `fingerprint` and the sampler's own.
    public var chainFingerprint: String {
        let s = settings
        var f = fingerprint + " sampler=\(s.sampler.rawValue) lambdas=\(s.couplings) widths=\(s.widths) networks=\(s.networks) chains=\(s.chains) thermalization=\(s.thermalization)"
        if s.sampler == .hmc { f += " step=\(s.stepSize) leapfrog=\(s.leapfrogSteps)" }
        return f
    }

    /// The settings the reweighting samples depend on (for checkpoints).
    public var fingerprint: String {
        let s = settings
        return "d=\(s.dimension) m=\(s.mass) cutoff=\(s.cutoff) sampling=\(s.sampling.rawValue) box=\(s.box.lower)…\(s.box.upper) points=\(points.data) seed=\(s.seed)"
    }

    /// Runs the measurement; with a `checkpoint`, reweighting samples are saved after every slice and a saved
    /// prefix is continued; Markov chains are saved in the same directory (`ChainCheckpoint`, labels
    /// `N{width}_l{index of λ}_c{chain}`, with `chainFingerprint`) every `chainCheckpointInterval` seconds and when
    /// they end, and a saved chain is continued. Either way the result equals an uninterrupted run's bit for bit.
    ///
    /// `stop` is polled after every reweighting slice and by every Markov chain after each sweep or trajectory
    /// where it can stop exactly: a signal number ends the run there, its checkpoint saved, by throwing
    /// `StopRequest.Interrupted`.
    public func run(progress: (@Sendable (String) -> Void)? = nil, checkpoint: SampleCheckpoint? = nil,
                    stop: @escaping @Sendable () -> Int32? = { nil }) throws -> Result {
        let s = settings
        let pred = try predictions()
        let P = points.rows, P4 = P * P * P * P
        var free: [NDArray<Double>] = []
        var cells: [[Cell]] = []
        for N in s.widths {
            let ffe = try FreeFieldExperiment(dimension: s.dimension, mass: s.mass, cutoff: s.cutoff, width: N, sampling: s.sampling, points: points)
            let freeG4 = ffe.exactConnectedFourPoint()
            free.append(freeG4)
            guard s.networks > 0 else { continue }
            let theory = try Phi4Theory(ensemble: ffe.ensemble, box: s.box)
            let seed = deriveSeed(s.seed, UInt64(N))
            var row: [Cell] = []
            switch s.sampler {
            case .reweight:
                let rw = ImportanceReweighting(theory: theory)
                var samples = try checkpoint?.load(width: N, pointCount: P) ?? FreeFieldSamples(pointCount: P, fields: [], interactions: [])
                if samples.count > s.networks {
                    samples = FreeFieldSamples(pointCount: P, fields: Array(samples.fields[0..<(s.networks * P)]),
                                               interactions: Array(samples.interactions[0..<s.networks]))
                } else if samples.count > 0 {
                    progress?("phi4: N = \(N): resuming after \(samples.count) networks")
                }
                let step = max(5_000, s.networks / 10)
                while samples.count < s.networks {
                    let r = samples.count..<min(s.networks, samples.count + step)
                    let part = rw.sample(points: points, networks: r, seed: seed)
                    samples.fields += part.fields
                    samples.interactions += part.interactions
                    try checkpoint?.save(samples, width: N, count: samples.count)
                    progress?("phi4: N = \(N): \(r.upperBound)/\(s.networks) free networks with ∫φ⁴")
                    if samples.count < s.networks, let sig = stop() {
                        throw StopRequest.Interrupted(signal: sig, detail: "at N = \(N) " + FreeFieldExperiment.stopDetail(samples.count, s.networks, checkpoint))
                    }
                }
                let base = ImportanceReweighting.estimate(samples, coupling: 0, blocks: s.blocks)
                for λ in s.couplings {
                    let c = ImportanceReweighting.estimate(samples, coupling: λ, blocks: s.blocks)
                    let diff = c.connectedFourPointDifference(from: base)
                    // The weights e^{−λ∫φ⁴} of a large λ concentrate on a few networks: with fewer effective networks
                    // than jackknife blocks the blocks' weights vanish and the error is 0/0.
                    guard c.effectiveSampleSize >= Double(s.blocks), diff.value.data.allSatisfy(\.isFinite), diff.error.data.allSatisfy(\.isFinite) else {
                        throw InputError("--lambda \(λ): the reweighting leaves \(String(format: "%.3g", c.effectiveSampleSize)) effective networks of \(samples.count) at N = \(N), expected at least one per jackknife block (\(s.blocks)); lower --lambda or sample the deformed density (--sampler metropolis)")
                    }
                    row.append(Cell(width: N, coupling: λ, correlators: c, lambdaPart: diff.value, lambdaPartError: diff.error,
                                    effectiveSampleSize: c.effectiveSampleSize, acceptance: nil, tauInteraction: nil, tauFieldSquared: nil))
                }
            case .metropolis, .hmc:
                let chainStore = checkpoint.map {
                    var c = ChainCheckpoint(directory: $0.directory, fingerprint: chainFingerprint, interval: s.chainCheckpointInterval)
                    c.stop = stop
                    return c
                }
                for (l, λ) in s.couplings.enumerated() {
                    let perChain = s.networks / s.chains
                    let throttle = ProgressThrottle()
                    let report: @Sendable (Double) -> Void = { f in
                        if throttle.due() { progress?(String(format: "phi4: N = \(N), λ = \(λ): %.0f%%", 100 * f)) }
                    }
                    let rec: MarkovChainRecord
                    do {
                        if s.sampler == .metropolis {
                            rec = try MetropolisSampler(theory: theory, coupling: λ).run(points: points, sweeps: perChain, thermalization: s.thermalization,
                                                                                         chains: s.chains, seed: seed, progress: report,
                                                                                         checkpoint: chainStore, label: "N\(N)_l\(l)")
                        } else {
                            rec = try HamiltonianSampler(theory: theory, coupling: λ, stepSize: s.stepSize, steps: s.leapfrogSteps)
                                .run(points: points, trajectories: perChain, thermalization: s.thermalization, chains: s.chains, seed: seed, progress: report,
                                     checkpoint: chainStore, label: "N\(N)_l\(l)")
                        }
                    } catch let i as StopRequest.Interrupted {
                        throw StopRequest.Interrupted(signal: i.signal, detail: "at N = \(N), λ = \(λ) (\(i.detail))"
                            + (chainStore.map { "; the chain states are in \($0.directory.path): rerun with --resume to continue" } ?? ""))
                    }
                    if rec.resumedSteps > 0 {
                        progress?("phi4: N = \(N), λ = \(λ): \(rec.resumedSteps) of \(s.chains * (perChain + s.thermalization)) chain steps taken from the checkpoint")
                    }
                    let c = rec.correlators()
                    let delta = NDArray(shape: [P, P, P, P], data: (0..<P4).map { c.g4c.data[$0] - freeG4.data[$0] })
                    row.append(Cell(width: N, coupling: λ, correlators: c, lambdaPart: delta, lambdaPartError: c.g4cError,
                                    effectiveSampleSize: nil, acceptance: rec.acceptance, tauInteraction: rec.tauInteraction,
                                    tauFieldSquared: rec.tauFieldSquared))
                    progress?(String(format: "phi4: N = \(N), λ = \(λ): acceptance %.2f, τ_int(∫φ⁴) = %.1f", rec.acceptance, rec.tauInteraction.tau))
                }
            }
            cells.append(row)
        }
        var extrap: [(value: NDArray<Double>, error: NDArray<Double>)]? = nil
        if s.networks > 0 && s.widths.count >= 2 {
            extrap = s.couplings.indices.map { l in
                var v = [Double](repeating: 0, count: P4), e = v
                for idx in 0..<P4 {
                    let fit = Self.fitInverseWidth(widths: s.widths, values: cells.map { $0[l].lambdaPart.data[idx] },
                                                   errors: cells.map { $0[l].lambdaPartError.data[idx] })
                    v[idx] = fit.intercept; e[idx] = fit.error
                }
                return (NDArray(shape: [P, P, P, P], data: v), NDArray(shape: [P, P, P, P], data: e))
            }
        }
        return Result(settings: s, points: points, vertex: pred.vertex, exactTwoPoint: pred.exactTwoPoint, tadpolePerCoupling: pred.tadpole,
                      freeConnectedFourPoint: free, cells: cells, extrapolated: extrap)
    }

    /// Weighted least squares y = a + b/N; returns a and its standard error.
    public static func fitInverseWidth(widths: [Int], values: [Double], errors: [Double]) -> (intercept: Double, slope: Double, error: Double) {
        var S = 0.0, Sx = 0.0, Sxx = 0.0, Sy = 0.0, Sxy = 0.0
        for k in widths.indices {
            let w = errors[k] > 0 ? 1 / (errors[k] * errors[k]) : 1
            let x = 1 / Double(widths[k])
            S += w; Sx += w * x; Sxx += w * x * x; Sy += w * values[k]; Sxy += w * x * values[k]
        }
        let det = S * Sxx - Sx * Sx
        guard det > 0 else { return (Sy / S, 0, (1 / S).squareRoot()) }
        return ((Sxx * Sy - Sx * Sxy) / det, (S * Sxy - Sx * Sy) / det, (Sxx / det).squareRoot())
    }
}

/// Lets a progress report through at most once per `interval` seconds (chains report every few sweeps; a line each
/// would flood stderr).
final class ProgressThrottle: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date.distantPast
    private let interval: Double
    init(interval: Double = 1) { self.interval = interval }
    /// Whether a report is due now (and, if so, restarts the interval).
    func due() -> Bool {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(last) >= interval else { return false }
        last = now
        return true
    }
}

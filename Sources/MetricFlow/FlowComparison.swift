import Foundation
import NumericCore

/// How far a metric flow (an "arm": a kernel or network realisation, or Ricci flow itself) is from the reference
/// Ricci flow started from the same metric, at every saved state of the arm.
///
/// Conventions (n = dimension, dⁿx the flat coordinate measure on Tⁿ = (ℝ/2πℤ)ⁿ, dV_g = √det g dⁿx):
///
/// - Inner product of symmetric 2-tensors at a metric g (the L²(dV_g) metric of the space of metrics):
///   ⟨a, b⟩_g = ∫ tr(g⁻¹ a g⁻¹ b) dV_g = ∫ g^{ik} g^{jl} a_ij b_kl √det g dⁿx; ‖a‖_g = ⟨a, a⟩_g^{1/2}.
/// - Velocity cosine at a saved state g of the arm: cos = ⟨a, b⟩_g / (‖a‖_g ‖b‖_g) with a the arm's velocity ∂_t g
///   there (`FlowTrajectory.velocities`) and b = −2 Ric(g) the Ricci-flow velocity at the *same* metric
///   (`RicciFlow.velocity(of:)`, spectral derivatives of g_ij), clamped to [−1, 1], NaN when either velocity vanishes.
///   It is invariant under g → s·g together with a → s^p a, b → s^q b for any s, p, q (s > 0), since
///   ⟨a, b⟩_{sg} = s^{n/2−2}⟨a, b⟩_g. A conformal arm's velocity (e.g. (Δu)e^{u}δ) is differentiated in u, −2Ric in
///   e^{u}; on a grid that truncates e^{u} the two routes differ by that truncation, which enters 1 − cos only
///   quadratically.
/// - Distance of metrics (relative, dimensionless, measured at the arm's metric g):
///   d(g, h)² = ∫ tr(g⁻¹(g − h) g⁻¹(g − h)) dV_g / Vol(g), Vol(g) = ∫ dV_g. It is not symmetric; d(g, λg) = √n·|1 − λ|,
///   d(sg, sh) = d(g, h). For conformal metrics g = e^{u}δ, h = e^{v}δ in 2-D it is
///   d² = 2∫(1 − e^{v−u})² e^{u} dx / ∫e^{u} dx ≈ 2·(mean of (u − v)² weighted by e^{u}). Only the inverse of g is
///   used, so h need not be positive definite (interpolated reference states are not checked).
/// - Time matching: for each saved arm time t, τ(t) = argmin_τ d(g_arm(t), g_ref(τ)) over the time range of the
///   reference, the *pointwise* (global) minimiser: τ(t) is not required to be monotone in t. The reference is a
///   `FlowTrajectory` saved densely (e.g. 401 times on [0, τ_max]); between saved states it is the cubic Hermite
///   interpolant in time of g and ∂_t g (`ReferenceCurve`, 4th order in the spacing). `distance` is the distance left
///   after matching, `unmatchedDistance` the distance to the reference at the same time, d(g_arm(t), g_ref(t)) (NaN
///   when t lies outside the reference's time range). A matched time at the end of the reference
///   (`matchedAtReferenceEnd`) means the minimiser may lie beyond it: save the reference further.
/// - Speed factor: the least-squares slope s of τ ≈ s·t through the origin, s = Σ t_i τ_i / Σ t_i², over the saved
///   times with t > 0, τ finite and not at the reference's end (NaN when none). Examples: the heat arm against Ricci
///   flow near the flat limit e^{u∞}δ: s = e^{u∞} (Ricci flow's linear rates are e^{−u∞}|k|², the heat flow's |k|²);
///   an explicit-Euler arm with step η of a mode of rate r runs ahead by the factor −ln(1 − ηr)/(ηr) ≈ 1 + ηr/2 (so
///   the `local` arm has τ ≈ t(1 + ηe^{−u∞}|k|²/2), not τ = t, and the Euler heat arm s = e^{u∞}·(−ln(1 − η|k|²)/(η|k|²))
///   for a single mode k). Late states near the flat limit carry little information about τ (d is nearly flat in τ).
/// - Modes: `ModeAmplitudes` of the arm and of the reference (same wave vectors), and the closed-form linearised
///   Ricci rates e^{−u∞}|k|² with u∞ = (2/n) ln(Vol/(2π)ⁿ) of the reference's first metric (u∞ = ln(A/(2π)²) in 2-D).
///
/// The distance is gauge dependent (a reference run in the Ricci–DeTurck form differs from Ricci flow by
/// diffeomorphisms; conformal 2-D flows have no DeTurck term). Flows that conserve different quantities (the heat arm
/// conserves ∫u, Ricci flow ∫e^{u}) keep a distance floor from the difference of their means, and the matching
/// trades that floor against the shape of u; this is part of the measure, not removed.
public struct FlowComparison: Sendable, Codable, Equatable {
    /// The arm's saved times t_i, [T].
    public var times: [Double]
    /// cos(∂_t g_arm, −2 Ric) in ⟨·,·⟩_g at the arm's metric, [T] (NaN where a velocity vanishes).
    public var velocityCosine: [Double]
    /// τ(t_i) = argmin_τ d(g_arm(t_i), g_ref(τ)), [T] (NaN with an empty reference).
    public var matchedTime: [Double]
    /// d(g_arm(t_i), g_ref(τ(t_i))), the distance after matching, [T].
    public var distance: [Double]
    /// d(g_arm(t_i), g_ref(t_i)), the distance at equal time, [T] (NaN when t_i is outside the reference's range).
    public var unmatchedDistance: [Double]
    /// Whether τ(t_i) is the reference's last saved time (the minimiser may lie beyond the reference), [T].
    public var matchedAtReferenceEnd: [Bool]
    /// Least-squares s of τ ≈ s·t (see the type's documentation).
    public var speedFactor: Double
    /// Fourier amplitudes and fitted late-time rates of the arm.
    public var armModes: ModeAmplitudes
    /// Fourier amplitudes and fitted late-time rates of the reference (same wave vectors).
    public var referenceModes: ModeAmplitudes
    /// Linearised Ricci-flow rates e^{−u∞}|k|² of `armModes.waveVectors`, u∞ = (2/n) ln(Vol(g_ref(0))/(2π)ⁿ), [K].
    public var ricciRates: [Double]

    /// Compares `arm` with `reference`, the Ricci flow from the same metric saved densely over a time range covering
    /// the matched times (see the type's documentation). `waveVectors` (nil: `ModeAmplitudes.lowestWaveVectors` with
    /// |k|² ≤ 5) and `fitCount` (nil: `ModeAmplitudes`' default) set the mode measures; `slopes` the time derivatives
    /// the reference interpolant uses. Both trajectories must live on the same grid (a precondition). The arm's
    /// initial metric is not checked against the reference's.
    public init(arm: FlowTrajectory, reference: FlowTrajectory, waveVectors: [[Int]]? = nil, fitCount: Int? = nil,
                slopes: ReferenceCurve.Slopes = .automatic) {
        precondition(arm.grid == reference.grid, "FlowComparison: the arm and the reference live on different grids")
        let T = arm.metrics.count
        let ts = Array(arm.times.prefix(T))
        times = ts
        velocityCosine = (0..<T).map { i in
            i < arm.velocities.count ? Self.ricciCosine(velocity: arm.velocities[i], at: arm.metrics[i]) : .nan
        }
        let curve = ReferenceCurve(reference, slopes: slopes)
        var tau = [Double](), d = [Double](), d0 = [Double](), end = [Bool]()
        for i in 0..<T {
            let m = curve.match(arm.metrics[i])
            tau.append(m.time); d.append(m.distance); end.append(m.atEnd)
            d0.append(curve.distance(from: arm.metrics[i], at: ts[i]))
        }
        matchedTime = tau; distance = d; unmatchedDistance = d0; matchedAtReferenceEnd = end
        let use = (0..<T).filter { ts[$0] > 0 && tau[$0].isFinite && !end[$0] }
        speedFactor = Self.speedFactor(times: use.map { ts[$0] }, matchedTimes: use.map { tau[$0] })
        let k = waveVectors ?? ModeAmplitudes.lowestWaveVectors(dimension: arm.grid.dimension)
        armModes = ModeAmplitudes(arm, waveVectors: k, fitCount: fitCount)
        referenceModes = ModeAmplitudes(reference, waveVectors: k, fitCount: fitCount)
        let volume = reference.metrics.first?.volume ?? .nan
        ricciRates = k.map { v in
            ModeAmplitudes.ricciRate(normSquared: Double(v.reduce(0) { $0 + $1 * $1 }), volume: volume, dimension: arm.grid.dimension)
        }
    }

    /// ⟨a, b⟩_g = ∫ tr(g⁻¹ a g⁻¹ b) √det g dⁿx (trapezoidal rule) of two symmetric tensor fields [M, n, n].
    public static func innerProduct(_ a: [Double], _ b: [Double], at g: GridMetric) -> Double {
        let w = MetricWeights(g, normalised: false)
        return w.bilinear(a, b)
    }

    /// ⟨a, b⟩_g / (‖a‖_g ‖b‖_g) (NaN when either norm is zero or not finite).
    public static func cosine(_ a: [Double], _ b: [Double], at g: GridMetric) -> Double {
        let w = MetricWeights(g, normalised: false)
        let ab = w.bilinear(a, b), aa = w.bilinear(a, a), bb = w.bilinear(b, b)
        guard aa > 0, bb > 0, aa.isFinite, bb.isFinite else { return .nan }
        return max(-1, min(1, ab / (aa.squareRoot() * bb.squareRoot())))
    }

    /// The cosine of a velocity ∂_t g at g with the Ricci-flow velocity −2 Ric(g) (`RicciFlow.velocity(of:)`).
    public static func ricciCosine(velocity: [Double], at g: GridMetric) -> Double {
        cosine(velocity, RicciFlow.velocity(of: g), at: g)
    }

    /// d(g, h) = (∫ tr(g⁻¹(g − h) g⁻¹(g − h)) dV_g / Vol(g))^{1/2}, the relative L² distance measured at g.
    public static func distance(_ g: GridMetric, _ h: GridMetric) -> Double {
        precondition(g.grid == h.grid, "FlowComparison.distance: metrics on different grids")
        let w = MetricWeights(g, normalised: true)
        return max(0, w.squaredDifference(h.components)).squareRoot()
    }

    /// Least-squares slope of τ ≈ s·t through the origin, s = Σ t_i τ_i / Σ t_i² (NaN when Σ t_i² = 0).
    public static func speedFactor(times: [Double], matchedTimes: [Double]) -> Double {
        precondition(times.count == matchedTimes.count, "FlowComparison.speedFactor: \(times.count) times, \(matchedTimes.count) matched times")
        var tt = 0.0, ts = 0.0
        for (t, s) in zip(times, matchedTimes) { tt += t * t; ts += t * s }
        return tt > 0 ? ts / tt : .nan
    }
}

/// The reference flow as a curve τ ↦ g_ref(τ) between its saved states: on [τ_j, τ_{j+1}], with Δ = τ_{j+1} − τ_j and
/// s = (τ − τ_j)/Δ, the cubic Hermite interpolant
/// g(τ) = h₀₀(s) g_j + h₁₀(s) Δ ġ_j + h₀₁(s) g_{j+1} + h₁₁(s) Δ ġ_{j+1}, h₀₀ = 2s³ − 3s² + 1, h₁₀ = s³ − 2s² + s,
/// h₀₁ = −2s³ + 3s², h₁₁ = s³ − s², componentwise, with ġ_j the time derivative at the saved state (`Slopes`).
/// Its error is at most Δ⁴/384 · max|∂⁴_τ g| (4th order). Outside [τ_first, τ_last] the curve is clamped.
public struct ReferenceCurve: Sendable {
    /// Which time derivative ġ_j the interpolant uses at the saved states.
    public enum Slopes: String, Sendable, Codable, CaseIterable {
        /// The trajectory's stored velocities (−2 Ric of `GridCurvature` for `RicciFlow.run`, a spatial
        /// discretisation that differs from the conformal formulation's by the truncation of e^{u} on the grid).
        case stored
        /// ġ = (Δu)δ from the stored conformal factors (flat spectral Laplacian): the time derivative the conformal
        /// formulation of 2-D Ricci flow integrates (∂_t u = e^{−u}Δu ⇒ ∂_t e^{u} = Δu), consistent with its states
        /// to the time-stepping tolerance at any resolution.
        case conformal
        /// −2 R_ij + ∇_i W_j + ∇_j W_i (`GridCurvature.ricciDeTurckVelocity`): ∂_t g of a Ricci–DeTurck run.
        case ricciDeTurck
        /// `conformal` when the trajectory keeps conformal factors on T², else `ricciDeTurck`.
        case automatic
    }

    /// Saved times τ_j (increasing).
    public let times: [Double]
    /// Saved metrics g_j.
    public let metrics: [GridMetric]
    /// The slopes in use (`automatic` resolved).
    public let slopes: Slopes
    /// Stored velocities (`stored`) or conformal factors (`conformal`) the slopes are computed from, per state.
    let sources: [[Double]]

    /// The curve through `reference`'s saved states with the chosen slopes. The slopes are evaluated when used (one
    /// Laplacian or curvature per saved state touched), so the curve holds no copy of the trajectory's fields.
    public init(_ reference: FlowTrajectory, slopes: Slopes = .automatic) {
        let R = min(reference.times.count, reference.metrics.count)
        times = Array(reference.times.prefix(R)); metrics = Array(reference.metrics.prefix(R))
        var kind = slopes
        if kind == .automatic { kind = reference.conformalFactors != nil && reference.grid.dimension == 2 ? .conformal : .ricciDeTurck }
        self.slopes = kind
        switch kind {
        case .stored:
            precondition(reference.velocities.count >= R, "ReferenceCurve: \(reference.velocities.count) stored velocities for \(R) states")
            sources = Array(reference.velocities.prefix(R))
        case .conformal:
            precondition(reference.grid.dimension == 2 && (reference.conformalFactors?.count ?? 0) >= R,
                         "ReferenceCurve: conformal slopes need the conformal factors of a flow on T²")
            sources = Array(reference.conformalFactors!.prefix(R))
        case .ricciDeTurck, .automatic:
            sources = []
        }
    }

    /// ġ_j, the time derivative at saved state j, [M, n, n] (see `Slopes`).
    public func derivative(at j: Int) -> [Double] {
        switch slopes {
        case .stored: return sources[j]
        case .conformal:
            let grid = metrics[j].grid, n = grid.dimension
            let lap = grid.laplacian(sources[j])
            var d = [Double](repeating: 0, count: grid.count * n * n)
            for p in 0..<grid.count { for i in 0..<n { d[(p * n + i) * n + i] = lap[p] } }
            return d
        case .ricciDeTurck, .automatic:
            return GridCurvature(metrics[j]).ricciDeTurckVelocity
        }
    }

    /// The interval j with τ_j ≤ τ ≤ τ_{j+1} (clamped to the first and last) and s ∈ [0, 1].
    func locate(_ tau: Double) -> (j: Int, s: Double) {
        let R = times.count
        if tau <= times[0] { return (0, 0) }
        if tau >= times[R - 1] { return (R - 2, 1) }
        var lo = 0, hi = R - 1
        while hi - lo > 1 { let mid = (lo + hi) / 2; if times[mid] <= tau { lo = mid } else { hi = mid } }
        return (lo, (tau - times[lo]) / (times[lo + 1] - times[lo]))
    }

    /// The Hermite basis (h₀₀, h₁₀, h₀₁, h₁₁) at s.
    static func basis(_ s: Double) -> [Double] {
        let s2 = s * s, s3 = s2 * s
        return [2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, -2 * s3 + 3 * s2, s3 - s2]
    }

    /// g_ref(τ) (clamped to the saved range; the only state when there is one).
    public func metric(at tau: Double) -> GridMetric {
        precondition(!times.isEmpty, "ReferenceCurve.metric: empty reference")
        if times.count == 1 { return metrics[0] }
        let (j, s) = locate(tau)
        let c = Self.basis(s), dt = times[j + 1] - times[j]
        let a = metrics[j].components, b = metrics[j + 1].components, da = derivative(at: j), db = derivative(at: j + 1)
        let out = (0..<a.count).map { k in c[0] * a[k] + c[1] * dt * da[k] + c[2] * b[k] + c[3] * dt * db[k] }
        return GridMetric(grid: metrics[0].grid, components: out)
    }

    /// d(g, g_ref(τ)) (`FlowComparison.distance`); NaN when τ lies outside the saved range by more than 10⁻¹²·max(1, |τ|).
    public func distance(from g: GridMetric, at tau: Double) -> Double {
        guard let first = times.first, let last = times.last else { return .nan }
        let slack = 1e-12 * max(1, abs(tau))
        guard tau.isFinite, tau >= first - slack, tau <= last + slack else { return .nan }
        let w = MetricWeights(g, normalised: true)
        if times.count == 1 { return max(0, w.squaredDifference(metrics[0].components)).squareRoot() }
        let (j, s) = locate(tau)
        return residual(w, g, interval: j, s: s)
    }

    /// The distance of g to the interpolant on interval j at s, from the residual fields (accurate for tiny distances).
    func residual(_ w: MetricWeights, _ g: GridMetric, interval j: Int, s: Double) -> Double {
        let c = Self.basis(s), dt = times[j + 1] - times[j]
        let x = g.components, a = metrics[j].components, b = metrics[j + 1].components, da = derivative(at: j), db = derivative(at: j + 1)
        // g_ref − g = h₀₀(g_j − g) + h₁₀Δġ_j + h₀₁(g_{j+1} − g) + h₁₁Δġ_{j+1} (h₀₀ + h₀₁ = 1).
        let r = (0..<x.count).map { k in c[0] * (a[k] - x[k]) + c[1] * dt * da[k] + c[2] * (b[k] - x[k]) + c[3] * dt * db[k] }
        return max(0, w.bilinear(r, r)).squareRoot()
    }

    /// The result of matching one metric against the curve.
    public struct Match: Sendable, Equatable {
        /// τ* = argmin_τ d(g, g_ref(τ)).
        public var time: Double
        /// d(g, g_ref(τ*)).
        public var distance: Double
        /// Whether τ* is the last saved time.
        public var atEnd: Bool
    }

    /// The pointwise minimiser τ* of d(g, g_ref(τ)) over the saved range: the distances to every saved state pick the
    /// nearest one j*; on each of the (at most two) intervals next to it, d² is a polynomial of degree 6 in s
    /// (cᵀ G c with G the 4×4 Gram matrix, in ⟨·,·⟩ of `FlowComparison.distance`, of g_j − g, Δġ_j, g_{j+1} − g,
    /// Δġ_{j+1} and c the Hermite basis), minimised by sampling 64 points, golden-section search on the best bracket
    /// and Newton polishing on its derivative; the smaller interval minimum wins. NaN with an empty reference.
    public func match(_ g: GridMetric) -> Match {
        let R = times.count
        guard R > 0 else { return Match(time: .nan, distance: .nan, atEnd: false) }
        let w = MetricWeights(g, normalised: true)
        // Squared distance to every saved state (in parallel over states).
        var node = [Double](repeating: .infinity, count: R)
        node.withUnsafeMutableBufferPointer { buf in
            let out = SendablePointer(buf.baseAddress!)
            parallelChunks(R, minimum: max(1, 65_536 / max(1, g.grid.count))) { range in
                for j in range { out.pointer[j] = w.squaredDifference(self.metrics[j].components) }
            }
        }
        var jBest = 0
        for j in 1..<R where node[j] < node[jBest] { jBest = j }
        if R == 1 { return Match(time: times[0], distance: max(0, node[0]).squareRoot(), atEnd: true) }
        var best: (j: Int, s: Double, value: Double)? = nil
        for j in [jBest - 1, jBest] where j >= 0 && j < R - 1 {
            let p = polynomial(w, g, interval: j)
            let s = Self.minimise(p)
            let v = Self.evaluate(p, s)
            if best == nil || v < best!.value { best = (j, s, v) }
        }
        let b = best!
        let tau = b.s >= 1 ? times[b.j + 1] : times[b.j] + b.s * (times[b.j + 1] - times[b.j])
        return Match(time: tau, distance: residual(w, g, interval: b.j, s: b.s), atEnd: b.j == R - 2 && b.s >= 1)
    }

    /// Coefficients (ascending powers of s, degree 6) of d²(s) on interval j.
    func polynomial(_ w: MetricWeights, _ g: GridMetric, interval j: Int) -> [Double] {
        let dt = times[j + 1] - times[j], x = g.components
        let a = metrics[j].components, b = metrics[j + 1].components
        let fields: [[Double]] = [(0..<x.count).map { a[$0] - x[$0] }, derivative(at: j).map { dt * $0 },
                                  (0..<x.count).map { b[$0] - x[$0] }, derivative(at: j + 1).map { dt * $0 }]
        // Hermite basis coefficients (ascending powers).
        let h: [[Double]] = [[1, 0, -3, 2], [0, 1, -2, 1], [0, 0, 3, -2], [0, 0, -1, 1]]
        var p = [Double](repeating: 0, count: 7)
        for u in 0..<4 { for v in u..<4 {
            let G = w.bilinear(fields[u], fields[v]) * (u == v ? 1 : 2)
            for i in 0..<4 { for k in 0..<4 { p[i + k] += G * h[u][i] * h[v][k] } }
        } }
        return p
    }

    static func evaluate(_ p: [Double], _ s: Double) -> Double { p.reversed().reduce(0) { $0 * s + $1 } }

    /// The minimiser of the polynomial p on [0, 1].
    static func minimise(_ p: [Double]) -> Double {
        let samples = 64
        var kBest = 0, vBest = Double.infinity
        for k in 0...samples {
            let v = evaluate(p, Double(k) / Double(samples))
            if v < vBest { vBest = v; kBest = k }
        }
        var lo = Double(max(0, kBest - 1)) / Double(samples), hi = Double(min(samples, kBest + 1)) / Double(samples)
        // Golden-section search on [lo, hi].
        let r = (5.0.squareRoot() - 1) / 2
        var x1 = hi - r * (hi - lo), x2 = lo + r * (hi - lo)
        var f1 = evaluate(p, x1), f2 = evaluate(p, x2)
        for _ in 0..<60 where hi - lo > 1e-13 {
            if f1 < f2 { hi = x2; x2 = x1; f2 = f1; x1 = hi - r * (hi - lo); f1 = evaluate(p, x1) }
            else { lo = x1; x1 = x2; f1 = f2; x2 = lo + r * (hi - lo); f2 = evaluate(p, x2) }
        }
        var s = 0.5 * (lo + hi)
        let bracketLo = Double(max(0, kBest - 1)) / Double(samples), bracketHi = Double(min(samples, kBest + 1)) / Double(samples)
        // Newton polishing on p'(s) = 0 inside the bracket, kept only when it lowers p.
        let d1 = (1..<7).map { Double($0) * p[$0] }, d2 = (1..<6).map { Double($0) * d1[$0] }
        for _ in 0..<4 {
            let g1 = evaluate(d1, s), g2 = evaluate(d2, s)
            guard g2 > 0 else { break }
            let t = s - g1 / g2
            guard t >= bracketLo, t <= bracketHi, evaluate(p, t) <= evaluate(p, s) else { break }
            s = t
        }
        // The ends of [0, 1] are candidates of their own.
        for e in [0.0, 1.0] where evaluate(p, e) < evaluate(p, s) { s = e }
        return s
    }
}

/// Per-point weights of the L²(dV_g) pairing at a fixed metric g: g^{ij} and w_p = √det g_p · (2π/N)ⁿ (divided by
/// Vol(g) when normalised).
struct MetricWeights: Sendable {
    let n: Int
    let count: Int
    let inverse: [Double]
    let weight: [Double]
    let metric: [Double]

    init(_ g: GridMetric, normalised: Bool) {
        let grid = g.grid, n = grid.dimension, n2 = n * n, M = grid.count
        self.n = n; count = M; metric = g.components
        var gi = [Double](repeating: 0, count: M * n2), w = [Double](repeating: 0, count: M)
        let c = g.components
        for p in 0..<M {
            let b = p * n2
            let det: Double
            if n == 2 {
                det = c[b] * c[b + 3] - c[b + 1] * c[b + 2]
                gi[b] = c[b + 3] / det; gi[b + 3] = c[b] / det; gi[b + 1] = -c[b + 1] / det; gi[b + 2] = -c[b + 2] / det
            } else {
                det = GridMetric.determinant3(c, b)
                for i in 0..<3 { for j in 0..<3 {
                    let (i1, i2) = ((j + 1) % 3, (j + 2) % 3), (j1, j2) = ((i + 1) % 3, (i + 2) % 3)
                    gi[b + i * 3 + j] = (c[b + i1 * 3 + j1] * c[b + i2 * 3 + j2] - c[b + i1 * 3 + j2] * c[b + i2 * 3 + j1]) / det
                } }
            }
            w[p] = det.squareRoot() * grid.cellVolume
        }
        if normalised {
            var s = 0.0, comp = 0.0
            for v in w { let y = v - comp; let t = s + y; comp = (t - s) - y; s = t }
            w = w.map { $0 / s }
        }
        inverse = gi; weight = w
    }

    /// Σ_p w_p tr(g⁻¹ X g⁻¹ Y) (compensated sum over points).
    func bilinear(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == count * n * n && y.count == count * n * n, "FlowComparison: tensor fields of \(x.count), \(y.count) values, expected \(count * n * n)")
        let n2 = n * n
        return x.withUnsafeBufferPointer { px in y.withUnsafeBufferPointer { py in inverse.withUnsafeBufferPointer { pi in
            accumulate { p, A, B in
                Self.pointTrace(self.n, pi.baseAddress! + p * n2, px.baseAddress! + p * n2, py.baseAddress! + p * n2, A, B)
            }
        } } }
    }

    /// Σ_p w_p tr(g⁻¹(h − g) g⁻¹(h − g)) for the components of h.
    func squaredDifference(_ h: [Double]) -> Double {
        precondition(h.count == count * n * n, "FlowComparison: metric of \(h.count) values, expected \(count * n * n)")
        let n2 = n * n
        let D = UnsafeMutablePointer<Double>.allocate(capacity: n2)
        defer { D.deallocate() }
        return h.withUnsafeBufferPointer { ph in metric.withUnsafeBufferPointer { pg in inverse.withUnsafeBufferPointer { pi in
            accumulate { p, A, B in
                for k in 0..<n2 { D[k] = ph[p * n2 + k] - pg[p * n2 + k] }
                return Self.pointTrace(self.n, pi.baseAddress! + p * n2, D, D, A, B)
            }
        } } }
    }

    /// Compensated Σ_p w_p f(p) with two n×n scratch matrices for f.
    func accumulate(_ f: (Int, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Double) -> Double {
        let n2 = n * n
        let A = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n2)
        defer { A.deallocate() }
        var s = 0.0, c = 0.0
        for p in 0..<count {
            let v = weight[p] * f(p, A, A + n2)
            let y = v - c; let t = s + y; c = (t - s) - y; s = t
        }
        return s
    }

    /// tr(g⁻¹X g⁻¹Y) at one point (gi, x, y point at its n×n blocks; A, B scratch).
    @inline(__always)
    static func pointTrace(_ n: Int, _ gi: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>,
                           _ A: UnsafeMutablePointer<Double>, _ B: UnsafeMutablePointer<Double>) -> Double {
        for i in 0..<n { for j in 0..<n {
            var sa = 0.0, sb = 0.0
            for k in 0..<n { let gik = gi[i * n + k]; sa += gik * x[k * n + j]; sb += gik * y[k * n + j] }
            A[i * n + j] = sa; B[i * n + j] = sb
        } }
        var t = 0.0
        for i in 0..<n { for j in 0..<n { t += A[i * n + j] * B[j * n + i] } }
        return t
    }
}

/// Fourier amplitudes of the conformal factor along a flow and their fitted late-time decay rates.
///
/// The field of a saved state is its conformal factor u (g = e^{u}δ; `FlowTrajectory.conformalFactors`), else
/// u = ln(det g)/n (equal to it for conformal metrics). For a wave vector k ≠ 0,
/// û_k = (1/M) Σ_p u(x_p) e^{−ik·x_p} and the amplitude is A_k = 2|û_k|, so that u = c + a cos(k·x + φ) has A_k = |a|
/// (the mean of u does not enter). The rate of mode k is −(least-squares slope of ln A_k against t) over the last
/// `fitCount` saved states whose amplitude is at least `floor` (NaN with fewer than two). Closed forms near the flat
/// limit (linear rates ∂_t û_k = −r·û_k): Ricci flow r = e^{−u∞}|k|² (`ricciRate`), the heat arm r = |k|², the
/// Gaussian arm r = |k|²e^{−ℓ²|k|²/2} (`KernelFlow.modeRate`); an explicit-Euler arm with step η decays by (1 − ηr)
/// per step, a fitted rate of −ln(1 − ηr)/η (`discreteEulerRate`) when the saved times are multiples of η.
public struct ModeAmplitudes: Sendable, Codable, Equatable {
    /// The wave vectors k (n integers each), [K].
    public var waveVectors: [[Int]]
    /// The saved times, [T].
    public var times: [Double]
    /// A_k(t) = 2|û_k(t)|, [T][K].
    public var amplitudes: [[Double]]
    /// Fitted late-time rates, [K] (NaN where fewer than two amplitudes reach `floor`).
    public var rates: [Double]
    /// First saved time of each mode's fit window, [K] (NaN when there is no fit).
    public var fitStartTime: [Double]
    /// How many of the last saved states (above `floor`) each fit uses.
    public var fitCount: Int
    /// Amplitudes below this are round-off and not fitted: 10⁻⁹ · max over states and points of |u − mean u|.
    public var floor: Double

    /// The amplitudes of `waveVectors` (nil: `lowestWaveVectors(dimension:)`) at every saved state of `trajectory`
    /// and their rates over the last `fitCount` (nil: max(2, ⌈T/4⌉)) states above the floor.
    public init(_ trajectory: FlowTrajectory, waveVectors: [[Int]]? = nil, fitCount: Int? = nil) {
        let grid = trajectory.grid, n = grid.dimension
        let k = waveVectors ?? Self.lowestWaveVectors(dimension: n)
        let T = trajectory.metrics.count
        self.waveVectors = k
        let ts = Array(trajectory.times.prefix(T))
        times = ts
        let count = max(2, fitCount ?? (T + 3) / 4)
        self.fitCount = count
        var amps = [[Double]](), spread = 0.0
        for i in 0..<T {
            let u: [Double]
            if let us = trajectory.conformalFactors, i < us.count { u = us[i] } else {
                let d = trajectory.metrics[i].volumeDensity
                u = d.map { 2 * log($0) / Double(n) }
            }
            let mean = u.reduce(0, +) / Double(u.count)
            for v in u { spread = max(spread, abs(v - mean)) }
            amps.append(k.map { Self.amplitude(of: u, grid: grid, waveVector: $0) })
        }
        amplitudes = amps
        let cut = 1e-9 * spread
        floor = cut
        var r = [Double](), start = [Double]()
        for m in 0..<k.count {
            let ok = (0..<T).filter { amps[$0][m] >= cut && amps[$0][m] > 0 && amps[$0][m].isFinite }
            let use = Array(ok.suffix(count))
            if use.count < 2 { r.append(.nan); start.append(.nan); continue }
            r.append(Self.fittedRate(times: use.map { ts[$0] }, amplitudes: use.map { amps[$0][m] }))
            start.append(ts[use[0]])
        }
        rates = r; fitStartTime = start
    }

    /// The wave vectors with 0 < |k|² ≤ `maximumNormSquared`, one of each pair ±k (its first non-zero component
    /// positive), ordered by |k|² and then lexicographically; for n = 2 and the default 5: (0,1), (1,0), (1,−1),
    /// (1,1), (0,2), (2,0), (1,−2), (1,2), (2,−1), (2,1).
    public static func lowestWaveVectors(dimension n: Int, maximumNormSquared: Int = 5) -> [[Int]] {
        let r = Int(Double(maximumNormSquared).squareRoot())
        var out = [[Int]]()
        func visit(_ prefix: [Int]) {
            if prefix.count == n {
                let k2 = prefix.reduce(0) { $0 + $1 * $1 }
                guard k2 > 0, k2 <= maximumNormSquared, let first = prefix.first(where: { $0 != 0 }), first > 0 else { return }
                out.append(prefix); return
            }
            for v in -r...r { visit(prefix + [v]) }
        }
        visit([])
        return out.sorted { a, b in
            let (na, nb) = (a.reduce(0) { $0 + $1 * $1 }, b.reduce(0) { $0 + $1 * $1 })
            return na != nb ? na < nb : a.lexicographicallyPrecedes(b)
        }
    }

    /// A_k = 2|û_k| = (2/M)|Σ_p u(x_p) e^{−ik·x_p}| (direct sum; the phase factor is the product of per-axis factors).
    public static func amplitude(of u: [Double], grid: TorusGrid, waveVector k: [Int]) -> Double {
        let n = grid.dimension, N = grid.side, M = grid.count
        precondition(k.count == n && u.count == M, "ModeAmplitudes.amplitude: wave vector of \(k.count), field of \(u.count) values")
        // Per axis: cos and sin of k_a·x_a at the N coordinates.
        let c = (0..<n).map { a in (0..<N).map { i in cos(Double(k[a]) * 2 * Double.pi * Double(i) / Double(N)) } }
        let s = (0..<n).map { a in (0..<N).map { i in sin(Double(k[a]) * 2 * Double.pi * Double(i) / Double(N)) } }
        var re = 0.0, im = 0.0
        var idx = [Int](repeating: 0, count: n)
        for p in 0..<M {
            // e^{i(θ₀ + θ₁ + …)} as the product of the per-axis unit numbers (index p is row-major, x first).
            var cr = 1.0, ci = 0.0
            for a in 0..<n { let (x, y) = (c[a][idx[a]], s[a][idx[a]]); (cr, ci) = (cr * x - ci * y, cr * y + ci * x) }
            re += u[p] * cr; im -= u[p] * ci
            var a = n - 1
            while a >= 0 { idx[a] += 1; if idx[a] < N { break }; idx[a] = 0; a -= 1 }
        }
        return 2 * (re * re + im * im).squareRoot() / Double(M)
    }

    /// −(least-squares slope of ln A against t): r = −Σ(t − t̄)(ln A − mean ln A) / Σ(t − t̄)² (NaN for fewer than two
    /// distinct times).
    public static func fittedRate(times: [Double], amplitudes: [Double]) -> Double {
        precondition(times.count == amplitudes.count, "ModeAmplitudes.fittedRate: \(times.count) times, \(amplitudes.count) amplitudes")
        guard times.count >= 2 else { return .nan }
        let l = amplitudes.map(log), tm = times.reduce(0, +) / Double(times.count), lm = l.reduce(0, +) / Double(l.count)
        var num = 0.0, den = 0.0
        for (t, y) in zip(times, l) { num += (t - tm) * (y - lm); den += (t - tm) * (t - tm) }
        return den > 0 ? -num / den : .nan
    }

    /// The linearised Ricci-flow rate e^{−u∞}|k|² of a mode near the flat limit e^{u∞}δ of a metric of volume V on
    /// Tⁿ, u∞ = (2/n) ln(V/(2π)ⁿ) (Ricci–DeTurck gauge for n = 3; in 2-D u∞ = ln(A/(2π)²), the area A conserved).
    public static func ricciRate(normSquared k2: Double, volume: Double, dimension n: Int) -> Double {
        let uInf = 2 / Double(n) * log(volume / pow(2 * Double.pi, Double(n)))
        return exp(-uInf) * k2
    }

    /// The rate −ln(1 − ηr)/η that explicit Euler with step η shows for a mode of continuous rate r (NaN for ηr ≥ 1).
    public static func discreteEulerRate(_ r: Double, step eta: Double) -> Double {
        eta * r < 1 ? -log1p(-eta * r) / eta : .nan
    }
}

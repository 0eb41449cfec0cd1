import Foundation
import NumericCore

/// The contents of `summary.json` of `nntheory flow torus` (snake_case keys).
public struct TorusFlowSummary: Encodable, Sendable {
    /// Where the numbers come from: tool, module version and the settings.
    public struct Provenance: Encodable, Sendable {
        public var tool = "nntheory flow torus"
        public var metricflow_version = MetricFlowModule.version
        public var config: TorusFlowConfig
    }
    /// A breakdown: what happened and the flow time reached.
    public struct Breakdown: Encodable, Sendable { public var reason: String; public var time: Double }

    public var provenance: Provenance
    /// Whether every requested time was reached.
    public var complete: Bool
    public var breakdown: Breakdown?
    public var times: [Double]
    /// Vol(g) = ∫√det g dⁿx per saved time (the area in 2-D).
    public var area: [Double]
    /// Grid mean of u per saved time (conformal flows).
    public var mean_u: [Double]?
    /// λ(g) = min spec(−4Δ_g + R) per saved time.
    public var lambda: [Double]
    /// F(g, f_λ) per saved time.
    public var F: [Double]
    /// Learning rate of a gradient-descent arm.
    public var step: Double?
    /// Reference flows: accepted and rejected steps.
    public var steps_accepted: Int?
    public var steps_rejected: Int?
    /// --compare: cosine of the arm's and Ricci flow's velocities at the arm's metric, per saved time.
    public var velocity_cosine: [Double]?
    /// --compare: the reference time τ(t) closest to the arm's state at t.
    public var matched_time: [Double]?
    /// --compare: the distance to the reference at τ(t).
    public var distance: [Double]?
    /// --compare: the distance to the reference at the same time t.
    public var unmatched_distance: [Double]?
    /// --compare: least-squares speed factor s of τ ≈ s·t.
    public var speed_factor: Double?
    /// Network arms: ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F per width (key: the width) at each saved time.
    public var ntk_drift: [String: [Double]]?
    /// Network arms: exponent of drift(t_end) ∝ N^exponent and its standard error.
    public var drift_exponent: Double?
    public var drift_exponent_err: Double?
    /// Wave vectors k of the mode measures, [K][n].
    public var mode_wave_vectors: [[Int]]
    /// Fitted late-time decay rates of the Fourier modes of u = ln(det g)/n, [K] (NaN: below the round-off floor).
    public var mode_rates: [Double]
    /// --compare: the same rates of the reference Ricci flow, [K].
    public var reference_mode_rates: [Double]?
    /// Linearised Ricci-flow rates e^{−u∞}|k|² with u∞ = (2/n) ln(Vol/(2π)ⁿ), [K].
    public var ricci_mode_rates: [Double]
    public var seconds: Double

    /// The summary of a run.
    public init(_ r: TorusFlowResult) {
        provenance = Provenance(config: r.config)
        complete = r.trajectory.isComplete
        breakdown = r.trajectory.breakdown.map { Breakdown(reason: $0.reason, time: $0.time) }
        times = r.trajectory.times
        area = r.area; mean_u = r.meanU; lambda = r.lambda; F = r.perelmanF; step = r.step
        if r.config.flow == .ricci { steps_accepted = r.trajectory.statistics.accepted; steps_rejected = r.trajectory.statistics.rejected }
        if let c = r.comparison {
            velocity_cosine = c.velocityCosine; matched_time = c.matchedTime; distance = c.distance
            unmatched_distance = c.unmatchedDistance; speed_factor = c.speedFactor
        }
        if !r.ntkDrift.isEmpty { ntk_drift = Dictionary(uniqueKeysWithValues: r.ntkDrift.map { (String($0.key), $0.value) }) }
        drift_exponent = r.driftExponent?.value; drift_exponent_err = r.driftExponent?.error
        seconds = r.seconds
        let modes = ModeAmplitudes(r.trajectory)
        mode_wave_vectors = modes.waveVectors; mode_rates = modes.rates
        reference_mode_rates = r.comparison?.referenceModes.rates
        let volume = r.area.first ?? .nan, n = r.config.dimension
        ricci_mode_rates = modes.waveVectors.map { v in
            ModeAmplitudes.ricciRate(normSquared: Double(v.reduce(0) { $0 + $1 * $1 }), volume: volume, dimension: n)
        }
    }
}

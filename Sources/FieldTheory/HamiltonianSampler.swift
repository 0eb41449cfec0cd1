import Ensembles
import Foundation
import NumericCore

/// Hamiltonian Monte Carlo for the φ⁴ parameter density P(θ)e^{−S_int} in the cos-net parameters
/// q = (a_i, b_i, c_i), potential
///   U(q) = N Σ_i a_i²/(2σ_a²) [+ Σ_i log(b_i² + m²) for propagator sampling] + (λ/24) ∫_V φ⁴,
/// with ∂φ(x)/∂a_i = C s_i cos θ_i, ∂φ/∂c_i = −A_i sin θ_i, ∂φ/∂b_ij = −A_i x_j sin θ_i + C a_i ∂_j s_i cos θ_i
/// (θ_i = b_i·x + c_i, A_i = C a_i s_i, ∂_j s = −b_j s³ for the ball's s = (b² + m²)^{−1/2}), the integral on the
/// `InteractionGrid`. Leapfrog with the diagonal inverse mass (σ_a²/N, (Λ/2)², 1) so that the free a-motion has
/// unit frequency; the support constraints are handled exactly: b reflects specularly off the sphere |b| = Λ
/// (reversible and volume-preserving), c wraps onto [−π, π) (U is periodic in c). The number of leapfrog steps
/// is drawn uniformly from [steps/2, steps] per trajectory against resonances. Chain c uses
/// `RandomStream(seed:, stream: c)`.
public struct HamiltonianSampler: Sendable {
    /// The free cos-net and the box the interaction is integrated over.
    public let theory: Phi4Theory
    /// λ ≥ 0 in S_int = (λ/4!) ∫_V φ⁴.
    public let coupling: Double
    /// The leapfrog step ε > 0.
    public let stepSize: Double
    /// The largest number of leapfrog steps per trajectory (drawn from [steps/2, steps]).
    public let steps: Int

    /// HMC at coupling λ (finite, ≥ 0) with leapfrog step ε > 0 and ≤ `steps` (≥ 1) steps; throws `InputError`
    /// naming the value otherwise.
    public init(theory: Phi4Theory, coupling λ: Double, stepSize: Double = 0.1, steps: Int = 16) throws {
        coupling = try QuarticAction.validatedCoupling(λ)
        guard stepSize > 0, stepSize.isFinite else { throw InputError("HMC step size \(stepSize); expected > 0") }
        guard steps >= 1 else { throw InputError("HMC leapfrog steps \(steps); expected ≥ 1") }
        self.theory = theory
        self.stepSize = stepSize
        self.steps = steps
    }

    /// The potential U(q) and, when `gradient` is given, ∂U/∂q into it (layout: a [N], b [N·d], c [N]).
    func potential(_ q: [Double], gradient: UnsafeMutableBufferPointer<Double>?, phi: inout [Double]) -> (U: Double, I: Double) {
        let net = theory.ensemble.network, grid = theory.grid, density = theory.ensemble.density
        let N = net.width, d = net.dimension, G = grid.nodeCount, C = net.prefactor, m2 = net.mass * net.mass
        let ball = net.sampling == .ball
        var U = 0.0
        // Amplitudes.
        var s = [Double](repeating: 0, count: N)
        for i in 0..<N {
            var b2 = 0.0
            for j in 0..<d { b2 += q[N + i * d + j] * q[N + i * d + j] }
            s[i] = net.amplitude(momentumSquared: b2)
            U += Double(N) * q[i] * q[i] / (2 * density.sigmaA * density.sigmaA)
            if !ball { U += log(b2 + m2) }
        }
        let x = grid.grid.nodes.data, w = grid.grid.weights
        q.withUnsafeBufferPointer { qb in x.withUnsafeBufferPointer { xs in phi.withUnsafeMutableBufferPointer { ph in
            for p in 0..<G { ph[p] = 0 }
            for i in 0..<N {
                CosineModes.addMode(amplitude: C * q[i] * s[i], momentum: UnsafeBufferPointer(rebasing: qb[(N + i * d)..<(N + (i + 1) * d)]),
                                    phase: q[N + N * d + i], points: xs, into: UnsafeMutableBufferPointer(rebasing: ph[0..<G]))
            }
        } } }
        var I = 0.0
        for p in 0..<G { let v = phi[p] * phi[p]; I += w[p] * v * v }
        U += coupling / 24 * I
        guard let g = gradient else { return (U, I) }
        // v_p = (λ/24)·4 w_p φ_p³: ∂S/∂q = Σ_p v_p ∂φ_p/∂q.
        var v = [Double](repeating: 0, count: G)
        for p in 0..<G { v[p] = coupling / 6 * w[p] * phi[p] * phi[p] * phi[p] }
        var xs = [Double](repeating: 0, count: d)
        for i in 0..<N {
            let A = C * q[i] * s[i], c = q[N + N * d + i]
            var sc = 0.0, ss = 0.0
            for j in 0..<d { xs[j] = 0 }
            for p in 0..<G {
                var t = c
                for j in 0..<d { t += q[N + i * d + j] * x[p * d + j] }
                let co = cos(t) * v[p], si = sin(t) * v[p]
                sc += co
                ss += si
                for j in 0..<d { xs[j] += si * x[p * d + j] }
            }
            g[i] = Double(N) * q[i] / (density.sigmaA * density.sigmaA) + C * s[i] * sc
            for j in 0..<d {
                let bj = q[N + i * d + j]
                var gj = -A * xs[j]
                if ball { gj -= C * q[i] * bj * s[i] * s[i] * s[i] * sc }
                g[N + i * d + j] = gj
            }
            if !ball {
                var b2 = 0.0
                for j in 0..<d { b2 += q[N + i * d + j] * q[N + i * d + j] }
                for j in 0..<d { g[N + i * d + j] += 2 * q[N + i * d + j] / (b2 + m2) }
            }
            g[N + N * d + i] = -A * ss
        }
        return (U, I)
    }

    /// Runs `chains` chains of `thermalization` + `trajectories` trajectories, recording after each kept one. With a
    /// `checkpoint`, chain c is saved as `{label}_c{c}` (see `ChainCheckpoint`) and a saved state is continued to
    /// the same numbers.
    public func run(points: Matrix, trajectories: Int, thermalization: Int, chains: Int = 2, seed: UInt64,
                    progress: (@Sendable (Double) -> Void)? = nil, checkpoint: ChainCheckpoint? = nil,
                    label: String = "") throws -> MarkovChainRecord {
        try ChainResults.run(chains: chains, pointCount: points.rows, progress: progress, checkpoint: checkpoint, label: label) {
            try runChain(points: points, trajectories: trajectories, thermalization: thermalization, seed: seed, stream: $0,
                         progress: $1, saver: $2)
        }
    }

    func runChain(points: Matrix, trajectories: Int, thermalization: Int, seed: UInt64, stream: UInt64,
                  progress: (@Sendable (Double) -> Void)?, saver: ChainSaver? = nil) throws -> ChainOutput {
        let net = theory.ensemble.network, density = theory.ensemble.density
        let N = net.width, d = net.dimension, P = points.rows, n = N * (d + 2), Λ = net.cutoff, total = thermalization + trajectories
        var saver = saver
        var rng = RandomStream(seed: seed, stream: stream)
        var q: [Double]
        var fields = [Double](repeating: 0, count: trajectories * P), inter = [Double](repeating: 0, count: trajectories)
        var accepted = 0, proposed = 0, start = 0
        if let saved = try saver?.resume(total: total, thermalization: thermalization, parameterCount: n,
                                         shape: "a width-\(N) net in d = \(d)", fields: &fields, interactions: &inter) {
            q = saved.parameters
            rng = RandomStream(seed: seed, stream: stream, position: saved.randomPosition)
            (start, accepted, proposed) = (saved.step, saved.accepted, saved.proposed)
        } else {
            q = density.sample(using: &rng).flattened
        }
        var invMass = [Double](repeating: 1, count: n)
        for i in 0..<N { invMass[i] = density.sigmaA * density.sigmaA / Double(N) }
        for k in N..<(N + N * d) { invMass[k] = Λ * Λ / 4 }
        var phi = [Double](repeating: 0, count: theory.grid.nodeCount)
        var grad = [Double](repeating: 0, count: n), gradNew = grad
        var cur = grad.withUnsafeMutableBufferPointer { potential(q, gradient: $0, phi: &phi) }
        var p = [Double](repeating: 0, count: n)
        for traj in start..<total {
            for k in 0..<n { p[k] = rng.normal() / invMass[k].squareRoot() }
            let L = steps / 2 + Int(rng.uniform() * Double(steps - steps / 2 + 1)).clamped(to: 0...(steps - steps / 2))
            let u = rng.uniform()
            var K0 = 0.0
            for k in 0..<n { K0 += 0.5 * p[k] * p[k] * invMass[k] }
            var qn = q
            var g = grad
            var new = cur
            let eps = stepSize
            for k in 0..<n { p[k] -= 0.5 * eps * g[k] }
            for step in 0..<max(L, 1) {
                // Drift: a free; b with reflection off |b| = Λ; c wrapped.
                for i in 0..<N { qn[i] += eps * invMass[i] * p[i] }
                for i in 0..<N { drift(&qn, &p, neuron: i, N: N, d: d, time: eps, invMass: invMass[N], cutoff: Λ) }
                for i in 0..<N {
                    var c = qn[N + N * d + i] + eps * invMass[N + N * d + i] * p[N + N * d + i]
                    c -= 2 * Double.pi * ((c + Double.pi) / (2 * Double.pi)).rounded(.down)
                    qn[N + N * d + i] = c
                }
                new = gradNew.withUnsafeMutableBufferPointer { potential(qn, gradient: $0, phi: &phi) }
                let kick = step == max(L, 1) - 1 ? 0.5 * eps : eps
                for k in 0..<n { p[k] -= kick * gradNew[k] }
                g = gradNew
            }
            var K1 = 0.0
            for k in 0..<n { K1 += 0.5 * p[k] * p[k] * invMass[k] }
            let dH = (new.U + K1) - (cur.U + K0)
            proposed += 1
            if dH.isFinite && u < exp(-dH) {
                accepted += 1
                q = qn
                cur = new
                grad = g
            }
            if traj >= thermalization {
                let t = traj - thermalization
                let modes = net.modes(CosNetParameters(flat: q, width: N, dimension: d))
                fields.withUnsafeMutableBufferPointer { f in
                    modes.evaluate(at: points, into: UnsafeMutableBufferPointer(rebasing: f[(t * P)..<((t + 1) * P)]))
                }
                inter[t] = cur.I
            }
            if let progress, traj % 16 == 0 { progress(Double(traj) / Double(total)) }
            // Any trajectory end is an exact stopping point: U, I and ∂U/∂q are recomputed from q on resumption.
            let recorded = max(0, traj + 1 - thermalization)
            try saver?.reached(ChainState(step: traj + 1, parameters: q, randomPosition: rng.position, accepted: accepted, proposed: proposed,
                                          fields: Array(fields[0..<(recorded * P)]), interactions: Array(inter[0..<recorded])),
                               step: traj + 1, total: total)
        }
        return ChainOutput(fields: fields, interactions: inter, accepted: accepted, proposed: proposed, resumedSteps: start)
    }

    /// Moves b_i for `time` at velocity invMass·p_i, reflecting specularly off the sphere |b| = Λ.
    func drift(_ q: inout [Double], _ p: inout [Double], neuron i: Int, N: Int, d: Int, time: Double, invMass: Double, cutoff Λ: Double) {
        var remaining = time
        let o = N + i * d
        for _ in 0..<64 {
            var bv = 0.0, vv = 0.0, bb = 0.0
            for j in 0..<d {
                let v = invMass * p[o + j]
                bv += q[o + j] * v; vv += v * v; bb += q[o + j] * q[o + j]
            }
            guard vv > 0 else { return }
            // |b + t v|² = Λ²: the positive root.
            let disc = bv * bv - vv * (bb - Λ * Λ)
            let tHit = (-bv + max(disc, 0).squareRoot()) / vv
            if tHit >= remaining {
                for j in 0..<d { q[o + j] += remaining * invMass * p[o + j] }
                return
            }
            var nrm = 0.0
            for j in 0..<d { q[o + j] += tHit * invMass * p[o + j]; nrm += q[o + j] * q[o + j] }
            nrm = nrm.squareRoot()
            var pn = 0.0
            for j in 0..<d { pn += p[o + j] * q[o + j] / nrm }
            for j in 0..<d { p[o + j] -= 2 * pn * q[o + j] / nrm }
            remaining -= tHit
        }
    }
}

extension Comparable {
    func clamped(to r: ClosedRange<Self>) -> Self { min(max(self, r.lowerBound), r.upperBound) }
}

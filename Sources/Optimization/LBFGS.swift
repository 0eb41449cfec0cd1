import Foundation

/// Limited-memory BFGS (Nocedal & Wright, Alg. 7.4–7.5) for polishing on full batches.
///
/// Direction d = −H·g by the two-loop recursion over the last `memory` pairs (s, y) with initial scaling
/// γ = sᵀy/yᵀy; line search from step length η (the learning rate; 1 is natural) by bisection and doubling for
/// the weak Wolfe conditions (c₁ = 10⁻⁴, c₂ = 0.9; at most 50 trials, then the best Armijo point or no step). Pairs with
/// sᵀy ≤ 10⁻¹²·|s||y| are skipped, which keeps H positive definite. Falls back to −g when d is not a descent
/// direction.
public enum LBFGS {
    /// Curvature pairs (s, y) kept: the newest 10; older ones are dropped first.
    public static let memory = 10

    /// The quasi-Newton direction d = −H·g by the two-loop recursion (N&W Alg. 7.4) over the pairs in `state`
    /// (oldest first): H is the inverse-BFGS update of H₀ = γI by each pair in turn, γ = sᵀy/yᵀy of the newest pair
    /// (no pairs: H = I, d = −g). H satisfies the secant equation H·y = s for the newest pair.
    public static func direction(_ g: [Double], state: OptimizerState) -> [Double] {
        var q = g
        let k = state.s.count
        var alpha = [Double](repeating: 0, count: k), rho = [Double](repeating: 0, count: k)
        for i in stride(from: k - 1, through: 0, by: -1) {
            rho[i] = 1 / dot(state.y[i], state.s[i])
            alpha[i] = rho[i] * dot(state.s[i], q)
            for j in 0..<q.count { q[j] -= alpha[i] * state.y[i][j] }
        }
        if k > 0 {
            let gamma = dot(state.s[k - 1], state.y[k - 1]) / dot(state.y[k - 1], state.y[k - 1])
            for j in 0..<q.count { q[j] *= gamma }
        }
        for i in 0..<k {
            let beta = rho[i] * dot(state.y[i], q)
            for j in 0..<q.count { q[j] += state.s[i][j] * (alpha[i] - beta) }
        }
        return q.map { -$0 }
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += a[i] * b[i] }
        return s
    }

    /// One iteration θ ← θ + α·d from θ with loss f and gradient g, d = `direction(g, state:)` (or −g, dropping the
    /// pairs, when gᵀd ≮ 0), α from the weak-Wolfe search started at α = η; `evaluate` returns (loss, gradient) at a
    /// trial point (a non-finite loss counts as too far). Returns the new (θ, f, g), or the old ones when no trial
    /// satisfied Armijo; appends the pair (s, y) = (θ' − θ, g' − g) when sᵀy > 10⁻¹²|s||y|, keeps the newest
    /// `memory` pairs and counts t ← t + 1.
    public static func step(_ theta: [Double], loss f: Double, gradient g: [Double], rate eta: Double, state: inout OptimizerState,
                            evaluate: ([Double]) throws -> (Double, [Double])) rethrows -> (theta: [Double], loss: Double, gradient: [Double]) {
        var d = direction(g, state: state)
        var slope = dot(g, d)
        if !(slope < 0) { d = g.map { -$0 }; slope = dot(g, d); state.s = []; state.y = [] }
        // Weak Wolfe conditions by bisection/expansion: Armijo f(θ+αd) ≤ f + c₁α gᵀd and curvature
        // g(θ+αd)ᵀd ≥ c₂ gᵀd (c₁ = 10⁻⁴, c₂ = 0.9), which guarantees sᵀy > 0.
        var a = eta, lo = 0.0, hi = Double.infinity
        var best: (a: Double, theta: [Double], f: Double, g: [Double])? = nil
        for _ in 0..<50 {
            let trial = zip(theta, d).map { $0 + a * $1 }
            let (ft, gt) = try evaluate(trial)
            if !(ft.isFinite && ft <= f + 1e-4 * a * slope) {
                hi = a
            } else {
                if best == nil || ft < best!.f { best = (a, trial, ft, gt) }
                if dot(gt, d) >= 0.9 * slope { break }
                lo = a
            }
            a = hi.isInfinite ? 2 * a : 0.5 * (lo + hi)
        }
        if let b = best {
            let s = zip(b.theta, theta).map { $0 - $1 }, y = zip(b.g, g).map { $0 - $1 }
            let sy = dot(s, y)
            if sy > 1e-12 * (dot(s, s) * dot(y, y)).squareRoot() {
                state.s.append(s); state.y.append(y)
                if state.s.count > memory { state.s.removeFirst(); state.y.removeFirst() }
            }
            state.t += 1
            return (b.theta, b.f, b.g)
        }
        state.t += 1
        return (theta, f, g)
    }
}

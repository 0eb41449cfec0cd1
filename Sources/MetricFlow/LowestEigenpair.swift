import Foundation

/// Why the lowest-eigenpair solver gave no answer: the residual did not reach its bound within the iteration cap, or
/// the iteration broke down (a non-finite value, a basis that lost its rank).
public struct EigenSolverError: Error, CustomStringConvertible, Sendable {
    /// What happened, one line.
    public let reason: String
    /// Iterations done.
    public let iterations: Int
    /// The last residual norm (see `LowestEigenpair.residual`).
    public let residual: Double
    /// The residual bound that was asked for.
    public let bound: Double
    /// The failure `reason` after `iterations` iterations at residual `residual` (bound `bound`).
    public init(_ reason: String, iterations: Int, residual: Double, bound: Double) {
        self.reason = reason; self.iterations = iterations; self.residual = residual; self.bound = bound
    }
    /// "reason after i iterations (residual r, bound b)".
    public var description: String {
        "\(reason) after \(iterations) iterations (residual \(String(format: "%.3g", residual)), bound \(String(format: "%.3g", bound)))"
    }
}

/// The lowest eigenpair of a symmetric generalised eigenproblem A x = λ B x with B = diag(b), b > 0, by LOBPCG of
/// block size one (Knyazev, SIAM J. Sci. Comput. 23, 517 (2001)), matrix-free.
///
/// Each iteration takes the residual r = A x − λ B x (x normalised xᵀBx = 1, λ = xᵀAx), its preconditioned form
/// z = P r, and the previous search direction p; it B-orthonormalises the basis [x, z, p] (classical Gram–Schmidt,
/// twice; p is dropped when its part B-orthogonal to x and z is below 10⁻¹⁰ of its norm) and takes the lowest Ritz
/// pair of the 3×3 projection H = Vᵀ A V (a standard symmetric eigenproblem in that basis, solved by cyclic Jacobi
/// rotations): x ← V c, p ← c₁ z + c₂ p. A is applied once per iteration (to z); A x and A p follow by the same linear
/// combinations and A x is recomputed from x every 16 iterations and before convergence is accepted.
///
/// Convergence: the residual ‖r‖_{B⁻¹} = (Σ_i r_i²/b_i)^{1/2} with xᵀBx = 1 at most `bound`. For a discretised
/// operator A = h·(L) and B = h·diag(ρ) with quadrature weight h this is the L²(ρ) norm of the strong residual
/// (L/ρ − λ)x of a function normalised ∫x²ρ = 1, independent of h. The eigenvalue then lies within ‖r‖²_{B⁻¹}/gap of
/// an eigenvalue of (A, B) (Temple/Kato bound; gap to the rest of the spectrum).
struct LowestEigenpair {
    /// The eigenvalue λ = xᵀAx.
    var value: Double
    /// The eigenvector, xᵀBx = 1, sign chosen with Σ x_i ≥ 0.
    var vector: [Double]
    /// Iterations done (0 when the start vector already satisfies the bound).
    var iterations: Int
    /// The final ‖A x − λ B x‖_{B⁻¹} (A x recomputed from x).
    var residual: Double

    /// Solves for the lowest eigenpair from `start` with `apply(v) = A v`, `weight` = b and `preconditioner(r) ≈
    /// A⁻¹ r` (symmetric positive definite); throws an `EigenSolverError` when ‖r‖_{B⁻¹} ≤ `bound` is not reached in
    /// `maximumIterations` iterations or the iteration breaks down.
    init(start: [Double], weight b: [Double], bound: Double, maximumIterations: Int,
         apply: ([Double]) -> [Double], preconditioner: ([Double]) -> [Double]) throws {
        let m = start.count
        precondition(b.count == m, "LowestEigenpair: \(b.count) weights, expected \(m)")
        func dotB(_ u: [Double], _ v: [Double]) -> Double {
            var s = 0.0
            for i in 0..<m { s += b[i] * u[i] * v[i] }
            return s
        }
        func dot(_ u: [Double], _ v: [Double]) -> Double {
            var s = 0.0
            for i in 0..<m { s += u[i] * v[i] }
            return s
        }
        /// u ← α u + β v.
        func combine(_ u: inout [Double], _ alpha: Double, _ v: [Double], _ beta: Double) {
            for i in 0..<m { u[i] = alpha * u[i] + beta * v[i] }
        }
        func residualNorm(_ x: [Double], _ ax: [Double], _ lambda: Double) -> Double {
            var s = 0.0
            for i in 0..<m { let r = ax[i] - lambda * b[i] * x[i]; s += r * r / b[i] }
            return sqrt(s)
        }

        var x = start
        let nx = dotB(x, x).squareRoot()
        guard nx > 0, nx.isFinite else { throw EigenSolverError("the start vector has B-norm \(nx)", iterations: 0, residual: .nan, bound: bound) }
        for i in 0..<m { x[i] /= nx }
        var ax = apply(x)
        var lambda = dot(x, ax)
        var p: [Double]? = nil, ap: [Double]? = nil
        var iteration = 0, sinceRefresh = 0
        var res = residualNorm(x, ax, lambda)
        while true {
            guard res.isFinite, lambda.isFinite else {
                throw EigenSolverError("the iteration produced a non-finite value", iterations: iteration, residual: res, bound: bound)
            }
            if res <= bound {
                if sinceRefresh == 0 { break }
                // Accept only with A x recomputed from x (the recurrences accumulate rounding).
                ax = apply(x); lambda = dot(x, ax); sinceRefresh = 0
                res = residualNorm(x, ax, lambda)
                if res <= bound { break }
            }
            if iteration >= maximumIterations {
                throw EigenSolverError("LOBPCG did not converge", iterations: iteration, residual: res, bound: bound)
            }
            iteration += 1
            var r = [Double](repeating: 0, count: m)
            for i in 0..<m { r[i] = ax[i] - lambda * b[i] * x[i] }
            // z = P r, B-orthonormal to x.
            var z = preconditioner(r)
            let z0 = dotB(z, z).squareRoot()
            for _ in 0..<2 { combine(&z, 1, x, -dotB(x, z)) }
            let zn = dotB(z, z).squareRoot()
            guard zn > 1e-14 * z0, zn.isFinite else {
                throw EigenSolverError("the preconditioned residual lies in the span of the iterate", iterations: iteration, residual: res, bound: bound)
            }
            for i in 0..<m { z[i] /= zn }
            let az = apply(z)
            // p, B-orthonormal to x and z (A p by the same combination), or dropped.
            if var pv = p, var apv = ap {
                let p0 = dotB(pv, pv).squareRoot()
                for _ in 0..<2 {
                    let cx = dotB(x, pv), cz = dotB(z, pv)
                    combine(&pv, 1, x, -cx); combine(&pv, 1, z, -cz)
                    combine(&apv, 1, ax, -cx); combine(&apv, 1, az, -cz)
                }
                let pn = dotB(pv, pv).squareRoot()
                if pn > 1e-10 * p0 && pn.isFinite {
                    for i in 0..<m { pv[i] /= pn; apv[i] /= pn }
                    p = pv; ap = apv
                } else {
                    p = nil; ap = nil
                }
            }
            // Rayleigh–Ritz on the B-orthonormal basis.
            var basis = [x, z], images = [ax, az]
            if let pv = p, let apv = ap { basis.append(pv); images.append(apv) }
            let k = basis.count
            var h = [Double](repeating: 0, count: k * k)
            for i in 0..<k { for j in i..<k {
                let v = 0.5 * (dot(basis[i], images[j]) + dot(basis[j], images[i]))
                h[i * k + j] = v; h[j * k + i] = v
            } }
            let c = Self.lowestEigenvector(h, k)
            var xn = [Double](repeating: 0, count: m), axn = xn, pn = xn, apn = xn
            for j in 0..<k {
                combine(&xn, 1, basis[j], c[j]); combine(&axn, 1, images[j], c[j])
                if j > 0 { combine(&pn, 1, basis[j], c[j]); combine(&apn, 1, images[j], c[j]) }
            }
            let norm = dotB(xn, xn).squareRoot()
            for i in 0..<m { xn[i] /= norm; axn[i] /= norm }
            x = xn; ax = axn; p = pn; ap = apn
            sinceRefresh += 1
            if sinceRefresh >= 16 { ax = apply(x); sinceRefresh = 0 }
            lambda = dot(x, ax)
            res = residualNorm(x, ax, lambda)
        }
        var sum = 0.0
        for v in x { sum += v }
        if sum < 0 { for i in 0..<m { x[i] = -x[i] } }
        value = lambda; vector = x; iterations = iteration; residual = res
    }

    /// The unit eigenvector of the lowest eigenvalue of a symmetric k×k matrix (k ≤ 3 here), by cyclic Jacobi
    /// rotations to an off-diagonal norm below 10⁻¹⁵ of the Frobenius norm.
    static func lowestEigenvector(_ matrix: [Double], _ k: Int) -> [Double] {
        var a = matrix
        var v = [Double](repeating: 0, count: k * k)
        for i in 0..<k { v[i * k + i] = 1 }
        var frob = 0.0
        for e in a { frob += e * e }
        for _ in 0..<64 {
            var off = 0.0
            for i in 0..<k { for j in 0..<k where i != j { off += a[i * k + j] * a[i * k + j] } }
            if off <= 1e-30 * frob || off == 0 { break }
            for pI in 0..<(k - 1) { for q in (pI + 1)..<k {
                let apq = a[pI * k + q]
                if apq == 0 { continue }
                let theta = (a[q * k + q] - a[pI * k + pI]) / (2 * apq)
                let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                // A ← Jᵀ A J with J the rotation in the (p, q) plane; V ← V J.
                for r in 0..<k {
                    let arp = a[r * k + pI], arq = a[r * k + q]
                    a[r * k + pI] = c * arp - s * arq; a[r * k + q] = s * arp + c * arq
                }
                for r in 0..<k {
                    let apr = a[pI * k + r], aqr = a[q * k + r]
                    a[pI * k + r] = c * apr - s * aqr; a[q * k + r] = s * apr + c * aqr
                }
                for r in 0..<k {
                    let vrp = v[r * k + pI], vrq = v[r * k + q]
                    v[r * k + pI] = c * vrp - s * vrq; v[r * k + q] = s * vrp + c * vrq
                }
            } }
        }
        var best = 0
        for i in 1..<k where a[i * k + i] < a[best * k + best] { best = i }
        return (0..<k).map { v[$0 * k + best] }
    }
}

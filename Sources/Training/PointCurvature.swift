import Foundation
import Networks

/// Curvature of a metric at one point from g_ij, ∂_k g_ij and ∂_k∂_l g_ij (n ≤ 3), and the reverse pass of a
/// scalar built from it. Conventions (Landau–Lifshitz §92; positive on spheres):
///
///     Γ_{k,ij} = ½(∂_i g_jk + ∂_j g_ik − ∂_k g_ij),   Γ^k_ij = g^{kl} Γ_{l,ij}
///     R_abcd = ½(∂_b∂_c g_ad + ∂_a∂_d g_bc − ∂_b∂_d g_ac − ∂_a∂_c g_bd) + Γ^e_bc Γ_{e,ad} − Γ^e_bd Γ_{e,ac}
///     Ric_bd = g^{ac} R_abcd,   R = g^{bd} Ric_bd,   dV = √det g dⁿx
///
/// (for g = e^{u}δ in n = 2: R = −e^{−u}Δu). Buffers are allocated once per instance; one instance per thread.
public final class PointCurvature {
    /// Dimension n (1…3).
    public let n: Int
    // forward
    /// Forward buffers, row-major: g_ij and g^ij [n²], ∂_k g_ij [n³] and ∂_k∂_l g_ij [n⁴] (inputs), Γ_{k,ij} and Γ^k_ij
    /// [n³], R_abcd [n⁴], Ric_bd [n²].
    public let g, ginv, dg, ddg, gamma1, gamma2, riemann, ricci: UnsafeMutablePointer<Double>
    /// R = g^{bd} Ric_bd, √det g and det g of the last forward pass.
    public var scalar = 0.0, sqrtDet = 0.0, det = 0.0
    // adjoints
    /// Adjoints ∂L/∂(·) of the forward buffers, same shapes, filled by the reverse pass.
    public let gbar, ginvbar, dgbar, ddgbar, gamma1bar, gamma2bar, riemannbar, riccibar: UnsafeMutablePointer<Double>
    /// Adjoints ∂L/∂R and ∂L/∂√det g that seed the reverse pass.
    public var scalarbar = 0.0, sqrtDetbar = 0.0

    /// Zeroed buffers for an n-dimensional metric, n ≤ 3 (one instance per thread).
    public init(dimension n: Int) {
        precondition(n >= 1 && n <= 3, "PointCurvature: dimension \(n), expected 1…3")
        self.n = n
        func buf(_ c: Int) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: c); p.initialize(repeating: 0, count: c); return p
        }
        let n2 = n * n, n3 = n2 * n, n4 = n3 * n
        g = buf(n2); ginv = buf(n2); dg = buf(n3); ddg = buf(n4); gamma1 = buf(n3); gamma2 = buf(n3); riemann = buf(n4); ricci = buf(n2)
        gbar = buf(n2); ginvbar = buf(n2); dgbar = buf(n3); ddgbar = buf(n4); gamma1bar = buf(n3); gamma2bar = buf(n3); riemannbar = buf(n4); riccibar = buf(n2)
    }

    deinit {
        for p in [g, ginv, dg, ddg, gamma1, gamma2, riemann, ricci, gbar, ginvbar, dgbar, ddgbar, gamma1bar, gamma2bar, riemannbar, riccibar] { p.deallocate() }
    }

    /// Loads g, ∂g, ∂²g from the n² metric jets (row-major): dg[(i·n + j)·n + k] = ∂_k g_ij, ddg[…·n + l] = ∂_k∂_l g_ij.
    @inline(__always)
    public func load(_ jets: UnsafePointer<PointJet>) {
        for ij in 0..<(n * n) {
            let J = jets[ij]
            g[ij] = J.v
            for k in 0..<n {
                dg[ij * n + k] = J.d(k)
                for l in 0..<n { ddg[(ij * n + k) * n + l] = J.h(k, l) }
            }
        }
    }

    /// Computes g⁻¹, √det g, Γ, Riemann, Ricci and R from the loaded g, ∂g, ∂²g. Returns false when det g ≤ 0.
    @discardableResult
    public func compute() -> Bool {
        let n = self.n
        switch n {
        case 1:
            det = g[0]; ginv[0] = 1 / g[0]
        case 2:
            det = g[0] * g[3] - g[1] * g[2]
            ginv[0] = g[3] / det; ginv[1] = -g[1] / det; ginv[2] = -g[2] / det; ginv[3] = g[0] / det
        default:
            let c00 = g[4] * g[8] - g[5] * g[7], c01 = g[5] * g[6] - g[3] * g[8], c02 = g[3] * g[7] - g[4] * g[6]
            det = g[0] * c00 + g[1] * c01 + g[2] * c02
            let id = 1 / det
            ginv[0] = c00 * id; ginv[3] = c01 * id; ginv[6] = c02 * id
            ginv[1] = (g[2] * g[7] - g[1] * g[8]) * id; ginv[4] = (g[0] * g[8] - g[2] * g[6]) * id; ginv[7] = (g[1] * g[6] - g[0] * g[7]) * id
            ginv[2] = (g[1] * g[5] - g[2] * g[4]) * id; ginv[5] = (g[2] * g[3] - g[0] * g[5]) * id; ginv[8] = (g[0] * g[4] - g[1] * g[3]) * id
        }
        guard det > 0 else { sqrtDet = .nan; scalar = .nan; return false }
        sqrtDet = det.squareRoot()
        // Γ_{k,ij} at gamma1[(k·n + i)·n + j]
        for k in 0..<n { for i in 0..<n { for j in 0..<n {
            gamma1[(k * n + i) * n + j] = 0.5 * (dg[(j * n + k) * n + i] + dg[(i * n + k) * n + j] - dg[(i * n + j) * n + k])
        } } }
        for k in 0..<n { for ij in 0..<(n * n) {
            var s = 0.0
            for l in 0..<n { s += ginv[k * n + l] * gamma1[l * n * n + ij] }
            gamma2[k * n * n + ij] = s
        } }
        @inline(__always) func i4(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Int { ((a * n + b) * n + c) * n + d }
        @inline(__always) func i3(_ a: Int, _ b: Int, _ c: Int) -> Int { (a * n + b) * n + c }
        for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n {
            var r = 0.5 * (ddg[i4(a, d, b, c)] + ddg[i4(b, c, a, d)] - ddg[i4(a, c, b, d)] - ddg[i4(b, d, a, c)])
            for e in 0..<n { r += gamma2[i3(e, b, c)] * gamma1[i3(e, a, d)] - gamma2[i3(e, b, d)] * gamma1[i3(e, a, c)] }
            riemann[i4(a, b, c, d)] = r
        } } } }
        var R = 0.0
        for b in 0..<n { for d in 0..<n {
            var s = 0.0
            for a in 0..<n { for c in 0..<n { s += ginv[a * n + c] * riemann[i4(a, b, c, d)] } }
            ricci[b * n + d] = s
            R += ginv[b * n + d] * s
        } }
        scalar = R
        return true
    }

    /// Zeroes every adjoint.
    @inline(__always)
    public func clearAdjoints() {
        let n2 = n * n, n3 = n2 * n, n4 = n3 * n
        gbar.update(repeating: 0, count: n2); ginvbar.update(repeating: 0, count: n2); riccibar.update(repeating: 0, count: n2)
        dgbar.update(repeating: 0, count: n3); gamma1bar.update(repeating: 0, count: n3); gamma2bar.update(repeating: 0, count: n3)
        ddgbar.update(repeating: 0, count: n4); riemannbar.update(repeating: 0, count: n4)
        scalarbar = 0; sqrtDetbar = 0
    }

    /// Reverse pass: from the adjoints set on `scalarbar`, `riccibar`, `ginvbar`, `sqrtDetbar` and `gbar`
    /// (seeded by the caller after `clearAdjoints`) to ḡ, ∂̄g, ∂̄²g in `gbar`, `dgbar`, `ddgbar`.
    public func backward() {
        let n = self.n
        @inline(__always) func i4(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Int { ((a * n + b) * n + c) * n + d }
        @inline(__always) func i3(_ a: Int, _ b: Int, _ c: Int) -> Int { (a * n + b) * n + c }
        // R = g^{bd} Ric_bd
        for bd in 0..<(n * n) { riccibar[bd] += scalarbar * ginv[bd]; ginvbar[bd] += scalarbar * ricci[bd] }
        // Ric_bd = g^{ac} R_abcd
        for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n {
            riemannbar[i4(a, b, c, d)] = riccibar[b * n + d] * ginv[a * n + c]
            ginvbar[a * n + c] += riccibar[b * n + d] * riemann[i4(a, b, c, d)]
        } } } }
        for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n {
            let rb = riemannbar[i4(a, b, c, d)]
            if rb == 0 { continue }
            let h = 0.5 * rb
            ddgbar[i4(a, d, b, c)] += h; ddgbar[i4(b, c, a, d)] += h
            ddgbar[i4(a, c, b, d)] -= h; ddgbar[i4(b, d, a, c)] -= h
            for e in 0..<n {
                gamma2bar[i3(e, b, c)] += rb * gamma1[i3(e, a, d)]
                gamma1bar[i3(e, a, d)] += rb * gamma2[i3(e, b, c)]
                gamma2bar[i3(e, b, d)] -= rb * gamma1[i3(e, a, c)]
                gamma1bar[i3(e, a, c)] -= rb * gamma2[i3(e, b, d)]
            }
        } } } }
        // Γ^k_ij = g^{kl} Γ_{l,ij}
        for k in 0..<n { for l in 0..<n {
            var s = 0.0
            for ij in 0..<(n * n) {
                let b2 = gamma2bar[k * n * n + ij]
                gamma1bar[l * n * n + ij] += ginv[k * n + l] * b2
                s += b2 * gamma1[l * n * n + ij]
            }
            ginvbar[k * n + l] += s
        } }
        // Γ_{k,ij} = ½(∂_i g_jk + ∂_j g_ik − ∂_k g_ij)
        for k in 0..<n { for i in 0..<n { for j in 0..<n {
            let h = 0.5 * gamma1bar[(k * n + i) * n + j]
            dgbar[(j * n + k) * n + i] += h; dgbar[(i * n + k) * n + j] += h; dgbar[(i * n + j) * n + k] -= h
        } } }
        // √det g: ∂/∂g_ij = ½√det g · g^{ji}
        for i in 0..<n { for j in 0..<n { gbar[i * n + j] += sqrtDetbar * 0.5 * sqrtDet * ginv[j * n + i] } }
        // g⁻¹: ḡ −= g⁻ᵀ·ḡinv·g⁻ᵀ
        for i in 0..<n { for j in 0..<n {
            var s = 0.0
            for a in 0..<n { for b in 0..<n { s += ginv[a * n + i] * ginvbar[a * n + b] * ginv[j * n + b] } }
            gbar[i * n + j] -= s
        } }
    }

    /// Writes the adjoints ḡ, ∂̄g, ∂̄²g into n² metric-jet adjoints (row-major).
    @inline(__always)
    public func storeAdjoint(_ jets: UnsafeMutablePointer<PointJet>) {
        for ij in 0..<(n * n) {
            var J = PointJet()
            J.v = gbar[ij]
            for k in 0..<n {
                J.setD(k, dgbar[ij * n + k])
                for l in 0..<n { J.setH(k, l, ddgbar[(ij * n + k) * n + l]) }
            }
            jets[ij] = J
        }
    }
}

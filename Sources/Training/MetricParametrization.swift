import Foundation

/// How network outputs h ∈ ℝ^O become a Riemannian metric g(x) on Tⁿ (n = 2, 3), as jets in x.
///
/// - `conformal`: g_ij = e^{u} δ_ij, one output u.
/// - `ldl`: g = L D Lᵀ with L unit lower triangular (strict lower entries from the first n(n−1)/2 outputs,
///   row-major) and D = diag(e^{d_k}) from the last n outputs: positive definite by construction; O = n(n+1)/2
///   (the layout of `nntheory ntk metric --metric ldl`).
/// - `additive`: g_ij = g^ref_ij + h_{u(i,j)}, a reference metric plus a symmetric correction from the upper
///   triangle in row-major order; O = n(n+1)/2. The reference is flat (δ) or a given conformal metric
///   e^{u_ref(x)}δ (`NeuralTorusMetric.reference`). Not positive definite by construction (guarded in training).
public enum MetricParametrization: String, Sendable, CaseIterable, Codable {
    case conformal, ldl, additive

    /// Number of network outputs that build the metric on an n-torus.
    public func outputCount(dimension n: Int) -> Int { self == .conformal ? 1 : n * (n + 1) / 2 }

    static func upperIndex(_ i: Int, _ j: Int, _ n: Int) -> Int {
        let (a, b) = (min(i, j), max(i, j))
        return a * n - a * (a - 1) / 2 + (b - a)
    }

    /// g_ij as jets (all n² entries, row-major, written to `g`) from the output jets `h`; `reference` is the jet
    /// of the reference conformal factor e^{u_ref} of `additive` (nil: 1).
    @inline(__always)
    func metric(_ h: UnsafePointer<PointJet>, n: Int, into g: UnsafeMutablePointer<PointJet>, reference: PointJet? = nil) {
        switch self {
        case .conformal:
            let e = PointJet.exp(h[0])
            for i in 0..<n { for j in 0..<n { g[i * n + j] = i == j ? e : PointJet() } }
        case .additive:
            for i in 0..<n { for j in 0..<n {
                var x = h[Self.upperIndex(i, j, n)]
                if i == j { if let r = reference { x = x + r } else { x.v += 1 } }
                g[i * n + j] = x
            } }
        case .ldl:
            let nl = n * (n - 1) / 2
            for i in 0..<n { for j in 0..<n {
                var s = PointJet()
                for k in 0...min(i, j) {
                    let e = PointJet.exp(h[nl + k])
                    let t = k == j ? e : e * h[Self.ldlIndex(j, k)]          // E_k L_jk
                    s = s + (k == i ? t : h[Self.ldlIndex(i, k)] * t)        // L_ik E_k L_jk
                }
                g[i * n + j] = s
            } }
        }
    }

    /// Adds to `hbar` the adjoint of the output jets given the adjoint `gbar` of the n² metric jets.
    @inline(__always)
    func metricAdjoint(_ h: UnsafePointer<PointJet>, n: Int, gbar: UnsafePointer<PointJet>, into hbar: UnsafeMutablePointer<PointJet>) {
        switch self {
        case .conformal:
            var ebar = PointJet()
            for i in 0..<n { ebar = ebar + gbar[i * n + i] }
            hbar[0] = hbar[0] + PointJet.expAdjoint(h[0], PointJet.exp(h[0]), ebar)
        case .additive:
            for i in 0..<n { for j in 0..<n {
                let u = Self.upperIndex(i, j, n)
                hbar[u] = hbar[u] + gbar[i * n + j]
            } }
        case .ldl:
            let nl = n * (n - 1) / 2
            for i in 0..<n { for j in 0..<n {
                let sbar = gbar[i * n + j]
                for k in 0...min(i, j) {
                    let e = PointJet.exp(h[nl + k])
                    let t = k == j ? e : e * h[Self.ldlIndex(j, k)]
                    var tbar = sbar
                    if k != i {
                        let (lbar, tb) = PointJet.productAdjoint(h[Self.ldlIndex(i, k)], t, sbar)
                        hbar[Self.ldlIndex(i, k)] = hbar[Self.ldlIndex(i, k)] + lbar
                        tbar = tb
                    }
                    var ebar = tbar
                    if k != j {
                        let (eb, lbar) = PointJet.productAdjoint(e, h[Self.ldlIndex(j, k)], tbar)
                        hbar[Self.ldlIndex(j, k)] = hbar[Self.ldlIndex(j, k)] + lbar
                        ebar = eb
                    }
                    hbar[nl + k] = hbar[nl + k] + PointJet.expAdjoint(h[nl + k], e, ebar)
                }
            } }
        }
    }

    /// Output index of L_ik (i > k) in the strict lower triangle, row-major.
    @inline(__always) static func ldlIndex(_ i: Int, _ k: Int) -> Int { i * (i - 1) / 2 + k }
}

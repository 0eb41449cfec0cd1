import Foundation
import NumericCore

/// How network outputs h ∈ ℝ^O become a symmetric n × n metric g(x) — the one metric parameterisation of nntheory
/// (metric-NTKs, torus metrics, and the metric flows built on them; 2310.19870).
///
/// - `components`: g_ij = h_{u(i,j)}, the upper triangle (i ≤ j) in row-major order; O = n(n+1)/2. Not positive
///   definite by construction.
/// - `conformal`: g_ij = e^{u} δ_ij, one output u.
/// - `ldl`: g = L D Lᵀ with L unit lower triangular (strict lower entries from the first n(n−1)/2 outputs,
///   row-major) and D = diag(e^{d_k}) from the last n outputs: positive definite by construction; O = n(n+1)/2.
/// - `additive`: g_ij = r(x)·δ_ij + h_{u(i,j)}, a reference metric plus a symmetric correction (upper triangle,
///   row-major); O = n(n+1)/2. The reference conformal factor r = e^{u_ref(x)} is given by the metric's owner
///   (`MetricNetwork.reference`; 1, i.e. flat δ, when absent). Not positive definite by construction.
/// - `kahlerPotential`: the hook for Kähler metrics g_{i\bar j} = g^ref_{i\bar j} + ∂_i∂̄_j φ from one real output φ
///   (cymetric's φ-model); it needs complex coordinates, so it is built by CYBridge's metrics, not on tori: the jet
///   and Jacobian maps here refuse it (`supportsRealCoordinates` is false).
public enum MetricParametrization: String, Sendable, CaseIterable, Codable {
    case components, conformal, ldl, additive, kahlerPotential

    /// Number of network outputs that build the metric on an n-manifold.
    public func outputCount(dimension n: Int) -> Int {
        switch self {
        case .conformal, .kahlerPotential: return 1
        default: return n * (n + 1) / 2
        }
    }

    /// Whether the metric is built from outputs at a point of a real manifold (every case but `kahlerPotential`).
    public var supportsRealCoordinates: Bool { self != .kahlerPotential }

    /// g(x) [n, n] from the outputs h (the first `outputCount` entries are used) and the reference conformal factor
    /// r (`additive` only; 1 when nil), with the Jacobian ∂g_ij/∂h_a as [n·n, O] (O = h.count; columns past the
    /// metric's outputs are zero).
    public func metric(outputs h: [Double], dimension n: Int, reference r: Double? = nil) -> (g: Matrix, dg: Matrix) {
        precondition(supportsRealCoordinates, "\(rawValue): needs complex coordinates")
        let O = h.count
        var g = Matrix(rows: n, cols: n), dg = Matrix(rows: n * n, cols: O)
        switch self {
        case .components, .additive:
            let ref = self == .additive ? (r ?? 1) : 0
            for i in 0..<n { for j in 0..<n {
                let u = Self.upperIndex(i, j, n)
                g[i, j] = h[u] + (i == j ? ref : 0)
                dg[i * n + j, u] = 1
            } }
        case .conformal:
            let e = Foundation.exp(h[0])
            for i in 0..<n { g[i, i] = e; dg[i * n + i, 0] = e }
        case .ldl:
            // Outputs: strict lower entries of L row-major (n(n−1)/2), then log D (n).
            let nl = n * (n - 1) / 2
            var L = Matrix.identity(n)
            var lIndex = [[Int]](repeating: [Int](repeating: -1, count: n), count: n)
            var c = 0
            for i in 0..<n { for j in 0..<i { L[i, j] = h[c]; lIndex[i][j] = c; c += 1 } }
            let D = (0..<n).map { Foundation.exp(h[nl + $0]) }
            // g_ij = Σ_k L_ik D_k L_jk
            for i in 0..<n { for j in 0..<n {
                var s = 0.0
                for k in 0..<n {
                    s += L[i, k] * D[k] * L[j, k]
                    // ∂/∂(log D_k): L_ik L_jk D_k
                    dg[i * n + j, nl + k] += L[i, k] * L[j, k] * D[k]
                    // ∂/∂L_ik (k < i) and ∂/∂L_jk (k < j)
                    if k < i { dg[i * n + j, lIndex[i][k]] += D[k] * L[j, k] }
                    if k < j { dg[i * n + j, lIndex[j][k]] += L[i, k] * D[k] }
                }
                g[i, j] = s
            } }
        case .kahlerPotential:
            break
        }
        return (g, dg)
    }

    /// Index of the upper-triangle entry (i ≤ j) of an n × n matrix in row-major order.
    public static func upperIndex(_ i: Int, _ j: Int, _ n: Int) -> Int {
        let (a, b) = (min(i, j), max(i, j))
        return a * n - a * (a - 1) / 2 + (b - a)
    }

    /// g_ij as jets (all n² entries, row-major, written to `g`) from the output jets `h`; `reference` is the jet
    /// of the reference conformal factor e^{u_ref} of `additive` (nil: 1).
    @inline(__always)
    public func metric(_ h: UnsafePointer<PointJet>, n: Int, into g: UnsafeMutablePointer<PointJet>, reference: PointJet? = nil) {
        switch self {
        case .components:
            for i in 0..<n { for j in 0..<n { g[i * n + j] = h[Self.upperIndex(i, j, n)] } }
        case .kahlerPotential:
            preconditionFailure("kahlerPotential: needs complex coordinates")
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
    public func metricAdjoint(_ h: UnsafePointer<PointJet>, n: Int, gbar: UnsafePointer<PointJet>, into hbar: UnsafeMutablePointer<PointJet>) {
        switch self {
        case .kahlerPotential:
            preconditionFailure("kahlerPotential: needs complex coordinates")
        case .components:
            for i in 0..<n { for j in 0..<n {
                let u = Self.upperIndex(i, j, n)
                hbar[u] = hbar[u] + gbar[i * n + j]
            } }
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

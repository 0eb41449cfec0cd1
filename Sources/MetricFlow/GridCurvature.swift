import Foundation
import NumericCore

/// The curvature of a `GridMetric`, pointwise from the pseudo-spectral first and second derivatives of g_ij.
///
/// Conventions (all indices 0…n−1, summation over repeated indices):
///
///     Γ_lij = ½(∂_i g_lj + ∂_j g_li − ∂_l g_ij),   Γ^k_ij = g^{kl} Γ_lij
///     ∂_m Γ^k_ij = −g^{ka} ∂_m g_ab Γ^b_ij + g^{kl} ½(∂_m∂_i g_lj + ∂_m∂_j g_li − ∂_m∂_l g_ij)
///     R_ij = ∂_k Γ^k_ij − ∂_j Γ^k_ik + Γ^k_kl Γ^l_ij − Γ^k_jl Γ^l_ik,   R = g^{ij} R_ij
///
/// (round sphere of radius r: R_ij = (n−1)/r²·g_ij). The DeTurck vector field against the flat background δ is
/// W^k = g^{pq}(Γ^k_pq − Γ̃^k_pq) = g^{pq}Γ^k_pq, with W_j = g_jk W^k = g^{pq}Γ_jpq and
/// ∇_i W_j = ∂_i W_j − Γ^k_ij W_k; for a conformal metric g = e^{u}δ it is W^k = (1 − n/2)e^{−u}∂_k u, zero in 2-D.
public struct GridCurvature: Sendable {
    /// The metric.
    public let metric: GridMetric
    /// g^{ij}, [M, n, n].
    public let inverse: [Double]
    /// √det g, [M].
    public let volumeDensity: [Double]
    /// ∂_a g_ij, [M, n(a), n, n].
    public let metricDerivative: [Double]
    /// Γ^k_ij, [M, n(k), n, n].
    public let christoffel: [Double]
    /// R_ij, [M, n, n].
    public let ricci: [Double]
    /// R, [M].
    public let scalar: [Double]
    /// W^k, [M, n].
    public let deTurck: [Double]
    /// ∇_i W_j + ∇_j W_i, [M, n, n].
    public let deTurckLieDerivative: [Double]

    /// Computes all of the above; the metric must be positive definite (see `GridMetric.validate`).
    public init(_ metric: GridMetric) {
        self.metric = metric
        let grid = metric.grid, n = grid.dimension, M = grid.count, n2 = n * n, n3 = n2 * n
        // Spectral derivatives of each independent component.
        var d1 = [Double](repeating: 0, count: M * n3)        // [M, a, i, j]
        var d2 = [Double](repeating: 0, count: M * n2 * n2)   // [M, a, b, i, j]
        for i in 0..<n { for j in i..<n {
            let f = (0..<M).map { metric.components[$0 * n2 + i * n + j] }
            let s = grid.spectrum(f)
            for a in 0..<n {
                let da = grid.derivative(fromSpectrum: s, axis: a)
                for p in 0..<M { d1[p * n3 + (a * n + i) * n + j] = da[p]; d1[p * n3 + (a * n + j) * n + i] = da[p] }
                for b in a..<n {
                    let dab = grid.secondDerivative(fromSpectrum: s, a, b)
                    for p in 0..<M {
                        let v = dab[p], base = p * n2 * n2
                        d2[base + ((a * n + b) * n + i) * n + j] = v; d2[base + ((a * n + b) * n + j) * n + i] = v
                        d2[base + ((b * n + a) * n + i) * n + j] = v; d2[base + ((b * n + a) * n + j) * n + i] = v
                    }
                }
            }
        } }
        var ginv = [Double](repeating: 0, count: M * n2), vol = [Double](repeating: 0, count: M)
        var gam = [Double](repeating: 0, count: M * n3), ric = [Double](repeating: 0, count: M * n2)
        var scal = [Double](repeating: 0, count: M), w = [Double](repeating: 0, count: M * n)
        var lie = [Double](repeating: 0, count: M * n2)
        let comps = metric.components
        parallelChunks(M, minimum: 256) { range in
            var gi = [Double](repeating: 0, count: n2), g1 = [Double](repeating: 0, count: n3)   // Γ_lij
            var dG = [Double](repeating: 0, count: n2 * n2)   // ∂_m Γ^k_ij as [m, k, i, j]
            var dG1 = [Double](repeating: 0, count: n2 * n2)  // ∂_m Γ_lij as [m, l, i, j]
            var G = [Double](repeating: 0, count: n3)
            for p in range {
                let g = { (i: Int, j: Int) in comps[p * n2 + i * n + j] }
                let D1 = { (a: Int, i: Int, j: Int) in d1[p * n3 + (a * n + i) * n + j] }
                let D2 = { (a: Int, b: Int, i: Int, j: Int) in d2[p * n2 * n2 + ((a * n + b) * n + i) * n + j] }
                // Inverse and determinant.
                var det: Double
                if n == 2 {
                    det = g(0, 0) * g(1, 1) - g(0, 1) * g(1, 0)
                    gi[0] = g(1, 1) / det; gi[3] = g(0, 0) / det; gi[1] = -g(0, 1) / det; gi[2] = gi[1]
                } else {
                    det = GridMetric.determinant3(comps, p * n2)
                    for i in 0..<3 { for j in 0..<3 {
                        let (i1, i2) = ((j + 1) % 3, (j + 2) % 3), (j1, j2) = ((i + 1) % 3, (i + 2) % 3)
                        gi[i * 3 + j] = (g(i1, j1) * g(i2, j2) - g(i1, j2) * g(i2, j1)) / det
                    } }
                }
                vol[p] = sqrt(det)
                for k in 0..<n2 { ginv[p * n2 + k] = gi[k] }
                // Christoffel symbols of the first and second kind.
                for l in 0..<n { for i in 0..<n { for j in 0..<n {
                    g1[(l * n + i) * n + j] = 0.5 * (D1(i, l, j) + D1(j, l, i) - D1(l, i, j))
                } } }
                for k in 0..<n { for i in 0..<n { for j in 0..<n {
                    var s = 0.0
                    for l in 0..<n { s += gi[k * n + l] * g1[(l * n + i) * n + j] }
                    G[(k * n + i) * n + j] = s
                } } }
                for k in 0..<n3 { gam[p * n3 + k] = G[k] }
                // ∂_m Γ_lij and ∂_m Γ^k_ij.
                for m in 0..<n { for l in 0..<n { for i in 0..<n { for j in 0..<n {
                    dG1[((m * n + l) * n + i) * n + j] = 0.5 * (D2(m, i, l, j) + D2(m, j, l, i) - D2(m, l, i, j))
                } } } }
                for m in 0..<n { for k in 0..<n { for i in 0..<n { for j in 0..<n {
                    var s = 0.0
                    for a in 0..<n {
                        var t = 0.0
                        for b in 0..<n { t += D1(m, a, b) * G[(b * n + i) * n + j] }
                        s += gi[k * n + a] * (dG1[((m * n + a) * n + i) * n + j] - t)
                    }
                    dG[((m * n + k) * n + i) * n + j] = s
                } } } }
                // Ricci tensor and scalar.
                var R = 0.0
                for i in 0..<n { for j in 0..<n {
                    var s = 0.0
                    for k in 0..<n {
                        s += dG[((k * n + k) * n + i) * n + j] - dG[((j * n + k) * n + i) * n + k]
                        for l in 0..<n {
                            s += G[(k * n + k) * n + l] * G[(l * n + i) * n + j] - G[(k * n + j) * n + l] * G[(l * n + i) * n + k]
                        }
                    }
                    ric[p * n2 + i * n + j] = s
                    R += gi[i * n + j] * s
                } }
                scal[p] = R
                // DeTurck field: W_j = g^{pq} Γ_jpq, W^k = g^{kj} W_j, ∂_i W_j = ∂_i g^{pq} Γ_jpq + g^{pq} ∂_i Γ_jpq.
                var Wl = [Double](repeating: 0, count: n)
                for j in 0..<n { var s = 0.0; for a in 0..<n { for b in 0..<n { s += gi[a * n + b] * g1[(j * n + a) * n + b] } }; Wl[j] = s }
                for k in 0..<n { var s = 0.0; for j in 0..<n { s += gi[k * n + j] * Wl[j] }; w[p * n + k] = s }
                var dW = [Double](repeating: 0, count: n2)   // ∂_i W_j
                for i in 0..<n { for j in 0..<n {
                    var s = 0.0
                    for a in 0..<n { for b in 0..<n {
                        var dginv = 0.0   // ∂_i g^{ab} = −g^{ac} ∂_i g_cd g^{db}
                        for c in 0..<n { for d in 0..<n { dginv -= gi[a * n + c] * D1(i, c, d) * gi[d * n + b] } }
                        s += dginv * g1[(j * n + a) * n + b] + gi[a * n + b] * dG1[((i * n + j) * n + a) * n + b]
                    } }
                    dW[i * n + j] = s
                } }
                for i in 0..<n { for j in 0..<n {
                    var s = dW[i * n + j] + dW[j * n + i]
                    for k in 0..<n { s -= 2 * G[(k * n + i) * n + j] * Wl[k] }
                    lie[p * n2 + i * n + j] = s
                } }
            }
        }
        inverse = ginv; volumeDensity = vol; metricDerivative = d1; christoffel = gam
        ricci = ric; scalar = scal; deTurck = w; deTurckLieDerivative = lie
    }

    /// The velocity of the Ricci–DeTurck flow against the flat background, ∂_t g_ij = −2R_ij + ∇_i W_j + ∇_j W_i,
    /// [M, n, n]. Its principal part is g^{ab}∂_a∂_b g_ij (strictly parabolic); it differs from Ricci flow
    /// ∂_t g = −2 Ric by the Lie derivative along W, i.e. by the diffeomorphisms W generates (Hamilton–DeTurck).
    public var ricciDeTurckVelocity: [Double] {
        (0..<ricci.count).map { -2 * ricci[$0] + deTurckLieDerivative[$0] }
    }

    /// The Hessian ∇_i∇_j f = ∂_i∂_j f − Γ^k_ij ∂_k f of a scalar field, [M, n, n], and its gradient ∂_k f, [M, n].
    public func hessian(_ f: [Double]) -> (hessian: [Double], gradient: [Double]) {
        let grid = metric.grid, n = grid.dimension, M = grid.count, n2 = n * n
        let s = grid.spectrum(f)
        var df = [Double](repeating: 0, count: M * n), h = [Double](repeating: 0, count: M * n2)
        for a in 0..<n { let d = grid.derivative(fromSpectrum: s, axis: a); for p in 0..<M { df[p * n + a] = d[p] } }
        for a in 0..<n { for b in a..<n {
            let d = grid.secondDerivative(fromSpectrum: s, a, b)
            for p in 0..<M { h[p * n2 + a * n + b] = d[p]; h[p * n2 + b * n + a] = d[p] }
        } }
        for p in 0..<M { for i in 0..<n { for j in 0..<n {
            var t = 0.0
            for k in 0..<n { t += christoffel[p * n * n2 + (k * n + i) * n + j] * df[p * n + k] }
            h[p * n2 + i * n + j] -= t
        } } }
        return (h, df)
    }

    /// The Laplace–Beltrami operator Δ_g f = g^{ij}∇_i∇_j f = (1/√g) ∂_i(√g g^{ij} ∂_j f).
    public func laplacian(_ f: [Double]) -> [Double] {
        let n = metric.grid.dimension, n2 = n * n
        let h = hessian(f).hessian
        return (0..<metric.grid.count).map { p in
            var s = 0.0
            for k in 0..<n2 { s += inverse[p * n2 + k] * h[p * n2 + k] }
            return s
        }
    }

    /// |∇f|²_g = g^{ij}∂_i f ∂_j f.
    public func gradientNormSquared(_ gradient: [Double]) -> [Double] {
        let n = metric.grid.dimension, n2 = n * n
        return (0..<metric.grid.count).map { p in
            var s = 0.0
            for i in 0..<n { for j in 0..<n { s += inverse[p * n2 + i * n + j] * gradient[p * n + i] * gradient[p * n + j] } }
            return s
        }
    }

    /// |T|²_g = g^{ac}g^{bd}T_ab T_cd of a symmetric tensor field [M, n, n].
    public func tensorNormSquared(_ t: [Double]) -> [Double] {
        let n = metric.grid.dimension, n2 = n * n
        return (0..<metric.grid.count).map { p in
            var s = 0.0
            for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n {
                s += inverse[p * n2 + a * n + c] * inverse[p * n2 + b * n + d] * t[p * n2 + a * n + b] * t[p * n2 + c * n + d]
            } } } }
            return s
        }
    }
}

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
        // Raw pointers: the pointwise algebra below runs M times per velocity evaluation.
        let out = [ginv, vol, gam, ric, scal, w, lie].map { a -> SendablePointer<Double> in
            let q = UnsafeMutablePointer<Double>.allocate(capacity: a.count); q.initialize(repeating: 0, count: a.count); return SendablePointer(q)
        }
        defer { out.forEach { $0.pointer.deallocate() } }
        comps.withUnsafeBufferPointer { pc in d1.withUnsafeBufferPointer { p1 in d2.withUnsafeBufferPointer { p2 in
            let C = SendablePointer(readOnly: pc.baseAddress!), P1 = SendablePointer(readOnly: p1.baseAddress!), P2 = SendablePointer(readOnly: p2.baseAddress!)
            parallelChunks(M, minimum: 256) { range in
                Self.pointwise(range, n: n, g0: C.pointer, d1: P1.pointer, d2: P2.pointer, ginv: out[0].pointer, vol: out[1].pointer,
                               gam: out[2].pointer, ric: out[3].pointer, scal: out[4].pointer, w: out[5].pointer, lie: out[6].pointer)
            }
        } } }
        ginv = Array(UnsafeBufferPointer(start: out[0].pointer, count: ginv.count))
        vol = Array(UnsafeBufferPointer(start: out[1].pointer, count: vol.count))
        gam = Array(UnsafeBufferPointer(start: out[2].pointer, count: gam.count))
        ric = Array(UnsafeBufferPointer(start: out[3].pointer, count: ric.count))
        scal = Array(UnsafeBufferPointer(start: out[4].pointer, count: scal.count))
        w = Array(UnsafeBufferPointer(start: out[5].pointer, count: w.count))
        lie = Array(UnsafeBufferPointer(start: out[6].pointer, count: lie.count))
        inverse = ginv; volumeDensity = vol; metricDerivative = d1; christoffel = gam
        ricci = ric; scalar = scal; deTurck = w; deTurckLieDerivative = lie
    }

    /// The pointwise algebra of `init` for the points in `range` (inputs g, ∂g, ∂∂g; outputs as the properties).
    static func pointwise(_ range: Range<Int>, n: Int, g0: UnsafeMutablePointer<Double>, d1: UnsafeMutablePointer<Double>,
                          d2: UnsafeMutablePointer<Double>, ginv: UnsafeMutablePointer<Double>, vol: UnsafeMutablePointer<Double>,
                          gam: UnsafeMutablePointer<Double>, ric: UnsafeMutablePointer<Double>, scal: UnsafeMutablePointer<Double>,
                          w: UnsafeMutablePointer<Double>, lie: UnsafeMutablePointer<Double>) {
        let n2 = n * n, n3 = n2 * n, n4 = n2 * n2
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n4 + 2 * n3 + 2 * n2 + n)
        defer { scratch.deallocate() }
        let g1 = scratch, G = scratch + n3, dG1 = scratch + 2 * n3, dG = dG1 + n4, dW = dG + n4, dgi = dW + n2, Wl = dgi + n2
        for p in range {
            let g = g0 + p * n2, D1 = d1 + p * n3, D2 = d2 + p * n4, gi = ginv + p * n2
            // Inverse and determinant.
            let det: Double
            if n == 2 {
                det = g[0] * g[3] - g[1] * g[2]
                gi[0] = g[3] / det; gi[3] = g[0] / det; gi[1] = -g[1] / det; gi[2] = gi[1]
            } else {
                det = g[0] * (g[4] * g[8] - g[5] * g[7]) - g[1] * (g[3] * g[8] - g[5] * g[6]) + g[2] * (g[3] * g[7] - g[4] * g[6])
                for i in 0..<3 { for j in 0..<3 {
                    let (i1, i2) = ((j + 1) % 3, (j + 2) % 3), (j1, j2) = ((i + 1) % 3, (i + 2) % 3)
                    gi[i * 3 + j] = (g[i1 * 3 + j1] * g[i2 * 3 + j2] - g[i1 * 3 + j2] * g[i2 * 3 + j1]) / det
                } }
            }
            vol[p] = det.squareRoot()
            // Christoffel symbols of the first kind Γ_lij (index (l·n + i)·n + j) and second kind Γ^k_ij.
            for l in 0..<n { for i in 0..<n { for j in 0..<n {
                g1[(l * n + i) * n + j] = 0.5 * (D1[(i * n + l) * n + j] + D1[(j * n + l) * n + i] - D1[(l * n + i) * n + j])
            } } }
            for k in 0..<n { for i in 0..<n { for j in 0..<n {
                var s = 0.0
                for l in 0..<n { s += gi[k * n + l] * g1[(l * n + i) * n + j] }
                G[(k * n + i) * n + j] = s; gam[p * n3 + (k * n + i) * n + j] = s
            } } }
            // ∂_m Γ_lij = ½(∂_m∂_i g_lj + ∂_m∂_j g_li − ∂_m∂_l g_ij) and ∂_m Γ^k_ij = g^{ka}(∂_m Γ_aij − ∂_m g_ab Γ^b_ij).
            for m in 0..<n { for l in 0..<n { for i in 0..<n { for j in 0..<n {
                dG1[((m * n + l) * n + i) * n + j] = 0.5 * (D2[((m * n + i) * n + l) * n + j] + D2[((m * n + j) * n + l) * n + i] - D2[((m * n + l) * n + i) * n + j])
            } } } }
            for m in 0..<n { for k in 0..<n { for i in 0..<n { for j in 0..<n {
                var s = 0.0
                for a in 0..<n {
                    var t = 0.0
                    for b in 0..<n { t += D1[(m * n + a) * n + b] * G[(b * n + i) * n + j] }
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
                    for l in 0..<n { s += G[(k * n + k) * n + l] * G[(l * n + i) * n + j] - G[(k * n + j) * n + l] * G[(l * n + i) * n + k] }
                }
                ric[p * n2 + i * n + j] = s
                R += gi[i * n + j] * s
            } }
            scal[p] = R
            // DeTurck field: W_j = g^{pq}Γ_jpq, W^k = g^{kj}W_j, ∂_i W_j = ∂_i g^{pq} Γ_jpq + g^{pq} ∂_i Γ_jpq.
            for j in 0..<n { var s = 0.0; for a in 0..<n { for b in 0..<n { s += gi[a * n + b] * g1[(j * n + a) * n + b] } }; Wl[j] = s }
            for k in 0..<n { var s = 0.0; for j in 0..<n { s += gi[k * n + j] * Wl[j] }; w[p * n + k] = s }
            for i in 0..<n {
                // ∂_i g^{ab} = −g^{ac} ∂_i g_cd g^{db}.
                for a in 0..<n { for b in 0..<n {
                    var t = 0.0
                    for c in 0..<n { for d in 0..<n { t -= gi[a * n + c] * D1[(i * n + c) * n + d] * gi[d * n + b] } }
                    dgi[a * n + b] = t
                } }
                for j in 0..<n {
                    var s = 0.0
                    for a in 0..<n { for b in 0..<n { s += dgi[a * n + b] * g1[(j * n + a) * n + b] + gi[a * n + b] * dG1[((i * n + j) * n + a) * n + b] } }
                    dW[i * n + j] = s
                }
            }
            for i in 0..<n { for j in 0..<n {
                var s = dW[i * n + j] + dW[j * n + i]
                for k in 0..<n { s -= 2 * G[(k * n + i) * n + j] * Wl[k] }
                lie[p * n2 + i * n + j] = s
            } }
        }
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

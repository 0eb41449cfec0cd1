import CYBridge
import NumericCore
import Numerics

/// The Kähler loss of a chart-wise metric model (Anderson et al., arXiv 2012.04656; cymetric, arXiv 2205.13408):
/// ω = (i/2) g_ab̄ dx^a ∧ dx̄^b is closed iff the torsion T_abc = ∂_c g_ab̄ − ∂_a g_cb̄ vanishes (the dx̄-derivatives
/// follow by Hermiticity), so
///
///     L_K = mean over points of Σ_{a,b,c} |T_abc|²,
///
/// CYBridge's `KahlerMeasure` (there by finite differences, here exactly). The holomorphic derivative along the chart,
/// ∂_c = Σ_k J_ck ∂/∂z_k with ∂/∂z_k = ½(∂/∂x_k − i ∂/∂y_k) on the network's real inputs (x, y) = (Re z, Im z) and J the
/// pullback Jacobian, acts on the outputs through their first-order jets. The reference metric is Kähler, so the
/// torsion of g_ref + H is that of H, and of g_ref ⊙ (1 + H) that of g_ref ⊙ H, which needs ∂_c g_ref
/// (`referenceDerivatives`).
public enum KahlerLoss {
    /// Σ_abc |T_abc|² of the derivatives d[c][a][b] = ∂_c g_ab̄ (n³, row-major), and with `adjoint` the coefficients
    /// E_cab = T_abc − T_cba of dL = 2 Re Σ_cab conj(E_cab) d(∂_c g_ab̄).
    @inline(__always)
    public static func torsionNorm(_ d: UnsafePointer<ComplexDouble>, _ n: Int, adjoint e: UnsafeMutablePointer<ComplexDouble>?) -> Double {
        @inline(__always) func t(_ a: Int, _ b: Int, _ c: Int) -> ComplexDouble { d[(c * n + a) * n + b] - d[(a * n + c) * n + b] }
        var s = 0.0
        for a in 0..<n { for b in 0..<n { for c in 0..<n { s += t(a, b, c).lengthSquared } } }
        if let e {
            for c in 0..<n { for a in 0..<n { for b in 0..<n { e[(c * n + a) * n + b] = t(a, b, c) - t(c, b, a) } } }
        }
        return s
    }

    /// ∂_c g^ref_ab̄ at every point of a sample in its own chart, [N, n, n, n] ([c][a][b]), by Richardson-extrapolated
    /// central differences of the chart metric `reference` (CYBridge's `KahlerMeasure.derivatives` at steps h and
    /// 2h, h = 1e-3·max(1, |x|): (4D_h − D_2h)/3, truncation O(h⁴) ≈ 1e-12 relative). Only the multiplicative model's
    /// Kähler loss needs them (g_ref is not a network output, so no jet of it exists). Points whose chart fails get 0.
    public static func referenceDerivatives(_ s: PointSample, reference: @escaping ChartMetric, threads: Int? = nil) -> [ComplexDouble] {
        let n = s.variety.dimension, m = n * n * n
        var out = [ComplexDouble](repeating: .zero, count: s.count * m)
        out.withUnsafeMutableBufferPointer { ob in
            nonisolated(unsafe) let o = ob.baseAddress!
            parallelChunks(s.count, minimum: 64, threads: threads) { range in
                for i in range {
                    let chart = LocalChart(sample: s, index: i)
                    let h = 1e-3 * max(1, chart.centerCoordinates.map { $0.length }.max() ?? 1)
                    guard let d1 = KahlerMeasure.derivatives(chart, metric: reference, step: h),
                          let d2 = KahlerMeasure.derivatives(chart, metric: reference, step: 2 * h) else { continue }
                    for e in 0..<m { o[i * m + e] = (d1[e] * ComplexDouble(4, 0) - d2[e]) / ComplexDouble(3, 0) }
                }
            }
        }
        return out
    }
}

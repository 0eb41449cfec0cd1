import NumericCore
import Numerics

/// The Kähler measure of a chart-wise metric model (the Kähler loss of Anderson et al., arXiv 2012.04656, as
/// implemented in cymetric, arXiv 2205.13408): a Hermitian
/// metric is Kähler iff dω = 0, i.e. c_{ab̄c} = c_{cb̄a} with c_{ab̄c} = ∂_c g_ab̄ (holomorphic derivative in the local
/// coordinates). Here
///   L = mean over points of Σ_{a,b,c} |∂_c g_ab̄ − ∂_a g_cb̄|²
/// (cymetric's loss with exponent 2, unweighted), with ∂_c = ½(∂/∂Re x_c − i ∂/∂Im x_c) by central differences in
/// the point's chart (`LocalChart`, step h = 1e-4·max(1, |x|)). L = 0 for FS and algebraic metrics up to the
/// O(h²) truncation error of the differences (relative 1e-6…1e-8 per entry; larger where the chart is ill-conditioned).
public enum KahlerMeasure {
    /// The n³ numbers c_{ab̄c} − c_{cb̄a} at the centre of a chart (row-major [a][b][c]); nil if the chart fails.
    public static func torsion(_ chart: LocalChart, metric: ChartMetric, step: Double? = nil) -> [ComplexDouble]? {
        guard let dg = derivatives(chart, metric: metric, step: step) else { return nil }
        let n = chart.variety.dimension
        var out = [ComplexDouble](repeating: .zero, count: n * n * n)
        for a in 0..<n { for b in 0..<n { for c in 0..<n {
            out[(a * n + b) * n + c] = dg[c * n * n + a * n + b] - dg[a * n * n + c * n + b]
        } } }
        return out
    }

    /// ∂_c g_ab̄ at the centre of a chart, row-major [c][a][b], by central differences; nil if the chart fails.
    public static func derivatives(_ chart: LocalChart, metric: ChartMetric, step: Double? = nil) -> [ComplexDouble]? {
        let n = chart.variety.dimension
        let x0 = chart.centerCoordinates
        let h = step ?? 1e-4 * max(1, x0.map { $0.length }.max() ?? 1)
        func g(_ x: [ComplexDouble]) -> [ComplexDouble]? {
            guard let z = chart.point(at: x) else { return nil }
            return metric(z, chart.patch, chart.dependent)
        }
        var dg = [ComplexDouble](repeating: .zero, count: n * n * n)   // [c][a][b] = ∂_c g_ab̄
        for c in 0..<n {
            var xp = x0, xm = x0, yp = x0, ym = x0
            xp[c] = xp[c] + ComplexDouble(h, 0); xm[c] = xm[c] - ComplexDouble(h, 0)
            yp[c] = yp[c] + ComplexDouble(0, h); ym[c] = ym[c] - ComplexDouble(0, h)
            guard let gxp = g(xp), let gxm = g(xm), let gyp = g(yp), let gym = g(ym) else { return nil }
            for e in 0..<(n * n) {
                let dRe = (gxp[e] - gxm[e]) / ComplexDouble(2 * h, 0), dIm = (gyp[e] - gym[e]) / ComplexDouble(2 * h, 0)
                dg[c * n * n + e] = (dRe - ComplexDouble(0, 1) * dIm) * ComplexDouble(0.5, 0)
            }
        }
        return dg
    }

    /// L for the first `count` points of a sample (points whose chart fails are skipped).
    public static func measure(_ s: PointSample, metric: ChartMetric, count: Int? = nil) -> Double {
        var total = 0.0, m = 0
        for i in 0..<min(count ?? s.count, s.count) {
            guard let t = torsion(LocalChart(sample: s, index: i), metric: metric) else { continue }
            total += t.reduce(0) { $0 + $1.lengthSquared }
            m += 1
        }
        return m > 0 ? total / Double(m) : .nan
    }
}

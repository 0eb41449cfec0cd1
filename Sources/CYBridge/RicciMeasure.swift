import Foundation
import NumericCore
import Numerics

/// Ricci scalar and Ricci measure (cymetric's definitions, arXiv 2111.01436, 2205.13408).
///
/// Convention: Ric_ab̄ = −∂_a∂̄_b log det g and the scalar R = g^{ab̄} Ric_ab̄ (standard sign; the round
/// metric has R > 0). cymetric's "Ricci scalar" is R_cym = tr(g⁻¹ ∂∂̄ log det g) = −R.
/// The Ricci measure is cymetric's: ‖R‖ = Vol_K^{1/n}/Vol_CY · mean_i(w_i (det g_i/|Ω_i|²) |R_i|).
///
/// Derivatives here are central finite differences in the local chart (`LocalChart`):
/// ∂_a∂̄_b F = ¼[F_{x_a x_b} + F_{y_a y_b} + i(F_{x_a y_b} − F_{y_a x_b})] with step h (default 1e-3·max(1,|x|)),
/// Richardson-extrapolated from h and h/2 (truncation O(h⁴), rounding O(ε/h²) ≈ 1e-9 relative). For metrics with
/// analytic derivatives (FS, algebraic metrics) `AlgebraicMetric.ricciScalars` is the exact route; this one takes any
/// `MetricFunction`.
public enum RicciMeasure {
    /// A metric given as a function of a point z of X and its pullback Jacobian J (n×D) → the n×n matrix g_ab̄.
    public typealias MetricFunction = @Sendable (_ z: [ComplexDouble], _ jacobian: [ComplexDouble]) -> [ComplexDouble]

    /// The pulled-back FS metric as a `MetricFunction`.
    public static func fubiniStudyMetric(variety v: Variety, kahler t: [Double]) -> MetricFunction {
        { z, jac in
            let n = v.dimension, f = v.ambient.factorCount
            var gr = [ComplexDouble](repeating: .zero, count: f * n * n), u = [ComplexDouble](repeating: .zero, count: n + 1)
            z.withUnsafeBufferPointer { pz in jac.withUnsafeBufferPointer { pj in gr.withUnsafeMutableBufferPointer { pg in u.withUnsafeMutableBufferPointer { pu in
                FubiniStudy.pullbackFactorMetrics(point: pz.baseAddress!, jacobian: pj.baseAddress!, variety: v, out: pg.baseAddress!, scratch: pu.baseAddress!)
            } } } }
            var g = [ComplexDouble](repeating: .zero, count: n * n)
            for r in 0..<f { for e in 0..<(n * n) { g[e] = g[e] + gr[r * n * n + e] * ComplexDouble(t[r], 0) } }
            return g
        }
    }

    /// log det g at the point of the chart with local coordinates x.
    static func logDet(_ chart: LocalChart, _ x: [ComplexDouble], _ metric: MetricFunction) -> Double? {
        guard let z = chart.point(at: x) else { return nil }
        let (jac, _) = PullbackJacobian.jacobian(variety: chart.variety, point: z, patch: chart.patch, dependent: chart.dependent)
        var g = metric(z, jac)
        let n = chart.variety.dimension
        let det = g.withUnsafeMutableBufferPointer { SmallComplexLinearAlgebra.determinant($0.baseAddress!, n) }.real
        return det > 0 ? log(det) : nil
    }

    /// ∂_a∂̄_b log det g (n×n, row-major) at the chart's centre by central differences.
    public static func logDetHessian(_ chart: LocalChart, metric: MetricFunction, step: Double? = nil) -> [ComplexDouble]? {
        let n = chart.variety.dimension
        let x0 = chart.centerCoordinates
        let h = step ?? 1e-3 * max(1, x0.map { $0.length }.max() ?? 1)
        // real directions: 0..<n → x_a, n..<2n → y_a
        func dir(_ i: Int) -> [ComplexDouble] {
            var e = [ComplexDouble](repeating: .zero, count: n)
            e[i % n] = i < n ? ComplexDouble(h, 0) : ComplexDouble(0, h)
            return e
        }
        func shifted(_ u: [ComplexDouble], _ su: Double, _ v: [ComplexDouble], _ sv: Double) -> [ComplexDouble] {
            (0..<n).map { x0[$0] + u[$0] * ComplexDouble(su, 0) + v[$0] * ComplexDouble(sv, 0) }
        }
        var hess = [Double](repeating: 0, count: 4 * n * n)   // real Hessian of F in (x, y), 2n×2n
        guard let f0 = logDet(chart, x0, metric) else { return nil }
        for i in 0..<(2 * n) {
            for j in i..<(2 * n) {
                let u = dir(i), v = dir(j)
                let val: Double
                if i == j {
                    guard let fp = logDet(chart, shifted(u, 1, u, 0), metric), let fm = logDet(chart, shifted(u, -1, u, 0), metric) else { return nil }
                    val = (fp - 2 * f0 + fm) / (h * h)
                } else {
                    guard let fpp = logDet(chart, shifted(u, 1, v, 1), metric), let fpm = logDet(chart, shifted(u, 1, v, -1), metric),
                          let fmp = logDet(chart, shifted(u, -1, v, 1), metric), let fmm = logDet(chart, shifted(u, -1, v, -1), metric) else { return nil }
                    val = (fpp - fpm - fmp + fmm) / (4 * h * h)
                }
                hess[i * 2 * n + j] = val; hess[j * 2 * n + i] = val
            }
        }
        var out = [ComplexDouble](repeating: .zero, count: n * n)
        for a in 0..<n { for b in 0..<n {
            let xx = hess[a * 2 * n + b], yy = hess[(n + a) * 2 * n + n + b]
            let xy = hess[a * 2 * n + n + b], yx = hess[(n + a) * 2 * n + b]
            out[a * n + b] = ComplexDouble(0.25 * (xx + yy), 0.25 * (xy - yx))
        } }
        return out
    }

    /// Standard Ricci scalar R = −g^{ab̄} ∂_a∂̄_b log det g at the chart's centre (nil if the chart fails).
    /// With `richardson` (default) the Hessian is extrapolated from steps h and h/2, (4H(h/2) − H(h))/3, which
    /// cancels the O(h²) truncation error (remaining O(h⁴) + rounding O(ε/h²)).
    public static func ricciScalar(_ chart: LocalChart, metric: MetricFunction, step: Double? = nil, richardson: Bool = true) -> Double? {
        let n = chart.variety.dimension
        let h = step ?? 1e-3 * max(1, chart.centerCoordinates.map { $0.length }.max() ?? 1)
        guard var ddF = logDetHessian(chart, metric: metric, step: h) else { return nil }
        if richardson {
            guard let half = logDetHessian(chart, metric: metric, step: h / 2) else { return nil }
            for e in 0..<(n * n) { ddF[e] = (half[e] * ComplexDouble(4, 0) - ddF[e]) / ComplexDouble(3, 0) }
        }
        let (jac, _) = PullbackJacobian.jacobian(variety: chart.variety, point: chart.center, patch: chart.patch, dependent: chart.dependent)
        var g = metric(chart.center, jac)
        // solve g X = ddF^T ... R = −Σ_{a,b} (g⁻¹)_{ba} ddF_{ab}: with g_{ab̄}, g^{b̄a} = (g⁻¹)_{ba}
        var rhs = ddF
        let det = g.withUnsafeMutableBufferPointer { pg in rhs.withUnsafeMutableBufferPointer { SmallComplexLinearAlgebra.solve(pg.baseAddress!, n, $0.baseAddress!, n) } }
        guard det != .zero else { return nil }
        // rhs = g⁻¹ ddF; tr(g⁻¹ ddF) = Σ_a rhs_aa
        var tr = ComplexDouble.zero
        for a in 0..<n { tr = tr + rhs[a * n + a] }
        return -tr.real
    }

    /// Ricci scalars of a metric at the first `count` points of a sample (parallel; nil entries → NaN).
    public static func ricciScalars(_ s: PointSample, metric: MetricFunction, count: Int? = nil, threads: Int? = nil) -> [Double] {
        let m = min(count ?? s.count, s.count)
        var out = [Double](repeating: .nan, count: m)
        out.withUnsafeMutableBufferPointer { po in
            let box = SendablePointer(po.baseAddress!)
            parallelChunks(m, minimum: 32, threads: threads) { range in
                for i in range { box.pointer[i] = ricciScalar(LocalChart(sample: s, index: i), metric: metric) ?? .nan }
            }
        }
        return out
    }

    /// ‖R‖ = Vol_K^{1/n}/Vol_CY · mean_i(w_i det g_i/|Ω_i|² |R_i|) over the points with finite R_i
    /// (Vol_K, Vol_CY from the same points).
    public static func measure(weights w: [Double], omegaSquared o: [Double], determinants det: [Double], ricci r: [Double], dimension n: Int) -> Double {
        var sw = 0.0, sk = 0.0, sr = 0.0, c = 0
        for i in 0..<r.count where r[i].isFinite {
            sw += w[i]; sk += w[i] * det[i] / o[i]; sr += w[i] * det[i] / o[i] * abs(r[i]); c += 1
        }
        let volK = sk / Double(c), volCY = sw / Double(c)
        return pow(volK, 1 / Double(n)) / volCY * sr / Double(c)
    }
}

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

    /// The default step of the differences at a chart: h = 1e-3·max(1, max_a |x_a|).
    public static func defaultStep(_ chart: LocalChart) -> Double {
        1e-3 * max(1, chart.centerCoordinates.map { $0.length }.max() ?? 1)
    }

    /// A finite-difference stencil for the complex Hessian ∂_a∂̄_b F at a chart's centre: local coordinates x_s of the
    /// nodes (node 0 is the centre) and complex weights C_s [n, n] with ∂_a∂̄_b F ≈ Σ_s (C_s)_ab F(x_s).
    ///
    /// From the real Hessian H of F in the 2n real coordinates (x_a = Re, y_a = Im of the local coordinates) by
    /// central differences with step h — H_uu = (F(+e_u) − 2F(0) + F(−e_u))/h², H_uv = (F(e_u + e_v) − F(e_u − e_v) −
    /// F(−e_u + e_v) + F(−e_u − e_v))/(4h²) — and ∂_a∂̄_b F = ¼[H_{x_a x_b} + H_{y_a y_b} + i(H_{x_a y_b} − H_{y_a x_b})].
    /// With `richardson` the weights are (4 C(h/2) − C(h))/3 over the nodes of both steps, which cancels the O(h²)
    /// truncation (remaining O(h⁴) + rounding O(ε/h²)). 1 + 4n + 4n(2n − 1) nodes per step (73 for n = 3), the centre
    /// shared. F is linear in the weights, so a loss built from the stencil (`RicciLoss`) differentiates node by node.
    public struct Stencil: Sendable {
        /// Local coordinates of the nodes, [S][n]; node 0 is the centre.
        public let nodes: [[ComplexDouble]]
        /// Weights [S, n, n] (row-major per node).
        public let weights: [ComplexDouble]
        /// The complex dimension n.
        public let dimension: Int

        /// The stencil at `chart`'s centre with step `step` (default `RicciMeasure.defaultStep`), Richardson-extrapolated
        /// from h and h/2 unless `richardson` is false.
        public init(chart: LocalChart, step: Double? = nil, richardson: Bool = true) {
            let n = chart.variety.dimension, x0 = chart.centerCoordinates, nn = n * n
            let h = step ?? RicciMeasure.defaultStep(chart)
            var nodes: [[ComplexDouble]] = [x0], w = [ComplexDouble](repeating: .zero, count: nn)
            // The weight of real Hessian entry (u, v) in ∂_a∂̄_b: u, v < 2n (0..<n → x_a, n..<2n → y_a).
            func addReal(_ u: Int, _ v: Int, _ c: Double, node s: Int) {
                // ∂_a∂̄_b gets ¼H_{x_a x_b}, ¼H_{y_a y_b}, (i/4)H_{x_a y_b}, −(i/4)H_{y_a x_b}.
                let (ua, ub) = (u % n, v % n)
                let k = ComplexDouble(0.25 * c, 0)
                switch (u < n, v < n) {
                case (true, true), (false, false): w[s * nn + ua * n + ub] = w[s * nn + ua * n + ub] + k
                case (true, false): w[s * nn + ua * n + ub] = w[s * nn + ua * n + ub] + ComplexDouble(0, 0.25 * c)
                case (false, true): w[s * nn + ua * n + ub] = w[s * nn + ua * n + ub] - ComplexDouble(0, 0.25 * c)
                }
            }
            func node(_ terms: [(Int, Double)], _ hh: Double) -> Int {
                var x = x0
                for (u, sgn) in terms { x[u % n] = x[u % n] + (u < n ? ComplexDouble(sgn * hh, 0) : ComplexDouble(0, sgn * hh)) }
                nodes.append(x); w.append(contentsOf: repeatElement(.zero, count: nn))
                return nodes.count - 1
            }
            let steps: [(Double, Double)] = richardson ? [(h, -1.0 / 3), (h / 2, 4.0 / 3)] : [(h, 1)]
            for (hh, scale) in steps {
                let inv = scale / (hh * hh)
                for u in 0..<(2 * n) {
                    // H_uu (symmetric: it enters ∂_a∂̄_b once, as (u, u)).
                    let p = node([(u, 1)], hh), m = node([(u, -1)], hh)
                    addReal(u, u, inv, node: p); addReal(u, u, inv, node: m); addReal(u, u, -2 * inv, node: 0)
                    for v in (u + 1)..<max(u + 1, 2 * n) {
                        let pp = node([(u, 1), (v, 1)], hh), pm = node([(u, 1), (v, -1)], hh)
                        let mp = node([(u, -1), (v, 1)], hh), mm = node([(u, -1), (v, -1)], hh)
                        for (s, c) in [(pp, 0.25), (pm, -0.25), (mp, -0.25), (mm, 0.25)] {
                            addReal(u, v, c * inv, node: s); addReal(v, u, c * inv, node: s)
                        }
                    }
                }
            }
            self.nodes = nodes; weights = w; dimension = n
        }

        /// Σ_s C_s F_s for values F_s at the nodes (nil entries are not allowed: every node must be evaluated).
        public func contract(_ values: [Double]) -> [ComplexDouble] {
            let nn = dimension * dimension
            var out = [ComplexDouble](repeating: .zero, count: nn)
            for s in 0..<nodes.count where values[s] != 0 {
                let f = ComplexDouble(values[s], 0)
                for e in 0..<nn { out[e] = out[e] + weights[s * nn + e] * f }
            }
            return out
        }
    }

    /// ∂_a∂̄_b log det g (n×n, row-major) at the chart's centre by central differences (`Stencil`, one step h unless
    /// `richardson`); nil when a node is off the chart or g is not positive definite there.
    public static func logDetHessian(_ chart: LocalChart, metric: MetricFunction, step: Double? = nil, richardson: Bool = false) -> [ComplexDouble]? {
        let st = Stencil(chart: chart, step: step, richardson: richardson)
        var f = [Double](repeating: 0, count: st.nodes.count)
        for s in 0..<st.nodes.count {
            guard let v = logDet(chart, st.nodes[s], metric) else { return nil }
            f[s] = v
        }
        return st.contract(f)
    }

    /// R = −g^{ab̄} ∂_a∂̄_b log det g = −Re tr(g⁻¹ D) from g_ab̄ and D = ∂∂̄ log det g at one point (nil when g is singular).
    public static func scalar(metric g: [ComplexDouble], logDetHessian ddF: [ComplexDouble], dimension n: Int) -> Double? {
        var g = g, rhs = ddF
        // rhs = g⁻¹ D; with g_ab̄, g^{b̄a} = (g⁻¹)_ba, so R = −Σ_a (g⁻¹D)_aa.
        let det = g.withUnsafeMutableBufferPointer { pg in rhs.withUnsafeMutableBufferPointer { SmallComplexLinearAlgebra.solve(pg.baseAddress!, n, $0.baseAddress!, n) } }
        guard det != .zero else { return nil }
        var tr = ComplexDouble.zero
        for a in 0..<n { tr = tr + rhs[a * n + a] }
        return -tr.real
    }

    /// Standard Ricci scalar R = −g^{ab̄} ∂_a∂̄_b log det g at the chart's centre (nil if the chart fails).
    /// With `richardson` (default) the Hessian is extrapolated from steps h and h/2, (4H(h/2) − H(h))/3, which
    /// cancels the O(h²) truncation error (remaining O(h⁴) + rounding O(ε/h²)).
    public static func ricciScalar(_ chart: LocalChart, metric: MetricFunction, step: Double? = nil, richardson: Bool = true) -> Double? {
        guard let ddF = logDetHessian(chart, metric: metric, step: step, richardson: richardson) else { return nil }
        let (jac, _) = PullbackJacobian.jacobian(variety: chart.variety, point: chart.center, patch: chart.patch, dependent: chart.dependent)
        return scalar(metric: metric(chart.center, jac), logDetHessian: ddF, dimension: chart.variety.dimension)
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

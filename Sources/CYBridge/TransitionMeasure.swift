import NumericCore
import Numerics

/// A metric model given chart by chart: for a point z of X (homogeneous, the patch coordinates equal 1), its patch
/// indices [F] and dependent indices [K], the n×n Hermitian matrix g_ab̄ in that chart's local coordinates
/// x_a = z_{good_a} (cymetric's `model(z, j_elim)`; e.g. a neural network's output).
public typealias ChartMetric = @Sendable (_ z: [ComplexDouble], _ patch: [Int], _ dependent: [Int]) -> [ComplexDouble]

/// The transition measure of a chart-wise metric model (the transition loss of Anderson et al., arXiv 2012.04656;
/// cymetric `compute_transition_loss`, arXiv 2205.13408):
/// a metric on X must satisfy g^{(old)} = T g^{(new)} T† on chart overlaps, with T_ac = ∂x'_c/∂x_a. For every point
/// and every other admissible patch (in each factor any coordinate that is not the current patch, not dependent and
/// nonzero; all combinations with at least one factor changed; the dependent coordinates are kept) the point is
/// rescaled into the new patch and
///   L = mean over points and transitions of Σ_ab |g_ab̄ − (T g' T†)_ab̄|² / n²
/// (cymetric's loss with exponent 2, unweighted). L = 0 for any globally defined metric (FS, algebraic metrics).
public enum TransitionMeasure {
    /// The FS metric at Kähler moduli t as a `ChartMetric`.
    public static func fubiniStudy(variety v: Variety, kahler t: [Double]) -> ChartMetric {
        let fs = RicciMeasure.fubiniStudyMetric(variety: v, kahler: t)
        return { z, patch, dep in
            let (jac, _) = PullbackJacobian.jacobian(variety: v, point: z, patch: patch, dependent: dep)
            return fs(z, jac)
        }
    }

    /// T_ac = ∂x'_c/∂x_a from the chart (patch, dependent) at z (patch-normalised) to the chart with patch `newPatch`:
    /// x'_c = z_{g'_c}/z_{p'_r} (r the factor of g'_c), differentiated with J = ∂z/∂x of the old chart.
    public static func transitionMatrix(variety v: Variety, point z: [ComplexDouble], patch: [Int], dependent: [Int], newPatch: [Int]) -> [ComplexDouble] {
        let n = v.dimension, d = v.coordinateCount
        let (jac, _) = PullbackJacobian.jacobian(variety: v, point: z, patch: patch, dependent: dependent)
        let good2 = Patch.goodCoordinates(coordinates: d, patch: newPatch, dependent: dependent)
        var t = [ComplexDouble](repeating: .zero, count: n * n)
        for (c, j) in good2.enumerated() {
            let p = newPatch[v.ambient.factor(ofCoordinate: j)]
            let zp = z[p], zj = z[j]
            let inv2 = ComplexDouble(1, 0) / (zp * zp)
            for a in 0..<n {
                t[a * n + c] = (jac[a * d + j] * zp - zj * jac[a * d + p]) * inv2
            }
        }
        return t
    }

    /// All admissible new patches for a point (see the type's documentation).
    public static func alternativePatches(variety v: Variety, point z: [ComplexDouble], patch: [Int], dependent: [Int]) -> [[Int]] {
        var options: [[Int]] = []
        for r in 0..<v.ambient.factorCount {
            options.append(v.ambient.range(ofFactor: r).filter { j in
                j == patch[r] || (!dependent.contains(j) && z[j].lengthSquared > 1e-24)
            })
        }
        var out: [[Int]] = [[]]
        for o in options { out = out.flatMap { prefix in o.map { prefix + [$0] } } }
        return out.filter { $0 != patch }
    }

    /// L for the first `count` points of a sample.
    public static func measure(_ s: PointSample, metric: ChartMetric, count: Int? = nil) -> Double {
        let v = s.variety, n = v.dimension, f = v.ambient.factorCount, k = v.equationCount
        var total = 0.0, terms = 0
        for i in 0..<min(count ?? s.count, s.count) {
            let z = s.point(i)
            let patch = Array(s.patch[(i * f)..<((i + 1) * f)]), dep = Array(s.dependent[(i * k)..<((i + 1) * k)])
            let g = metric(z, patch, dep)
            for np in alternativePatches(variety: v, point: z, patch: patch, dependent: dep) {
                var z2 = z
                for r in 0..<f {
                    let inv = ComplexDouble(1, 0) / z[np[r]]
                    for j in v.ambient.range(ofFactor: r) { z2[j] = z[j] * inv }
                    z2[np[r]] = ComplexDouble(1, 0)
                }
                let g2 = metric(z2, np, dep)
                let t = transitionMatrix(variety: v, point: z, patch: patch, dependent: dep, newPatch: np)
                var s2 = 0.0
                for a in 0..<n { for b in 0..<n {
                    var acc = ComplexDouble.zero
                    for c in 0..<n { for e in 0..<n { acc = acc + t[a * n + c] * g2[c * n + e] * t[b * n + e].conjugate } }
                    s2 += (g[a * n + b] - acc).lengthSquared
                } }
                total += s2 / Double(n * n)
                terms += 1
            }
        }
        return terms > 0 ? total / Double(terms) : 0
    }
}

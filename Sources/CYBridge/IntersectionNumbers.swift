import NumericCore
/// Triple (n-fold) intersection numbers and the Kähler volume of a complete intersection X in a product of
/// projective spaces, normalised by ∫_A ∏_r J_r^{n_r} = 1 (standard intersection theory; these are the volumes
/// cymetric normalises its weights to, arXiv 2205.13408):
///
///   d_{r_1…r_n} = ∫_X J_{r_1} ∧ … ∧ J_{r_n} = [coefficient of ∏_r x_r^{n_r}] in x_{r_1}⋯x_{r_n} · ∏_a (Σ_r q_{ar} x_r),
///   Vol_K(t) = ∫_X J^n, J = Σ_r t_r J_r, = [coefficient of ∏_r x_r^{n_r}] in (Σ_r t_r x_r)^n ∏_a (Σ_r q_{ar} x_r),
///
/// with q_{ar} the degree of equation a in factor r. E.g. quintic 5t³, bicubic 9t₁t₂(t₁+t₂).
public enum IntersectionNumbers {
    /// Polynomials in F variables x_r truncated to exponents ≤ n_r, as dictionaries exponent-vector → coefficient.
    typealias Poly = [[Int]: Double]

    static func multiply(_ a: Poly, _ b: Poly, caps: [Int]) -> Poly {
        var out: Poly = [:]
        for (ea, ca) in a {
            for (eb, cb) in b {
                let e = zip(ea, eb).map { $0 + $1 }
                if zip(e, caps).contains(where: { $0 > $1 }) { continue }
                out[e, default: 0] += ca * cb
            }
        }
        return out
    }

    static func linear(_ coefficients: [Double]) -> Poly {
        var p: Poly = [:]
        for (r, c) in coefficients.enumerated() where c != 0 {
            var e = [Int](repeating: 0, count: coefficients.count); e[r] = 1
            p[e, default: 0] += c
        }
        return p
    }

    static func topCoefficient(_ p: Poly, _ caps: [Int]) -> Double { p[caps] ?? 0 }

    /// ∏_a (Σ_r q_{ar} x_r) for the variety's multidegrees.
    static func equationClass(_ v: Variety) -> Poly {
        var p: Poly = [[Int](repeating: 0, count: v.ambient.factorCount): 1]
        for q in v.multidegrees { p = multiply(p, linear(q.map(Double.init)), caps: v.ambient.dimensions) }
        return p
    }

    /// Vol_K(t) = ∫_X J^n with J = Σ_r t_r J_r (cymetric's `get_volume_from_intersections`).
    public static func volume(of v: Variety, kahler t: [Double]) -> Double {
        precondition(t.count == v.ambient.factorCount)
        var p = equationClass(v)
        for _ in 0..<v.dimension { p = multiply(p, linear(t), caps: v.ambient.dimensions) }
        return topCoefficient(p, v.ambient.dimensions)
    }

    /// ∂Vol_K/∂t_a = n ∫_X J^{n−1} ∧ J_a = n·[coefficient of ∏_r x_r^{n_r}] in x_a (Σ_r t_r x_r)^{n−1} ∏_a (Σ_r q_{ar} x_r)
    /// for every factor a (n times the slopes of cymetric's volume loss).
    public static func volumeGradient(of v: Variety, kahler t: [Double]) -> [Double] {
        precondition(t.count == v.ambient.factorCount)
        var p = equationClass(v)
        for _ in 0..<(v.dimension - 1) { p = multiply(p, linear(t), caps: v.ambient.dimensions) }
        return (0..<t.count).map { a in
            var e = [Double](repeating: 0, count: t.count); e[a] = 1
            return Double(v.dimension) * topCoefficient(multiply(p, linear(e), caps: v.ambient.dimensions), v.ambient.dimensions)
        }
    }

    /// All intersection numbers d_{r_1…r_n} with r_1 ≤ … ≤ r_n, keyed by the sorted index list.
    public static func numbers(of v: Variety) -> [([Int], Double)] {
        let f = v.ambient.factorCount, n = v.dimension
        var out: [([Int], Double)] = []
        func rec(_ idx: [Int], _ start: Int) {
            if idx.count == n {
                var p = equationClass(v)
                for r in idx { var e = [Double](repeating: 0, count: f); e[r] = 1; p = multiply(p, linear(e), caps: v.ambient.dimensions) }
                out.append((idx, topCoefficient(p, v.ambient.dimensions)))
                return
            }
            for r in start..<f { rec(idx + [r], r) }
        }
        rec([], 0)
        return out
    }

    /// Degree of the mixed Fubini–Study form sampled by Shiffman–Zelditch with parameters `sampling` per factor:
    /// ∫_X ∧_r J_r^{n_r − d_r} — the number of roots per draw.
    public static func mixedDegree(of v: Variety, sampling d: [Int]) -> Double {
        var p = equationClass(v)
        for r in 0..<v.ambient.factorCount {
            var e = [Double](repeating: 0, count: v.ambient.factorCount); e[r] = 1
            for _ in 0..<(v.ambient.dimensions[r] - d[r]) { p = multiply(p, linear(e), caps: v.ambient.dimensions) }
        }
        return topCoefficient(p, v.ambient.dimensions)
    }
}

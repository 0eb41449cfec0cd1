import NumericCore
import Numerics

/// The Fubini–Study metric with cymetric's normalisation (arXiv 2205.13408): on factor r,
///   K_r = (t_r/π) log|z^{(r)}|²,  g_ij̄ = ∂_i∂̄_j K = (t_r/π)(|z|²δ_ij − z̄_i z_j)/|z|⁴,
/// so J = (i/2) g dz∧dz̄ has ∫_{P¹} J = t and Vol_K(t) = ∫_X J^n is the intersection volume.
/// On a product the ambient metric is block-diagonal, g = ⊕_r g^{(r)}; the pullback to X is
/// g_ab̄ = J_a^i g_ij̄ conj(J_b^j) = Σ_r t_r g^{(r)}_ab̄ with g^{(r)}_ab̄ the pulled-back factor metric at t_r = 1.
public enum FubiniStudy {
    /// Ambient FS metric at z (length D), block-diagonal D×D row-major (first index holomorphic).
    public static func ambientMetric(point z: [ComplexDouble], ambient: ProjectiveAmbient, kahler t: [Double]) -> [ComplexDouble] {
        let d = ambient.coordinateCount
        var g = [ComplexDouble](repeating: .zero, count: d * d)
        for r in 0..<ambient.factorCount {
            let range = ambient.range(ofFactor: r)
            let n2 = range.reduce(0.0) { $0 + z[$1].lengthSquared }
            for i in range { for j in range {
                var v = (i == j ? ComplexDouble(n2, 0) : .zero) - z[i].conjugate * z[j]
                v = v * ComplexDouble(t[r] / (Double.pi * n2 * n2), 0)
                g[i * d + j] = v
            } }
        }
        return g
    }

    /// Pulled-back factor metrics at t = 1: writes F matrices g^{(r)} (n×n each, row-major) to `out`,
    /// g^{(r)}_ab̄ = (1/π)[Σ_{i∈r} J_ai conj(J_bi)/|z_r|² − u_a conj(u_b)/|z_r|⁴], u_a = Σ_{i∈r} J_ai z̄_i.
    @inline(__always)
    public static func pullbackFactorMetrics(point z: UnsafePointer<ComplexDouble>, jacobian jac: UnsafePointer<ComplexDouble>,
                                             variety v: Variety, out: UnsafeMutablePointer<ComplexDouble>,
                                             scratch u: UnsafeMutablePointer<ComplexDouble>) {
        let d = v.coordinateCount, n = v.dimension
        for r in 0..<v.ambient.factorCount {
            let range = v.ambient.range(ofFactor: r)
            var n2 = 0.0
            for i in range { n2 += z[i].lengthSquared }
            for a in 0..<n {
                var s = ComplexDouble.zero
                for i in range { s = s + jac[a * d + i] * z[i].conjugate }
                u[a] = s
            }
            let c1 = 1 / (Double.pi * n2), c2 = 1 / (Double.pi * n2 * n2)
            let g = out + r * n * n
            for a in 0..<n {
                for b in a..<n {
                    var s = ComplexDouble.zero
                    for i in range { s = s + jac[a * d + i] * jac[b * d + i].conjugate }
                    let val = s * ComplexDouble(c1, 0) - u[a] * u[b].conjugate * ComplexDouble(c2, 0)
                    g[a * n + b] = val
                    g[b * n + a] = val.conjugate
                }
                g[a * n + a] = ComplexDouble(g[a * n + a].real, 0)
            }
        }
    }

    /// The pulled-back factor metrics g^{(r)} (t_r = 1) at every point, complex [N, F, n, n] row-major.
    public static func pullbackFactorMetrics(of s: PointSample, threads: Int? = nil) -> [ComplexDouble] {
        let v = s.variety, n = v.dimension, f = v.ambient.factorCount
        var out = [ComplexDouble](repeating: .zero, count: s.count * f * n * n)
        out.withUnsafeMutableBufferPointer { po in
            let base = po.baseAddress!
            forEachFrame(of: s, threads: threads) { i, z, jac, w in
                pullbackFactorMetrics(point: z, jacobian: jac, variety: v, out: base + i * f * n * n, scratch: w.scratch + f * n * n)
            }
        }
        return out
    }

    /// Pulled-back FS metric g(t) = J g_FS(t) J† = Σ_r t_r g^{(r)} at every point, complex [N, n, n] row-major.
    public static func pullbackMetrics(of s: PointSample, kahler t: [Double], threads: Int? = nil) -> [ComplexDouble] {
        let v = s.variety, n = v.dimension, f = v.ambient.factorCount
        precondition(t.count == f, "FubiniStudy: \(t.count) Kähler moduli for \(f) factors")
        return combine(pullbackFactorMetrics(of: s, threads: threads), count: s.count, factors: f, dimension: n, kahler: t)
    }

    /// Σ_r t_r g^{(r)} of factor metrics [N, F, n, n].
    public static func combine(_ factors: [ComplexDouble], count: Int, factors f: Int, dimension n: Int, kahler t: [Double]) -> [ComplexDouble] {
        var out = [ComplexDouble](repeating: .zero, count: count * n * n)
        for i in 0..<count { for r in 0..<f { for e in 0..<(n * n) {
            out[i * n * n + e] = out[i * n * n + e] + factors[(i * f + r) * n * n + e] * ComplexDouble(t[r], 0)
        } } }
        return out
    }

    /// det g_FS,pb(t) at every point (real, positive).
    public static func determinants(of s: PointSample, kahler t: [Double], threads: Int? = nil) -> [Double] {
        let g = pullbackMetrics(of: s, kahler: t, threads: threads)
        return HermitianDeterminants.compute(g, count: s.count, order: s.variety.dimension)
    }

    /// Calls `body(i, z_i, J_i, workspace)` for every point with the pullback Jacobian computed (parallel).
    static func forEachFrame(of s: PointSample, threads: Int?, _ body: (Int, UnsafePointer<ComplexDouble>, UnsafePointer<ComplexDouble>, GeometryWorkspace) -> Void) {
        let v = s.variety, d = v.coordinateCount, n = v.dimension, f = v.ambient.factorCount, k = v.equationCount
        parallelChunks(s.count, minimum: 32, threads: threads) { range in
            let w = GeometryWorkspace(v)
            let jac = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: n * d)
            defer { jac.deallocate() }
            s.points.withUnsafeBufferPointer { pz in
                s.patch.withUnsafeBufferPointer { pp in
                    s.dependent.withUnsafeBufferPointer { pd in
                        for i in range {
                            let z = pz.baseAddress! + i * d
                            _ = PullbackJacobian.compute(variety: v, point: z, patch: pp.baseAddress! + i * f,
                                                         dependent: pd.baseAddress! + i * k, jacobian: jac, workspace: w)
                            body(i, z, jac, w)
                        }
                    }
                }
            }
        }
    }
}

/// Determinants of batches of small Hermitian matrices.
public enum HermitianDeterminants {
    /// Re det of each n×n matrix in `matrices` ([count, n, n] row-major).
    public static func compute(_ matrices: [ComplexDouble], count: Int, order n: Int, threads: Int? = nil) -> [Double] {
        precondition(matrices.count == count * n * n)
        var out = [Double](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { po in
            let base = po.baseAddress!
            matrices.withUnsafeBufferPointer { pm in
                parallelChunks(count, minimum: 32, threads: threads) { range in
                    let tmp = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: n * n)
                    defer { tmp.deallocate() }
                    for i in range {
                        for e in 0..<(n * n) { tmp[e] = pm[i * n * n + e] }
                        base[i] = SmallComplexLinearAlgebra.determinant(tmp, n).real
                    }
                }
            }
        }
        return out
    }
}

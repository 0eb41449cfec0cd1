import NumericCore
import Foundation
import Numerics

/// Pullback Jacobian J = ∂z/∂x (n×D) of the embedding X → ambient in the local coordinates x_a = z_{good_a}
/// (cymetric `PointGenerator.pullbacks`, arXiv 2205.13408):
///   J[a, good_a] = 1;  J[a, patch] = 0;  J[a, dep_α] = dz_{dep_α}/dx_a = −Σ_β (B⁻¹)_{αβ} ∂Q_β/∂z_{good_a},
/// with B_{βα} = ∂Q_β/∂z_{dep_α} (K×K). Pull back an ambient (1,1) tensor g as g_ab̄ = J_a^i g_ij̄ conj(J_b^j).
/// Also gives det B, from which |Ω|² = 1/|det B|² (`HolomorphicVolumeForm`).
public enum PullbackJacobian {
    /// Writes J (row-major n×D) for the patch-normalised point z (length D) with given patch (F) and dependent
    /// (K) indices, using `workspace` for scratch; returns det B. The gradients ∇Q_a are left in
    /// `workspace.gradients` [K, D].
    @inline(__always)
    public static func compute(variety v: Variety, point z: UnsafePointer<ComplexDouble>, patch: UnsafePointer<Int>,
                               dependent: UnsafePointer<Int>, jacobian: UnsafeMutablePointer<ComplexDouble>,
                               workspace w: GeometryWorkspace, gradientsReady: Bool = false) -> ComplexDouble {
        let d = v.coordinateCount, k = v.equationCount, n = v.dimension, f = v.ambient.factorCount
        if !gradientsReady {
            for a in 0..<k { _ = v.equations[a].valueAndGradient(at: z, gradient: w.gradients + a * d) }
        }
        // good coordinates
        var c = 0
        for j in 0..<d {
            var skip = false
            for r in 0..<f where patch[r] == j { skip = true }
            for b in 0..<k where dependent[b] == j { skip = true }
            if !skip { w.good[c] = j; c += 1 }
        }
        // B (K×K) and right-hand sides G[:, good] (K×n)
        for b in 0..<k {
            for a in 0..<k { w.bMatrix[b * k + a] = w.gradients[b * d + dependent[a]] }
            for a in 0..<n { w.rhs[b * n + a] = w.gradients[b * d + w.good[a]] }
        }
        let det = SmallComplexLinearAlgebra.solve(w.bMatrix, k, w.rhs, n)   // rhs ← B⁻¹ G_good
        for i in 0..<(n * d) { jacobian[i] = .zero }
        for a in 0..<n {
            jacobian[a * d + w.good[a]] = ComplexDouble(1, 0)
            for al in 0..<k { jacobian[a * d + dependent[al]] = -w.rhs[al * n + a] }
        }
        return det
    }

    /// J for every point of the sample, complex [N, n, D] row-major.
    public static func jacobians(of s: PointSample, threads: Int? = nil) -> [ComplexDouble] {
        let v = s.variety, d = v.coordinateCount, n = v.dimension, f = v.ambient.factorCount, k = v.equationCount
        var out = [ComplexDouble](repeating: .zero, count: s.count * n * d)
        out.withUnsafeMutableBufferPointer { po in
            let base = po.baseAddress!
            parallelChunks(s.count, minimum: 32, threads: threads) { range in
                let w = GeometryWorkspace(v)
                s.points.withUnsafeBufferPointer { pz in
                    s.patch.withUnsafeBufferPointer { pp in
                        s.dependent.withUnsafeBufferPointer { pd in
                            for i in range {
                                _ = compute(variety: v, point: pz.baseAddress! + i * d, patch: pp.baseAddress! + i * f,
                                            dependent: pd.baseAddress! + i * k, jacobian: base + i * n * d, workspace: w)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// J at one point given as arrays (convenience; allocates).
    public static func jacobian(variety v: Variety, point: [ComplexDouble], patch: [Int], dependent: [Int]) -> (jacobian: [ComplexDouble], detB: ComplexDouble) {
        let w = GeometryWorkspace(v)
        var j = [ComplexDouble](repeating: .zero, count: v.dimension * v.coordinateCount)
        let det = j.withUnsafeMutableBufferPointer { pj in
            compute(variety: v, point: point, patch: patch, dependent: dependent, jacobian: pj.baseAddress!, workspace: w)
        }
        return (j, det)
    }
}

/// Scratch buffers for per-point geometry (one per thread; never shared).
public final class GeometryWorkspace: @unchecked Sendable {
    let gradients: UnsafeMutablePointer<ComplexDouble>
    let bMatrix: UnsafeMutablePointer<ComplexDouble>
    let rhs: UnsafeMutablePointer<ComplexDouble>
    let good: UnsafeMutablePointer<Int>
    let scratch: UnsafeMutablePointer<ComplexDouble>
    let scratchCount: Int

    /// Buffers sized for the coordinates, equations and dimension of `v`.
    public init(_ v: Variety) {
        let d = v.coordinateCount, k = v.equationCount, n = v.dimension
        gradients = .allocate(capacity: k * d)
        bMatrix = .allocate(capacity: max(k * k, 1))
        rhs = .allocate(capacity: max(k * max(n, d), 1))
        good = .allocate(capacity: d)
        scratchCount = 8 * (d * d + n * n + 16)
        scratch = .allocate(capacity: scratchCount)
    }

    deinit {
        gradients.deallocate(); bMatrix.deallocate(); rhs.deallocate(); good.deallocate(); scratch.deallocate()
    }
}


import NumericCore
import Numerics

/// Tiny dense complex linear algebra on raw row-major buffers (K ≤ ~10), used per point in hot loops where
/// a LAPACK call would cost more than the arithmetic. Gaussian elimination with partial pivoting.
public enum SmallComplexLinearAlgebra {
    /// LU-factorises the n×n matrix `a` in place and solves a·X = B for `nrhs` right-hand sides stored
    /// row-major [n, nrhs] in `b` (overwritten by X). Returns det(a) (zero if singular; then b is garbage).
    @inline(__always)
    public static func solve(_ a: UnsafeMutablePointer<ComplexDouble>, _ n: Int, _ b: UnsafeMutablePointer<ComplexDouble>, _ nrhs: Int) -> ComplexDouble {
        var det = ComplexDouble(1, 0)
        for k in 0..<n {
            var piv = k
            var best = a[k * n + k].lengthSquared
            for i in (k + 1)..<max(k + 1, n) where a[i * n + k].lengthSquared > best { best = a[i * n + k].lengthSquared; piv = i }
            if !(best > 0) { return .zero }
            if piv != k {
                for j in 0..<n { let t = a[k * n + j]; a[k * n + j] = a[piv * n + j]; a[piv * n + j] = t }
                for j in 0..<nrhs { let t = b[k * nrhs + j]; b[k * nrhs + j] = b[piv * nrhs + j]; b[piv * nrhs + j] = t }
                det = -det
            }
            let p = a[k * n + k]
            det = det * p
            let inv = ComplexDouble(1, 0) / p
            for i in (k + 1)..<max(k + 1, n) {
                let f = a[i * n + k] * inv
                if f == .zero { continue }
                for j in (k + 1)..<n { a[i * n + j] = a[i * n + j] - f * a[k * n + j] }
                for j in 0..<nrhs { b[i * nrhs + j] = b[i * nrhs + j] - f * b[k * nrhs + j] }
            }
        }
        guard nrhs > 0 else { return det }
        for k in stride(from: n - 1, through: 0, by: -1) {
            let inv = ComplexDouble(1, 0) / a[k * n + k]
            for j in 0..<nrhs {
                var s = b[k * nrhs + j]
                for l in (k + 1)..<n { s = s - a[k * n + l] * b[l * nrhs + j] }
                b[k * nrhs + j] = s * inv
            }
        }
        return det
    }

    /// det of the n×n matrix `a` (destroyed): the elimination of `solve` without right-hand sides.
    @inline(__always)
    public static func determinant(_ a: UnsafeMutablePointer<ComplexDouble>, _ n: Int) -> ComplexDouble { solve(a, n, a, 0) }
}

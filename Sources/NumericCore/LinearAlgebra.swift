import CNumericLibs
import Numerics

/// LAPACKE's `lapack_int` (a C macro, 32-bit in the LP64 builds Debian ships).
public typealias LapackInt = Int32

/// Errors of the LAPACK routines; each description is one line naming the value and what was expected.
public enum LinearAlgebraError: Error, CustomStringConvertible, Sendable, Equatable {
    case notSquare(rows: Int, cols: Int)
    case shapeMismatch(String)
    case notPositiveDefinite(minor: Int)
    case singular(pivot: Int)
    case nonFinite(String)
    case lapackFailure(routine: String, info: Int32)

    public var description: String {
        switch self {
        case .notSquare(let r, let c): return "matrix is \(r)×\(c), expected a square matrix"
        case .shapeMismatch(let s): return s
        case .notPositiveDefinite(let k): return "matrix is not positive definite (leading minor \(k) is not positive)"
        case .singular(let k): return "matrix is singular (zero pivot at position \(k))"
        case .nonFinite(let s): return "\(s) contains NaN or infinity, expected finite entries"
        case .lapackFailure(let r, let info): return "LAPACK \(r) failed with info = \(info)"
        }
    }
}

/// Dense linear algebra through LAPACKE (row-major storage, `LAPACK_ROW_MAJOR`).
public enum LinearAlgebra {
    static func checkSquare(_ rows: Int, _ cols: Int) throws {
        guard rows == cols else { throw LinearAlgebraError.notSquare(rows: rows, cols: cols) }
    }

    static func checkFinite(_ a: Matrix, _ name: String) throws {
        guard a.data.allSatisfy({ $0.isFinite }) else { throw LinearAlgebraError.nonFinite(name) }
    }

    static func checkFinite(_ a: ComplexMatrix, _ name: String) throws {
        guard a.data.allSatisfy({ $0.real.isFinite && $0.imaginary.isFinite }) else { throw LinearAlgebraError.nonFinite(name) }
    }

    /// Runs `body` on the storage of a complex array viewed as LAPACKE's complex type.
    static func withLapackComplex<R>(_ a: inout [Complex<Double>], _ body: (UnsafeMutablePointer<nnt_complex_double>) -> R) -> R {
        a.withUnsafeMutableBufferPointer { p in
            UnsafeMutableRawPointer(p.baseAddress!).withMemoryRebound(to: nnt_complex_double.self, capacity: p.count) { body($0) }
        }
    }

    /// Eigen-decomposition of a real symmetric matrix, A = V diag(λ) Vᵀ (LAPACK dsyevd, lower triangle
    /// used). Eigenvalues ascending; eigenvector k is column k of `vectors`, orthonormal.
    public static func symmetricEigen(_ a: Matrix) throws -> (values: [Double], vectors: Matrix) {
        try checkSquare(a.rows, a.cols)
        try checkFinite(a, "symmetric matrix")
        let n = a.rows
        var v = a
        var w = [Double](repeating: 0, count: n)
        if n == 0 { return ([], v) }
        let info = v.data.withUnsafeMutableBufferPointer { pv in
            LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 86 /* V */, 76 /* L */, LapackInt(n), pv.baseAddress, LapackInt(n), &w)
        }
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "dsyevd", info: info) }
        return (w, v)
    }

    /// Eigen-decomposition of a complex Hermitian matrix, A = V diag(λ) V† (LAPACK zheevd). Real eigenvalues
    /// ascending; eigenvector k is column k of `vectors`, orthonormal.
    public static func hermitianEigen(_ a: ComplexMatrix) throws -> (values: [Double], vectors: ComplexMatrix) {
        try checkSquare(a.rows, a.cols)
        try checkFinite(a, "Hermitian matrix")
        let n = a.rows
        var v = a
        var w = [Double](repeating: 0, count: n)
        if n == 0 { return ([], v) }
        let info = withLapackComplex(&v.data) { pv in
            LAPACKE_zheevd(LAPACK_ROW_MAJOR, 86, 76, LapackInt(n), pv, LapackInt(n), &w)
        }
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "zheevd", info: info) }
        return (w, v)
    }

    /// Cholesky factor L (lower triangular, positive diagonal, upper part zero) with A = L Lᵀ (dpotrf).
    public static func cholesky(_ a: Matrix) throws -> Matrix {
        try checkSquare(a.rows, a.cols)
        try checkFinite(a, "matrix")
        let n = a.rows
        var l = a
        if n == 0 { return l }
        let info = l.data.withUnsafeMutableBufferPointer { LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 76, LapackInt(n), $0.baseAddress, LapackInt(n)) }
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(minor: Int(info)) }
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "dpotrf", info: info) }
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { l[i, j] = 0 } }
        return l
    }

    /// Cholesky factor L with A = L L† of a Hermitian positive-definite matrix (zpotrf).
    public static func cholesky(_ a: ComplexMatrix) throws -> ComplexMatrix {
        try checkSquare(a.rows, a.cols)
        try checkFinite(a, "matrix")
        let n = a.rows
        var l = a
        if n == 0 { return l }
        let info = withLapackComplex(&l.data) { LAPACKE_zpotrf(LAPACK_ROW_MAJOR, 76, LapackInt(n), $0, LapackInt(n)) }
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(minor: Int(info)) }
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "zpotrf", info: info) }
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { l[i, j] = .zero } }
        return l
    }

    /// X with A X = B (LU with partial pivoting, dgesv).
    public static func solve(_ a: Matrix, _ b: Matrix) throws -> Matrix {
        try checkSquare(a.rows, a.cols)
        guard b.rows == a.rows else { throw LinearAlgebraError.shapeMismatch("right-hand side has \(b.rows) rows, expected \(a.rows)") }
        try checkFinite(a, "matrix"); try checkFinite(b, "right-hand side")
        let n = a.rows
        var lu = a, x = b
        if n == 0 || b.cols == 0 { return x }
        var piv = [LapackInt](repeating: 0, count: n)
        let info = lu.data.withUnsafeMutableBufferPointer { pa in
            x.data.withUnsafeMutableBufferPointer { px in
                LAPACKE_dgesv(LAPACK_ROW_MAJOR, LapackInt(n), LapackInt(b.cols), pa.baseAddress, LapackInt(n), &piv, px.baseAddress, LapackInt(b.cols))
            }
        }
        if info > 0 { throw LinearAlgebraError.singular(pivot: Int(info)) }
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "dgesv", info: info) }
        return x
    }

    /// X with A X = B for complex matrices (zgesv).
    public static func solve(_ a: ComplexMatrix, _ b: ComplexMatrix) throws -> ComplexMatrix {
        try checkSquare(a.rows, a.cols)
        guard b.rows == a.rows else { throw LinearAlgebraError.shapeMismatch("right-hand side has \(b.rows) rows, expected \(a.rows)") }
        try checkFinite(a, "matrix"); try checkFinite(b, "right-hand side")
        let n = a.rows
        var lu = a, x = b
        if n == 0 || b.cols == 0 { return x }
        var piv = [LapackInt](repeating: 0, count: n)
        let info = withLapackComplex(&lu.data) { pa in
            withLapackComplex(&x.data) { px in
                LAPACKE_zgesv(LAPACK_ROW_MAJOR, LapackInt(n), LapackInt(b.cols), pa, LapackInt(n), &piv, px, LapackInt(b.cols))
            }
        }
        if info > 0 { throw LinearAlgebraError.singular(pivot: Int(info)) }
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "zgesv", info: info) }
        return x
    }

    /// log|det A| and sign(det A) from the LU factorisation (dgetrf): det A = Π U_ii · (−1)^{#row swaps}.
    /// A singular matrix gives (−∞, 0).
    public static func logAbsDeterminant(_ a: Matrix) throws -> (logAbs: Double, sign: Double) {
        try checkSquare(a.rows, a.cols)
        try checkFinite(a, "matrix")
        let n = a.rows
        if n == 0 { return (0, 1) }
        var lu = a
        var piv = [LapackInt](repeating: 0, count: n)
        let info = lu.data.withUnsafeMutableBufferPointer { LAPACKE_dgetrf(LAPACK_ROW_MAJOR, LapackInt(n), LapackInt(n), $0.baseAddress, LapackInt(n), &piv) }
        if info > 0 { return (-.infinity, 0) }
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "dgetrf", info: info) }
        var logAbs = 0.0, sign = 1.0
        for i in 0..<n {
            let u = lu[i, i]
            logAbs += Double.log(abs(u))
            if u < 0 { sign = -sign }
            if piv[i] != LapackInt(i + 1) { sign = -sign }
        }
        return (logAbs, sign)
    }

    /// det A from the LU factorisation (dgetrf); 0 for a singular matrix.
    public static func determinant(_ a: Matrix) throws -> Double {
        let (l, s) = try logAbsDeterminant(a)
        return s == 0 ? 0 : s * Double.exp(l)
    }

    /// det A of a complex matrix from its LU factorisation (zgetrf); 0 for a singular matrix.
    public static func determinant(_ a: ComplexMatrix) throws -> Complex<Double> {
        try checkSquare(a.rows, a.cols)
        try checkFinite(a, "matrix")
        let n = a.rows
        if n == 0 { return .one }
        var lu = a
        var piv = [LapackInt](repeating: 0, count: n)
        let info = withLapackComplex(&lu.data) { LAPACKE_zgetrf(LAPACK_ROW_MAJOR, LapackInt(n), LapackInt(n), $0, LapackInt(n), &piv) }
        if info > 0 { return .zero }
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "zgetrf", info: info) }
        var det = Complex<Double>.one
        for i in 0..<n {
            det = det * lu[i, i]
            if piv[i] != LapackInt(i + 1) { det = -det }
        }
        return det
    }

    /// Eigenvalues of a general real matrix (dgeev, no vectors); complex pairs appear as conjugates.
    public static func generalEigenvalues(_ a: Matrix) throws -> [Complex<Double>] {
        try checkSquare(a.rows, a.cols)
        try checkFinite(a, "matrix")
        let n = a.rows
        if n == 0 { return [] }
        var m = a
        var wr = [Double](repeating: 0, count: n), wi = wr
        var vl = [Double](repeating: 0, count: 1), vr = vl
        let info = m.data.withUnsafeMutableBufferPointer { pm in
            LAPACKE_dgeev(LAPACK_ROW_MAJOR, 78 /* N */, 78, LapackInt(n), pm.baseAddress, LapackInt(n), &wr, &wi, &vl, 1, &vr, 1)
        }
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "dgeev", info: info) }
        return (0..<n).map { Complex(wr[$0], wi[$0]) }
    }

    /// Eigenvalues of a general complex matrix (zgeev, no vectors).
    public static func generalEigenvalues(_ a: ComplexMatrix) throws -> [Complex<Double>] {
        try checkSquare(a.rows, a.cols)
        try checkFinite(a, "matrix")
        let n = a.rows
        if n == 0 { return [] }
        var m = a
        var w = [Complex<Double>](repeating: .zero, count: n)
        var dummy = [Complex<Double>](repeating: .zero, count: 1)
        let info = withLapackComplex(&m.data) { pm in
            withLapackComplex(&w) { pw in
                withLapackComplex(&dummy) { pd in
                    LAPACKE_zgeev(LAPACK_ROW_MAJOR, 78, 78, LapackInt(n), pm, LapackInt(n), pw, pd, 1, pd, 1)
                }
            }
        }
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "zgeev", info: info) }
        return w
    }
}

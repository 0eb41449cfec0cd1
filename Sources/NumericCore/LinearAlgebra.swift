import CNumericLibs
import Numerics

/// LAPACKE's `lapack_int` (a C macro, 32-bit in the LP64 builds Debian ships).
public typealias LapackInt = Int32

/// Errors of the dense linear-algebra routines. Each `description` is one line naming the offending value
/// and what was expected.
public enum LinearAlgebraError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The matrix is `rows × cols` but the routine needs a square matrix.
    case notSquare(rows: Int, cols: Int)
    /// The right-hand side of a linear system has `rows` rows where the `expected × expected` matrix needs `expected`.
    case rightHandSideMismatch(rows: Int, expected: Int)
    /// The leading principal minor of order `minor` (1-based) is not positive, so no Cholesky factor exists.
    case notPositiveDefinite(minor: Int)
    /// The LU factorisation met an exactly zero pivot U_kk at `pivot` (1-based).
    case singular(pivot: Int)
    /// An input entry is NaN or ±∞; the payload names the entry and its value, e.g. `matrix entry (0, 1) = nan`.
    case nonFinite(String)
    /// A dimension does not fit LAPACK's 32-bit `lapack_int`.
    case tooLarge(dimension: Int)
    /// A LAPACK routine returned a nonzero `info` not covered above (info < 0: argument −info was illegal;
    /// info > 0: the iteration failed to converge).
    case lapackFailure(routine: String, info: Int32)

    /// One line naming the problem and what was expected.
    public var description: String {
        switch self {
        case .notSquare(let r, let c):
            return "matrix is \(r)×\(c), expected a square matrix"
        case .rightHandSideMismatch(let r, let n):
            return "right-hand side has \(r) rows, expected \(n) to match the \(n)×\(n) matrix"
        case .notPositiveDefinite(let k):
            return "leading minor of order \(k) is not positive, expected a positive-definite matrix"
        case .singular(let k):
            return "LU pivot U[\(k),\(k)] is exactly zero, expected a nonsingular matrix"
        case .nonFinite(let what):
            return "\(what), expected a finite value"
        case .tooLarge(let n):
            return "dimension \(n) exceeds LAPACK's 32-bit index range, expected at most \(Int32.max)"
        case .lapackFailure(let r, let info):
            let why = info < 0 ? "argument \(-info) is illegal" : "the iteration failed to converge"
            return "LAPACK \(r) returned info = \(info) (\(why)), expected 0"
        }
    }
}

/// Dense linear algebra on `Matrix` and `ComplexMatrix` through LAPACKE with `LAPACK_ROW_MAJOR` storage.
///
/// Every routine first checks the shape (square where required) and that every entry is finite, then
/// works on a copy of its inputs; none mutates its arguments. Index payloads of errors are 1-based, as LAPACK's.
public enum LinearAlgebra {
    // MARK: - Input checks and pointer plumbing

    /// LAPACK's one-character option (`'V'`, `'N'`, `'L'`).
    @inline(__always)
    static func option(_ c: Unicode.Scalar) -> CChar { CChar(truncatingIfNeeded: c.value) }

    static func lapackInt(_ n: Int) throws -> LapackInt {
        guard let v = LapackInt(exactly: n) else { throw LinearAlgebraError.tooLarge(dimension: n) }
        return v
    }

    /// Throws unless `rows == cols`; returns the order as a `lapack_int`.
    static func squareOrder(_ rows: Int, _ cols: Int) throws -> LapackInt {
        guard rows == cols else { throw LinearAlgebraError.notSquare(rows: rows, cols: cols) }
        return try lapackInt(rows)
    }

    static func checkFinite(_ a: Matrix, _ name: String) throws {
        if let k = a.data.firstIndex(where: { !$0.isFinite }) {
            throw LinearAlgebraError.nonFinite("\(name) entry (\(k / a.cols), \(k % a.cols)) = \(a.data[k])")
        }
    }

    static func checkFinite(_ a: ComplexMatrix, _ name: String) throws {
        if let k = a.data.firstIndex(where: { !$0.real.isFinite || !$0.imaginary.isFinite }) {
            let z = a.data[k]
            throw LinearAlgebraError.nonFinite("\(name) entry (\(k / a.cols), \(k % a.cols)) = \(z.real) + \(z.imaginary)i")
        }
    }

    /// Runs `body` on the storage of a (non-empty) complex array viewed as LAPACKE's `{re, im}` complex type,
    /// which is layout-compatible with `Complex<Double>`.
    static func withLapackComplex<R>(_ a: inout [Complex<Double>],
                                     _ body: (UnsafeMutablePointer<nnt_complex_double>) throws -> R) rethrows -> R {
        try a.withUnsafeMutableBufferPointer { p in
            try UnsafeMutableRawPointer(p.baseAddress!).withMemoryRebound(to: nnt_complex_double.self, capacity: p.count) {
                try body($0)
            }
        }
    }

    /// Maps a nonzero `info` of a routine to an error; `positive` handles info > 0 where it has a meaning.
    static func check(_ info: LapackInt, _ routine: String,
                      positive: ((Int) -> LinearAlgebraError)? = nil) throws {
        if info == 0 { return }
        if info > 0, let positive { throw positive(Int(info)) }
        throw LinearAlgebraError.lapackFailure(routine: routine, info: info)
    }

    /// x · 2^e, exact unless the result overflows or underflows.
    @inline(__always)
    static func scaled(_ x: Double, by e: Int) -> Double { Double(sign: .plus, exponent: e, significand: x) }

    // MARK: - Eigen-decompositions of self-adjoint matrices

    /// The eigenvalues, ascending, of the symmetric tridiagonal matrix with `diagonal` (n) and `offDiagonal` (n − 1)
    /// (LAPACK `dsterf`, root-free QR: O(n²), no eigenvectors).
    public static func symmetricTridiagonalEigenvalues(diagonal: [Double], offDiagonal: [Double]) throws -> [Double] {
        let n = diagonal.count
        precondition(offDiagonal.count == max(0, n - 1), "tridiagonal matrix: \(n) diagonal and \(offDiagonal.count) off-diagonal entries")
        var d = diagonal, e = offDiagonal + [0]
        if n == 0 { return d }
        let info = d.withUnsafeMutableBufferPointer { pd in e.withUnsafeMutableBufferPointer { LAPACKE_dsterf(LapackInt(n), pd.baseAddress, $0.baseAddress) } }
        try check(info, "dsterf")
        return d
    }

    /// Eigen-decomposition A = V diag(λ) Vᵀ of a real symmetric matrix (LAPACK `dsyevd`, divide and conquer).
    ///
    /// Only the lower triangle (i ≥ j) of `a` is referenced; the matrix is taken to be symmetric.
    /// - Returns: the eigenvalues λ₀ ≤ λ₁ ≤ … in ascending order, and the orthogonal matrix V (VᵀV = I) whose
    ///   column k is the unit eigenvector of λ_k, so that A V = V diag(λ).
    public static func symmetricEigen(_ a: Matrix) throws -> (values: [Double], vectors: Matrix) {
        let n = try squareOrder(a.rows, a.cols)
        try checkFinite(a, "symmetric matrix")
        var v = a
        var w = [Double](repeating: 0, count: a.rows)
        if n == 0 { return (w, v) }
        let info = v.data.withUnsafeMutableBufferPointer { pv in
            w.withUnsafeMutableBufferPointer { pw in
                LAPACKE_dsyevd(LAPACK_ROW_MAJOR, option("V"), option("L"), n, pv.baseAddress, n, pw.baseAddress)
            }
        }
        try check(info, "dsyevd")
        return (w, v)
    }

    /// Eigen-decomposition A = V diag(λ) V† of a complex Hermitian matrix (LAPACK `zheevd`).
    ///
    /// Only the lower triangle of `a` is referenced (the imaginary parts of its diagonal are ignored).
    /// - Returns: the real eigenvalues in ascending order, and the unitary matrix V (V†V = I) whose column k is
    ///   the unit eigenvector of λ_k, so that A V = V diag(λ).
    public static func hermitianEigen(_ a: ComplexMatrix) throws -> (values: [Double], vectors: ComplexMatrix) {
        let n = try squareOrder(a.rows, a.cols)
        try checkFinite(a, "Hermitian matrix")
        var v = a
        var w = [Double](repeating: 0, count: a.rows)
        if n == 0 { return (w, v) }
        let info = withLapackComplex(&v.data) { pv in
            w.withUnsafeMutableBufferPointer { pw in
                LAPACKE_zheevd(LAPACK_ROW_MAJOR, option("V"), option("L"), n, pv, n, pw.baseAddress)
            }
        }
        try check(info, "zheevd")
        return (w, v)
    }

    // MARK: - Cholesky factorisation

    /// Cholesky factor of a real symmetric positive-definite matrix: the lower-triangular L with positive
    /// diagonal and A = L Lᵀ (LAPACK `dpotrf`). Only the lower triangle of `a` is referenced; the strict upper
    /// triangle of the result is zero.
    /// - Throws: `LinearAlgebraError.notPositiveDefinite(minor: k)` when the leading k×k minor is not positive.
    public static func cholesky(_ a: Matrix) throws -> Matrix {
        let n = try squareOrder(a.rows, a.cols)
        try checkFinite(a, "matrix")
        var l = a
        if n == 0 { return l }
        let info = l.data.withUnsafeMutableBufferPointer { LAPACKE_dpotrf(LAPACK_ROW_MAJOR, option("L"), n, $0.baseAddress, n) }
        try check(info, "dpotrf") { .notPositiveDefinite(minor: $0) }
        let m = a.rows
        for i in 0..<(m - 1) { for j in (i + 1)..<m { l.data[i * m + j] = 0 } }
        return l
    }

    /// Cholesky factor of a complex Hermitian positive-definite matrix: the lower-triangular L with real positive
    /// diagonal and A = L L† (LAPACK `zpotrf`). Only the lower triangle of `a` is referenced; the strict upper
    /// triangle of the result is zero.
    /// - Throws: `LinearAlgebraError.notPositiveDefinite(minor: k)` when the leading k×k minor is not positive.
    public static func cholesky(_ a: ComplexMatrix) throws -> ComplexMatrix {
        let n = try squareOrder(a.rows, a.cols)
        try checkFinite(a, "matrix")
        var l = a
        if n == 0 { return l }
        let info = withLapackComplex(&l.data) { LAPACKE_zpotrf(LAPACK_ROW_MAJOR, option("L"), n, $0, n) }
        try check(info, "zpotrf") { .notPositiveDefinite(minor: $0) }
        let m = a.rows
        for i in 0..<(m - 1) { for j in (i + 1)..<m { l.data[i * m + j] = .zero } }
        return l
    }

    /// Inverse of a complex Hermitian positive-definite matrix by Cholesky (LAPACK `zpotrf` + `zpotri`), returned
    /// in full: exactly Hermitian, with a real diagonal. Only the upper triangle of `a` is referenced.
    ///
    /// The row-major upper triangle of A is, read column-major, the lower triangle of Aᵀ = conj(A), so LAPACK runs
    /// column-major on 'L' in place (no transposed copy): it leaves conj(A)⁻¹ = conj(A⁻¹) in that lower triangle, whose
    /// column-major entry (j, i) is A⁻¹(i, j) again in the row-major upper triangle. Not the 'U' triangle: OpenBLAS
    /// 0.3.21's complex dot kernels (Haswell, SkylakeX, Cooperlake) read one element past the last one at non-unit
    /// strides, and its ZLAUUM 'U' (inside ZPOTRI) dots along rows to the last column, past the end of the matrix —
    /// a segmentation fault when the matrix ends a mapped page. The buffer also carries one spare column, so that a
    /// one-stride over-read stays inside it on any triangle. Like every routine here it runs on OpenBLAS's threads as
    /// they are; a caller that needs the same bits on any machine wraps it in `SingleThreadedLAPACK.run`.
    /// - Throws: `notSquare`, `nonFinite`, `notPositiveDefinite(minor: k)` when the leading k×k minor is not positive.
    public static func hermitianInverse(_ a: ComplexMatrix) throws -> ComplexMatrix {
        let n = try squareOrder(a.rows, a.cols)
        try checkFinite(a, "matrix")
        let m = a.rows
        var data = [Complex<Double>](repeating: .zero, count: m * m + m + 1)
        data.replaceSubrange(0..<(m * m), with: a.data)
        let info = withLapackComplex(&data) { q in
            let i1 = LAPACKE_zpotrf(LAPACK_COL_MAJOR, option("L"), n, q, max(1, n))
            if i1 != 0 { return i1 }
            return LAPACKE_zpotri(LAPACK_COL_MAJOR, option("L"), n, q, max(1, n))
        }
        try check(info, "zpotrf/zpotri") { .notPositiveDefinite(minor: $0) }
        var out = ComplexMatrix(rows: m, cols: m)
        for i in 0..<m {
            for j in i..<m {
                out[i, j] = data[i * m + j]
                out[j, i] = data[i * m + j].conjugate
            }
            out[i, i] = Complex(data[i * m + i].real, 0)
        }
        return out
    }

    // MARK: - Linear systems

    /// The solution X of A X = B for a square nonsingular A and any number of right-hand-side columns
    /// (LAPACK `dgesv`: LU factorisation with partial pivoting, P A = L U).
    /// - Throws: `notSquare`, `rightHandSideMismatch` when `b.rows != a.rows`, `singular(pivot:)` on an exactly
    ///   zero pivot.
    public static func solve(_ a: Matrix, _ b: Matrix) throws -> Matrix {
        let (n, nrhs) = try systemOrders(a.rows, a.cols, b.rows, b.cols)
        try checkFinite(a, "matrix")
        try checkFinite(b, "right-hand side")
        var lu = a, x = b
        if n == 0 || nrhs == 0 { return x }
        var piv = [LapackInt](repeating: 0, count: a.rows)
        let info = lu.data.withUnsafeMutableBufferPointer { pa in
            x.data.withUnsafeMutableBufferPointer { px in
                piv.withUnsafeMutableBufferPointer { pp in
                    LAPACKE_dgesv(LAPACK_ROW_MAJOR, n, nrhs, pa.baseAddress, n, pp.baseAddress, px.baseAddress, nrhs)
                }
            }
        }
        try check(info, "dgesv") { .singular(pivot: $0) }
        return x
    }

    /// The orders (n, nrhs) of a linear system A X = B as LAPACK integers: A [n, n] square, B [n, nrhs].
    static func systemOrders(_ aRows: Int, _ aCols: Int, _ bRows: Int, _ bCols: Int) throws -> (LapackInt, LapackInt) {
        let n = try squareOrder(aRows, aCols)
        guard bRows == aRows else { throw LinearAlgebraError.rightHandSideMismatch(rows: bRows, expected: aRows) }
        return (n, try lapackInt(bCols))
    }

    /// The solution x of A x = b for one right-hand-side vector (LAPACK `dgesv`).
    public static func solve(_ a: Matrix, _ b: [Double]) throws -> [Double] {
        try solve(a, Matrix(rows: b.count, cols: 1, data: b)).data
    }

    /// The solution X of A X = B for complex matrices (LAPACK `zgesv`: LU with partial pivoting).
    /// - Throws: `notSquare`, `rightHandSideMismatch`, `singular(pivot:)` as the real version.
    public static func solve(_ a: ComplexMatrix, _ b: ComplexMatrix) throws -> ComplexMatrix {
        let (n, nrhs) = try systemOrders(a.rows, a.cols, b.rows, b.cols)
        try checkFinite(a, "matrix")
        try checkFinite(b, "right-hand side")
        var lu = a, x = b
        if n == 0 || nrhs == 0 { return x }
        var piv = [LapackInt](repeating: 0, count: a.rows)
        let info = withLapackComplex(&lu.data) { pa in
            withLapackComplex(&x.data) { px in
                piv.withUnsafeMutableBufferPointer { pp in
                    LAPACKE_zgesv(LAPACK_ROW_MAJOR, n, nrhs, pa, n, pp.baseAddress, px, nrhs)
                }
            }
        }
        try check(info, "zgesv") { .singular(pivot: $0) }
        return x
    }

    // MARK: - Determinants

    /// LU-factorises a copy of `a` (LAPACK `dgetrf`, P A = L U) and returns det A = (−1)^{#row swaps} Π_i U_ii as
    /// `mantissa · 2^exponent` with 1 ≤ |mantissa| < 2, which cannot overflow; `nil` for an exactly singular A.
    static func scaledDeterminant(_ a: Matrix) throws -> (mantissa: Double, exponent: Int)? {
        let n = try squareOrder(a.rows, a.cols)
        try checkFinite(a, "matrix")
        if n == 0 { return (1, 0) }
        var lu = a
        var piv = [LapackInt](repeating: 0, count: a.rows)
        let info = lu.data.withUnsafeMutableBufferPointer { pa in
            piv.withUnsafeMutableBufferPointer { LAPACKE_dgetrf(LAPACK_ROW_MAJOR, n, n, pa.baseAddress, n, $0.baseAddress) }
        }
        if info > 0 { return nil }
        try check(info, "dgetrf")
        var m = 1.0, e = 0
        for i in 0..<a.rows {
            // Multiply by the significand of U_ii only (|m| stays in [1, 4) before renormalising).
            let u = lu.data[i * a.rows + i]
            m *= u < 0 ? -u.significand : u.significand
            if piv[i] != LapackInt(i + 1) { m = -m }
            let k = Int(m.exponent)
            e += Int(u.exponent) + k
            m = scaled(m, by: -k)
        }
        return (m, e)
    }

    /// det A of a real square matrix from its LU factorisation (LAPACK `dgetrf`):
    /// det A = (−1)^{#row swaps} Π_i U_ii. Exactly 0 for an exactly singular U; ±∞ if |det A| overflows.
    public static func determinant(_ a: Matrix) throws -> Double {
        guard let (m, e) = try scaledDeterminant(a) else { return 0 }
        return scaled(m, by: e)
    }

    /// log|det A| and sign(det A) ∈ {−1, 0, +1} from the LU factorisation (LAPACK `dgetrf`), so that
    /// det A = sign · e^{logAbs} without overflow; an exactly singular matrix gives (−∞, 0).
    public static func logAbsDeterminant(_ a: Matrix) throws -> (logAbs: Double, sign: Double) {
        guard let (m, e) = try scaledDeterminant(a) else { return (-.infinity, 0) }
        return (Double.log(abs(m)) + Double(e) * Double.log(2), m < 0 ? -1 : 1)
    }

    /// Complex analogue of `scaledDeterminant`: det A = mantissa · 2^exponent with max(|Re|, |Im|) of the
    /// mantissa in [1, 2) (LAPACK `zgetrf`); `nil` for an exactly singular A.
    static func scaledDeterminant(_ a: ComplexMatrix) throws -> (mantissa: Complex<Double>, exponent: Int)? {
        let n = try squareOrder(a.rows, a.cols)
        try checkFinite(a, "matrix")
        if n == 0 { return (.one, 0) }
        var lu = a
        var piv = [LapackInt](repeating: 0, count: a.rows)
        let info = withLapackComplex(&lu.data) { pa in
            piv.withUnsafeMutableBufferPointer { LAPACKE_zgetrf(LAPACK_ROW_MAJOR, n, n, pa, n, $0.baseAddress) }
        }
        if info > 0 { return nil }
        try check(info, "zgetrf")
        var re = 1.0, im = 0.0, e = 0
        for i in 0..<a.rows {
            // Scale U_ii to max(|Re|, |Im|) in [1, 2) first so that the product cannot overflow.
            let u = lu.data[i * a.rows + i]
            let ku = Int(max(abs(u.real), abs(u.imaginary)).exponent)
            let ur = scaled(u.real, by: -ku), ui = scaled(u.imaginary, by: -ku)
            (re, im) = (re * ur - im * ui, re * ui + im * ur)
            if piv[i] != LapackInt(i + 1) { (re, im) = (-re, -im) }
            let k = Int(max(abs(re), abs(im)).exponent)
            e += ku + k
            (re, im) = (scaled(re, by: -k), scaled(im, by: -k))
        }
        return (Complex(re, im), e)
    }

    /// det A of a complex square matrix from its LU factorisation (LAPACK `zgetrf`):
    /// det A = (−1)^{#row swaps} Π_i U_ii. Exactly 0 for an exactly singular U.
    public static func determinant(_ a: ComplexMatrix) throws -> Complex<Double> {
        guard let (m, e) = try scaledDeterminant(a) else { return .zero }
        return Complex(scaled(m.real, by: e), scaled(m.imaginary, by: e))
    }

    /// log|det A| and the phase det A / |det A| (a unit complex number) of a complex square matrix (LAPACK
    /// `zgetrf`), so that det A = phase · e^{logAbs} without overflow; an exactly singular matrix gives (−∞, 0).
    public static func logAbsDeterminant(_ a: ComplexMatrix) throws -> (logAbs: Double, phase: Complex<Double>) {
        guard let (m, e) = try scaledDeterminant(a) else { return (-.infinity, .zero) }
        let r = m.length
        return (Double.log(r) + Double(e) * Double.log(2), Complex(m.real / r, m.imaginary / r))
    }

    // MARK: - Eigenvalues of general matrices

    /// Eigenvalues λ (det(A − λI) = 0) of a general real square matrix (LAPACK `dgeev`, Hessenberg QR, no
    /// eigenvectors), in LAPACK's order; complex eigenvalues come in adjacent conjugate pairs, positive
    /// imaginary part first.
    public static func generalEigenvalues(_ a: Matrix) throws -> [Complex<Double>] {
        let n = try squareOrder(a.rows, a.cols)
        try checkFinite(a, "matrix")
        if n == 0 { return [] }
        var m = a
        var wr = [Double](repeating: 0, count: a.rows), wi = wr
        var unused = [Double](repeating: 0, count: 1)
        let info = m.data.withUnsafeMutableBufferPointer { pm in
            wr.withUnsafeMutableBufferPointer { pr in
                wi.withUnsafeMutableBufferPointer { pi in
                    unused.withUnsafeMutableBufferPointer { pu in
                        LAPACKE_dgeev(LAPACK_ROW_MAJOR, option("N"), option("N"), n, pm.baseAddress, n,
                                      pr.baseAddress, pi.baseAddress, pu.baseAddress, 1, pu.baseAddress, 1)
                    }
                }
            }
        }
        try check(info, "dgeev")
        return (0..<a.rows).map { Complex(wr[$0], wi[$0]) }
    }

    /// Eigenvalues λ (det(A − λI) = 0) of a general complex square matrix (LAPACK `zgeev`, no eigenvectors),
    /// in LAPACK's order.
    public static func generalEigenvalues(_ a: ComplexMatrix) throws -> [Complex<Double>] {
        let n = try squareOrder(a.rows, a.cols)
        try checkFinite(a, "matrix")
        if n == 0 { return [] }
        var m = a
        var w = [Complex<Double>](repeating: .zero, count: a.rows)
        var unused = [Complex<Double>](repeating: .zero, count: 1)
        let info = withLapackComplex(&m.data) { pm in
            withLapackComplex(&w) { pw in
                withLapackComplex(&unused) { pu in
                    LAPACKE_zgeev(LAPACK_ROW_MAJOR, option("N"), option("N"), n, pm, n, pw, pu, 1, pu, 1)
                }
            }
        }
        try check(info, "zgeev")
        return w
    }
}

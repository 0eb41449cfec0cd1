import CNumericLibs

/// A dense, row-major `rows × cols` matrix of Float64 values.
///
/// Element `(i, j)` lives at `data[i * cols + j]`. Products go through OpenBLAS (`cblas_dgemm`,
/// `cblas_dgemv`); decompositions live in `LinearAlgebra.swift`.
public struct Matrix: Sendable, Equatable, CustomStringConvertible {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let cols: Int
    /// Entries, row-major: (i, j) at i·cols + j.
    public var data: [Double]

    /// A `rows × cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative dimension \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.data = [Double](repeating: value, count: rows * cols)
    }

    /// A `rows × cols` matrix whose entries are unspecified until written (every one must be, before it is read):
    /// fresh storage, advised for huge pages (`HugePages`), not cleared first — for the result of a product.
    public init(uninitializedRows rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative dimension \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.data = HugePages.uninitializedArray(rows * cols)
    }

    /// A matrix over existing row-major storage; `data.count` must equal `rows * cols`.
    public init(rows: Int, cols: Int, data: [Double]) {
        precondition(data.count == rows * cols, "Matrix: \(data.count) values for a \(rows)×\(cols) matrix")
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    /// A matrix from nested rows (all rows must have the same length).
    public init(_ nested: [[Double]]) {
        let r = nested.count
        let c = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == c }, "Matrix: ragged rows")
        self.init(rows: r, cols: c, data: nested.flatMap { $0 })
    }

    /// The `n × n` identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m.data[i * n + i] = 1 }
        return m
    }

    /// Entry (i, j) = data[i·cols + j], read and written in place.
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { data[i * cols + j] }
        set { data[i * cols + j] = newValue }
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Double] { Array(data[(i * cols)..<((i + 1) * cols)]) }

    /// The transpose.
    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { t.data[j * rows + i] = data[i * cols + j] } }
        return t
    }

    /// The rows, one per line, entries separated by spaces.
    public var description: String {
        (0..<rows).map { i in row(i).map { String($0) }.joined(separator: " ") }.joined(separator: "\n")
    }

    /// "R×C:" then every entry's IEEE bit pattern in hex, comma-separated: the matrix exactly, for the fingerprints of
    /// checkpoints (a resume with other points is refused).
    public var exactDescription: String {
        "\(rows)x\(cols):" + data.map { String($0.bitPattern, radix: 16) }.joined(separator: ",")
    }

    /// Frobenius norm √(Σ_ij A_ij²).
    public var frobeniusNorm: Double {
        data.withUnsafeBufferPointer { cblas_dnrm2(Int32($0.count), $0.baseAddress, 1) }
    }

    /// C = α·op(A)·op(B) with op = identity or transpose, through `cblas_dgemm`.
    public static func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
                                alpha: Double = 1) -> Matrix {
        var none: [[Double]] = []
        return multiply(a, b, transposeA: transposeA, transposeB: transposeB, alpha: alpha, reusing: &none)
    }

    /// `multiply` with C written into one of `spares`, arrays no longer needed (`HugePages.uninitializedArray(_:reusing:)`:
    /// their pages are already mapped, no fresh memory to fault in), else into fresh storage. The same arithmetic.
    public static func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
                                alpha: Double = 1, reusing spares: inout [[Double]]) -> Matrix {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let kb = transposeB ? b.cols : b.rows
        let n = transposeB ? b.rows : b.cols
        precondition(k == kb, "Matrix.multiply: inner dimensions \(k) and \(kb) differ")
        if m == 0 || n == 0 || k == 0 { return Matrix(rows: m, cols: n) }
        // β = 0: BLAS writes C without reading it.
        var c = Matrix(rows: m, cols: n, data: HugePages.uninitializedArray(m * n, reusing: &spares))
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(CblasRowMajor,
                                transposeA ? CblasTrans : CblasNoTrans,
                                transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), alpha,
                                pa.baseAddress, Int32(a.cols),
                                pb.baseAddress, Int32(b.cols),
                                0, pc.baseAddress, Int32(n))
                }
            }
        }
        return c
    }

    /// y = A·x through `cblas_dgemv`.
    public static func * (a: Matrix, x: [Double]) -> [Double] {
        precondition(x.count == a.cols, "Matrix*vector: \(a.cols) columns, vector of \(x.count)")
        var y = [Double](repeating: 0, count: a.rows)
        if a.rows == 0 || a.cols == 0 { return y }
        a.data.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(a.rows), Int32(a.cols), 1,
                                pa.baseAddress, Int32(a.cols), px.baseAddress, 1, 0, py.baseAddress, 1)
                }
            }
        }
        return y
    }

    /// The matrix product a·b (`multiply`, through BLAS).
    public static func * (a: Matrix, b: Matrix) -> Matrix { multiply(a, b) }

    /// self ← self + α·other in place (BLAS daxpy); shapes must agree.
    public mutating func addScaled(_ other: Matrix, alpha: Double) {
        precondition(rows == other.rows && cols == other.cols, "Matrix.addScaled: shapes differ")
        let n = Int32(data.count)
        data.withUnsafeMutableBufferPointer { y in
            other.data.withUnsafeBufferPointer { x in cblas_daxpy(n, alpha, x.baseAddress, 1, y.baseAddress, 1) }
        }
    }

    /// Entrywise sum; shapes must agree.
    public static func + (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.cols == b.cols, "Matrix+: shapes differ")
        var c = a
        for i in 0..<c.data.count { c.data[i] += b.data[i] }
        return c
    }

    /// Entrywise difference; shapes must agree.
    public static func - (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.cols == b.cols, "Matrix-: shapes differ")
        var c = a
        for i in 0..<c.data.count { c.data[i] -= b.data[i] }
        return c
    }

    /// Every entry multiplied by s.
    public static func * (s: Double, a: Matrix) -> Matrix {
        var c = a
        for i in 0..<c.data.count { c.data[i] *= s }
        return c
    }
}

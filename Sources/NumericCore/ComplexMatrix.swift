import Numerics

/// A dense, row-major `rows × cols` matrix of complex Float64 values (swift-numerics `Complex<Double>`,
/// layout-compatible with C `double _Complex`, LAPACKE's complex and FFTW's `fftw_complex`).
public struct ComplexMatrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let cols: Int
    /// Entries, row-major: (i, j) at i·cols + j.
    public var data: [Complex<Double>]

    /// A rows × cols matrix with every entry `value` (zero by default).
    public init(rows: Int, cols: Int, repeating value: Complex<Double> = .zero) {
        self.rows = rows
        self.cols = cols
        self.data = [Complex<Double>](repeating: value, count: rows * cols)
    }

    /// A rows × cols matrix of the given row-major entries (count rows·cols).
    public init(rows: Int, cols: Int, data: [Complex<Double>]) {
        precondition(data.count == rows * cols, "ComplexMatrix: \(data.count) values for a \(rows)×\(cols) matrix")
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    /// Entry (i, j), read and written in place.
    @inlinable
    public subscript(i: Int, j: Int) -> Complex<Double> {
        get { data[i * cols + j] }
        set { data[i * cols + j] = newValue }
    }

    /// The conjugate transpose A†.
    public var adjoint: ComplexMatrix {
        var t = ComplexMatrix(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { t.data[j * rows + i] = data[i * cols + j].conjugate } }
        return t
    }

    /// C = A·B (plain loops; use for small matrices).
    public static func * (a: ComplexMatrix, b: ComplexMatrix) -> ComplexMatrix {
        precondition(a.cols == b.rows, "ComplexMatrix*: inner dimensions \(a.cols) and \(b.rows) differ")
        var c = ComplexMatrix(rows: a.rows, cols: b.cols)
        for i in 0..<a.rows {
            for k in 0..<a.cols {
                let aik = a.data[i * a.cols + k]
                for j in 0..<b.cols { c.data[i * b.cols + j] = c.data[i * b.cols + j] + aik * b.data[k * b.cols + j] }
            }
        }
        return c
    }
}

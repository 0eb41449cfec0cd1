import Numerics

/// Element types an `NDArray` can hold and `.npy` can store.
public protocol NPYScalar: Sendable, Equatable {
    /// numpy's dtype descriptor, little-endian (`<f8`, `<c16`, `<i8`).
    static var npyDescr: String { get }
    static var zero: Self { get }
    /// Whether the value is finite (not NaN, not ±∞; always true for integers).
    var isFiniteValue: Bool { get }
    /// The index of the first value that is not finite (nil when all are): one call per array, so that the scan
    /// runs in the conforming type's own code (a generic `firstIndex(where:)` went through value witnesses per
    /// element — 60 ms of a 90-ms `nntheory kernel` at P = 1000).
    static func firstNonFinite(in values: [Self]) -> Int?
}

extension Double: NPYScalar {
    /// `<f8`: little-endian Float64.
    public static var npyDescr: String { "<f8" }
    public var isFiniteValue: Bool { isFinite }
    public static func firstNonFinite(in values: [Double]) -> Int? {
        values.withUnsafeBufferPointer { firstNonFinite(in: $0) }
    }

    /// `firstNonFinite(in:)` of values in place (a row range of an array being written, say).
    public static func firstNonFinite(in p: UnsafeBufferPointer<Double>) -> Int? {
        // A value is not finite when its 11 exponent bits are all ones: an integer OR over blocks of 4096 (which
        // the compiler vectorises) finds the first bad block, and only that block is searched.
        p.withMemoryRebound(to: UInt64.self) { bits in
            var start = 0
            while start < bits.count {
                let end = min(start + 4096, bits.count)
                var bad: UInt64 = 0
                for i in start..<end { bad |= ((bits[i] >> 52) & 0x7FF) &+ 1 }
                if bad & 0x800 != 0 { return (start..<end).first { !p[$0].isFinite } }
                start = end
            }
            return nil
        }
    }
}
extension Complex: NPYScalar where RealType == Double {
    /// `<c16`: little-endian complex128 (real, imaginary Float64).
    public static var npyDescr: String { "<c16" }
    public var isFiniteValue: Bool { real.isFinite && imaginary.isFinite }
    public static func firstNonFinite(in values: [Complex<Double>]) -> Int? {
        values.withUnsafeBufferPointer { p in (0..<p.count).first { !(p[$0].real.isFinite && p[$0].imaginary.isFinite) } }
    }
}
extension Int64: NPYScalar {
    /// `<i8`: little-endian Int64.
    public static var npyDescr: String { "<i8" }
    public var isFiniteValue: Bool { true }
    public static func firstNonFinite(in values: [Int64]) -> Int? { nil }
}

/// A dense n-dimensional array in C (row-major) order: element `(i₀, …, i_{r−1})` lives at
/// `Σ_k i_k · stride_k` with `stride_{r−1} = 1`, `stride_k = stride_{k+1} · shape_{k+1}`.
/// A rank-0 array holds one scalar.
public struct NDArray<Scalar: NPYScalar>: Sendable, Equatable {
    /// Extents, outermost first.
    public var shape: [Int]
    /// Elements in C order (count Π shape).
    public var data: [Scalar]

    /// An array of the given shape and C-order data (count must be Π shape, extents ≥ 0).
    public init(shape: [Int], data: [Scalar]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "NDArray: negative extent in shape \(shape)")
        precondition(data.count == shape.reduce(1, *), "NDArray: \(data.count) values for shape \(shape)")
        self.shape = shape
        self.data = data
    }

    /// An array of the given shape with every element `value` (zero by default).
    public init(shape: [Int], repeating value: Scalar = .zero) {
        self.init(shape: shape, data: [Scalar](repeating: value, count: shape.reduce(1, *)))
    }

    /// Number of axes r.
    public var rank: Int { shape.count }
    /// Number of elements, Π shape.
    public var count: Int { data.count }

    /// Row-major strides in elements.
    public var strides: [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        if shape.count > 1 { for k in stride(from: shape.count - 2, through: 0, by: -1) { s[k] = s[k + 1] * shape[k + 1] } }
        return s
    }

    /// Element (i₀, …, i_{r−1}), read and written in place.
    public subscript(index: [Int]) -> Scalar {
        get { data[offset(index)] }
        set { data[offset(index)] = newValue }
    }

    private func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "NDArray: index of rank \(index.count) into rank \(shape.count)")
        var o = 0
        for (k, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[k], "NDArray: index \(i) out of range 0..<\(shape[k]) on axis \(k)")
            o = o * shape[k] + i
        }
        return o
    }
}

extension NDArray where Scalar == Double {
    /// A rank-2 array viewing a `Matrix`.
    public init(_ m: Matrix) { self.init(shape: [m.rows, m.cols], data: m.data) }

    /// The rank-2 array as a `Matrix` (precondition: rank 2).
    public var matrix: Matrix {
        precondition(rank == 2, "NDArray.matrix: rank \(rank), expected 2")
        return Matrix(rows: shape[0], cols: shape[1], data: data)
    }
}

import Numerics
import NumericCore

// Largest entries and largest entrywise differences, for error bounds and their scales. NaN anywhere gives NaN, so
// that a comparison `error <= tolerance` (or `error < tol · scale`) against the result fails instead of skipping it.

/// max |x_i| (0 for no entries; NaN if any entry is NaN).
public func maxAbs<C: Collection>(_ x: C) -> Double where C.Element == Double {
    x.reduce(0) { $0.isNaN || $1.isNaN ? .nan : max($0, abs($1)) }
}

/// max |z_i|, the largest modulus (0 for no entries; NaN if any modulus is NaN).
public func maxAbs<C: Collection>(_ z: C) -> Double where C.Element == Complex<Double> {
    maxAbs(z.lazy.map(\.length))
}

/// max |a_i − b_i| over entries of equal index; the counts must agree.
public func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "max difference of \(a.count) and \(b.count) entries")
    return maxAbs(zip(a, b).lazy.map { $0 - $1 })
}

/// max |a_i − b_i| over entries of equal index; the counts must agree.
public func maxAbsDifference(_ a: [Complex<Double>], _ b: [Complex<Double>]) -> Double {
    precondition(a.count == b.count, "max difference of \(a.count) and \(b.count) entries")
    return maxAbs(zip(a, b).lazy.map { ($0 - $1).length })
}

/// The largest |entry| of a matrix.
public func maxAbs(_ m: Matrix) -> Double { maxAbs(m.data) }

/// The largest |entry| of a complex matrix.
public func maxAbs(_ m: ComplexMatrix) -> Double { maxAbs(m.data) }

/// max |a_ij − b_ij| of two matrices of one shape.
public func maxAbsDifference(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.rows == b.rows && a.cols == b.cols, "max difference of \(a.rows)×\(a.cols) and \(b.rows)×\(b.cols)")
    return maxAbsDifference(a.data, b.data)
}

/// max |a_ij − b_ij| of two complex matrices of one shape.
public func maxAbsDifference(_ a: ComplexMatrix, _ b: ComplexMatrix) -> Double {
    precondition(a.rows == b.rows && a.cols == b.cols, "max difference of \(a.rows)×\(a.cols) and \(b.rows)×\(b.cols)")
    return maxAbsDifference(a.data, b.data)
}

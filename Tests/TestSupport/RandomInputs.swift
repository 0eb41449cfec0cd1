import Numerics
import NumericCore

/// Random test inputs drawn from a `RandomStream`. Every helper draws in the order a plain loop over its result would
/// (row-major for matrices; real part before imaginary part for complex numbers), so replacing such a loop by the
/// helper leaves the numbers — and the stream's position — unchanged.
extension RandomStream {
    /// Uniform on [−1, 1): 2·uniform() − 1.
    public mutating func symmetric() -> Double { 2 * uniform() - 1 }

    /// `count` draws of `symmetric()`.
    public mutating func symmetrics(_ count: Int) -> [Double] { (0..<count).map { _ in symmetric() } }

    /// `count` standard normal draws.
    public mutating func normals(_ count: Int) -> [Double] { (0..<count).map { _ in normal() } }

    /// `count` draws uniform on [a, b).
    public mutating func uniforms(_ count: Int, _ a: Double, _ b: Double) -> [Double] { (0..<count).map { _ in uniform(a, b) } }

    /// x + iy with x, y independent standard normals (x drawn first).
    public mutating func complexNormal() -> Complex<Double> {
        let x = normal()
        return Complex(x, normal())
    }

    /// `count` draws of `complexNormal()`.
    public mutating func complexNormals(_ count: Int) -> [Complex<Double>] { (0..<count).map { _ in complexNormal() } }

    /// `count` complex numbers x + iy with x, y independent draws of `symmetric()` (x first).
    public mutating func symmetricComplexes(_ count: Int) -> [Complex<Double>] {
        (0..<count).map { _ in
            let x = symmetric()
            return Complex(x, symmetric())
        }
    }

    /// A rows × cols matrix of standard normals, filled row by row (e.g. `rows` random points in ℝ^cols).
    public mutating func normalMatrix(_ rows: Int, _ cols: Int) -> Matrix { Matrix(rows: rows, cols: cols, data: normals(rows * cols)) }

    /// A rows × cols matrix of draws uniform on [a, b), filled row by row.
    public mutating func uniformMatrix(_ rows: Int, _ cols: Int, _ a: Double, _ b: Double) -> Matrix {
        Matrix(rows: rows, cols: cols, data: uniforms(rows * cols, a, b))
    }
}

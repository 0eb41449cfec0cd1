import NumericCore

/// The pair of infinite-width kernels carried through a network, neural-tangents style, for inputs
/// x₁ (P₁ points) and x₂ (P₂ points):
/// `nngp[i·P₂ + j]` = K(x₁ᵢ, x₂ⱼ), `ntk[i·P₂ + j]` = Θ(x₁ᵢ, x₂ⱼ), and the diagonals K(x₁ᵢ, x₁ᵢ), K(x₂ⱼ, x₂ⱼ)
/// that the nonlinearities need. With `diagonalOnly` the pairs are (x₁ᵢ, x₁ᵢ) only (P₂ = P₁, one entry per i).
///
/// Conventions (neural-tangents): the input kernel is K⁰ = x·x'/d_in, Θ⁰ = 0; `width` is the number of
/// channels of the current layer (d_in at the input), used by standard-parameterisation Dense layers.
public struct KernelState: Sendable {
    public var nngp: [Double]
    public var ntk: [Double]
    public var diagonal1: [Double]
    public var diagonal2: [Double]
    public let rows: Int
    public let cols: Int
    public let diagonalOnly: Bool
    public var width: Int
    /// True when the pre-activations are Gaussian, i.e. the last layer was affine: nonlinearities need it.
    public var isGaussian: Bool

    /// The input kernel of two point sets ([P₁, d] and [P₂, d]).
    public init(x1: Matrix, x2: Matrix? = nil, diagonalOnly: Bool = false) {
        let y = x2 ?? x1
        precondition(x1.cols == y.cols, "KernelState: inputs of dimension \(x1.cols) and \(y.cols)")
        let d = Double(x1.cols)
        func dot(_ a: Matrix, _ i: Int, _ b: Matrix, _ j: Int) -> Double {
            var s = 0.0
            for k in 0..<a.cols { s += a[i, k] * b[j, k] }
            return s / d
        }
        rows = x1.rows
        self.diagonalOnly = diagonalOnly
        if diagonalOnly {
            cols = 1
            nngp = (0..<x1.rows).map { dot(x1, $0, x1, $0) }
        } else {
            cols = y.rows
            nngp = Matrix.multiply(x1, y, transposeB: true, alpha: 1 / d).data
        }
        diagonal1 = (0..<x1.rows).map { dot(x1, $0, x1, $0) }
        diagonal2 = diagonalOnly ? diagonal1 : (0..<y.rows).map { dot(y, $0, y, $0) }
        if x2 == nil && !diagonalOnly {
            // Same points: make K(x, x) bit-identical to the diagonals, so that ρ = 1 exactly there.
            for i in 0..<rows { nngp[i * cols + i] = diagonal1[i] }
        }
        ntk = [Double](repeating: 0, count: nngp.count)
        width = x1.cols
        isGaussian = false
    }

    /// (K₁₁, K₂₂) of entry `e`.
    @inlinable
    public func diagonals(of e: Int) -> (Double, Double) {
        diagonalOnly ? (diagonal1[e], diagonal1[e]) : (diagonal1[e / cols], diagonal2[e % cols])
    }

    /// NNGP as a [P₁, P₂] matrix (or [P, 1] when diagonal only).
    public var nngpMatrix: Matrix { Matrix(rows: rows, cols: cols, data: nngp) }
    /// NTK as a [P₁, P₂] matrix (or [P, 1] when diagonal only).
    public var ntkMatrix: Matrix { Matrix(rows: rows, cols: cols, data: ntk) }
}

import NumericCore
#if canImport(Glibc)
import Glibc
#endif

/// The pair of infinite-width kernels carried through a network, neural-tangents style, for inputs
/// x₁ (P₁ points) and x₂ (P₂ points):
/// `nngp[i·P₂ + j]` = K(x₁ᵢ, x₂ⱼ), `ntk[i·P₂ + j]` = Θ(x₁ᵢ, x₂ⱼ), and the diagonals K(x₁ᵢ, x₁ᵢ), K(x₂ⱼ, x₂ⱼ)
/// that the nonlinearities need. With `diagonalOnly` the pairs are (x₁ᵢ, x₁ᵢ) only (P₂ = P₁, one entry per i).
///
/// Conventions (neural-tangents): the input kernel is K⁰ = x·x'/d_in, Θ⁰ = 0; `width` is the number of
/// channels of the current layer (d_in at the input), used by standard-parameterisation Dense layers.
public struct KernelState: Sendable {
    /// NNGP K(x₁ᵢ, x₂ⱼ) at `i·cols + j` (or K(x₁ᵢ, x₁ᵢ) at i when diagonal only).
    public var nngp: [Double]
    /// NTK Θ(x₁ᵢ, x₂ⱼ), laid out like `nngp`.
    public var ntk: [Double]
    /// K(x₁ᵢ, x₁ᵢ) for the rows of x₁.
    public var diagonal1: [Double]
    /// K(x₂ⱼ, x₂ⱼ) for the rows of x₂ (equal to `diagonal1` when x₂ is x₁ or diagonal only).
    public var diagonal2: [Double]
    /// P₁, the number of points of x₁.
    public let rows: Int
    /// P₂, the number of points of x₂ (1 when diagonal only).
    public let cols: Int
    /// Whether only the pairs (x₁ᵢ, x₁ᵢ) are carried.
    public let diagonalOnly: Bool
    /// Channels n of the current layer (d_in at the input); standard-parameterisation Dense layers use it.
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

    /// P₁ × P₂ entries left uninitialised (the diagonals empty) for the fused path of `Serial.kernels`, which
    /// writes every entry (so the pages are first touched by the workers, not zeroed beforehand).
    init(uninitializedRows rows: Int, cols: Int, width: Int) {
        self.rows = rows
        self.cols = cols
        diagonalOnly = false
        self.width = width
        isGaussian = false
        diagonal1 = []
        diagonal2 = []
        nngp = Self.uninitializedArray(rows * cols)
        ntk = Self.uninitializedArray(rows * cols)
    }

    static func uninitializedArray(_ n: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: n) { buffer, count in
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            count = n
        }
    }

    /// Asks the kernel to back the 2 MiB-aligned interior of a large, not yet touched buffer with transparent
    /// huge pages (Linux `madvise(MADV_HUGEPAGE)`; a no-op elsewhere or when THP is off). A [4000, 4000] Float64
    /// kernel otherwise costs 31 250 page faults (4 KiB each) per matrix on first touch, more time than its
    /// arithmetic; with huge pages it is 62.
    static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        let huge = 1 << 21
        guard buffer.count >= 2 * huge, let base = buffer.baseAddress else { return }
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
        #endif
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

/// A rectangular block of a `KernelState`'s entries that a layer maps in place (the fused path of
/// `Serial.kernels`): entry (r, c) of the block is `nngp[r·stride + c]`, `ntk[r·stride + c]`; `diagonal1[r]`,
/// `diagonal2[c]` are K(x₁, x₁), K(x₂, x₂) of its rows and columns at the layer's input, `width` the layer's
/// input width.
struct KernelTile {
    let nngp: UnsafeMutablePointer<Double>
    let ntk: UnsafeMutablePointer<Double>
    let stride: Int
    let rows: Int
    let cols: Int
    var diagonal1: UnsafePointer<Double>
    var diagonal2: UnsafePointer<Double>
    var width: Int
}

extension KernelTile {
    /// K₁₂ ← T, Θ ← Ṫ·Θ at every entry of the tile, (T, Ṫ) = dual(K₁₁, K₁₂, K₂₂).
    @inline(__always)
    func mapEntries(_ dual: (Double, Double, Double) -> (t: Double, tDot: Double)) {
        for r in 0..<rows {
            let k = nngp + r * stride, th = ntk + r * stride
            let k11 = diagonal1[r]
            for c in 0..<cols {
                let (v, vd) = dual(k11, k[c], diagonal2[c])
                k[c] = v; th[c] = vd * th[c]
            }
        }
    }
}

/// Layers whose kernel map acts entry by entry (given the diagonals), so that a network of them can be
/// evaluated block by block, all layers at once, with the same arithmetic as `Layer.kernel`.
protocol EntrywiseKernelMap: Sendable {
    func map(_ tile: KernelTile)
    /// Whether the map of entry (K₁₁, K₁₂, K₂₂) equals that of (K₂₂, K₁₂, K₁₁) bit for bit (closed forms), so
    /// that a kernel of x against itself may be mirrored.
    var isSymmetric: Bool { get }
}

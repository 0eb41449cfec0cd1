import CNumericLibs
import Dispatch
import NumericCore
#if canImport(Glibc)
import Glibc
#endif

/// Receives rows of the NNGP and NTK as soon as they are final (`Serial.kernels(…, rowsReady:)`): `rows` of x₁,
/// and their entries of K and Θ (`rows.count · cols` each, row after row, as `KernelState.nngp` lays them out). Called
/// once for every row, from any thread, while the computation goes on; the buffers are valid during the call only.
public typealias KernelRowsReady = @Sendable (_ rows: Range<Int>, _ nngp: UnsafeBufferPointer<Double>, _ ntk: UnsafeBufferPointer<Double>) -> Void

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
    public private(set) var diagonalOnly: Bool
    /// Channels n of the current layer (d_in at the input); standard-parameterisation Dense layers use it.
    public var width: Int
    /// True when the pre-activations are Gaussian, i.e. the last layer was affine: nonlinearities need it.
    public var isGaussian: Bool
    /// Spatial dimensions of the current layer (empty for vectors).
    public var spatial: [Int] = []
    /// How the covariance over spatial positions is carried (`none` for vectors).
    public var spatialCovariance: SpatialCovariance = .none
    /// Arrays a layer no longer needed, for the next layer to write into instead of fresh pages (a convolution of a
    /// large state otherwise spends more time in the kernel's page clearing than in its arithmetic): taken with
    /// `HugePages.uninitializedArray(_:reusing:)`, after taking them out of the state (`spareBuffers = []`).
    var spareBuffers: [[Double]] = []

    /// Which spatial covariances a state of a convolutional network carries (neural-tangents' `diagonal_spatial`):
    /// `diagonal`, K(x, x')[s, s] only — enough for convolutions, nonlinearities, LayerNorm and a `Flatten` readout;
    /// `full`, K(x, x')[s, s'] for all position pairs — needed by pooling (`AvgPool`, `GlobalAvgPool`).
    ///
    /// Layouts (S positions, P₁ × P₂ points):
    /// - `diagonal`: `nngp[(s·P₁ + i)·P₂ + j]` = K(x₁ᵢ, x₂ⱼ)[s, s]; `diagonal1[s·P₁ + i]`, `diagonal2[s·P₂ + j]`;
    ///   diagonal only: `nngp[s·P₁ + i]`.
    /// - `full`: a (P₁·S) × (P₂·S) matrix, `nngp[(i·S + s)·P₂·S + j·S + s']` = K(x₁ᵢ, x₂ⱼ)[s, s'];
    ///   `diagonal1[i·S + s]` = K(x₁ᵢ, x₁ᵢ)[s, s], `diagonal2[j·S + s']`; diagonal only: `nngp[(i·S + s)·S + s']`
    ///   = K(x₁ᵢ, x₁ᵢ)[s, s'] (the whole self-covariance of each point, which pooling needs).
    public enum SpatialCovariance: Sendable, Equatable { case none, diagonal, full }

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
    init(uninitializedRows rows: Int, cols: Int, width: Int, allocate: Bool = true) {
        self.rows = rows
        self.cols = cols
        diagonalOnly = false
        self.width = width
        isGaussian = false
        diagonal1 = []
        diagonal2 = []
        nngp = allocate ? HugePages.uninitializedArray(rows * cols) : []
        ntk = allocate ? HugePages.uninitializedArray(rows * cols) : []
    }

    /// The entries as `count` tiles of `rows` × `cols` (tile t at `t·rows·cols`), entry (r, c) of tile t pairing
    /// `diagonal1[t·rows + r]` with `diagonal2[t·cols + c]` (`diagonal1` for both when diagonal only) — the
    /// layouts of `SpatialCovariance` seen alike by entrywise maps; nil when each entry pairs its own diagonal
    /// value with itself (diagonal only without a full spatial covariance: `nngp[e]` with `diagonal1[e]`).
    public var tiles: (count: Int, rows: Int, cols: Int)? {
        let S = spatial.reduce(1, *)
        switch (spatialCovariance, diagonalOnly) {
        case (.full, true): return (rows, S, S)
        case (.full, false): return (1, rows * S, cols * S)
        case (_, true): return nil
        case (.diagonal, false): return (S, rows, cols)
        case (.none, false): return (1, rows, cols)
        }
    }

    /// (K₁₁, K₂₂) of entry `e` (see `tiles`).
    @inlinable
    public func diagonals(of e: Int) -> (Double, Double) {
        guard let t = tiles else { return (diagonal1[e], diagonal1[e]) }
        let size = t.rows * t.cols, tile = e / size, r = (e % size) / t.cols, c = e % t.cols
        let d2 = diagonalOnly ? diagonal1 : diagonal2
        return (diagonal1[tile * t.rows + r], d2[tile * t.cols + c])
    }

    /// Whether the diagonals cover the entries (`tiles`): a pair state just after pooling has none until
    /// `Serial.kernels` supplies them from the diagonal-only states.
    public var hasDiagonals: Bool {
        guard let t = tiles else { return diagonal1.count == nngp.count }
        return diagonal1.count == t.count * t.rows && (diagonalOnly || diagonal2.count == t.count * t.cols)
    }

    /// Applies `map` to every tile of the entries in place (see `tiles`), in pieces of rows on all cores; the
    /// diagonals untouched. Each entry is mapped once, by the same arithmetic whatever the pieces.
    mutating func mapTiles(_ map: @Sendable (KernelTile) -> Void) {
        guard let t = tiles, !nngp.isEmpty else { return }
        precondition(hasDiagonals, "KernelState.mapTiles: diagonals missing (a pair state after pooling outside Serial.kernels)")
        let w = width
        let d2 = diagonalOnly ? diagonal1 : diagonal2
        // Pieces of ≈ 2¹⁵ entries (whole rows of one tile).
        let rowsPerPiece = max(1, min(t.rows, (1 << 15) / max(1, t.cols))), piecesPerTile = (t.rows + rowsPerPiece - 1) / rowsPerPiece
        nngp.withUnsafeMutableBufferPointer { kb in ntk.withUnsafeMutableBufferPointer { tb in
        diagonal1.withUnsafeBufferPointer { d1b in d2.withUnsafeBufferPointer { d2b in
            nonisolated(unsafe) let (kp, tp, d1p, d2p) = (kb.baseAddress!, tb.baseAddress!, d1b.baseAddress!, d2b.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: t.count * piecesPerTile) { n in
                let tile = n / piecesPerTile, r0 = (n % piecesPerTile) * rowsPerPiece, rows = min(rowsPerPiece, t.rows - r0)
                let o = tile * t.rows * t.cols + r0 * t.cols
                map(KernelTile(nngp: kp + o, ntk: tp + o, stride: t.cols, rows: rows, cols: t.cols,
                               diagonal1: d1p + tile * t.rows + r0, diagonal2: d2p + tile * t.cols, width: w))
            }
        } } } }
    }

    /// The input kernel of shaped points (x [P, S·C], one flattened point per row, `TensorShape`'s order):
    /// K⁰(x, x')[s, s'] = Σ_c x[s, c]·x'[s', c]/C, Θ⁰ = 0, carried as `covariance` says (`none` needs S = 1).
    public init(x1: Matrix, x2: Matrix? = nil, shape: TensorShape, covariance: SpatialCovariance, diagonalOnly: Bool = false) {
        guard !shape.spatial.isEmpty, covariance != .none else {
            self.init(x1: x1, x2: x2, diagonalOnly: diagonalOnly)
            return
        }
        let y = x2 ?? x1
        precondition(x1.cols == shape.size && y.cols == shape.size, "KernelState: points of \(x1.cols) and \(y.cols) values for shape \(shape)")
        let S = shape.spatialSize, C = shape.channels, P1 = x1.rows, P2 = diagonalOnly ? 1 : y.rows
        let invC = 1 / Double(C)
        // Spatial diagonals, i-major for `full` and s-major for `diagonal`.
        func diag(_ x: Matrix) -> [Double] {
            var d = [Double](repeating: 0, count: x.rows * S)
            for i in 0..<x.rows { for s in 0..<S {
                var acc = 0.0
                for c in 0..<C { let v = x.data[(i * S + s) * C + c]; acc += v * v }
                d[covariance == .full ? i * S + s : s * x.rows + i] = acc * invC
            } }
            return d
        }
        let diagonal1 = diag(x1)
        let diagonal2 = diagonalOnly ? diagonal1 : diag(y)
        var nngp: [Double]
        switch (covariance, diagonalOnly) {
        case (.full, false):
            nngp = Matrix.multiply(Matrix(rows: P1 * S, cols: C, data: x1.data), Matrix(rows: y.rows * S, cols: C, data: y.data),
                                   transposeB: true, alpha: invC).data
            if x2 == nil { for r in 0..<(P1 * S) { nngp[r * P1 * S + r] = diagonal1[r] } }
        case (.full, true):
            nngp = [Double](repeating: 0, count: P1 * S * S)
            for i in 0..<P1 {
                let xi = Matrix(rows: S, cols: C, data: Array(x1.data[(i * S * C)..<((i + 1) * S * C)]))
                let g = Matrix.multiply(xi, xi, transposeB: true, alpha: invC)
                for e in 0..<(S * S) { nngp[i * S * S + e] = g.data[e] }
                for s in 0..<S { nngp[(i * S + s) * S + s] = diagonal1[i * S + s] }
            }
        case (_, true):
            nngp = diagonal1
        default:
            nngp = [Double](repeating: 0, count: S * P1 * P2)
            nngp.withUnsafeMutableBufferPointer { kb in x1.data.withUnsafeBufferPointer { ab in y.data.withUnsafeBufferPointer { bb in
                for s in 0..<S {
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(P1), Int32(P2), Int32(C), invC,
                                ab.baseAddress! + s * C, Int32(S * C), bb.baseAddress! + s * C, Int32(S * C), 0,
                                kb.baseAddress! + s * P1 * P2, Int32(P2))
                }
            } } }
            if x2 == nil { for s in 0..<S { for i in 0..<P1 { nngp[(s * P1 + i) * P2 + i] = diagonal1[s * P1 + i] } } }
        }
        self.init(uninitializedRows: P1, cols: P2, width: C, allocate: false)
        self.nngp = nngp
        self.ntk = [Double](repeating: 0, count: nngp.count)
        self.diagonal1 = diagonal1
        self.diagonal2 = diagonal2
        self.diagonalOnly = diagonalOnly
        spatial = shape.spatial
        spatialCovariance = covariance
    }

    /// A diagonal-only state with the full covariance: the diagonals set to its entries (s, s).
    mutating func synchronizeDiagonals() {
        guard diagonalOnly, spatialCovariance == .full else { return }
        diagonal1 = spatialDiagonal
        diagonal2 = diagonal1
    }

    /// K(xᵢ, xᵢ)[s, s] of a diagonal-only state in the `full` layout's diagonal order (i·S + s), or its own
    /// diagonal otherwise: what the pairs (x₁, x₂) of the same points need after a layer that mixes positions.
    var spatialDiagonal: [Double] {
        guard diagonalOnly, spatialCovariance == .full else { return diagonal1 }
        let S = spatial.reduce(1, *)
        return (0..<(rows * S)).map { r in nngp[r * S + r % S] }
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

extension KernelState {
    /// Hands every row to `rowsReady` at once (the paths that finish the whole arrays together).
    func deliverAllRows(to rowsReady: KernelRowsReady?) {
        guard let rowsReady else { return }
        nngp.withUnsafeBufferPointer { k in ntk.withUnsafeBufferPointer { t in rowsReady(0..<rows, k, t) } }
    }
}

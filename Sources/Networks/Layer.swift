import Dispatch
import Foundation
import CNumericLibs
import NumericCore

/// Trainable parameters of one layer: weights [fan_in, fan_out] and bias [fan_out] (neural-tangents'
/// `stax.Dense` layout), or nothing.
public struct LayerParameters: Sendable, Equatable {
    /// W [fan_in, fan_out] row-major (the stored values; nil for a layer without parameters).
    public var weight: Matrix?
    /// b [fan_out] (nil without a bias).
    public var bias: [Double]?
    /// A layer's parameters as given (shapes are checked by `ParameterLayout.join`).
    public init(weight: Matrix?, bias: [Double]?) { self.weight = weight; self.bias = bias }
    /// A layer without parameters.
    public static let none = LayerParameters(weight: nil, bias: nil)
}

/// A layer carries its forward map and its kernel map together (neural-tangents' `stax`):
/// `apply` maps the activations h [P, width] of a finite network; `kernel` maps the infinite-width
/// (NNGP, NTK) pair.
public protocol Layer: Sendable {
    /// A short description in SPEC syntax (`NetworkSpec` parses it back to the same layer).
    var name: String { get }
    /// Width of the output given the input width.
    func outputWidth(inputWidth: Int) -> Int
    /// Parameters drawn from `rng` (the layer's initialisation distribution; `.none` without parameters).
    func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters
    /// log of the initialisation density of `parameters` up to a constant (0 without parameters).
    func logDensity(_ parameters: LayerParameters, inputWidth: Int) -> Double
    /// The forward map on the activations h [P, width] of a finite network.
    func apply(_ parameters: LayerParameters, _ h: Matrix) -> Matrix
    /// The infinite-width kernel map on the (NNGP, NTK) pair.
    func kernel(_ k: KernelState) throws -> KernelState
    /// `kernel` on a state the caller owns, in place where the layer can (no copy of the kernels).
    func kernel(inPlace k: inout KernelState) throws

    // The shape-aware side, for convolutional and residual networks. Layers acting on channels alone (Dense,
    // nonlinearities) act on every spatial position alike and take the defaults of the first three.

    /// The shape of one output point for input points of shape `input`; throws when the layer cannot take it.
    func outputShape(_ input: TensorShape) throws -> TensorShape
    /// The forward map on activations of P points.
    func apply(_ parameters: LayerParameters, _ h: Activations) -> Activations
    /// (fan_in, fan_out, bias) of the weight matrix W [fan_in, fan_out] on inputs of shape `input`; nil without
    /// parameters. `initialize` and `logDensity` are called with `inputWidth` = fan_in.
    func parameterShape(_ input: TensorShape) -> ParameterShape?
    /// The pullback of the forward map at the input `h` (P points): `cotangent` holds R = P·O cotangents of the
    /// output, [R·S_out, C_out] (cotangent r belongs to point r / O); returns those of the input, [R·S_in, C_in].
    /// With `gradient`, writes cotangent r's derivative with respect to the stored parameters (W row-major, then
    /// b) into row r of the Jacobian.
    func pullback(_ parameters: LayerParameters, input h: Activations, cotangent: Matrix, rowsPerPoint: Int,
                  gradient: JacobianRows?) -> Matrix
}

extension Layer {
    /// 0: a layer without parameters has a constant density.
    public func logDensity(_ parameters: LayerParameters, inputWidth: Int) -> Double { 0 }
    /// The same spatial shape, channels by `outputWidth`.
    public func outputShape(_ input: TensorShape) throws -> TensorShape {
        TensorShape(spatial: input.spatial, channels: outputWidth(inputWidth: input.channels))
    }
    /// The vector map on the [P·S, C] values (every position alike).
    public func apply(_ parameters: LayerParameters, _ h: Activations) -> Activations {
        let z = apply(parameters, h.values)
        return Activations(values: z, shape: TensorShape(spatial: h.shape.spatial, channels: z.cols))
    }
    /// No parameters.
    public func parameterShape(_ input: TensorShape) -> ParameterShape? { nil }
    /// `kernel`'s result stored in `k`.
    public func kernel(inPlace k: inout KernelState) throws { k = try kernel(k) }
}

/// (fan_in, fan_out, bias) of a layer's weight matrix W [fan_in, fan_out] and bias b [fan_out].
public struct ParameterShape: Sendable, Equatable {
    /// Rows of W (for a convolution: window size × input channels).
    public var fanIn: Int
    /// Columns of W and length of b.
    public var fanOut: Int
    /// Whether there is a bias b.
    public var hasBias: Bool
}

/// Where a layer writes its rows of the parameter Jacobian ∂f_r/∂θ: row r at `base + r·stride`, W (row-major
/// [fan_in, fan_out]) from `weightOffset`, b from `biasOffset`.
public struct JacobianRows: @unchecked Sendable {
    /// Row 0, column 0 of the Jacobian.
    public let base: UnsafeMutablePointer<Double>
    /// Columns of the Jacobian (#θ).
    public let stride: Int
    /// Column of W[0, 0].
    public let weightOffset: Int
    /// Column of b[0] (nil without a bias).
    public let biasOffset: Int?
}

/// Builds a `Serial` network from layers listed one per line.
@resultBuilder
public enum NetworkBuilder {
    /// One layer as a one-element list.
    public static func buildExpression(_ l: any Layer) -> [any Layer] { [l] }
    /// A `Serial` spliced in as its layers.
    public static func buildExpression(_ l: Serial) -> [any Layer] { l.layers }
    /// The lines of a block, concatenated in order.
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    /// The layers of a `for` loop, concatenated in order.
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
    /// An `if` without `else`: its layers, or none.
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    /// The `if` branch of an `if`/`else`.
    public static func buildEither(first: [any Layer]) -> [any Layer] { first }
    /// The `else` branch of an `if`/`else`.
    public static func buildEither(second: [any Layer]) -> [any Layer] { second }
}

/// Layers composed in sequence: forward maps compose, kernel maps compose.
///
///     let net = Serial { Dense(512, wStd: 1.5, bStd: 0.05); Relu(); Dense(1, wStd: 1.5) }
public struct Serial: Sendable {
    /// The layers in the order the input passes through them.
    public let layers: [any Layer]

    /// The composition of `layers`, first to last.
    public init(_ layers: [any Layer]) { self.layers = layers }
    /// The composition of the layers listed by the builder, one per line.
    public init(@NetworkBuilder _ build: () -> [any Layer]) { self.layers = build() }

    /// The NNGP and NTK of x₁ against x₂ (x₁ against itself when x₂ is nil), vectors [P, d] (see
    /// `kernels(_:_:inputShape:diagonalOnly:)` for images and signals).
    ///
    /// When every layer acts entry by entry (Dense and elementwise nonlinearities), the entries are computed in
    /// blocks of `fusedBlock`² on both cores, `fusedRows` rows at a time through all layers while they are in L1,
    /// with the same arithmetic as the layer-by-layer maps; for x₁ against itself with closed-form nonlinearities
    /// only the entries on and above the diagonal are computed (whole blocks above it, the upper part of blocks
    /// on it) and the others mirrored (K and Θ are symmetric). `rowsReady` receives each row panel as soon as it is
    /// final (`kernels(_:_:inputShape:diagonalOnly:rowsReady:)`).
    public func kernels(_ x1: Matrix, _ x2: Matrix? = nil, diagonalOnly: Bool = false, rowsReady: KernelRowsReady? = nil) throws -> KernelState {
        try kernels(x1, x2, inputShape: .vector(x1.cols), diagonalOnly: diagonalOnly, rowsReady: rowsReady)
    }

    /// `kernels` of a network of entrywise maps on vectors (Dense, nonlinearities, LayerNorm): fused blocks. A row
    /// panel (`fusedBlock` rows) is handed to `rowsReady` by the thread that completes it: for a mirrored kernel, its
    /// own blocks on and right of the diagonal and the earlier panels' blocks above it, whose transposes fill its
    /// left part (one block per block column either way); otherwise the blocks of its rows.
    func fusedKernels(_ x1: Matrix, _ x2: Matrix? = nil, diagonalOnly: Bool = false, rowsReady: KernelRowsReady? = nil) throws -> KernelState {
        var entrywise = layers.compactMap { $0 as? any EntrywiseKernelMap }
        guard !diagonalOnly, entrywise.count == layers.count, !layers.isEmpty else {
            var k = KernelState(x1: x1, x2: x2, diagonalOnly: diagonalOnly)
            for l in layers { k = try l.kernel(k) }
            k.deliverAllRows(to: rowsReady)
            return k
        }
        // The diagonals entering each layer (and the errors of an invalid network), from the diagonal-only states.
        var s1 = KernelState(x1: x1, diagonalOnly: true)
        var s2 = x2.map { KernelState(x1: $0, diagonalOnly: true) }
        // A Hermite nonlinearity's table (the coefficients of every diagonal value entering it) is built once here and
        // serves the diagonal passes and the block map alike.
        var diagonals1: [[Double]] = [], diagonals2: [[Double]] = [], widths: [Int] = []
        for (l, layer) in layers.enumerated() {
            diagonals1.append(s1.diagonal1)
            diagonals2.append(s2?.diagonal1 ?? s1.diagonal1)
            widths.append(s1.width)
            if let nl = layer as? Nonlinearity, let table = nl.hermiteTable(diagonals: diagonals1[l] + diagonals2[l]) {
                entrywise[l] = HermiteKernelMap(table: table)
                s1 = try nl.kernel(s1, table: table)
                if let t = s2 { s2 = try nl.kernel(t, table: table) }
            } else {
                s1 = try layer.kernel(s1)
                if let t = s2 { s2 = try layer.kernel(t) }
            }
        }
        let maps = entrywise
        let y = x2 ?? x1
        precondition(x1.cols == y.cols, "Serial.kernels: inputs of dimension \(x1.cols) and \(y.cols)")
        let P1 = x1.rows, P2 = y.rows, d = x1.cols, same = x2 == nil, T = Self.fusedBlock
        let mirror = same && maps.allSatisfy(\.isSymmetric)
        // Input kernel x·x'/d_in: for small d_in one BLAS product per block in the worker (below OpenBLAS's
        // threading threshold of m·n·k = 2¹⁸, so it runs in the calling thread), otherwise one product beforehand.
        let direct = T * T * d <= 1 << 18
        var k = direct ? KernelState(uninitializedRows: P1, cols: P2, width: d) : KernelState(x1: x1, x2: x2)
        let nb1 = (P1 + T - 1) / T, nb2 = (P2 + T - 1) / T
        var blocks: [(Int, Int)] = []
        for I in 0..<nb1 { for J in (mirror ? I : 0)..<nb2 { blocks.append((I, J)) } }
        var nngp = k.nngp, ntk = k.ntk
        k.nngp = []; k.ntk = []
        let d1 = diagonals1.flatMap { $0 }, d2 = diagonals2.flatMap { $0 }
        let (tasks, layerWidths) = (blocks, widths)
        let invD = 1 / Double(d)
        // Blocks each row panel still waits for (see above); the thread that takes a count to 0 hands the panel on.
        nonisolated(unsafe) var waiting = [Int](repeating: mirror ? nb1 : nb2, count: nb1)
        let waitingLock = NSLock()
        nngp.withUnsafeMutableBufferPointer { kb in
            ntk.withUnsafeMutableBufferPointer { tb in
                d1.withUnsafeBufferPointer { d1b in
                    d2.withUnsafeBufferPointer { d2b in
                        x1.data.withUnsafeBufferPointer { x1b in
                            y.data.withUnsafeBufferPointer { xTb in
                                nonisolated(unsafe) let (kp, tp) = (kb.baseAddress!, tb.baseAddress!)
                                nonisolated(unsafe) let (d1p, d2p) = (d1b.baseAddress!, d2b.baseAddress!)
                                nonisolated(unsafe) let (x1p, yp) = (x1b.baseAddress!, xTb.baseAddress!)
                                DispatchQueue.concurrentPerform(iterations: tasks.count) { n in
                                    let (I, J) = tasks[n]
                                    let r0 = I * T, c0 = J * T, rows = min(T, P1 - r0), cols = min(T, P2 - c0)
                                    let diagonalBlock = mirror && I == J
                                    if direct {
                                        // The block's input kernel, one BLAS product in this thread; Θ⁰ = 0.
                                        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d),
                                                    invD, x1p + r0 * d, Int32(d), yp + c0 * d, Int32(d), 0, kp + r0 * P2 + c0, Int32(P2))
                                        for r in r0..<(r0 + rows) {
                                            let tr = tp + r * P2 + c0
                                            for c in 0..<cols { tr[c] = 0 }
                                            // Same points: K(x, x) bit-identical to the diagonal, so that ρ = 1 exactly.
                                            if same && r >= c0 && r < c0 + cols { kp[r * P2 + r] = d1p[r] }
                                        }
                                    }
                                    // Chunks of `fusedRows` rows, all layers: a chunk stays in L1. On a diagonal block
                                    // of a mirrored kernel, from the chunk's first row's diagonal entry on.
                                    var r = r0
                                    while r < r0 + rows {
                                        let m = min(Self.fusedRows, r0 + rows - r)
                                        let from = diagonalBlock ? r - r0 : 0
                                        for (l, map) in maps.enumerated() {
                                            map.map(KernelTile(nngp: kp + r * P2 + c0 + from, ntk: tp + r * P2 + c0 + from, stride: P2,
                                                               rows: m, cols: cols - from, diagonal1: d1p + l * P1 + r,
                                                               diagonal2: d2p + l * P2 + c0 + from, width: layerWidths[l]))
                                        }
                                        r += m
                                    }
                                    if mirror {
                                        // The transposed block below the diagonal (on a diagonal block, its lower part),
                                        // written row by row.
                                        for c in 0..<cols {
                                            let dk = kp + (c0 + c) * P2 + r0, dt = tp + (c0 + c) * P2 + r0
                                            for r in 0..<(diagonalBlock ? c : rows) {
                                                dk[r] = kp[(r0 + r) * P2 + c0 + c]
                                                dt[r] = tp[(r0 + r) * P2 + c0 + c]
                                            }
                                        }
                                    }
                                    guard let rowsReady else { return }
                                    var complete: [Int] = []
                                    waitingLock.lock()
                                    for panel in (mirror && J != I ? [I, J] : [I]) {
                                        waiting[panel] -= 1
                                        if waiting[panel] == 0 { complete.append(panel) }
                                    }
                                    waitingLock.unlock()
                                    for panel in complete {
                                        let rows = (panel * T)..<min(P1, (panel + 1) * T)
                                        rowsReady(rows, UnsafeBufferPointer(start: kp + rows.lowerBound * P2, count: rows.count * P2),
                                                  UnsafeBufferPointer(start: tp + rows.lowerBound * P2, count: rows.count * P2))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        k.nngp = nngp; k.ntk = ntk
        k.diagonal1 = s1.diagonal1
        k.diagonal2 = s2?.diagonal1 ?? s1.diagonal1
        k.width = s1.width
        k.isGaussian = s1.isGaussian
        return k
    }

    /// Side of the blocks of the fused kernel evaluation (2 · 128² doubles = 256 KiB stay in L2).
    static let fusedBlock = 128
    /// Rows of a block mapped through all layers at once (2 · 8 · 128 doubles = 16 KiB stay in L1).
    static let fusedRows = 8

    /// Parameters of every layer, drawn in layer order from one stream.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> [LayerParameters] {
        var w = inputWidth
        return layers.map { l in
            defer { w = l.outputWidth(inputWidth: w) }
            return l.initialize(inputWidth: w, using: &rng)
        }
    }

    /// log of the initialisation density of per-layer parameters up to a constant (sum over layers).
    public func logDensity(_ parameters: [LayerParameters], inputWidth: Int) -> Double {
        var w = inputWidth, s = 0.0
        for (l, p) in zip(layers, parameters) { s += l.logDensity(p, inputWidth: w); w = l.outputWidth(inputWidth: w) }
        return s
    }

    /// The finite network's outputs [P, width_out].
    public func apply(_ parameters: [LayerParameters], _ x: Matrix) -> Matrix {
        var h = x
        for (l, p) in zip(layers, parameters) { h = l.apply(p, h) }
        return h
    }

    /// Width of the final output for inputs of width `inputWidth`.
    public func outputWidth(inputWidth: Int) -> Int { layers.reduce(inputWidth) { $1.outputWidth(inputWidth: $0) } }

    /// The SPEC text of the network (layer names separated by spaces); `NetworkSpec.parse` reads it back.
    public var description: String { layers.map(\.name).joined(separator: " ") }
}

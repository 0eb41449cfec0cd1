import CNumericLibs
import Foundation
import NumericCore

/// Where each layer's parameters sit in the flat parameter vector θ of a network: for every layer in order, its
/// weight W [fan_in, fan_out] row-major, then its bias b [fan_out] when it has one (neural-tangents' `stax.Dense`
/// layout, flattened). Layers without parameters occupy nothing.
public struct ParameterLayout: Sendable, Equatable {
    /// One layer's slice of θ.
    public struct Slice: Sendable, Equatable {
        /// Offset of W [fanIn, fanOut] (row-major) in θ.
        public var weightOffset: Int
        /// Input width n_in of the layer.
        public var fanIn: Int
        /// Output width of the layer.
        public var fanOut: Int
        /// nil when the layer has no bias (or no parameters).
        public var biasOffset: Int?
        /// Whether the layer has parameters at all.
        public var hasWeight: Bool
    }

    /// One slice per layer of the architecture, in order.
    public let slices: [Slice]
    /// Length of θ.
    public let count: Int

    /// The layout of `architecture` on vectors of width `inputWidth` (empty when the architecture cannot take
    /// vectors; `Network` checks shapes first).
    public init(_ architecture: Serial, inputWidth: Int) {
        self = (try? Self(architecture, inputShape: .vector(inputWidth))) ?? ParameterLayout(slices: [], count: 0)
    }

    /// The layout of `architecture` on points of shape `inputShape`: one slice per leaf layer (`Serial.leaves`,
    /// depth first through `Parallel`), W [fan_in, fan_out] by `Layer.parameterShape`.
    public init(_ architecture: Serial, inputShape: TensorShape) throws {
        var s: [Slice] = [], n = 0
        let shapes = try architecture.shapes(input: inputShape).leafInputs
        for (l, ins) in zip(architecture.leaves, shapes) {
            if ins.count == 1, let ps = l.parameterShape(ins[0]) {
                let wo = n
                let (w, o1) = ps.fanIn.multipliedReportingOverflow(by: ps.fanOut)
                let (m, o2) = n.addingReportingOverflow(w + (ps.hasBias ? ps.fanOut : 0))
                guard !o1, !o2, m < 1 << 50 else {
                    throw InputError("\(l.name): W [\(ps.fanIn), \(ps.fanOut)] takes the network past 2⁵⁰ parameters")
                }
                n += w
                var bo: Int? = nil
                if ps.hasBias { bo = n; n += ps.fanOut }
                s.append(Slice(weightOffset: wo, fanIn: ps.fanIn, fanOut: ps.fanOut, biasOffset: bo, hasWeight: true))
            } else {
                let fanOut = ins.count == 1 ? ((try? l.outputShape(ins[0]).channels) ?? 0) : 0
                s.append(Slice(weightOffset: n, fanIn: ins.first?.channels ?? 0, fanOut: fanOut, biasOffset: nil, hasWeight: false))
            }
        }
        slices = s
        count = n
    }

    init(slices: [Slice], count: Int) { self.slices = slices; self.count = count }

    /// θ as per-layer parameters (copies).
    public func split(_ theta: [Double]) -> [LayerParameters] {
        precondition(theta.count == count, "ParameterLayout.split: \(theta.count) values, expected \(count)")
        return slices.map { s in
            guard s.hasWeight else { return .none }
            let w = Matrix(rows: s.fanIn, cols: s.fanOut, data: Array(theta[s.weightOffset..<(s.weightOffset + s.fanIn * s.fanOut)]))
            let b = s.biasOffset.map { Array(theta[$0..<($0 + s.fanOut)]) }
            return LayerParameters(weight: w, bias: b)
        }
    }

    /// Per-layer parameters flattened into θ; throws when a shape does not match the layout.
    public func join(_ parameters: [LayerParameters]) throws -> [Double] {
        guard parameters.count == slices.count else {
            throw InputError("parameters for \(parameters.count) layers, the network has \(slices.count)")
        }
        var theta = [Double](repeating: 0, count: count)
        try theta.withUnsafeMutableBufferPointer { t in
            for (k, (s, p)) in zip(slices, parameters).enumerated() {
                guard s.hasWeight else { continue }
                guard let w = p.weight, w.rows == s.fanIn, w.cols == s.fanOut else {
                    throw InputError("layer \(k): weight of shape \(p.weight.map { "[\($0.rows), \($0.cols)]" } ?? "none"), expected [\(s.fanIn), \(s.fanOut)]")
                }
                // Each array copied whole into its slice (one memcpy, not an indexed loop).
                _ = UnsafeMutableBufferPointer(rebasing: t[s.weightOffset..<(s.weightOffset + w.data.count)]).update(fromContentsOf: w.data)
                if let bo = s.biasOffset {
                    guard let b = p.bias, b.count == s.fanOut else {
                        throw InputError("layer \(k): bias of length \(p.bias?.count ?? 0), expected \(s.fanOut)")
                    }
                    _ = UnsafeMutableBufferPointer(rebasing: t[bo..<(bo + b.count)]).update(fromContentsOf: b)
                }
            }
        }
        return theta
    }
}

/// A finite network: an architecture (`Serial`, SPEC-described: Dense and convolutional layers, nonlinearities,
/// residual branches, pooling) on input points of shape `inputShape` (vectors of width `inputWidth` for a dense
/// network), with its parameters θ in one flat vector (`ParameterLayout`). The one network type of nntheory: it
/// evaluates the forward map (`outputs`), carries the infinite-width kernel map (`kernels`) and, for a chain of
/// Dense layers and elementwise nonlinearities (`Serial.isDenseChain`), Taylor jets in the inputs
/// (`forward(inputJet:…)`, `jet`; for curvature) and parameter gradients through jets (`parameterGradient`).
///
/// Dense layers follow neural-tangents (see `Dense`): under NTK parameterisation θ holds the raw N(0, 1) draws and
/// z = (W_std/√fan_in)·h·W + b_std·b; under standard parameterisation θ holds the weights, z = h·W + b; a Conv layer
/// is a Dense layer on the patches of its input (fan_in = window size × channels).
/// Initialisation: from a seed (`init(_:inputWidth:seed:)`), the k-th layer with parameters (Dense, Conv; in the
/// order of `Serial.leaves`) draws its W (row-major) then b from stream k of the seed; from a given stream
/// (`init(_:inputWidth:using:)`, the members of ensembles and width families: network m is stream m), every layer
/// in order draws its W then b from that one stream.
public struct Network: Sendable {
    /// The layers (SPEC-described).
    public let architecture: Serial
    /// The shape of one input point (`TensorShape`; a vector for dense networks).
    public let inputShape: TensorShape
    /// Values per input point, the columns of x [P, S·C] (d for vectors).
    public var inputWidth: Int { inputShape.size }
    /// Where each layer's W and b sit in `parameters`.
    public let layout: ParameterLayout
    /// θ, the stored parameters (raw N(0, 1) draws under NTK parameterisation, the weights under standard).
    public var parameters: [Double] { didSet { perLayer = nil } }
    /// θ split per layer as the network was built from per-layer arrays (`init(_:inputShape:layerParameters:)`:
    /// loaded or drawn), so that `layerParameters` need not copy θ again; nil once θ has been set. Such a network
    /// holds its parameters twice while θ is unchanged (as `init` did at its peak).
    private var perLayer: [LayerParameters]?

    /// Parameters drawn from `rng` (see the type's initialisation convention).
    public init(_ architecture: Serial, inputWidth: Int, using rng: inout RandomStream) throws {
        try self.init(architecture, inputShape: .vector(inputWidth), using: &rng)
    }

    /// Parameters drawn from `rng` for points of shape `inputShape`.
    public init(_ architecture: Serial, inputShape: TensorShape, using rng: inout RandomStream) throws {
        try Self.validate(architecture, inputShape: inputShape)
        self.architecture = architecture
        self.inputShape = inputShape
        layout = try ParameterLayout(architecture, inputShape: inputShape)
        try Self.checkMemory(layout, architecture)
        parameters = try layout.join(architecture.initialize(inputShape: inputShape, using: &rng))
    }

    /// Parameters from `seed`: the k-th layer with parameters (k = 0, 1, … over the Dense and Conv layers) draws its
    /// W then b from stream k of `seed`, so a network is a pure function of (SPEC, input shape, seed), and a layer's
    /// draws do not depend on the shapes of the layers before it.
    public init(_ architecture: Serial, inputWidth: Int, seed: UInt64) throws {
        try self.init(architecture, inputShape: .vector(inputWidth), seed: seed)
    }

    /// Parameters from `seed` (see `init(_:inputWidth:seed:)`) for points of shape `inputShape`.
    public init(_ architecture: Serial, inputShape: TensorShape, seed: UInt64) throws {
        try Self.validate(architecture, inputShape: inputShape)
        var perLayer: [LayerParameters] = [], k: UInt64 = 0
        let shapes = try architecture.shapes(input: inputShape).leafInputs
        try Self.checkMemory(try ParameterLayout(architecture, inputShape: inputShape), architecture)
        for (l, ins) in zip(architecture.leaves, shapes) {
            if ins.count == 1, let ps = l.parameterShape(ins[0]) {
                var rng = RandomStream(seed: seed, stream: k)
                perLayer.append(l.initialize(inputWidth: ps.fanIn, using: &rng))
                k += 1
            } else {
                perLayer.append(.none)
            }
        }
        try self.init(architecture, inputShape: inputShape, layerParameters: perLayer)
    }

    /// Given parameters θ (length `layout.count`).
    public init(_ architecture: Serial, inputWidth: Int, parameters: [Double]) throws {
        try self.init(architecture, inputShape: .vector(inputWidth), parameters: parameters)
    }

    /// Given parameters θ for points of shape `inputShape`.
    public init(_ architecture: Serial, inputShape: TensorShape, parameters: [Double]) throws {
        try Self.validate(architecture, inputShape: inputShape)
        self.architecture = architecture
        self.inputShape = inputShape
        layout = try ParameterLayout(architecture, inputShape: inputShape)
        guard parameters.count == layout.count else {
            throw InputError("\(parameters.count) parameters for '\(architecture.description)' on inputs of shape \(inputShape), expected \(layout.count)")
        }
        self.parameters = parameters
    }

    /// Given per-layer parameters (neural-tangents' layout), shapes checked.
    public init(_ architecture: Serial, inputWidth: Int, layerParameters: [LayerParameters]) throws {
        try self.init(architecture, inputShape: .vector(inputWidth), layerParameters: layerParameters)
    }

    /// Given per-leaf parameters for points of shape `inputShape`, shapes checked.
    public init(_ architecture: Serial, inputShape: TensorShape, layerParameters: [LayerParameters]) throws {
        try Self.validate(architecture, inputShape: inputShape)
        let layout = try ParameterLayout(architecture, inputShape: inputShape)
        try self.init(architecture, inputShape: inputShape, parameters: layout.join(layerParameters))
        // What `layout.split(parameters)` would return: the same values (join copies them), a bias only where the layout
        // has one, nothing for layers without parameters.
        perLayer = zip(layout.slices, layerParameters).map { s, p in
            s.hasWeight ? LayerParameters(weight: p.weight, bias: s.biasOffset == nil ? nil : p.bias) : .none
        }
    }

    /// The parameters are drawn per layer, then joined: about three copies of θ at once.
    static func checkMemory(_ layout: ParameterLayout, _ architecture: Serial) throws {
        try MemoryBudget.check(3 * 8 * Double(layout.count), for: "the \(layout.count) parameters of '\(architecture.description)'", option: "--net")
    }

    static func validate(_ architecture: Serial, inputShape: TensorShape) throws {
        guard inputShape.channels >= 1, inputShape.spatial.allSatisfy({ $0 >= 1 }) else {
            throw InputError("network input shape \(inputShape), expected positive sizes")
        }
        guard !architecture.layers.isEmpty else { throw InputError("network has no layers") }
        let out = try architecture.outputShape(inputShape)
        guard out.spatial.isEmpty else {
            throw InputError("the network's outputs have spatial shape \(out.spatial), expected vectors (end with Flatten or GlobalAvgPool before the readout)")
        }
    }

    /// Throws unless the network is a chain of Dense layers and elementwise nonlinearities on vectors — what input
    /// jets (`forward(inputJet:…)`: metric networks, curvature losses, ensembles of deep networks) take.
    public func requireDenseChain(for use: String) throws {
        guard inputShape.spatial.isEmpty else { throw InputError("\(use) takes vector inputs, got points of shape \(inputShape)") }
        for (k, l) in architecture.layers.enumerated() where !(l is Dense) && !(l is Nonlinearity) {
            throw InputError("layer \(k) \(l.name): \(use) takes Dense layers and elementwise nonlinearities")
        }
    }

    /// θ as per-layer parameters [W [fan_in, fan_out], b] (neural-tangents' layout).
    public var layerParameters: [LayerParameters] { perLayer ?? layout.split(parameters) }
    /// Width O of the outputs f(x).
    public var outputWidth: Int { (try? architecture.outputShape(inputShape).channels) ?? 0 }
    /// Length of θ.
    public var parameterCount: Int { parameters.count }
    /// The highest input-jet order the activations allow (4 with closed-form derivatives; 1 with a closure activation).
    public var maxJetOrder: Int {
        architecture.layers.compactMap { ($0 as? Nonlinearity)?.activation.maxDerivativeOrder }.min() ?? 4
    }

    /// f(x) for the rows of x [P, inputWidth] (one flattened point per row) → [P, outputWidth].
    public func outputs(_ x: Matrix) -> Matrix {
        guard architecture.isDenseChain && inputShape.spatial.isEmpty else {
            return architecture.apply(layerParameters, Activations(points: x, shape: inputShape)).values
        }
        let ix = JetIndexSet(dimension: 1, order: 0)
        let y = forward(inputJet: x.data, indexSet: ix, points: x.rows, keepTape: false).output
        return Matrix(rows: x.rows, cols: outputWidth, data: y)
    }

    /// The infinite-width NNGP and NTK of the architecture (`Serial.kernels`), x₁ against x₂ (x₁ when nil).
    public func kernels(_ x1: Matrix, _ x2: Matrix? = nil, diagonalOnly: Bool = false) throws -> KernelState {
        try architecture.kernels(x1, x2, inputShape: inputShape, diagonalOnly: diagonalOnly)
    }

    /// The parameter Jacobian ∂f_a(x_p)/∂θ as [P·O, #θ] (row p·O + a) by the pullback of every layer
    /// (`Serial.jacobian`); any architecture.
    public func jacobian(_ x: Matrix) -> Matrix {
        architecture.jacobian(layerParameters, layout: layout, Activations(points: x, shape: inputShape))
    }
}

/// C[m, n] = α·op(A)·op(B) + β·C on raw row-major storage (cblas_dgemm).
@inline(__always)
func gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
          _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
          _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
    if m == 0 || n == 0 { return }
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

import Foundation
import NumericCore

/// Layers that split one input into branches or merge branches into one (neural-tangents' branching layers);
/// `Serial` routes the list of branches through them and through `Parallel`. A residual block:
///
///     Dense(512) FanOut(2) Parallel(Relu Dense(512), Identity) FanInSum Relu Dense(1)
public protocol BranchingLayer: Layer {
    /// Output shapes for the shapes of the incoming branches.
    func outputShapes(_ inputs: [TensorShape]) throws -> [TensorShape]
    /// The kernel map on the branches' states.
    func kernels(_ inputs: [KernelState]) throws -> [KernelState]
    /// The forward map on the branches' activations.
    func apply(_ inputs: [Activations]) -> [Activations]
    /// The pullback: cotangents of the outputs → cotangents of the inputs.
    func pullback(_ inputs: [Activations], cotangents: [Matrix]) -> [Matrix]
}

extension BranchingLayer {
    /// Channels unchanged (a single branch).
    public func outputWidth(inputWidth: Int) -> Int { inputWidth }
    /// No parameters.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters { .none }
    /// Branching layers route lists; `Serial` never calls the single-input map.
    public func apply(_ p: LayerParameters, _ h: Matrix) -> Matrix { preconditionFailure("\(name) routes branches (Serial calls apply(_: [Activations]))") }
    /// The kernel map on one branch (an error unless it gives one branch).
    public func kernel(_ k: KernelState) throws -> KernelState {
        let out = try kernels([k])
        guard out.count == 1 else { throw InputError("\(name) gives \(out.count) branches, expected a Parallel or a FanIn layer after it") }
        return out[0]
    }
    /// Branching layers route lists; `Serial` never calls the single-input pullback.
    public func pullback(_ p: LayerParameters, input h: Activations, cotangent: Matrix, rowsPerPoint: Int, gradient: JacobianRows?) -> Matrix {
        preconditionFailure("\(name) routes branches (Serial calls pullback(_:cotangents:))")
    }
}

/// n copies of the one input (neural-tangents' `stax.FanOut(n)`): the kernel of each copy is the input's.
public struct FanOut: BranchingLayer {
    /// Number of copies.
    public let count: Int
    /// `FanOut(n)`.
    public init(_ count: Int) { self.count = count }
    /// The SPEC text.
    public var name: String { "FanOut(\(count))" }
    /// One input, `count` equal outputs.
    public func outputShapes(_ inputs: [TensorShape]) throws -> [TensorShape] {
        guard inputs.count == 1 else { throw InputError("\(name) takes one branch, got \(inputs.count) (merge them first with FanInSum or FanInConcat)") }
        return Array(repeating: inputs[0], count: count)
    }
    /// Copies of the state.
    public func kernels(_ inputs: [KernelState]) throws -> [KernelState] {
        guard inputs.count == 1 else { throw InputError("\(name) takes one branch, got \(inputs.count)") }
        return Array(repeating: inputs[0], count: count)
    }
    /// Copies of the activations.
    public func apply(_ inputs: [Activations]) -> [Activations] { Array(repeating: inputs[0], count: count) }
    /// The sum of the copies' cotangents.
    public func pullback(_ inputs: [Activations], cotangents: [Matrix]) -> [Matrix] { [cotangents.dropFirst().reduce(cotangents[0], +)] }
}

/// The sum of the branches (neural-tangents' `stax.FanInSum`): z = Σ_b h_b, K' = Σ_b K_b, Θ' = Σ_b Θ_b — the kernel of
/// a sum of uncorrelated zero-mean Gaussian branches. A Dense or Conv branch has zero-mean weights of its own, so it
/// is uncorrelated with an `Identity` branch and with other such branches; as in neural-tangents the kernel map
/// refuses branches that are not Gaussian (the cross terms E[φ(u)v] would be missing) and, like it, takes
/// correlated Gaussian branches (`Parallel(Identity, Identity)`) as if they were independent.
public struct FanInSum: BranchingLayer {
    /// The layer.
    public init() {}
    /// The SPEC text.
    public var name: String { "FanInSum" }
    /// Branches of one shape → that shape.
    public func outputShapes(_ inputs: [TensorShape]) throws -> [TensorShape] {
        guard let first = inputs.first, inputs.allSatisfy({ $0 == first }) else {
            throw InputError("FanInSum: branches of shapes \(inputs.map(\.description).joined(separator: ", ")), expected equal shapes")
        }
        return [first]
    }
    /// Entry by entry sums (diagonals too); one-line error for branches that are not Gaussian.
    public func kernels(_ inputs: [KernelState]) throws -> [KernelState] {
        if inputs.count > 1, let b = inputs.firstIndex(where: { !$0.isGaussian }) {
            throw InputError("FanInSum: branch \(b) is not Gaussian (it ends in a nonlinearity, Flatten or FanInConcat), expected branches that end in a Dense or Conv layer or Identity of one — a sum's kernel needs uncorrelated Gaussian branches")
        }
        var out = inputs[0]
        for k in inputs.dropFirst() {
            for e in out.nngp.indices { out.nngp[e] += k.nngp[e]; out.ntk[e] += k.ntk[e] }
            for e in out.diagonal1.indices { out.diagonal1[e] += k.diagonal1[e] }
            for e in out.diagonal2.indices { out.diagonal2[e] += k.diagonal2[e] }
            out.isGaussian = out.isGaussian && k.isGaussian
        }
        return [out]
    }
    /// Σ_b h_b.
    public func apply(_ inputs: [Activations]) -> [Activations] {
        var out = inputs[0]
        for h in inputs.dropFirst() { out.values = out.values + h.values }
        return [out]
    }
    /// The same cotangent to every branch.
    public func pullback(_ inputs: [Activations], cotangents: [Matrix]) -> [Matrix] { Array(repeating: cotangents[0], count: inputs.count) }
}

/// The branches side by side along the channels (neural-tangents' `stax.FanInConcat(axis=-1)`). A Dense layer
/// after it sums Σ_b n_b channels with weights of variance 1/Σ_b n_b, so K' = Σ_b n_b·K_b / Σ_b n_b and the same for
/// Θ and the diagonals, n_b the channels of branch b (`KernelState.width`; equal widths give the plain mean). The
/// output is not Gaussian (neural-tangents' convention: a nonlinearity cannot follow it directly).
public struct FanInConcat: BranchingLayer {
    /// The layer.
    public init() {}
    /// The SPEC text.
    public var name: String { "FanInConcat" }
    /// Branches of one spatial shape → the sum of their channels.
    public func outputShapes(_ inputs: [TensorShape]) throws -> [TensorShape] {
        guard let first = inputs.first, inputs.allSatisfy({ $0.spatial == first.spatial }) else {
            throw InputError("FanInConcat: branches of shapes \(inputs.map(\.description).joined(separator: ", ")), expected equal spatial shapes")
        }
        return [TensorShape(spatial: first.spatial, channels: inputs.reduce(0) { $0 + $1.channels })]
    }
    /// The width-weighted mean of the branches' states (entries and diagonals); the widths add up.
    public func kernels(_ inputs: [KernelState]) throws -> [KernelState] {
        let total = Double(inputs.reduce(0) { $0 + $1.width })
        var out = inputs[0]
        func weighted(_ v: KeyPath<KernelState, [Double]>) -> [Double] {
            var acc = [Double](repeating: 0, count: inputs[0][keyPath: v].count)
            for k in inputs { let w = Double(k.width) / total; let x = k[keyPath: v]; for e in acc.indices { acc[e] += w * x[e] } }
            return acc
        }
        out.nngp = weighted(\.nngp); out.ntk = weighted(\.ntk)
        out.diagonal1 = weighted(\.diagonal1); out.diagonal2 = weighted(\.diagonal2)
        out.width = Int(total)
        out.isGaussian = false
        return [out]
    }
    /// [h_1 | h_2 | …] per position.
    public func apply(_ inputs: [Activations]) -> [Activations] {
        let rows = inputs[0].values.rows, C = inputs.reduce(0) { $0 + $1.values.cols }
        var z = Matrix(rows: rows, cols: C)
        var c0 = 0
        for h in inputs {
            let n = h.values.cols
            for r in 0..<rows { for c in 0..<n { z.data[r * C + c0 + c] = h.values.data[r * n + c] } }
            c0 += n
        }
        return [Activations(values: z, shape: TensorShape(spatial: inputs[0].shape.spatial, channels: C))]
    }
    /// The cotangent split along the channels.
    public func pullback(_ inputs: [Activations], cotangents: [Matrix]) -> [Matrix] {
        let d = cotangents[0], C = d.cols
        var c0 = 0
        return inputs.map { h in
            let n = h.values.cols
            var out = Matrix(rows: d.rows, cols: n)
            for r in 0..<d.rows { for c in 0..<n { out.data[r * n + c] = d.data[r * C + c0 + c] } }
            c0 += n
            return out
        }
    }
}

/// Branch b of the input list through network b (neural-tangents' `stax.parallel`); in SPEC terms
/// `Parallel(A, B)` with A and B space-separated SPECs.
public struct Parallel: Layer {
    /// One network per branch.
    public let branches: [Serial]
    /// `Parallel(A, B, …)`.
    public init(_ branches: [Serial]) { self.branches = branches }
    /// The SPEC text.
    public var name: String { "Parallel(" + branches.map(\.description).joined(separator: ", ") + ")" }
    /// Not meaningful for one branch (Serial routes Parallel itself).
    public func outputWidth(inputWidth: Int) -> Int { inputWidth }
    /// Its layers' parameters are drawn where `Serial` meets them.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters { .none }
    /// Serial routes Parallel itself.
    public func apply(_ p: LayerParameters, _ h: Matrix) -> Matrix { preconditionFailure("Parallel routes branches (Serial)") }
    /// Parallel needs as many incoming branches as it has networks.
    public func kernel(_ k: KernelState) throws -> KernelState {
        throw InputError("\(name) takes \(branches.count) branches, got 1 (put FanOut(\(branches.count)) before it)")
    }
    /// Serial routes Parallel itself.
    public func pullback(_ p: LayerParameters, input h: Activations, cotangent: Matrix, rowsPerPoint: Int, gradient: JacobianRows?) -> Matrix {
        preconditionFailure("Parallel routes branches (Serial)")
    }
}

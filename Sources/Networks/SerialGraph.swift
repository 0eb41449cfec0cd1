import Foundation
import NumericCore

/// `Serial` as a graph: lists of branches routed through `FanOut`, `Parallel` and the fan-in layers, shaped
/// activations (convolutions, pooling), and the maps a finite network of such layers needs — shapes, forward
/// map, pullback (parameter Jacobian) — beside the kernel map on shaped inputs.
extension Serial {
    /// Every layer in the order the parameters are laid out: depth first through `Parallel`'s branches, branch 0
    /// first (`Parallel` itself is not listed; branching layers are).
    public var leaves: [any Layer] { layers.flatMap { ($0 as? Parallel)?.branches.flatMap(\.leaves) ?? [$0] } }

    /// Whether every layer is a Dense layer or an elementwise nonlinearity: the networks that input jets (metric
    /// networks, curvature losses), the fused kernel path and the fast empirical NTK take.
    public var isDenseChain: Bool { layers.allSatisfy { $0 is Dense || $0 is Nonlinearity } }

    /// The most branches alive at once (1 without FanOut): each holds its own kernels.
    var widestFanOut: Int {
        layers.reduce(1) { m, l in
            if let f = l as? FanOut { return max(m, f.count) }
            if let p = l as? Parallel { return max(m, p.branches.count * (p.branches.map(\.widestFanOut).max() ?? 1)) }
            return m
        }
    }

    /// Whether a layer mixes spatial positions (pooling), so that kernels need the full spatial covariance.
    public var mixesPositions: Bool { leaves.contains { $0 is AvgPool || $0 is GlobalAvgPool || $0 is Aggregate } }

    /// The input shapes of every leaf (several for a fan-in layer) and the output shapes, for input points of
    /// shape `input`; a one-line error naming the first layer that cannot take its input.
    public func shapes(input: TensorShape) throws -> (leafInputs: [[TensorShape]], output: [TensorShape]) {
        var record: [[TensorShape]] = []
        let out = try walkShapes([input], record: &record)
        return (record, out)
    }

    func walkShapes(_ inputs: [TensorShape], record: inout [[TensorShape]]) throws -> [TensorShape] {
        var xs = inputs
        for l in layers {
            if let par = l as? Parallel {
                guard xs.count == par.branches.count else {
                    throw InputError("\(par.name) takes \(par.branches.count) branches, got \(xs.count) (put FanOut(\(par.branches.count)) before it)")
                }
                xs = try zip(par.branches, xs).map { net, x in
                    let o = try net.walkShapes([x], record: &record)
                    guard o.count == 1 else { throw InputError("a branch of \(par.name) ends in \(o.count) branches, expected one") }
                    return o[0]
                }
            } else if let br = l as? BranchingLayer {
                record.append(xs)
                xs = try br.outputShapes(xs)
            } else {
                guard xs.count == 1 else {
                    throw InputError("\(l.name) takes one branch, got \(xs.count) (merge them first with FanInSum or FanInConcat)")
                }
                record.append(xs)
                xs = [try l.outputShape(xs[0])]
            }
        }
        return xs
    }

    /// The one output shape for inputs of shape `input` (an error when the network ends in several branches).
    public func outputShape(_ input: TensorShape) throws -> TensorShape {
        let out = try shapes(input: input).output
        guard out.count == 1 else { throw InputError("the network ends in \(out.count) branches, expected one (merge them with FanInSum or FanInConcat)") }
        return out[0]
    }

    /// Parameters of every leaf (`leaves`), drawn in leaf order from one stream; Dense and Conv layers draw on
    /// their fan-in (`Layer.parameterShape`).
    public func initialize(inputShape: TensorShape, using rng: inout RandomStream) throws -> [LayerParameters] {
        let shapes = try shapes(input: inputShape).leafInputs
        return zip(leaves, shapes).map { l, s in
            guard s.count == 1, let ps = l.parameterShape(s[0]) else { return .none }
            return l.initialize(inputWidth: ps.fanIn, using: &rng)
        }
    }

    // MARK: Kernels

    /// A branch's states: the pairs (x₁, x₂) and, with the full spatial covariance, the diagonal-only states of
    /// x₁ and x₂ whose self-covariances give the pairs' diagonals after layers that mix positions.
    struct KernelBranch {
        var pair: KernelState
        var self1: KernelState?
        var self2: KernelState?

        mutating func takeDiagonals() {
            // A diagonal-only state with the full covariance holds each point's (s, s) among its entries: its
            // diagonals are those entries bit for bit (ρ = 1 exactly at equal positions).
            pair.synchronizeDiagonals()
            self1?.synchronizeDiagonals()
            self2?.synchronizeDiagonals()
            guard let s1 = self1 else { return }
            pair.diagonal1 = s1.spatialDiagonal
            pair.diagonal2 = (self2 ?? s1).spatialDiagonal
        }
    }

    /// The NNGP and NTK of shaped points x₁ against x₂ (x₁ when nil): rows of [P, S·C] in `inputShape`'s order.
    /// A network of Dense layers and entrywise maps on vectors takes the fused path of `kernels(_:_:diagonalOnly:)`;
    /// any other walks the graph layer by layer, carrying the spatial diagonal or, when a layer pools, the full
    /// spatial covariance (refused before allocating when it does not fit in memory). The network must end in one
    /// branch without spatial dimensions (Flatten or GlobalAvgPool before the readout).
    ///
    /// `rowsReady` receives every row of the result once it is final: on the fused path panel by panel while the
    /// others are computed (a caller writing them to a file overlaps writing and computing), otherwise all rows at
    /// the end.
    public func kernels(_ x1: Matrix, _ x2: Matrix? = nil, inputShape: TensorShape, diagonalOnly: Bool = false,
                        rowsReady: KernelRowsReady? = nil) throws -> KernelState {
        guard x1.cols == inputShape.size, x2.map({ $0.cols == inputShape.size }) ?? true else {
            throw InputError("points of \(x1.cols) and \(x2?.cols ?? x1.cols) values, expected \(inputShape.size) for points of shape \(inputShape)")
        }
        let out = try outputShape(inputShape)
        guard out.spatial.isEmpty else {
            throw InputError("the network's outputs have spatial shape \(out.spatial), expected vectors (end with Flatten or GlobalAvgPool before the readout)")
        }
        if inputShape.spatial.isEmpty && layers.allSatisfy({ $0 is any EntrywiseKernelMap }) {
            return try fusedKernels(x1, x2, diagonalOnly: diagonalOnly, rowsReady: rowsReady)
        }
        let covariance: KernelState.SpatialCovariance = inputShape.spatial.isEmpty ? .none : (mixesPositions ? .full : .diagonal)
        let S = Double(inputShape.spatialSize), P1 = Double(x1.rows), P2 = Double(diagonalOnly ? 1 : (x2 ?? x1).rows)
        let entries = covariance == .full ? P1 * P2 * S * S + (diagonalOnly ? 0 : (P1 + P2) * S * S) : P1 * P2 * S
        // Two kernels and the temporaries of one layer, for every branch alive at once.
        try MemoryBudget.check(4 * 8 * entries * Double(widestFanOut + 1), for: "the \(covariance == .full ? "full spatial covariance" : "kernels") of \(x1.rows) × \(Int(P2)) points at \(inputShape.spatialSize) positions", option: "--x")
        // The one branch lives in the list alone: the layers map its arrays in place and reuse them.
        var branches = [KernelBranch(pair: KernelState(x1: x1, x2: x2, shape: inputShape, covariance: covariance, diagonalOnly: diagonalOnly))]
        if covariance == .full && !diagonalOnly {
            branches[0].self1 = KernelState(x1: x1, shape: inputShape, covariance: .full, diagonalOnly: true)
            branches[0].self2 = x2.map { KernelState(x1: $0, shape: inputShape, covariance: .full, diagonalOnly: true) }
        }
        try walkKernels(&branches)
        var end = branches[0].pair
        end.spareBuffers = []
        end.deliverAllRows(to: rowsReady)
        return end
    }

    func walkKernels(_ bs: inout [KernelBranch]) throws {
        for l in layers {
            if let par = l as? Parallel {
                bs = try zip(par.branches, bs).map { net, b in
                    var one = [b]
                    try net.walkKernels(&one)
                    return one[0]
                }
            } else if let br = l as? BranchingLayer {
                let pairs = try br.kernels(bs.map(\.pair))
                let s1 = try bs[0].self1 == nil ? nil : br.kernels(bs.map { $0.self1! })
                let s2 = try bs[0].self2 == nil ? nil : br.kernels(bs.map { $0.self2! })
                bs = pairs.indices.map { KernelBranch(pair: pairs[$0], self1: s1?[$0], self2: s2?[$0]) }
            } else {
                // The branch taken out of the list, so that its kernels are not shared and map in place.
                var b = bs[0]
                bs = []
                try l.kernel(inPlace: &b.pair)
                if b.self1 != nil { try l.kernel(inPlace: &b.self1!) }
                if b.self2 != nil { try l.kernel(inPlace: &b.self2!) }
                b.takeDiagonals()
                bs = [b]
            }
        }
    }

    // MARK: Forward map and pullback

    /// The finite network's outputs on shaped activations; `parameters` one per leaf.
    public func apply(_ parameters: [LayerParameters], _ x: Activations) -> Activations {
        var leaf = 0
        var tape: [[Activations]]? = nil
        return walkForward(parameters, [x], leaf: &leaf, tape: &tape)[0]
    }

    func walkForward(_ parameters: [LayerParameters], _ inputs: [Activations], leaf: inout Int, tape: inout [[Activations]]?) -> [Activations] {
        var xs = inputs
        for l in layers {
            if let par = l as? Parallel {
                xs = zip(par.branches, xs).map { net, x in net.walkForward(parameters, [x], leaf: &leaf, tape: &tape)[0] }
            } else if let br = l as? BranchingLayer {
                tape?.append(xs)
                xs = br.apply(xs)
                leaf += 1
            } else {
                tape?.append(xs)
                xs = [l.apply(parameters[leaf], xs[0])]
                leaf += 1
            }
        }
        return xs
    }

    func walkBackward(_ parameters: [LayerParameters], tape: [[Activations]], cotangents: [Matrix], leaf: inout Int,
                      rowsPerPoint O: Int, gradient: (Int) -> JacobianRows?) -> [Matrix] {
        var ds = cotangents
        for l in layers.reversed() {
            if let par = l as? Parallel {
                for b in par.branches.indices.reversed() {
                    ds[b] = par.branches[b].walkBackward(parameters, tape: tape, cotangents: [ds[b]], leaf: &leaf, rowsPerPoint: O, gradient: gradient)[0]
                }
            } else if let br = l as? BranchingLayer {
                leaf -= 1
                ds = br.pullback(tape[leaf], cotangents: ds)
            } else {
                leaf -= 1
                ds = [l.pullback(parameters[leaf], input: tape[leaf][0], cotangent: ds[0], rowsPerPoint: O, gradient: gradient(leaf))]
            }
        }
        return ds
    }

    /// The parameter Jacobian ∂f_a(x_p)/∂θ_I as [P·O, #θ] (row p·O + a), θ in `layout`'s order (leaf by leaf,
    /// W row-major then b): one forward pass, then the pullback of the P·O unit cotangents of the outputs.
    public func jacobian(_ parameters: [LayerParameters], layout: ParameterLayout, _ x: Activations) -> Matrix {
        var leaf = 0
        var tape: [[Activations]]? = []
        let f = walkForward(parameters, [x], leaf: &leaf, tape: &tape)[0]
        let P = x.points, O = f.values.cols
        var d = Matrix(rows: P * O, cols: O)
        for q in 0..<P { for a in 0..<O { d.data[(q * O + a) * O + a] = 1 } }
        var J = Matrix(rows: P * O, cols: layout.count)
        J.data.withUnsafeMutableBufferPointer { jb in
            nonisolated(unsafe) let base = jb.baseAddress!
            var end = leaf
            _ = walkBackward(parameters, tape: tape!, cotangents: [d], leaf: &end, rowsPerPoint: O) { k in
                let s = layout.slices[k]
                return s.hasWeight ? JacobianRows(base: base, stride: layout.count, weightOffset: s.weightOffset, biasOffset: s.biasOffset) : nil
            }
        }
        return J
    }
}

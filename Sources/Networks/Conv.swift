import Foundation
import NumericCore

/// A convolution in 1-D or 2-D (any number of spatial dimensions), neural-tangents' `stax.Conv`, without dilation.
///
/// Forward map (NTK parameterisation): z[u] = (σ_w/√(F·C))·Σ_{f, c} h[in(u, f), c]·W[f, c, :] + σ_b·b, W stored as
/// [F·C, C_out] (HWIO order flattened), F the window size, in(u, f) the input position under window offset f of
/// output position u (`SpatialWindow`: strides, VALID/SAME/CIRCULAR padding, zeros outside). It is a Dense layer on
/// the patches of the input, and is implemented as one: under standard parameterisation W ~ N(0, σ_w²/(F·C)).
///
/// Kernel map: the pre-activations at u and u' share the weights of the same offset only, so
/// K'[u, u'] = σ_w²·(1/F)Σ_f K[in(u, f), in(u', f)] + σ_b², Θ' = K' + σ_w²·(1/F)Σ_f Θ[in(u, f), in(u', f)] — the
/// window mean of the same offsets, then Dense's map on fan-in F·C. On the spatial diagonal (u = u') it needs only
/// the diagonal, so a network without pooling carries K[s, s] alone (`KernelState.SpatialCovariance`).
public struct Conv: Layer {
    /// Output channels (neural-tangents' `out_chan`).
    public let channels: Int
    /// Window shape as given: one entry per spatial dimension, or one for all of them.
    public let window: [Int]
    /// Strides as given (one entry for all dimensions; default 1).
    public let strides: [Int]
    /// Edge handling (neural-tangents' default VALID).
    public let padding: Padding
    /// The affine map on the patches: out width `channels`, W_std, b_std, parameterisation.
    public let affine: Dense

    /// `Conv(channels, window, stride=…, padding=…, W_std=…, b_std=…, parameterization=…)` in SPEC terms.
    public init(_ channels: Int, window: [Int], strides: [Int] = [1], padding: Padding = .valid,
                wStd: Double = 1, bStd: Double? = nil, parameterization: Dense.Parameterization = .ntk) {
        self.channels = channels
        self.window = window
        self.strides = strides
        self.padding = padding
        affine = Dense(channels, wStd: wStd, bStd: bStd, parameterization: parameterization)
    }

    /// The SPEC text (`NetworkSpec` parses it back).
    public var name: String {
        func tuple(_ v: [Int]) -> String { v.count == 1 ? "\(v[0])" : "(" + v.map(String.init).joined(separator: ", ") + ")" }
        return "Conv(\(channels), \(tuple(window)), stride=\(tuple(strides)), padding=\(padding.rawValue), W_std=\(affine.wStd), b_std=\(affine.bStd.map { "\($0)" } ?? "None")\(affine.parameterization == .standard ? ", parameterization=standard" : ""))"
    }

    /// The window placed on inputs of the given spatial shape.
    public func spatialWindow(_ input: [Int]) throws -> SpatialWindow {
        try SpatialWindow(input: input, windowAsGiven: window, stridesAsGiven: strides, padding: padding, layer: name)
    }

    /// `channels`, whatever the input.
    public func outputWidth(inputWidth: Int) -> Int { channels }
    /// The output positions of the window, `channels` channels.
    public func outputShape(_ input: TensorShape) throws -> TensorShape {
        TensorShape(spatial: try spatialWindow(input.spatial).output, channels: channels)
    }
    /// W [F·C, channels] (and b).
    public func parameterShape(_ input: TensorShape) -> ParameterShape? {
        let F = (try? spatialWindow(input.spatial).windowSize) ?? 0
        return ParameterShape(fanIn: F * input.channels, fanOut: channels, hasBias: affine.bStd != nil)
    }
    /// Dense's draws on fan-in `inputWidth` = F·C.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters { affine.initialize(inputWidth: inputWidth, using: &rng) }
    /// Dense's density on fan-in F·C.
    public func logDensity(_ parameters: LayerParameters, inputWidth: Int) -> Double { affine.logDensity(parameters, inputWidth: inputWidth) }
    /// Not defined on vectors (a convolution needs spatial dimensions).
    public func apply(_ p: LayerParameters, _ h: Matrix) -> Matrix {
        preconditionFailure("\(name) needs inputs with spatial dimensions (Activations)")
    }

    /// The affine map of the patches (`SpatialWindow.patches`).
    public func apply(_ p: LayerParameters, _ h: Activations) -> Activations {
        let w = try! spatialWindow(h.shape.spatial)
        let z = affine.apply(p, w.patches(h.values, points: h.points))
        return Activations(values: z, shape: TensorShape(spatial: w.output, channels: channels))
    }

    /// Dense's pullback on the patches, folded back onto the input positions.
    public func pullback(_ p: LayerParameters, input h: Activations, cotangent d: Matrix, rowsPerPoint O: Int,
                         gradient: JacobianRows?) -> Matrix {
        let w = try! spatialWindow(h.shape.spatial)
        let patches = Activations(values: w.patches(h.values, points: h.points),
                                  shape: TensorShape(spatial: w.output, channels: w.windowSize * h.shape.channels))
        let dPatches = affine.pullback(p, input: patches, cotangent: d, rowsPerPoint: O, gradient: gradient)
        return w.foldPatches(dPatches, rows: d.rows / w.outputSize, channels: h.shape.channels)
    }

    /// The window mean of the same offsets (entries and diagonals), then Dense's map on fan-in F·C.
    public func kernel(_ k: KernelState) throws -> KernelState {
        var out = k
        try kernel(inPlace: &out)
        return out
    }

    /// `kernel` on a state the caller owns: the window means go into fresh arrays, Dense's map in place on them.
    public func kernel(inPlace out: inout KernelState) throws {
        let w = try spatialWindow(out.spatial)
        var spares = out.spareBuffers
        out.spareBuffers = []
        let k = out
        switch k.spatialCovariance {
        case .none:
            throw InputError("\(name): inputs without spatial dimensions, expected points of shape [L, C] or [H, W, C]")
        case .diagonal:
            // Entries: window means and the affine map in one pass, into arrays the previous layer left.
            let tile = k.nngp.count / w.inputSize
            var kOut = HugePages.uninitializedArray(tile * w.outputSize, reusing: &spares), tOut = HugePages.uninitializedArray(tile * w.outputSize, reusing: &spares)
            w.convolveDiagonal(k.nngp, k.ntk, count: tile, affine: affine, fanIn: w.windowSize * k.width, into: &kOut, &tOut)
            out.nngp = kOut; out.ntk = tOut
            out.spareBuffers = [k.nngp, k.ntk]
            var d = out
            d.nngp = []; d.ntk = []
            d.diagonal1 = w.averageSameOffsets(k.diagonal1, count: k.diagonal1.count / w.inputSize, positionMajor: true)
            d.diagonal2 = w.averageSameOffsets(k.diagonal2, count: k.diagonal2.count / w.inputSize, positionMajor: true)
            d.width = w.windowSize * k.width
            try affine.kernel(inPlace: &d)
            out.diagonal1 = d.diagonal1; out.diagonal2 = d.diagonal2
            out.spatial = w.output
            out.width = affine.width
            out.isGaussian = true
            return
        case .full:
            let blockCols = k.diagonalOnly ? 1 : k.cols, count = k.rows * blockCols * w.outputSize * w.outputSize
            var kOut = HugePages.uninitializedArray(count, reusing: &spares), tOut = HugePages.uninitializedArray(count, reusing: &spares)
            w.convolveFull(k.nngp, blockRows: k.rows, blockCols: blockCols, sameOffset: true, into: &kOut)
            w.convolveFull(k.ntk, blockRows: k.rows, blockCols: blockCols, sameOffset: true, into: &tOut)
            out.nngp = kOut; out.ntk = tOut
            out.spareBuffers = [k.nngp, k.ntk]
            out.spatial = w.output
            if k.diagonalOnly {
                // The diagonals are the entries' own (s, s), bit for bit, so that ρ = 1 exactly there.
                out.diagonal1 = out.spatialDiagonal
                out.diagonal2 = out.diagonal1
            } else {
                out.diagonal1 = w.averageSameOffsets(k.diagonal1, count: k.diagonal1.count / w.inputSize, positionMajor: false)
                out.diagonal2 = w.averageSameOffsets(k.diagonal2, count: k.diagonal2.count / w.inputSize, positionMajor: false)
            }
        }
        out.spatial = w.output
        out.width = w.windowSize * k.width
        try affine.kernel(inPlace: &out)
    }
}

import Foundation
import NumericCore

/// Average pooling over windows of the spatial positions, neural-tangents' `stax.AvgPool` (normalize_edges
/// False: padding counts as zeros in the window mean).
///
/// Forward map: z[u, c] = (1/F)·Σ_f h[in(u, f), c] (`SpatialWindow`). Kernel map (linear, no parameters):
/// K'[u, u'] = (1/F²)·Σ_{f, f'} K[in(u, f), in(u', f')], the same for Θ — it mixes positions, so the network carries
/// the full spatial covariance (`KernelState.SpatialCovariance.full`).
public struct AvgPool: Layer {
    /// Window shape as given (one entry for all spatial dimensions).
    public let window: [Int]
    /// Strides as given (default 1, neural-tangents' default).
    public let strides: [Int]
    /// Edge handling (default VALID).
    public let padding: Padding

    /// `AvgPool(window, stride=…, padding=…)` in SPEC terms.
    public init(window: [Int], strides: [Int] = [1], padding: Padding = .valid) {
        self.window = window; self.strides = strides; self.padding = padding
    }

    /// The SPEC text.
    public var name: String {
        func tuple(_ v: [Int]) -> String { v.count == 1 ? "\(v[0])" : "(" + v.map(String.init).joined(separator: ", ") + ")" }
        return "AvgPool(\(tuple(window)), stride=\(tuple(strides)), padding=\(padding.rawValue))"
    }

    /// The window placed on inputs of the given spatial shape.
    public func spatialWindow(_ input: [Int]) throws -> SpatialWindow {
        try SpatialWindow(input: input, windowAsGiven: window, stridesAsGiven: strides, padding: padding, layer: name)
    }

    /// Channels unchanged.
    public func outputWidth(inputWidth: Int) -> Int { inputWidth }
    /// The window's output positions.
    public func outputShape(_ input: TensorShape) throws -> TensorShape {
        TensorShape(spatial: try spatialWindow(input.spatial).output, channels: input.channels)
    }
    /// No parameters.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters { .none }
    /// Not defined on vectors.
    public func apply(_ p: LayerParameters, _ h: Matrix) -> Matrix { preconditionFailure("\(name) needs inputs with spatial dimensions") }

    /// Window means of every channel.
    public func apply(_ p: LayerParameters, _ h: Activations) -> Activations {
        let w = try! spatialWindow(h.shape.spatial)
        let F = w.windowSize, So = w.outputSize, S = w.inputSize, C = h.shape.channels, P = h.points
        var z = Matrix(rows: P * So, cols: C)
        for q in 0..<P { for u in 0..<So { for f in 0..<F {
            let s = w.inputIndex[u * F + f]
            if s < 0 { continue }
            for c in 0..<C { z.data[(q * So + u) * C + c] += h.values.data[(q * S + s) * C + c] }
        } } }
        for e in z.data.indices { z.data[e] /= Double(F) }
        return Activations(values: z, shape: TensorShape(spatial: w.output, channels: C))
    }

    /// Each output cotangent spread as 1/F over its window.
    public func pullback(_ p: LayerParameters, input h: Activations, cotangent d: Matrix, rowsPerPoint O: Int,
                         gradient: JacobianRows?) -> Matrix {
        let w = try! spatialWindow(h.shape.spatial)
        let F = w.windowSize, So = w.outputSize, S = w.inputSize, C = h.shape.channels, R = d.rows / So
        var out = Matrix(rows: R * S, cols: C)
        let inv = 1 / Double(F)
        for r in 0..<R { for u in 0..<So { for f in 0..<F {
            let s = w.inputIndex[u * F + f]
            if s < 0 { continue }
            for c in 0..<C { out.data[(r * S + s) * C + c] += inv * d.data[(r * So + u) * C + c] }
        } } }
        return out
    }

    /// Needs the full spatial covariance; on a pair state the diagonals are left empty for `Serial.kernels` to
    /// take from the diagonal-only states (K(x, x)[u, u] needs K(x, x)[s, s'] off the diagonal).
    public func kernel(_ k: KernelState) throws -> KernelState {
        var out = k
        try kernel(inPlace: &out)
        return out
    }

    /// `kernel` on a state the caller owns (the window means go into arrays an earlier layer left).
    public func kernel(inPlace out: inout KernelState) throws {
        var spares = out.spareBuffers
        out.spareBuffers = []
        let k = out
        let w = try spatialWindow(k.spatial)
        guard k.spatialCovariance == .full else {
            throw InputError("\(name) mixes spatial positions: the kernel needs the full spatial covariance (SpatialCovariance.full)")
        }
        let blockCols = k.diagonalOnly ? 1 : k.cols, count = k.rows * blockCols * w.outputSize * w.outputSize
        var kOut = HugePages.uninitializedArray(count, reusing: &spares), tOut = HugePages.uninitializedArray(count, reusing: &spares)
        w.convolveFull(k.nngp, blockRows: k.rows, blockCols: blockCols, sameOffset: false, into: &kOut)
        w.convolveFull(k.ntk, blockRows: k.rows, blockCols: blockCols, sameOffset: false, into: &tOut)
        out.nngp = kOut; out.ntk = tOut
        out.spareBuffers = [k.nngp, k.ntk]
        out.spatial = w.output
        if k.diagonalOnly {
            out.diagonal1 = out.spatialDiagonal
            out.diagonal2 = out.diagonal1
        } else {
            out.diagonal1 = []; out.diagonal2 = []
        }
    }
}

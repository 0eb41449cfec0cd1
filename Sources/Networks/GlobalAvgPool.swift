import Foundation
import NumericCore

/// The mean over all spatial positions, neural-tangents' `stax.GlobalAvgPool`: [S, C] → a vector of C channels.
///
/// Kernel map (linear): K' = (1/S²)·Σ_{s, s'} K[s, s'], the same for Θ — it needs the full spatial covariance.
public struct GlobalAvgPool: Layer {
    /// The layer.
    public init() {}
    /// The SPEC text.
    public var name: String { "GlobalAvgPool" }
    /// Channels unchanged.
    public func outputWidth(inputWidth: Int) -> Int { inputWidth }
    /// A vector of the input's channels.
    public func outputShape(_ input: TensorShape) throws -> TensorShape {
        guard !input.spatial.isEmpty else { throw InputError("GlobalAvgPool: inputs without spatial dimensions, expected points of shape [L, C] or [H, W, C]") }
        return .vector(input.channels)
    }
    /// No parameters.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters { .none }
    /// Not defined on vectors.
    public func apply(_ p: LayerParameters, _ h: Matrix) -> Matrix { preconditionFailure("GlobalAvgPool needs inputs with spatial dimensions") }

    /// z[c] = (1/S)·Σ_s h[s, c].
    public func apply(_ p: LayerParameters, _ h: Activations) -> Activations {
        let S = h.shape.spatialSize, C = h.shape.channels, P = h.points
        var z = Matrix(rows: P, cols: C)
        for q in 0..<P { for s in 0..<S { for c in 0..<C { z.data[q * C + c] += h.values.data[(q * S + s) * C + c] } } }
        for e in z.data.indices { z.data[e] /= Double(S) }
        return Activations(values: z, shape: .vector(C))
    }

    /// δ_h[s, c] = δ[c]/S.
    public func pullback(_ p: LayerParameters, input h: Activations, cotangent d: Matrix, rowsPerPoint O: Int,
                         gradient: JacobianRows?) -> Matrix {
        let S = h.shape.spatialSize, C = h.shape.channels, R = d.rows
        var out = Matrix(rows: R * S, cols: C)
        for r in 0..<R { for s in 0..<S { for c in 0..<C { out.data[(r * S + s) * C + c] = d.data[r * C + c] / Double(S) } } }
        return out
    }

    /// The mean of each S × S block; on a pair state the diagonals are left empty for `Serial.kernels` to take
    /// from the diagonal-only states.
    public func kernel(_ k: KernelState) throws -> KernelState {
        guard k.spatialCovariance == .full, !k.spatial.isEmpty else {
            throw InputError("GlobalAvgPool mixes spatial positions: the kernel needs the full spatial covariance (SpatialCovariance.full)")
        }
        let S = k.spatial.reduce(1, *), BR = k.rows, BC = k.diagonalOnly ? 1 : k.cols
        func mean(_ v: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: BR * BC)
            for a in 0..<BR { for s in 0..<S { for b in 0..<BC {
                let row = (a * S + s) * BC * S + b * S
                var acc = 0.0
                for s2 in 0..<S { acc += v[row + s2] }
                out[a * BC + b] += acc
            } } }
            let inv = 1 / Double(S * S)
            return out.map { $0 * inv }
        }
        var out = k
        out.nngp = mean(k.nngp)
        out.ntk = mean(k.ntk)
        out.spatial = []
        out.spatialCovariance = .none
        if k.diagonalOnly { out.diagonal1 = out.nngp; out.diagonal2 = out.nngp } else { out.diagonal1 = []; out.diagonal2 = [] }
        return out
    }
}

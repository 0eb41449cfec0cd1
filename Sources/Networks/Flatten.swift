import Foundation
import NumericCore

/// Flattens [S, C] into a vector of S·C entries (row-major, channels innermost), neural-tangents' `stax.Flatten`.
///
/// Kernel map: a following Dense layer sums S·C inputs with weights of variance 1/(S·C), so the kernel of the
/// flattened vector is the mean over positions of the spatial diagonal, K' = (1/S)·Σ_s K[s, s] (the same for Θ):
/// off-diagonal positions never enter, which is why a Flatten readout lets the network carry the diagonal alone.
public struct Flatten: Layer {
    /// The layer.
    public init() {}
    /// The SPEC text.
    public var name: String { "Flatten" }
    /// Channels unchanged for vectors (the flattened width is `outputShape`'s).
    public func outputWidth(inputWidth: Int) -> Int { inputWidth }
    /// A vector of S·C entries.
    public func outputShape(_ input: TensorShape) throws -> TensorShape { .vector(input.size) }
    /// No parameters.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters { .none }
    /// Vectors stay as they are.
    public func apply(_ p: LayerParameters, _ h: Matrix) -> Matrix { h }
    /// The same values, one row per point.
    public func apply(_ p: LayerParameters, _ h: Activations) -> Activations { Activations(values: h.flattened, shape: .vector(h.shape.size)) }
    /// The same values, one row per position again.
    public func pullback(_ p: LayerParameters, input h: Activations, cotangent d: Matrix, rowsPerPoint O: Int,
                         gradient: JacobianRows?) -> Matrix {
        Matrix(rows: d.rows * h.shape.spatialSize, cols: h.shape.channels, data: d.data)
    }

    /// The mean of the spatial diagonal, entries and diagonals.
    public func kernel(_ k: KernelState) throws -> KernelState {
        guard !k.spatial.isEmpty else { return k }
        let S = k.spatial.reduce(1, *), inv = 1 / Double(S)
        var out = k
        switch k.spatialCovariance {
        case .none:
            return k
        case .diagonal:
            func mean(_ v: [Double]) -> [Double] {
                let n = v.count / S
                var o = [Double](repeating: 0, count: n)
                for s in 0..<S { for i in 0..<n { o[i] += v[s * n + i] } }
                return o.map { $0 * inv }
            }
            out.nngp = mean(k.nngp); out.ntk = mean(k.ntk)
            out.diagonal1 = mean(k.diagonal1); out.diagonal2 = mean(k.diagonal2)
        case .full:
            let BR = k.rows, BC = k.diagonalOnly ? 1 : k.cols
            func mean(_ v: [Double]) -> [Double] {
                var o = [Double](repeating: 0, count: BR * BC)
                for a in 0..<BR { for b in 0..<BC { for s in 0..<S { o[a * BC + b] += v[(a * S + s) * BC * S + b * S + s] } } }
                return o.map { $0 * inv }
            }
            func meanDiagonal(_ d: [Double]) -> [Double] {
                let n = d.count / S
                var o = [Double](repeating: 0, count: n)
                for i in 0..<n { for s in 0..<S { o[i] += d[i * S + s] } }
                return o.map { $0 * inv }
            }
            out.nngp = mean(k.nngp); out.ntk = mean(k.ntk)
            out.diagonal1 = meanDiagonal(k.diagonal1); out.diagonal2 = meanDiagonal(k.diagonal2)
        }
        out.spatial = []
        out.spatialCovariance = .none
        out.width = S * k.width
        out.isGaussian = false   // neural-tangents' convention: a Dense layer must follow
        return out
    }
}

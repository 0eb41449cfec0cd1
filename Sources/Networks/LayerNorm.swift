import Foundation
import NumericCore

/// Normalisation over the channels of every position, neural-tangents' `stax.LayerNorm(axis=-1)`.
///
/// Forward map per position: z = (h − mean_c h)/√(var_c h + ε), ε = 10⁻¹² (neural-tangents' default).
/// Kernel map: at infinite width the channel mean of a centred Gaussian vanishes and its variance is K(x, x)[s, s],
/// so K'(x, x')[s, s'] = K[s, s']/√((K(x, x)[s, s] + ε)·(K(x', x')[s', s'] + ε)), Θ' = Θ/√(…) with the same factor
/// (neural-tangents' map, ε included); the input must be Gaussian. An entrywise map given the diagonals.
public struct LayerNorm: Layer {
    /// ε under the square root of the forward map.
    public let epsilon: Double

    /// `LayerNorm(eps=…)` in SPEC terms.
    public init(epsilon: Double = 1e-12) { self.epsilon = epsilon }
    /// The SPEC text.
    public var name: String { epsilon == 1e-12 ? "LayerNorm" : "LayerNorm(eps=\(epsilon))" }
    /// Channels unchanged.
    public func outputWidth(inputWidth: Int) -> Int { inputWidth }
    /// No parameters.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters { .none }

    /// Each row (one position of one point) centred and scaled to unit variance over its channels.
    public func apply(_ p: LayerParameters, _ h: Matrix) -> Matrix {
        var z = h
        let C = h.cols
        for r in 0..<h.rows {
            var mean = 0.0
            for c in 0..<C { mean += h.data[r * C + c] }
            mean /= Double(C)
            var variance = 0.0
            for c in 0..<C { let v = h.data[r * C + c] - mean; variance += v * v }
            variance /= Double(C)
            let scale = 1 / (variance + epsilon).squareRoot()
            for c in 0..<C { z.data[r * C + c] = (h.data[r * C + c] - mean) * scale }
        }
        return z
    }

    /// δ_h = (δ − mean δ − z·mean(δ·z))/√(var + ε) per position (cotangent r at point r / O).
    public func pullback(_ p: LayerParameters, input h: Activations, cotangent d: Matrix, rowsPerPoint O: Int,
                         gradient: JacobianRows?) -> Matrix {
        let z = apply(p, h.values), C = h.shape.channels, S = h.shape.spatialSize
        var out = d
        for r in 0..<(d.rows / S) { for s in 0..<S {
            let row = (r * S + s) * C, src = ((r / O) * S + s) * C
            var mean = 0.0, variance = 0.0
            for c in 0..<C { mean += h.values.data[src + c] }
            mean /= Double(C)
            for c in 0..<C { let v = h.values.data[src + c] - mean; variance += v * v }
            variance /= Double(C)
            let scale = 1 / (variance + epsilon).squareRoot()
            var md = 0.0, mdz = 0.0
            for c in 0..<C { md += d.data[row + c]; mdz += d.data[row + c] * z.data[src + c] }
            md /= Double(C); mdz /= Double(C)
            for c in 0..<C { out.data[row + c] = (d.data[row + c] - md - z.data[src + c] * mdz) * scale }
        } }
        return out
    }

    /// K ← K/√(K₁₁K₂₂), Θ ← Θ/√(K₁₁K₂₂) entry by entry, the diagonals by the same formula (→ 1).
    public func kernel(_ k: KernelState) throws -> KernelState {
        var out = k
        try kernel(inPlace: &out)
        return out
    }

    /// `kernel` in place.
    public func kernel(inPlace k: inout KernelState) throws {
        guard k.isGaussian else { throw InputError("\(name) must follow a Dense or Conv layer (its input must be Gaussian)") }
        guard k.hasDiagonals else { throw InputError("\(name): the state has no diagonals (after pooling they come from Serial.kernels)") }
        let eps = epsilon
        if k.tiles == nil {
            for e in 0..<k.nngp.count { let f = ((k.diagonal1[e] + eps) * (k.diagonal1[e] + eps)).squareRoot(); k.nngp[e] /= f; k.ntk[e] /= f }
        } else {
            let map = self
            k.mapTiles { map.map($0) }
        }
        k.diagonal1 = k.diagonal1.map { $0 / (($0 + eps) * ($0 + eps)).squareRoot() }
        k.diagonal2 = k.diagonal2.map { $0 / (($0 + eps) * ($0 + eps)).squareRoot() }
    }
}

extension LayerNorm: EntrywiseKernelMap {
    var isSymmetric: Bool { true }

    /// `kernel`'s map on a block of entries, in place.
    func map(_ t: KernelTile) {
        let eps = epsilon
        for r in 0..<t.rows {
            let k = t.nngp + r * t.stride, th = t.ntk + r * t.stride, k11 = t.diagonal1[r] + eps
            // Divided, as the diagonals are (d/√((d + ε)²)): an entry equal to its diagonals stays equal to them.
            for c in 0..<t.cols { let f = (k11 * (t.diagonal2[c] + eps)).squareRoot(); k[c] /= f; th[c] /= f }
        }
    }
}

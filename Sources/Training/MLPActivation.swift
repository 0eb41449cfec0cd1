import Foundation

/// Elementwise activations of `MLP` with closed-form derivatives σ⁽ᵏ⁾(z), k = 0…4.
///
/// - `tanh`: with t = tanh z: σ' = 1 − t², σ'' = −2t(1 − t²), σ''' = (6t² − 2)(1 − t²), σ'''' = (16t − 24t³)(1 − t²).
/// - `gelu`: σ = z·Φ(z) (exact, erf-based), φ = e^{−z²/2}/√(2π): σ' = Φ + zφ, σ'' = φ(2 − z²),
///   σ''' = φ(z³ − 4z), σ'''' = φ(−z⁴ + 7z² − 4).
/// - `sin`: sin, cos, −sin, −cos, sin.
/// - `softplus`: σ = ln(1 + eᶻ), s = 1/(1 + e⁻ᶻ): σ' = s, σ'' = s(1 − s), σ''' = s(1 − s)(1 − 2s),
///   σ'''' = s(1 − s)(1 − 6s + 6s²).
/// - `identity`: z, 1, 0, 0, 0.
public enum MLPActivation: String, Sendable, CaseIterable, Codable {
    case tanh, gelu, sin, softplus, identity

    /// Highest derivative order available in closed form.
    public static let maxOrder = 4

    /// Writes σ⁽ᵏ⁾(z) for k = 0…`upTo` into `out[k]`.
    @inlinable
    public func derivatives(_ z: Double, upTo: Int, into out: UnsafeMutablePointer<Double>) {
        switch self {
        case .tanh:
            let t = Foundation.tanh(z), s = 1 - t * t
            out[0] = t
            if upTo >= 1 { out[1] = s }
            if upTo >= 2 { out[2] = -2 * t * s }
            if upTo >= 3 { out[3] = (6 * t * t - 2) * s }
            if upTo >= 4 { out[4] = (16 * t - 24 * t * t * t) * s }
        case .gelu:
            let phi = Foundation.exp(-0.5 * z * z) * 0.3989422804014327
            let Phi = 0.5 * Foundation.erfc(-z * 0.7071067811865476)
            out[0] = z * Phi
            if upTo >= 1 { out[1] = Phi + z * phi }
            if upTo >= 2 { out[2] = phi * (2 - z * z) }
            if upTo >= 3 { out[3] = phi * (z * z * z - 4 * z) }
            if upTo >= 4 { let z2 = z * z; out[4] = phi * (-z2 * z2 + 7 * z2 - 4) }
        case .sin:
            let s = Foundation.sin(z), c = Foundation.cos(z)
            out[0] = s
            if upTo >= 1 { out[1] = c }
            if upTo >= 2 { out[2] = -s }
            if upTo >= 3 { out[3] = -c }
            if upTo >= 4 { out[4] = s }
        case .softplus:
            // ln(1 + eᶻ) = max(z, 0) + ln(1 + e^{−|z|}) without overflow.
            out[0] = Swift.max(z, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(z)))
            let s = z >= 0 ? 1 / (1 + Foundation.exp(-z)) : Foundation.exp(z) / (1 + Foundation.exp(z))
            let q = s * (1 - s)
            if upTo >= 1 { out[1] = s }
            if upTo >= 2 { out[2] = q }
            if upTo >= 3 { out[3] = q * (1 - 2 * s) }
            if upTo >= 4 { out[4] = q * (1 - 6 * s + 6 * s * s) }
        case .identity:
            out[0] = z
            if upTo >= 1 { out[1] = 1 }
            if upTo >= 2 { for k in 2...upTo { out[k] = 0 } }
        }
    }

    /// σ⁽ᵏ⁾(z) as an array (convenience for tests).
    public func derivatives(_ z: Double, upTo: Int = 4) -> [Double] {
        var out = [Double](repeating: 0, count: upTo + 1)
        out.withUnsafeMutableBufferPointer { derivatives(z, upTo: upTo, into: $0.baseAddress!) }
        return out
    }
}

import Foundation
import NumericCore

/// Scalar activations of deep networks, with value σ(z) and derivative σ'(z).
public enum Activation: String, Sendable, CaseIterable {
    case relu, erf, tanh, gelu, sin, cos, identity, softplus, sigmoid

    /// σ(z). GELU is z·Φ(z) (exact, not the tanh approximation); sigmoid is the logistic 1/(1+e^{−z}).
    @inlinable
    public func callAsFunction(_ z: Double) -> Double {
        switch self {
        case .relu: return z > 0 ? z : 0
        case .erf: return Foundation.erf(z)
        case .tanh: return Foundation.tanh(z)
        case .gelu: return 0.5 * z * Foundation.erfc(-z / 2.0.squareRoot())
        case .sin: return Foundation.sin(z)
        case .cos: return Foundation.cos(z)
        case .identity: return z
        case .softplus: return z > 30 ? z : Foundation.log1p(Foundation.exp(z))
        case .sigmoid: return 1 / (1 + Foundation.exp(-z))
        }
    }

    /// σ'(z) (for ReLU, the Heaviside step with σ'(0) = 0).
    @inlinable
    public func derivative(_ z: Double) -> Double {
        switch self {
        case .relu: return z > 0 ? 1 : 0
        case .erf: return 2 / Double.pi.squareRoot() * Foundation.exp(-z * z)
        case .tanh: let t = Foundation.tanh(z); return 1 - t * t
        case .gelu: return 0.5 * Foundation.erfc(-z / 2.0.squareRoot()) + z * Foundation.exp(-z * z / 2) / (2 * Double.pi).squareRoot()
        case .sin: return Foundation.cos(z)
        case .cos: return -Foundation.sin(z)
        case .identity: return 1
        case .softplus: return 1 / (1 + Foundation.exp(-z))
        case .sigmoid: let s = 1 / (1 + Foundation.exp(-z)); return s * (1 - s)
        }
    }

    /// T(K) = E[σ(u)σ(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]): closed forms for relu (arc-cosine,
    /// Cho–Saul n = 1 halved), erf (Williams 1997), identity, sin and cos; 2-D Gauss–Hermite quadrature
    /// of degree `degree` otherwise (nn-theory.md §1.3).
    public func gaussianExpectation(k11: Double, k12: Double, k22: Double, degree: Int = 60) -> Double {
        switch self {
        case .identity:
            return k12
        case .relu:
            let n = (k11 * k22).squareRoot()
            guard n > 0 else { return 0 }
            let rho = max(-1, min(1, k12 / n)), th = acos(rho)
            return n / (2 * Double.pi) * (Foundation.sin(th) + (Double.pi - th) * rho)
        case .erf:
            let arg = 2 * k12 / ((1 + 2 * k11) * (1 + 2 * k22)).squareRoot()
            return 2 / Double.pi * asin(max(-1, min(1, arg)))
        case .sin:
            return 0.5 * Foundation.exp(-(k11 + k22) / 2) * (Foundation.exp(k12) - Foundation.exp(-k12))
        case .cos:
            return 0.5 * Foundation.exp(-(k11 + k22) / 2) * (Foundation.exp(k12) + Foundation.exp(-k12))
        default:
            return gaussHermite2D(k11: k11, k12: k12, k22: k22, degree: degree) { self($0) * self($1) }
        }
    }
}

import Foundation
import NumericCore

/// An elementwise nonlinearity φ with its dual kernel maps (nn-theory.md §1.2, neural-tangents'
/// `stax.elementwise`): for (u, v) ~ N(0, [[K₁₁, K₁₂], [K₁₂, K₂₂]]),
/// T(K) = E[φ(u)φ(v)] and Ṫ(K) = E[φ'(u)φ'(v)] = ∂T/∂K₁₂ (Price's theorem); the layer maps K ← T(K),
/// Θ ← Ṫ(K)·Θ. Its input must be Gaussian: it must follow a Dense layer.
public struct Nonlinearity: Layer {
    public enum Kind: Sendable {
        /// a·min(x, 0) + b·max(x, 0) (ReLU = (0, 1), LeakyReLU(α) = (α, 1), Abs = (−1, 1)).
        case abRelu(a: Double, b: Double)
        /// a·erf(b·x) + c (Williams 1997).
        case erf(a: Double, b: Double, c: Double)
        /// a·sin(b·x + c).
        case sin(a: Double, b: Double, c: Double)
        /// a·e^{b·x²}, b < 0.
        case gaussian(a: Double, b: Double)
        /// a·e^{b·x}.
        case exp(a: Double, b: Double)
        /// √2·sin(√(2γ)·x + π/4): T = e^{−γ(K₁₁ + K₂₂ − 2K₁₂)}.
        case rbf(gamma: Double)
        /// x·Φ(x), closed form of 2002.08517.
        case gelu
        /// sign(x): T = (2/π) arcsin ρ; Ṫ = 0 as in neural-tangents.
        case sign
        case identity
        /// Any φ by 2-D Gauss–Hermite quadrature of `degree` nodes per axis (φ' for Ṫ).
        case numerical(name: String, fn: @Sendable (Double) -> Double, derivative: @Sendable (Double) -> Double, degree: Int)
    }

    public let kind: Kind
    public let name: String

    public init(_ kind: Kind, name: String) {
        self.kind = kind
        self.name = name
    }

    public func outputWidth(inputWidth: Int) -> Int { inputWidth }
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters { .none }

    /// φ(x).
    public func value(_ x: Double) -> Double {
        switch kind {
        case .abRelu(let a, let b): return x < 0 ? a * x : b * x
        case .erf(let a, let b, let c): return a * Foundation.erf(b * x) + c
        case .sin(let a, let b, let c): return a * Foundation.sin(b * x + c)
        case .gaussian(let a, let b): return a * Foundation.exp(b * x * x)
        case .exp(let a, let b): return a * Foundation.exp(b * x)
        case .rbf(let g): return 2.0.squareRoot() * Foundation.sin((2 * g).squareRoot() * x + Double.pi / 4)
        case .gelu: return 0.5 * x * Foundation.erfc(-x / 2.0.squareRoot())
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .identity: return x
        case .numerical(_, let f, _, _): return f(x)
        }
    }

    /// φ'(x) (0 at kinks and for sign).
    public func derivative(_ x: Double) -> Double {
        switch kind {
        case .abRelu(let a, let b): return x < 0 ? a : b
        case .erf(let a, let b, _): return a * b * 2 / Double.pi.squareRoot() * Foundation.exp(-b * b * x * x)
        case .sin(let a, let b, let c): return a * b * Foundation.cos(b * x + c)
        case .gaussian(let a, let b): return 2 * a * b * x * Foundation.exp(b * x * x)
        case .exp(let a, let b): return a * b * Foundation.exp(b * x)
        case .rbf(let g): let s = (2 * g).squareRoot(); return 2.0.squareRoot() * s * Foundation.cos(s * x + Double.pi / 4)
        case .gelu: return 0.5 * Foundation.erfc(-x / 2.0.squareRoot()) + x * Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
        case .sign: return 0
        case .identity: return 1
        case .numerical(_, _, let d, _): return d(x)
        }
    }

    public func apply(_ p: LayerParameters, _ h: Matrix) -> Matrix {
        var out = h
        for k in 0..<out.data.count { out.data[k] = value(out.data[k]) }
        return out
    }

    /// (T, Ṫ) at one covariance.
    public func dual(k11: Double, k12: Double, k22: Double) -> (t: Double, tDot: Double) {
        switch kind {
        case .abRelu(let a, let b):
            // θ = arccos ρ as atan2(√(K₁₁K₂₂ − K₁₂²), K₁₂): well conditioned near ρ = ±1.
            let s = max(0, k11 * k22 - k12 * k12).squareRoot()
            let theta = atan2(s, k12)
            let d = (a - b) * (a - b)
            let tDot = (a * a + b * b) / 2 - d * theta / (2 * Double.pi)
            return (d / (2 * Double.pi) * s + tDot * k12, tDot)
        case .erf(let a, let b, let c):
            let (p11, p12, p22) = (b * b * k11, b * b * k12, b * b * k22)
            let den = (1 + 2 * p11) * (1 + 2 * p22)
            let t = a * a * 2 / Double.pi * asin(max(-1, min(1, 2 * p12 / den.squareRoot()))) + c * c
            let tDot = a * a * 4 / Double.pi / (den - 4 * p12 * p12).squareRoot() * b * b
            return (t, tDot)
        case .sin(let a, let b, let c):
            let b2 = b * b
            let e = Foundation.exp(-b2 * (k11 + k22) / 2)
            let plus = Foundation.exp(b2 * k12), minus = Foundation.exp(-b2 * k12)
            return (a * a / 2 * e * (plus - minus * Foundation.cos(2 * c)), a * a * b2 / 2 * e * (plus + minus * Foundation.cos(2 * c)))
        case .gaussian(let a, let b):
            let d = ((1 - 2 * b * k11) * (1 - 2 * b * k22) - 4 * b * b * k12 * k12).squareRoot()
            return (a * a / d, a * a * 4 * b * b * k12 / (d * d * d))
        case .exp(let a, let b):
            let t = a * a * Foundation.exp(b * b * ((k11 + k22) / 2 + k12))
            return (t, b * b * t)
        case .rbf(let g):
            let t = Foundation.exp(-g * (k11 + k22 - 2 * k12))
            return (t, 2 * g * t)
        case .gelu:
            let delta = ((1 + k11) * (1 + k22) - k12 * k12).squareRoot()
            let alpha = atan2(k12, delta)
            let t = k12 / 4 + (k12 * alpha + (k12 * k12 + k11 * k22 * delta * delta) / ((1 + k11) * (1 + k22) * delta)) / (2 * Double.pi)
            let tDot = 0.25 + alpha / (2 * Double.pi)
                + k12 / (2 * Double.pi * delta) * (1 / (delta * delta) + (1 - k11 * k22) / ((1 + k11) * (1 + k22)) + 1)
            return (t, tDot)
        case .sign:
            // (2/π) arcsin ρ = 1 − 2θ/π with θ = atan2(√(K₁₁K₂₂ − K₁₂²), K₁₂).
            return (1 - 2 / Double.pi * atan2(max(0, k11 * k22 - k12 * k12).squareRoot(), k12), 0)
        case .identity:
            return (k12, 1)
        case .numerical(_, let f, let df, let degree):
            return (gaussHermite2D(k11: k11, k12: k12, k22: k22, degree: degree) { f($0) * f($1) },
                    gaussHermite2D(k11: k11, k12: k12, k22: k22, degree: degree) { df($0) * df($1) })
        }
    }

    public func kernel(_ k: KernelState) throws -> KernelState {
        guard k.isGaussian else {
            throw LayerError("\(name) must directly follow a Dense layer (its input must be Gaussian)")
        }
        var out = k
        let n = k.nngp.count
        let chunks = max(1, min(64, n / 256))
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2 * n)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for e in (n * c / chunks)..<(n * (c + 1) / chunks) {
                let (k11, k22) = k.diagonals(of: e)
                let (t, td) = dual(k11: k11, k12: k.nngp[e], k22: k22)
                results[2 * e] = t
                results[2 * e + 1] = td * k.ntk[e]
            }
        }
        for e in 0..<n { out.nngp[e] = results[2 * e]; out.ntk[e] = results[2 * e + 1] }
        out.diagonal1 = k.diagonal1.map { dual(k11: $0, k12: $0, k22: $0).t }
        out.diagonal2 = k.diagonalOnly ? out.diagonal1 : k.diagonal2.map { dual(k11: $0, k12: $0, k22: $0).t }
        out.isGaussian = false
        return out
    }
}

// Constructors named as in neural-tangents' stax.
public func Relu() -> Nonlinearity { Nonlinearity(.abRelu(a: 0, b: 1), name: "Relu") }
public func LeakyRelu(_ alpha: Double) -> Nonlinearity { Nonlinearity(.abRelu(a: alpha, b: 1), name: "LeakyRelu(\(alpha))") }
public func ABRelu(_ a: Double, _ b: Double) -> Nonlinearity { Nonlinearity(.abRelu(a: a, b: b), name: "ABRelu(\(a), \(b))") }
public func Abs() -> Nonlinearity { Nonlinearity(.abRelu(a: -1, b: 1), name: "Abs") }
public func Erf(a: Double = 1, b: Double = 1, c: Double = 0) -> Nonlinearity { Nonlinearity(.erf(a: a, b: b, c: c), name: "Erf(a=\(a), b=\(b), c=\(c))") }
/// neural-tangents' `Sigmoid_like`: 0.5·erf(x/2.4020563531719796) + 0.5.
public func SigmoidLike() -> Nonlinearity { Nonlinearity(.erf(a: 0.5, b: 1 / 2.4020563531719796, c: 0.5), name: "Sigmoid_like") }
public func Sin(a: Double = 1, b: Double = 1, c: Double = 0) -> Nonlinearity { Nonlinearity(.sin(a: a, b: b, c: c), name: "Sin(a=\(a), b=\(b), c=\(c))") }
public func Cos(a: Double = 1, b: Double = 1, c: Double = 0) -> Nonlinearity { Nonlinearity(.sin(a: a, b: b, c: c + Double.pi / 2), name: "Cos(a=\(a), b=\(b), c=\(c))") }
public func Gaussian(a: Double = 1, b: Double = -1) -> Nonlinearity { Nonlinearity(.gaussian(a: a, b: b), name: "Gaussian(a=\(a), b=\(b))") }
public func Exp(a: Double = 1, b: Double = 1) -> Nonlinearity { Nonlinearity(.exp(a: a, b: b), name: "Exp(a=\(a), b=\(b))") }
public func Rbf(gamma: Double = 1) -> Nonlinearity { Nonlinearity(.rbf(gamma: gamma), name: "Rbf(gamma=\(gamma))") }
public func Gelu() -> Nonlinearity { Nonlinearity(.gelu, name: "Gelu") }
public func Sign() -> Nonlinearity { Nonlinearity(.sign, name: "Sign") }
public func Identity() -> Nonlinearity { Nonlinearity(.identity, name: "Identity") }
/// Any activation by quadrature (neural-tangents' `ElementwiseNumerical`).
public func ElementwiseNumerical(name: String, degree: Int = 64, _ fn: @escaping @Sendable (Double) -> Double,
                                 derivative: @escaping @Sendable (Double) -> Double) -> Nonlinearity {
    Nonlinearity(.numerical(name: name, fn: fn, derivative: derivative, degree: degree), name: name)
}

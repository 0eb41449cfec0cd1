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
            return Self.abReluDual(a, b, k11, k12, k22)
        case .erf(let a, let b, let c):
            return Self.erfDual(a, b, c, k11, k12, k22)
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
            return (1 - 2 / Double.pi * polarAngle(max(0, k11 * k22 - k12 * k12).squareRoot(), k12), 0)
        case .identity:
            return (k12, 1)
        case .numerical(_, let f, let df, let degree):
            return (gaussHermite2D(k11: k11, k12: k12, k22: k22, degree: degree) { f($0) * f($1) },
                    gaussHermite2D(k11: k11, k12: k12, k22: k22, degree: degree) { df($0) * df($1) })
        }
    }

    /// ABReLU: θ = arccos ρ as atan2(√(K₁₁K₂₂ − K₁₂²), K₁₂) (well conditioned near ρ = ±1);
    /// Ṫ = (a² + b²)/2 − (a − b)²θ/(2π), T = (a − b)²√(K₁₁K₂₂ − K₁₂²)/(2π) + Ṫ·K₁₂.
    @inline(__always)
    static func abReluDual(_ a: Double, _ b: Double, _ k11: Double, _ k12: Double, _ k22: Double) -> (t: Double, tDot: Double) {
        let s = max(0, k11 * k22 - k12 * k12).squareRoot()
        let theta = polarAngle(s, k12)
        let d = (a - b) * (a - b)
        let tDot = (a * a + b * b) / 2 - d * theta / (2 * Double.pi)
        return (d / (2 * Double.pi) * s + tDot * k12, tDot)
    }

    /// a·erf(b·x) + c with p = b²K: T = (2a²/π) arcsin(2p₁₂/√((1 + 2p₁₁)(1 + 2p₂₂))) + c², the arcsin taken as
    /// atan2(2p₁₂, √((1 + 2p₁₁)(1 + 2p₂₂) − 4p₁₂²)) (well conditioned near |ρ| = 1);
    /// Ṫ = (4a²b²/π) / √((1 + 2p₁₁)(1 + 2p₂₂) − 4p₁₂²).
    @inline(__always)
    static func erfDual(_ a: Double, _ b: Double, _ c: Double, _ k11: Double, _ k12: Double, _ k22: Double) -> (t: Double, tDot: Double) {
        let (p11, p12, p22) = (b * b * k11, b * b * k12, b * b * k22)
        let den = (1 + 2 * p11) * (1 + 2 * p22)
        let q = den - 4 * p12 * p12
        let r = q.squareRoot()
        // arcsin w = atan2(w, √(1 − w²)) for w = 2p₁₂/√den, angle in [−π/2, π/2]; √max(0, q) = (q < 0 ? 0 : r).
        let asinW = Double(signOf: p12, magnitudeOf: polarAngle(abs(2 * p12), q < 0 ? 0 : r))
        let t = a * a * 2 / Double.pi * asinW + c * c
        let tDot = a * a * 4 / Double.pi / r * b * b
        return (t, tDot)
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

extension Nonlinearity: EntrywiseKernelMap {
    /// The closed forms are symmetric in K₁₁ ↔ K₂₂ in floating point too (they enter through sums and products);
    /// the quadrature is not.
    var isSymmetric: Bool {
        if case .numerical = kind { return false }
        return true
    }

    /// `kernel`'s map on a block of entries, in place, with the same arithmetic (ABReLU and Erf four entries at
    /// a time: `SIMD4` lanes perform the scalar operations in the same order, so the results are identical).
    func map(_ t: KernelTile) {
        for r in 0..<t.rows {
            let k = t.nngp + r * t.stride, th = t.ntk + r * t.stride, d2 = t.diagonal2
            let k11 = t.diagonal1[r], n = t.cols
            var c = 0
            switch kind {
            case .abRelu(let a, let b):
                let d = (a - b) * (a - b), half = (a * a + b * b) / 2, slope = d / (2 * Double.pi)
                while c + 4 <= n {
                    let k12 = load4(k + c), k22 = load4(d2 + c)
                    let v = k11 * k22 - k12 * k12
                    let s = v.replacing(with: 0, where: v .< 0).squareRoot()
                    let tDot = half - d * polarAngle4(s, k12) / (2 * Double.pi)
                    store4(slope * s + tDot * k12, k + c)
                    store4(tDot * load4(th + c), th + c)
                    c += 4
                }
                for c in c..<n {
                    let (v, vd) = Self.abReluDual(a, b, k11, k[c], d2[c])
                    k[c] = v; th[c] = vd * th[c]
                }
            case .erf(let a, let b, let cc):
                let b2 = b * b, p11 = b * b * k11
                let tScale = a * a * 2 / Double.pi, dScale = a * a * 4 / Double.pi, c2 = cc * cc
                while c + 4 <= n {
                    let p12 = b2 * load4(k + c), p22 = b2 * load4(d2 + c)
                    let den = (1 + 2 * p11) * (1 + 2 * p22)
                    let q = den - 4 * p12 * p12
                    let r = q.squareRoot()
                    let angle = polarAngle4((2 * p12).replacing(with: -2 * p12, where: p12 .< 0), r.replacing(with: 0, where: q .< 0))
                    let asinW = angle.replacing(with: -angle, where: p12 .< 0)
                    store4(tScale * asinW + c2, k + c)
                    store4(dScale / r * b * b * load4(th + c), th + c)
                    c += 4
                }
                for c in c..<n {
                    let (v, vd) = Self.erfDual(a, b, cc, k11, k[c], d2[c])
                    k[c] = v; th[c] = vd * th[c]
                }
            default:
                for c in 0..<n {
                    let (v, vd) = dual(k11: k11, k12: k[c], k22: d2[c])
                    k[c] = v; th[c] = vd * th[c]
                }
            }
        }
    }
}

@inline(__always) func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
}
@inline(__always) func load4(_ p: UnsafeMutablePointer<Double>) -> SIMD4<Double> { load4(UnsafePointer(p)) }
@inline(__always) func store4(_ v: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Double>.self)
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

/// atan2(y, x) for y ≥ 0, the angle in [0, π], without a library call (vectorisable: selects, one division):
/// with lo = min(|x|, y), hi = max(|x|, y), atan(lo/hi) is reduced to |u| ≤ tan(π/8) by
/// atan t = π/4 + atan((t − 1)/(t + 1)) for t > tan(π/8), and atan u = u + u·u²·R(u²) with R a degree-11
/// least-squares fit at Chebyshev nodes to (atan(√z)/√z − 1)/z on [0, tan²(π/8)] (relative error ≈ 1.1·10⁻¹⁶
/// in atan u, at the rounding floor); then π/2 − · when y > |x| and π − · when x < 0. atan2(0, 0) = 0.
@inline(__always)
func polarAngle(_ y: Double, _ x: Double) -> Double {
    let ax = abs(x)
    let lo = min(ax, y), hi = max(ax, y)
    let reduced = lo > 0.41421356237309503 * hi
    let num = reduced ? lo - hi : lo
    let den = reduced ? lo + hi : hi
    let u = num / (den > 0 ? den : 1)
    let z = u * u
    var r = 0.01630779074543549
    r = r * z - 0.0345913892781874
    r = r * z + 0.04552443484766285
    r = r * z - 0.05230650466327199
    r = r * z + 0.05878957114602006
    r = r * z - 0.06666427474809959
    r = r * z + 0.07692296528186224
    r = r * z - 0.09090908759150944
    r = r * z + 0.11111111105277102
    r = r * z - 0.14285714285661172
    r = r * z + 0.1999999999999981
    r = r * z - 0.3333333333333333
    var a = u + u * (z * r)
    a = reduced ? a + Double.pi / 4 : a
    a = y > ax ? Double.pi / 2 - a : a
    return x < 0 ? Double.pi - a : a
}

/// `polarAngle` on four lanes, the same operations in the same order.
@inline(__always)
func polarAngle4(_ y: SIMD4<Double>, _ x: SIMD4<Double>) -> SIMD4<Double> {
    let ax = x.replacing(with: -x, where: x .< 0)
    let yBelow = y .< ax
    let lo = y.replacing(with: ax, where: .!yBelow), hi = ax.replacing(with: y, where: .!yBelow)
    let reduced = lo .> 0.41421356237309503 * hi
    let num = lo.replacing(with: lo - hi, where: reduced)
    let den = hi.replacing(with: lo + hi, where: reduced)
    let u = num / den.replacing(with: 1, where: .!(den .> 0))
    let z = u * u
    var r = SIMD4<Double>(repeating: 0.01630779074543549)
    r = r * z - 0.0345913892781874
    r = r * z + 0.04552443484766285
    r = r * z - 0.05230650466327199
    r = r * z + 0.05878957114602006
    r = r * z - 0.06666427474809959
    r = r * z + 0.07692296528186224
    r = r * z - 0.09090908759150944
    r = r * z + 0.11111111105277102
    r = r * z - 0.14285714285661172
    r = r * z + 0.1999999999999981
    r = r * z - 0.3333333333333333
    var a = u + u * (z * r)
    a = a.replacing(with: a + Double.pi / 4, where: reduced)
    a = a.replacing(with: Double.pi / 2 - a, where: y .> ax)
    return a.replacing(with: Double.pi - a, where: x .< 0)
}

import CVectorKernels
import Foundation
import NumericCore

/// The one vocabulary of elementwise activations φ used by every module (finite networks, their input jets and
/// parameter gradients, ensembles, and the infinite-width kernel maps). Each case carries
/// - its value φ(x) (`value`) and derivatives φ⁽ᵏ⁾(x), k ≤ 4, in closed form (`derivatives(_:upTo:into:)`; jets of
///   order K need order K for curvature and K + 1 for their parameter gradients);
/// - its dual kernel maps (1912.02803, neural-tangents' `stax.elementwise`): for
///   (u, v) ~ N(0, [[K₁₁, K₁₂], [K₁₂, K₂₂]]), T(K) = E[φ(u)φ(v)] and Ṫ(K) = E[φ'(u)φ'(v)] = ∂T/∂K₁₂ (Price's
///   theorem), in closed form or by quadrature (`dual`).
///
/// Kinks: ABReLU's derivative at exactly 0 is the mean of its one-sided slopes, (a + b)/2 (ReLU: relu′(0) = ½,
/// as neural-tangents), so that at zero pre-activation variance Ṫ = ((a + b)/2)² (ReLU: ¼).
public enum Activation: Sendable {
    /// a·min(x, 0) + b·max(x, 0) (ReLU = (0, 1), LeakyReLU(α) = (α, 1), Abs = (−1, 1)).
    case abRelu(a: Double, b: Double)
    /// a·erf(b·x) + c (Williams 1997).
    case erf(a: Double, b: Double, c: Double)
    /// a·sin(b·x + c) (Cos is c + π/2).
    case sin(a: Double, b: Double, c: Double)
    /// a·e^{b·x²}, b < 0.
    case gaussian(a: Double, b: Double)
    /// a·e^{b·x}.
    case exp(a: Double, b: Double)
    /// √2·sin(√(2γ)·x + π/4): T = e^{−γ(K₁₁ + K₂₂ − 2K₁₂)}.
    case rbf(gamma: Double)
    /// x·Φ(x) (exact, erf-based), closed-form kernels of 2002.08517.
    case gelu
    /// sign(x): T = (2/π) arcsin ρ; Ṫ = 0 as in neural-tangents.
    case sign
    /// φ(x) = x.
    case identity
    /// Σ_i c_i xⁱ (neural-tangents' `Polynomial(coef)`; `Monomial(d)` is xᵈ): T and Ṫ by Isserlis' theorem,
    ///   E[uⁱvʲ] = Σ_k C(i,k) C(j,k) k! K₁₂ᵏ (i−k−1)!! K₁₁^{(i−k)/2} (j−k−1)!! K₂₂^{(j−k)/2}  (i − k, j − k even).
    case polynomial(coefficients: [Double])
    /// tanh x; kernels by 2-D Gauss–Hermite quadrature with `degree` nodes per axis.
    case tanh(degree: Int)
    /// The logistic 1/(1 + e⁻ˣ); kernels by Gauss–Hermite quadrature.
    case sigmoid(degree: Int)
    /// ln(1 + eˣ); kernels by Gauss–Hermite quadrature.
    case softplus(degree: Int)
    /// x/(1 + e⁻ˣ); kernels by Gauss–Hermite quadrature.
    case swish(degree: Int)
    /// x for x > 0, α(eˣ − 1) otherwise; kernels by polar quadrature split at the axes (φ' has a kink at 0).
    case elu(alpha: Double, degree: Int)
    /// Any φ given as closures (neural-tangents' `ElementwiseNumerical`): value and first derivative only (jets of
    /// order ≤ 1); kernels by 2-D Gauss–Hermite or, with `kinkAtZero`, by polar quadrature split where u or v vanishes
    /// (`gaussianExpectation2DSplitAtAxes`), which converges geometrically where Gauss–Hermite would not.
    case numerical(name: String, fn: @Sendable (Double) -> Double, derivative: @Sendable (Double) -> Double, degree: Int,
                   kinkAtZero: Bool)

    /// The highest derivative order `derivatives` gives (4 for every closed form, 1 for `numerical`).
    public var maxDerivativeOrder: Int {
        if case .numerical = self { return 1 }
        return 4
    }

    /// The quadrature degree of an activation whose kernels are computed by quadrature (nil for closed forms).
    public var quadratureDegree: Int? {
        switch self {
        case .tanh(let n), .sigmoid(let n), .softplus(let n), .swish(let n), .elu(_, let n), .numerical(_, _, _, let n, _): return n
        default: return nil
        }
    }

    /// The same activation with quadrature degree `degree` (closed forms unchanged).
    public func withQuadratureDegree(_ degree: Int) -> Activation {
        switch self {
        case .tanh: return .tanh(degree: degree)
        case .sigmoid: return .sigmoid(degree: degree)
        case .softplus: return .softplus(degree: degree)
        case .swish: return .swish(degree: degree)
        case .elu(let a, _): return .elu(alpha: a, degree: degree)
        case .numerical(let n, let f, let df, _, let k): return .numerical(name: n, fn: f, derivative: df, degree: degree, kinkAtZero: k)
        default: return self
        }
    }

    /// The SPEC text of the activation; `NetworkSpec` parses it back to the same activation.
    public var name: String {
        switch self {
        case .abRelu(let a, let b):
            if a == 0 && b == 1 { return "Relu" }
            if a == -1 && b == 1 { return "Abs" }
            if b == 1 { return "LeakyRelu(\(a))" }
            return "ABRelu(\(a), \(b))"
        case .erf(let a, let b, let c):
            if a == 0.5 && b == 1 / 2.4020563531719796 && c == 0.5 { return "Sigmoid_like" }
            return "Erf(a=\(a), b=\(b), c=\(c))"
        case .sin(let a, let b, let c): return "Sin(a=\(a), b=\(b), c=\(c))"
        case .gaussian(let a, let b): return "Gaussian(a=\(a), b=\(b))"
        case .exp(let a, let b): return "Exp(a=\(a), b=\(b))"
        case .rbf(let g): return "Rbf(gamma=\(g))"
        case .gelu: return "Gelu"
        case .sign: return "Sign"
        case .identity: return "Identity"
        case .polynomial(let c): return "Polynomial(coef=\(c))"
        case .tanh(let n): return "Tanh(deg=\(n))"
        case .sigmoid(let n): return "Sigmoid(deg=\(n))"
        case .softplus(let n): return "Softplus(deg=\(n))"
        case .swish(let n): return "Swish(deg=\(n))"
        case .elu(let a, let n): return "Elu(alpha=\(a), deg=\(n))"
        case .numerical(let name, _, _, _, _): return name
        }
    }

    /// φ(x).
    @inlinable
    public func value(_ x: Double) -> Double {
        switch self {
        case .abRelu(let a, let b): return x < 0 ? a * x : b * x
        case .erf(let a, let b, let c): return a * Foundation.erf(b * x) + c
        case .sin(let a, let b, let c): return a * Foundation.sin(b * x + c)
        case .gaussian(let a, let b): return a * Foundation.exp(b * x * x)
        case .exp(let a, let b): return a * Foundation.exp(b * x)
        case .rbf(let g): return 2.0.squareRoot() * Foundation.sin((2 * g).squareRoot() * x + Double.pi / 4)
        case .gelu: return x * Self.normalCDF(x)
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .identity: return x
        case .polynomial(let c): return c.reversed().reduce(0) { $0 * x + $1 }
        case .tanh: return Self.tanhValue(x)
        case .sigmoid: return Self.sigmoidValue(x)
        case .softplus: return Self.softplusValue(x)
        case .swish: return Self.swishValue(x)
        case .elu(let alpha, _): return Self.eluValue(x, alpha)
        case .numerical(_, let f, _, _, _): return f(x)
        }
    }

    /// φ'(x): ABReLU (a + b)/2 at exactly 0 (ReLU ½), sign 0.
    @inlinable
    public func derivative(_ x: Double) -> Double {
        switch self {
        case .abRelu(let a, let b): return x < 0 ? a : (x > 0 ? b : (a + b) / 2)
        case .erf(let a, let b, _): return a * b * 2 / Double.pi.squareRoot() * Foundation.exp(-b * b * x * x)
        case .sin(let a, let b, let c): return a * b * Foundation.cos(b * x + c)
        case .gaussian(let a, let b): return 2 * a * b * x * Foundation.exp(b * x * x)
        case .exp(let a, let b): return a * b * Foundation.exp(b * x)
        case .rbf(let g): let s = (2 * g).squareRoot(); return 2.0.squareRoot() * s * Foundation.cos(s * x + Double.pi / 4)
        case .gelu: return Self.normalCDF(x) + x * Self.normalDensity(x)
        case .sign: return 0
        case .identity: return 1
        case .polynomial(let c):
            var s = 0.0
            for i in stride(from: c.count - 1, through: 1, by: -1) { s = s * x + Double(i) * c[i] }
            return s
        case .tanh: return Self.tanhDerivative(x)
        case .sigmoid: return Self.sigmoidDerivative(x)
        case .softplus: return Self.sigmoidValue(x)
        case .swish: return Self.swishDerivative(x)
        case .elu(let alpha, _): return Self.eluDerivative(x, alpha)
        case .numerical(_, _, let d, _, _): return d(x)
        }
    }

    /// φ and φ' of the activations whose kernels are computed by quadrature, as closures with the case decided
    /// once (the quadrature's inner loops call them n² times per kernel entry):
    /// tanh: 1 − tanh²; logistic s = 1/(1 + e⁻ˣ): s(1 − s); softplus max(x, 0) + ln(1 + e^{−|x|}) (no overflow): s;
    /// swish x·s: s + x·s(1 − s); elu: x | α(eˣ − 1), 1 | αeˣ. For `numerical`, the given closures; others through
    /// `value`/`derivative`.
    public var quadratureFunctions: (f: @Sendable (Double) -> Double, df: @Sendable (Double) -> Double) {
        switch self {
        case .tanh: return (Self.tanhValue, Self.tanhDerivative)
        case .sigmoid: return (Self.sigmoidValue, Self.sigmoidDerivative)
        case .softplus: return (Self.softplusValue, Self.sigmoidValue)
        case .swish: return (Self.swishValue, Self.swishDerivative)
        case .elu(let alpha, _): return ({ Self.eluValue($0, alpha) }, { Self.eluDerivative($0, alpha) })
        case .numerical(_, let f, let df, _, _): return (f, df)
        default: return ({ [self] in self.value($0) }, { [self] in self.derivative($0) })
        }
    }

    @inlinable static func tanhValue(_ x: Double) -> Double { Foundation.tanh(x) }
    @inlinable static func tanhDerivative(_ x: Double) -> Double { let t = Foundation.tanh(x); return 1 - t * t }
    /// The logistic 1/(1 + e⁻ˣ), overflow-free (eˣ/(1 + eˣ) for x < 0).
    @inlinable static func sigmoidValue(_ x: Double) -> Double { x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) }
    @inlinable static func sigmoidDerivative(_ x: Double) -> Double { let s = sigmoidValue(x); return s * (1 - s) }
    /// Φ(x) = ½ erfc(−x/√2) and ϕ(x) = e^{−x²/2}/√(2π).
    @inlinable static func normalCDF(_ x: Double) -> Double { 0.5 * Foundation.erfc(-x * 0.7071067811865476) }
    @inlinable static func normalDensity(_ x: Double) -> Double { Foundation.exp(-0.5 * x * x) * 0.3989422804014327 }
    /// ln(1 + eˣ) = max(x, 0) + ln(1 + e^{−|x|}) without overflow.
    @inlinable static func softplusValue(_ x: Double) -> Double { Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }
    @inlinable static func swishValue(_ x: Double) -> Double { x * sigmoidValue(x) }
    @inlinable static func swishDerivative(_ x: Double) -> Double { let s = sigmoidValue(x); return s + x * s * (1 - s) }
    @inlinable static func eluValue(_ x: Double, _ alpha: Double) -> Double { x > 0 ? x : alpha * Foundation.expm1(x) }
    @inlinable static func eluDerivative(_ x: Double, _ alpha: Double) -> Double { x > 0 ? 1 : alpha * Foundation.exp(x) }

    /// Writes φ⁽ᵏ⁾(z) for k = 0…K (K ≤ `maxDerivativeOrder`) into `out[k]`. Orders 0 and 1 are `value` and
    /// `derivative` (same arithmetic); higher orders in closed form:
    /// - tanh, t = tanh z: φ⁽²⁾ = −2t(1 − t²), φ⁽³⁾ = (6t² − 2)(1 − t²), φ⁽⁴⁾ = (16t − 24t³)(1 − t²);
    /// - sigmoid s, q = s(1 − s): s⁽²⁾ = q(1 − 2s), s⁽³⁾ = q(1 − 6s + 6s²), s⁽⁴⁾ = q(1 − 2s)(1 − 12s + 12s²);
    ///   softplus: the sigmoid's derivatives one order down; swish z·s: (z·s)⁽ᵏ⁾ = z·s⁽ᵏ⁾ + k·s⁽ᵏ⁻¹⁾;
    /// - gelu, ϕ the normal density: φ⁽²⁾ = ϕ(2 − z²), φ⁽³⁾ = ϕ(z³ − 4z), φ⁽⁴⁾ = ϕ(−z⁴ + 7z² − 4);
    /// - erf, y = bz, e = (2/√π)e^{−y²}: φ⁽ᵏ⁾ = a·bᵏ·e·(−2y, 4y² − 2, −8y³ + 12y) for k = 2, 3, 4;
    /// - sin: a·bᵏ·sin(bz + c + kπ/2) (rbf likewise); exp: a·bᵏ·e^{bz}; gaussian f = a·e^{bz²}: f⁽²⁾ = (2b + 4b²z²)f,
    ///   f⁽³⁾ = (12b²z + 8b³z³)f, f⁽⁴⁾ = (12b² + 48b³z² + 16b⁴z⁴)f; elu (z ≤ 0): α·eᶻ; polynomials term by term;
    ///   piecewise-linear ones and sign: 0.
    @inlinable
    public func derivatives(_ z: Double, upTo K: Int, into out: UnsafeMutablePointer<Double>) {
        precondition(K <= maxDerivativeOrder, "\(name): derivatives up to order \(maxDerivativeOrder), asked for \(K)")
        // The activations whose orders share one expensive evaluation (tanh, Φ and ϕ, the logistic) compute it once.
        switch self {
        case .tanh:
            let t = Foundation.tanh(z), s = 1 - t * t
            out[0] = t
            if K >= 1 { out[1] = s }
            if K >= 2 { out[2] = -2 * t * s }
            if K >= 3 { out[3] = (6 * t * t - 2) * s }
            if K >= 4 { out[4] = (16 * t - 24 * t * t * t) * s }
            return
        case .gelu:
            let phi = Self.normalDensity(z), Phi = Self.normalCDF(z), z2 = z * z
            out[0] = z * Phi
            if K >= 1 { out[1] = Phi + z * phi }
            if K >= 2 { out[2] = phi * (2 - z2) }
            if K >= 3 { out[3] = phi * (z2 * z - 4 * z) }
            if K >= 4 { out[4] = phi * (-z2 * z2 + 7 * z2 - 4) }
            return
        case .sigmoid, .softplus, .swish:
            // The logistic s and its derivatives s⁽ᵏ⁾, k = 1…4.
            let s = Self.sigmoidValue(z), q = s * (1 - s)
            let d = (s, q, q * (1 - 2 * s), q * (1 - 6 * s + 6 * s * s), q * (1 - 2 * s) * (1 - 12 * s + 12 * s * s))
            let sig = [d.0, d.1, d.2, d.3, d.4]
            switch self {
            case .sigmoid: for k in 0...K { out[k] = sig[k] }
            case .softplus:
                out[0] = Self.softplusValue(z)
                if K >= 1 { for k in 1...K { out[k] = sig[k - 1] } }
            default:
                out[0] = z * s
                if K >= 1 { out[1] = s + z * s * (1 - s) }      // `swishDerivative`'s arithmetic
                if K >= 2 { for k in 2...K { out[k] = z * sig[k] + Double(k) * sig[k - 1] } }
            }
            return
        default:
            break
        }
        out[0] = value(z)
        if K < 1 { return }
        out[1] = derivative(z)
        if K < 2 { return }
        for k in 2...K { out[k] = 0 }
        switch self {
        case .abRelu, .sign, .identity, .numerical:
            break
        case .erf(let a, let b, _):
            let y = b * z, e = 2 / Double.pi.squareRoot() * Foundation.exp(-y * y)
            let b2 = b * b
            out[2] = a * b2 * e * (-2 * y)
            if K >= 3 { out[3] = a * b2 * b * e * (4 * y * y - 2) }
            if K >= 4 { out[4] = a * b2 * b2 * e * (-8 * y * y * y + 12 * y) }
        case .sin(let a, let b, let c):
            Self.sineDerivatives(a, b, c, z, K, out)
        case .rbf(let g):
            Self.sineDerivatives(2.0.squareRoot(), (2 * g).squareRoot(), Double.pi / 4, z, K, out)
        case .gaussian(let a, let b):
            let f = a * Foundation.exp(b * z * z), z2 = z * z
            out[2] = (2 * b + 4 * b * b * z2) * f
            if K >= 3 { out[3] = (12 * b * b * z + 8 * b * b * b * z2 * z) * f }
            if K >= 4 { out[4] = (12 * b * b + 48 * b * b * b * z2 + 16 * b * b * b * b * z2 * z2) * f }
        case .exp(let a, let b):
            var c = a * Foundation.exp(b * z) * b
            for k in 2...K { c *= b; out[k] = c }
        case .gelu, .tanh, .sigmoid, .softplus, .swish:
            break   // above
        case .polynomial(let c):
            for k in 2...K {
                // Σ_{i ≥ k} c_i·i!/(i − k)!·z^{i−k}, by Horner.
                var s = 0.0
                for i in stride(from: c.count - 1, through: k, by: -1) {
                    var f = 1.0
                    for j in 0..<k { f *= Double(i - j) }
                    s = s * z + f * c[i]
                }
                out[k] = s
            }
        case .elu(let alpha, _):
            if z <= 0 { let e = alpha * Foundation.exp(z); for k in 2...K { out[k] = e } }
        }
    }

    /// a·bᵏ·sin(bz + c + kπ/2) for k = 2…K into out[k].
    @usableFromInline @inline(__always)
    static func sineDerivatives(_ a: Double, _ b: Double, _ c: Double, _ z: Double, _ K: Int, _ out: UnsafeMutablePointer<Double>) {
        let s = Foundation.sin(b * z + c), co = Foundation.cos(b * z + c)
        var ab = a * b
        for k in 2...K {
            ab *= b
            switch k % 4 { case 0: out[k] = ab * s; case 1: out[k] = ab * co; case 2: out[k] = -ab * s; default: out[k] = -ab * co }
        }
    }

    /// φ⁽ᵏ⁾(z), k = 0…`upTo`, as an array.
    public func derivatives(_ z: Double, upTo: Int = 4) -> [Double] {
        var out = [Double](repeating: 0, count: upTo + 1)
        out.withUnsafeMutableBufferPointer { derivatives(z, upTo: upTo, into: $0.baseAddress!) }
        return out
    }
}

/// The layer that applies an `Activation` entry by entry: forward map φ(h), kernel map K ← T(K), Θ ← Ṫ(K)·Θ, no
/// parameters. Its input must be Gaussian: it must follow a Dense layer.
public struct Nonlinearity: Layer {
    /// The elementwise function φ this layer applies.
    public let activation: Activation

    /// The layer applying `activation` entry by entry.
    public init(_ activation: Activation) { self.activation = activation }

    /// The SPEC text of the activation (`Activation.name`).
    public var name: String { activation.name }
    /// Elementwise: the output width equals the input width.
    public func outputWidth(inputWidth: Int) -> Int { inputWidth }
    /// No parameters: draws nothing from `rng`.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters { .none }

    /// φ(x).
    public func value(_ x: Double) -> Double { activation.value(x) }
    /// φ'(x).
    public func derivative(_ x: Double) -> Double { activation.derivative(x) }

    /// φ(h) entry by entry on the activations h [P, width] (`value`'s arithmetic), written into fresh storage in one
    /// pass (h stays the caller's: a copy of it mapped in place would touch every page twice).
    public func apply(_ p: LayerParameters, _ h: Matrix) -> Matrix {
        var out = Matrix(uninitializedRows: h.rows, cols: h.cols)
        h.data.withUnsafeBufferPointer { zb in
            out.data.withUnsafeMutableBufferPointer { ob in
                nonisolated(unsafe) let (z, b) = (zb.baseAddress, ob.baseAddress)
                // Entry by entry, in chunks on all cores for large inputs (each entry's arithmetic is the same whatever
                // the chunking; the fresh pages of the output are faulted in by the threads that write them).
                parallelChunks(ob.count, minimum: elementwiseEntriesPerChunk) { range in
                    guard let z, let b else { return }
                    switch activation {
                    case .abRelu(let lower, let upper):
                        // `value`'s arithmetic, the case decided once (a loop that vectorises).
                        for k in range { let x = z[k]; b[k] = x < 0 ? lower * x : upper * x }
                    default:
                        for k in range { b[k] = value(z[k]) }
                    }
                }
            }
        }
        return out
    }

    /// d ← d·φ'(h) entry by entry, without an array of φ'(h): h holds one block of `block` entries per point, d holds
    /// `rowsPerPoint` consecutive blocks per point, each multiplied by its point's block of φ'(h) (`derivative`'s
    /// arithmetic, the case decided once; for (a, b)-ReLU a branch-free select that vectorises).
    public func multiplyByDerivative(at h: UnsafeBufferPointer<Double>, block: Int, rowsPerPoint O: Int,
                                     _ d: UnsafeMutableBufferPointer<Double>) {
        precondition(d.count == h.count * O, "Nonlinearity.multiplyByDerivative: \(d.count) cotangent entries for \(h.count) activations × \(O)")
        guard let hp = h.baseAddress, let dp = d.baseAddress, block > 0 else { return }
        nonisolated(unsafe) let (hq0, dq0) = (hp, dp)
        parallelChunks(h.count / block, minimum: max(1, elementwiseEntriesPerChunk / (block * max(1, O)))) { points in
            multiplyByDerivative(points, at: hq0, block: block, rowsPerPoint: O, dq0)
        }
    }

    /// The points `points` of `multiplyByDerivative(at:block:rowsPerPoint:_:)`.
    private func multiplyByDerivative(_ points: Range<Int>, at hp: UnsafePointer<Double>, block: Int, rowsPerPoint O: Int,
                                      _ dp: UnsafeMutablePointer<Double>) {
        switch activation {
        case .abRelu(let lower, let upper):
            let middle = (lower + upper) / 2
            for q in points {
                let hq = hp + q * block
                for a in 0..<O {
                    let dq = dp + (q * O + a) * block
                    for e in 0..<block {
                        let x = hq[e]
                        dq[e] *= x < 0 ? lower : (x > 0 ? upper : middle)
                    }
                }
            }
        default:
            for q in points {
                let hq = hp + q * block
                for e in 0..<block {
                    let g = derivative(hq[e])
                    for a in 0..<O { dp[(q * O + a) * block + e] *= g }
                }
            }
        }
    }

    /// (T, Ṫ) at one covariance.
    public func dual(k11: Double, k12: Double, k22: Double) -> (t: Double, tDot: Double) { activation.dual(k11: k11, k12: k12, k22: k22) }

    /// δ_h = δ·φ'(h) entry by entry (cotangent r at point r / O); no parameters.
    public func pullback(_ p: LayerParameters, input h: Activations, cotangent d: Matrix, rowsPerPoint O: Int,
                         gradient: JacobianRows?) -> Matrix {
        var out = d
        h.values.data.withUnsafeBufferPointer { hb in
            out.data.withUnsafeMutableBufferPointer { multiplyByDerivative(at: hb, block: h.shape.size, rowsPerPoint: O, $0) }
        }
        return out
    }
}

extension Activation {
    /// (T, Ṫ) = (E[φ(u)φ(v)], E[φ'(u)φ'(v)]) at one covariance [[K₁₁, K₁₂], [K₁₂, K₂₂]].
    public func dual(k11: Double, k12: Double, k22: Double) -> (t: Double, tDot: Double) {
        switch self {
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
            let v = k11 * k22 - k12 * k12
            return (1 - 2 / Double.pi * Self.angle((v < 0 ? 0 : v).squareRoot(), k12), 0)
        case .identity:
            return (k12, 1)
        case .polynomial(let c):
            return Self.polynomialDual(c, k11, k12, k22)
        case .tanh, .sigmoid, .softplus, .swish:
            // Mehler's series (`HermiteExpansion`); a kernel computation builds the table once for all its diagonals.
            let (f, df) = quadratureFunctions
            return hermiteExpansion!.table(diagonals: [k11, k22], f, df).dual(k11: k11, k12: k12, k22: k22)
        case .elu(_, let degree):
            let (f, df) = quadratureFunctions
            return (gaussianExpectation2DSplitAtAxes(k11: k11, k12: k12, k22: k22, degree: degree) { f($0) * f($1) },
                    gaussianExpectation2DSplitAtAxes(k11: k11, k12: k12, k22: k22, degree: degree) { df($0) * df($1) })
        case .numerical(_, let f, let df, let degree, let kinked):
            if kinked {
                return (gaussianExpectation2DSplitAtAxes(k11: k11, k12: k12, k22: k22, degree: degree) { f($0) * f($1) },
                        gaussianExpectation2DSplitAtAxes(k11: k11, k12: k12, k22: k22, degree: degree) { df($0) * df($1) })
            }
            return hermiteExpansion!.table(diagonals: [k11, k22], f, df).dual(k11: k11, k12: k12, k22: k22)
        }
    }

    /// (T, Ṫ) by the 2-D Gauss–Hermite rule with `degree` nodes per axis (neural-tangents' `ElementwiseNumerical`):
    /// the route the Hermite expansion replaced, kept as an independent check of it.
    public func dualByQuadrature2D(k11: Double, k12: Double, k22: Double, degree: Int) -> (t: Double, tDot: Double) {
        let (f, df) = quadratureFunctions
        return (gaussHermite2D(k11: k11, k12: k12, k22: k22, degree: degree) { f($0) * f($1) },
                gaussHermite2D(k11: k11, k12: k12, k22: k22, degree: degree) { df($0) * df($1) })
    }

    /// E[uⁱvʲ] by Isserlis' theorem (see `Activation.polynomial`), T = Σ c_i c_j E[uⁱvʲ], Ṫ = Σ i j c_i c_j E[uⁱ⁻¹vʲ⁻¹].
    static func polynomialDual(_ c: [Double], _ k11: Double, _ k12: Double, _ k22: Double) -> (t: Double, tDot: Double) {
        let n = c.count
        // (m − 1)!! for even m (0 for odd: no complete pairing), binomials and factorials as Doubles.
        func doubleFactorialOfPredecessor(_ m: Int) -> Double {
            guard m % 2 == 0 else { return 0 }
            var r = 1.0
            var j = m - 1
            while j > 1 { r *= Double(j); j -= 2 }
            return r
        }
        func binomial(_ a: Int, _ b: Int) -> Double {
            var r = 1.0
            for q in 0..<b { r = r * Double(a - q) / Double(q + 1) }
            return r
        }
        func moment(_ i: Int, _ j: Int) -> Double {
            var s = 0.0, factorial = 1.0
            for k in 0...min(i, j) {
                if k > 0 { factorial *= Double(k) }
                guard (i - k) % 2 == 0 && (j - k) % 2 == 0 else { continue }
                s += binomial(i, k) * binomial(j, k) * factorial * Foundation.pow(k12, Double(k))
                    * doubleFactorialOfPredecessor(i - k) * Foundation.pow(k11, Double((i - k) / 2))
                    * doubleFactorialOfPredecessor(j - k) * Foundation.pow(k22, Double((j - k) / 2))
            }
            return s
        }
        var t = 0.0, tDot = 0.0
        for i in 0..<n where c[i] != 0 {
            for j in 0..<n where c[j] != 0 {
                t += c[i] * c[j] * moment(i, j)
                if i > 0 && j > 0 { tDot += Double(i * j) * c[i] * c[j] * moment(i - 1, j - 1) }
            }
        }
        return (t, tDot)
    }

    /// ABReLU: θ = arccos ρ as atan2(√(K₁₁K₂₂ − K₁₂²), K₁₂) (well conditioned near ρ = ±1);
    /// Ṫ = (a² + b²)/2 − (a − b)²θ/(2π), T = (a − b)²√(K₁₁K₂₂ − K₁₂²)/(2π) + Ṫ·K₁₂.
    @inline(__always)
    static func abReluDual(_ a: Double, _ b: Double, _ k11: Double, _ k12: Double, _ k22: Double) -> (t: Double, tDot: Double) {
        let v = k11 * k22 - k12 * k12
        let s = (v < 0 ? 0 : v).squareRoot()
        let theta = angle(s, k12)
        let d = (a - b) * (a - b)
        let tDot = (a * a + b * b) / 2 - d * theta / (2 * Double.pi)
        return (d / (2 * Double.pi) * s + tDot * k12, tDot)
    }

    /// The angle θ = arccos ρ between the two pre-activations as atan2(s, K₁₂), s = √(K₁₁K₂₂ − K₁₂²), with θ = π/2
    /// where a variance vanishes (s = K₁₂ = 0): u or v is then 0, independent of the other, as for ρ = 0.
    @inline(__always)
    static func angle(_ s: Double, _ k12: Double) -> Double {
        s == 0 && k12 == 0 ? Double.pi / 2 : PolarAngle.angle(s, k12)
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
        let asinW = Double(signOf: p12, magnitudeOf: PolarAngle.angle(abs(2 * p12), q < 0 ? 0 : r))
        let t = a * a * 2 / Double.pi * asinW + c * c
        let tDot = a * a * 4 / Double.pi / r * b * b
        return (t, tDot)
    }

}

extension Nonlinearity {
    /// The dual kernel map entry by entry: K₁₂ ← T(K₁₁, K₁₂, K₂₂), Θ ← Ṫ(K₁₁, K₁₂, K₂₂)·Θ, the diagonals K ← T(K, K, K);
    /// throws unless the input is Gaussian (the previous layer is Dense).
    public func kernel(_ k: KernelState) throws -> KernelState { try kernel(k, table: nil) }

    /// `kernel` in place: on the tiles of a spatial state with a closed form, the fused path's entrywise map on all
    /// cores (`mapTiles`; the same arithmetic); otherwise `kernel`'s result.
    public func kernel(inPlace k: inout KernelState) throws {
        guard k.hasDiagonals else { throw InputError("\(name): the state has no diagonals (after pooling they come from Serial.kernels)") }
        guard k.tiles != nil, activation.hermiteExpansion == nil, k.isGaussian else {
            k = try kernel(k)
            return
        }
        if case .identity = activation { return }
        let map = self
        k.mapTiles { map.map($0) }
        k.diagonal1 = k.diagonal1.map { dual(k11: $0, k12: $0, k22: $0).t }
        k.diagonal2 = k.diagonalOnly ? k.diagonal1 : k.diagonal2.map { dual(k11: $0, k12: $0, k22: $0).t }
        k.isGaussian = false
    }

    /// The Hermite table of this layer's activation for the given diagonal values (nil without a Hermite expansion).
    func hermiteTable(diagonals: [Double]) -> HermiteExpansion.Table? {
        guard let h = activation.hermiteExpansion else { return nil }
        let (f, df) = activation.quadratureFunctions
        return h.table(diagonals: diagonals, f, df)
    }

    /// `kernel`, with the Hermite table of a Hermite activation given (it must hold every diagonal value of `k`) or
    /// built here from k's diagonals.
    func kernel(_ k: KernelState, table given: HermiteExpansion.Table?) throws -> KernelState {
        // The identity maps any kernel to itself (Gaussian or not, neural-tangents' `Identity`).
        if case .identity = activation { return k }
        guard k.hasDiagonals else { throw InputError("\(name): the state has no diagonals (after pooling they come from Serial.kernels)") }
        guard k.isGaussian else {
            throw InputError("\(name) must directly follow a Dense layer (its input must be Gaussian)")
        }
        var out = k
        let n = k.nngp.count
        if let table = given ?? hermiteTable(diagonals: k.diagonal1 + k.diagonal2) {
            let map = HermiteKernelMap(table: table)
            if k.tiles == nil {
                for e in 0..<n {
                    let (t, td) = table.dual(k11: k.diagonal1[e], k12: k.nngp[e], k22: k.diagonal1[e])
                    out.nngp[e] = t; out.ntk[e] = td * k.ntk[e]
                }
            } else {
                out.mapTiles { map.map($0) }
            }
            out.diagonal1 = k.diagonal1.map { table.dual(k11: $0, k12: $0, k22: $0).t }
            out.diagonal2 = k.diagonalOnly ? out.diagonal1 : k.diagonal2.map { table.dual(k11: $0, k12: $0, k22: $0).t }
            out.isGaussian = false
            return out
        }
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
        switch activation {
        case .numerical, .polynomial, .tanh, .sigmoid, .softplus, .swish, .elu: return false   // double sums whose order changes under K₁₁ ↔ K₂₂
        default: return true
        }
    }

    /// `kernel`'s map on a block of entries, in place, with the same arithmetic (bit-identical results). ABReLU and
    /// Erf go row by row: on CPUs with AVX2 in one pass of eight (AVX-512) or four lanes (`nnt_abrelu_kernel_rows`,
    /// `nnt_erf_kernel_rows`, the same operations in the same order), else in three passes over the row, each a simple
    /// loop that vectorises: the arguments (y, x) of the angle, the angles in bulk (`PolarAngle.angles`), then T and
    /// Ṫ·Θ.
    func map(_ t: KernelTile) {
        switch activation {
        case .abRelu(let a, let b):
            let d = (a - b) * (a - b), half = (a * a + b * b) / 2, slope = d / (2 * Double.pi)
            if VectorUnit.avx2 {
                nnt_abrelu_kernel_rows(t.nngp, t.ntk, t.stride, t.rows, t.cols, t.diagonal1, t.diagonal2, d, half, slope)
                return
            }
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * t.cols) { buffer in
                let s = buffer.baseAddress!, theta = s + t.cols
                for r in 0..<t.rows {
                    let k = t.nngp + r * t.stride, th = t.ntk + r * t.stride, d2 = t.diagonal2
                    let k11 = t.diagonal1[r], n = t.cols
                    // s = √max(0, K₁₁K₂₂ − K₁₂²)
                    var c = 0
                    while c + 4 <= n {
                        let k12 = load4(k + c)
                        let v = k11 * load4(d2 + c) - k12 * k12
                        store4(v.replacing(with: 0, where: v .< 0).squareRoot(), s + c)
                        c += 4
                    }
                    while c < n {
                        let v = k11 * d2[c] - k[c] * k[c]
                        s[c] = (v < 0 ? 0 : v).squareRoot()
                        c += 1
                    }
                    PolarAngle.angles(y: s, x: k, into: theta, count: n)
                    // A vanishing variance (s = K₁₂ = 0): θ = π/2, as `Activation.angle`.
                    for e in 0..<n where s[e] == 0 && k[e] == 0 { theta[e] = Double.pi / 2 }
                    c = 0
                    while c + 4 <= n {
                        let tDot = half - d * load4(theta + c) / (2 * Double.pi)
                        store4(slope * load4(s + c) + tDot * load4(k + c), k + c)
                        store4(tDot * load4(th + c), th + c)
                        c += 4
                    }
                    while c < n {
                        let tDot = half - d * theta[c] / (2 * Double.pi)
                        k[c] = slope * s[c] + tDot * k[c]
                        th[c] = tDot * th[c]
                        c += 1
                    }
                }
            }
        case .erf(let a, let b, let cc):
            let b2 = b * b
            let tScale = a * a * 2 / Double.pi, dScale = a * a * 4 / Double.pi, c2 = cc * cc
            if VectorUnit.avx2 {
                nnt_erf_kernel_rows(t.nngp, t.ntk, t.stride, t.rows, t.cols, t.diagonal1, t.diagonal2, b, tScale, dScale, c2)
                return
            }
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 3 * t.cols) { buffer in
                let y = buffer.baseAddress!, x = y + t.cols, root = x + t.cols
                for r in 0..<t.rows {
                    let k = t.nngp + r * t.stride, th = t.ntk + r * t.stride, d2 = t.diagonal2
                    let p11 = b * b * t.diagonal1[r], n = t.cols
                    // y = |2p₁₂|, r = √q with q = (1 + 2p₁₁)(1 + 2p₂₂) − 4p₁₂², x = √max(0, q)
                    var c = 0
                    while c + 4 <= n {
                        let p12 = b2 * load4(k + c), p22 = b2 * load4(d2 + c)
                        let q = (1 + 2 * p11) * (1 + 2 * p22) - 4 * p12 * p12
                        let rt = q.squareRoot()
                        store4(rt, root + c)
                        store4(rt.replacing(with: 0, where: q .< 0), x + c)
                        let y2 = 2 * p12
                        store4(y2.replacing(with: -y2, where: y2 .< 0), y + c)
                        c += 4
                    }
                    while c < n {
                        let p12 = b2 * k[c], p22 = b2 * d2[c]
                        let q = (1 + 2 * p11) * (1 + 2 * p22) - 4 * p12 * p12
                        let rt = q.squareRoot()
                        root[c] = rt
                        x[c] = q < 0 ? 0 : rt
                        y[c] = abs(2 * p12)
                        c += 1
                    }
                    PolarAngle.angles(y: y, x: x, into: x, count: n)
                    c = 0
                    while c + 4 <= n {
                        let angle = load4(x + c)
                        let asinW = angle.replacing(with: -angle, where: load4(k + c) .< 0)
                        store4(tScale * asinW + c2, k + c)
                        store4(dScale / load4(root + c) * b * b * load4(th + c), th + c)
                        c += 4
                    }
                    while c < n {
                        let asinW = k[c] < 0 ? -x[c] : x[c]
                        k[c] = tScale * asinW + c2
                        th[c] = dScale / root[c] * b * b * th[c]
                        c += 1
                    }
                }
            }
        default:
            t.mapEntries { activation.dual(k11: $0, k12: $1, k22: $2) }
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

// Layer constructors named as in neural-tangents' stax.
/// ReLU, φ(x) = max(x, 0) (ABReLU with a = 0, b = 1; relu′(0) = ½).
public func Relu() -> Nonlinearity { Nonlinearity(.abRelu(a: 0, b: 1)) }
/// Leaky ReLU, φ(x) = αx for x < 0, x otherwise (ABReLU with a = α, b = 1).
public func LeakyRelu(_ alpha: Double) -> Nonlinearity { Nonlinearity(.abRelu(a: alpha, b: 1)) }
/// φ(x) = a·min(x, 0) + b·max(x, 0) (neural-tangents' `ABRelu`), closed-form kernels.
public func ABRelu(_ a: Double, _ b: Double) -> Nonlinearity { Nonlinearity(.abRelu(a: a, b: b)) }
/// φ(x) = |x| (ABReLU with a = −1, b = 1).
public func Abs() -> Nonlinearity { Nonlinearity(.abRelu(a: -1, b: 1)) }
/// φ(x) = a·erf(b·x) + c, closed-form arcsine kernels.
public func Erf(a: Double = 1, b: Double = 1, c: Double = 0) -> Nonlinearity { Nonlinearity(.erf(a: a, b: b, c: c)) }
/// neural-tangents' `Sigmoid_like`: 0.5·erf(x/2.4020563531719796) + 0.5.
public func SigmoidLike() -> Nonlinearity { Nonlinearity(.erf(a: 0.5, b: 1 / 2.4020563531719796, c: 0.5)) }
/// φ(x) = a·sin(b·x + c), closed-form kernels.
public func Sin(a: Double = 1, b: Double = 1, c: Double = 0) -> Nonlinearity { Nonlinearity(.sin(a: a, b: b, c: c)) }
/// a·cos(b·x + c) = a·sin(b·x + c + π/2).
public func Cos(a: Double = 1, b: Double = 1, c: Double = 0) -> Nonlinearity { Nonlinearity(.sin(a: a, b: b, c: c + Double.pi / 2)) }
/// φ(x) = a·e^{b·x²} (b < 0), closed-form kernels.
public func Gaussian(a: Double = 1, b: Double = -1) -> Nonlinearity { Nonlinearity(.gaussian(a: a, b: b)) }
/// φ(x) = a·e^{b·x}: T = a²e^{b²((K₁₁ + K₂₂)/2 + K₁₂)}, Ṫ = b²T.
public func Exp(a: Double = 1, b: Double = 1) -> Nonlinearity { Nonlinearity(.exp(a: a, b: b)) }
/// φ(x) = √2·sin(√(2γ)·x + π/4), whose NNGP map is the RBF kernel T = e^{−γ(K₁₁ + K₂₂ − 2K₁₂)}.
public func Rbf(gamma: Double = 1) -> Nonlinearity { Nonlinearity(.rbf(gamma: gamma)) }
/// φ(x) = x·Φ(x) (exact, erf-based GELU), closed-form kernels of 2002.08517.
public func Gelu() -> Nonlinearity { Nonlinearity(.gelu) }
/// φ(x) = sign(x) (0 at 0): T = (2/π) arcsin ρ, Ṫ = 0.
public func Sign() -> Nonlinearity { Nonlinearity(.sign) }
/// φ(x) = x: T = K₁₂, Ṫ = 1.
public func Identity() -> Nonlinearity { Nonlinearity(.identity) }
/// φ(x) = Σ_i coefficients[i]·xⁱ (neural-tangents' `Polynomial(coef)`), closed-form kernels.
public func Polynomial(_ coefficients: [Double]) -> Nonlinearity { Nonlinearity(.polynomial(coefficients: coefficients)) }
/// φ(x) = x^degree (neural-tangents' `Monomial(degree)`), closed-form kernels.
public func Monomial(_ degree: Int) -> Nonlinearity { Nonlinearity(.polynomial(coefficients: [Double](repeating: 0, count: degree) + [1])) }
/// tanh, kernels by Gauss–Hermite quadrature with `degree` nodes per axis.
public func Tanh(degree: Int = 64) -> Nonlinearity { Nonlinearity(.tanh(degree: degree)) }
/// Any activation by quadrature (neural-tangents' `ElementwiseNumerical`), `degree` nodes per axis; declare
/// `kinkAtZero` when φ or φ' is not smooth at 0 (a ReLU-like closure) for the split polar rule.
/// `Serial.quadratureErrorEstimate` estimates the resulting error of the kernels.
public func ElementwiseNumerical(name: String, degree: Int = 64, kinkAtZero: Bool = false, _ fn: @escaping @Sendable (Double) -> Double,
                                 derivative: @escaping @Sendable (Double) -> Double) -> Nonlinearity {
    Nonlinearity(.numerical(name: name, fn: fn, derivative: derivative, degree: degree, kinkAtZero: kinkAtZero))
}

import Foundation

/// A second-order Taylor jet of one scalar at one point of ℝⁿ, n ≤ 3: value v, gradient d_k = ∂_k v and the
/// full (symmetric) Hessian H_kl = ∂_k∂_l v, stored in one SIMD16 as [v, d₀, d₁, d₂, H₀₀, H₀₁, …, H₂₂].
/// The adjoint of every operation treats all 13 slots as independent variables (H_kl and H_lk separately).
public struct PointJet: Sendable, Equatable {
    /// [v, d₀, d₁, d₂, H₀₀, H₀₁, H₀₂, H₁₀, …, H₂₂, 0, 0, 0]: value, gradient, Hessian row-major.
    public var s: SIMD16<Double>

    /// The zero jet.
    public init() { s = .zero }
    /// The jet of the constant c (zero gradient and Hessian).
    public init(constant c: Double) { s = .zero; s[0] = c }

    /// The value v.
    @inline(__always) public var v: Double { get { s[0] } set { s[0] = newValue } }
    /// ∂_k v.
    @inline(__always) public func d(_ k: Int) -> Double { s[1 + k] }
    /// H_kl = ∂_k∂_l v.
    @inline(__always) public func h(_ k: Int, _ l: Int) -> Double { s[4 + 3 * k + l] }
    /// Sets ∂_k v.
    @inline(__always) public mutating func setD(_ k: Int, _ x: Double) { s[1 + k] = x }
    /// Sets H_kl (only this slot: H_lk is set separately).
    @inline(__always) public mutating func setH(_ k: Int, _ l: Int, _ x: Double) { s[4 + 3 * k + l] = x }

    /// Sum of jets, slot by slot.
    @inline(__always) public static func + (a: PointJet, b: PointJet) -> PointJet { var c = a; c.s += b.s; return c }

    /// (ab)_kl = a_kl b + a_k b_l + a_l b_k + a b_kl.
    @inline(__always) public static func * (a: PointJet, b: PointJet) -> PointJet {
        var c = PointJet()
        c.s = a.s * b.s[0] + b.s * a.s[0]
        c.s[0] = a.s[0] * b.s[0]
        for k in 0..<3 { for l in 0..<3 { c.s[4 + 3 * k + l] += a.s[1 + k] * b.s[1 + l] + a.s[1 + l] * b.s[1 + k] } }
        return c
    }

    /// Adjoint of c = a·b: returns (ā, b̄) for the adjoint c̄.
    @inline(__always) public static func productAdjoint(_ a: PointJet, _ b: PointJet, _ cbar: PointJet) -> (PointJet, PointJet) {
        var abar = PointJet(), bbar = PointJet()
        abar.s = cbar.s * b.s[0]
        bbar.s = cbar.s * a.s[0]
        abar.s[0] = (cbar.s * b.s).sum()
        bbar.s[0] = (cbar.s * a.s).sum()
        for k in 0..<3 { for l in 0..<3 {
            let sym = cbar.s[4 + 3 * k + l] + cbar.s[4 + 3 * l + k]
            abar.s[1 + k] += sym * b.s[1 + l]
            bbar.s[1 + k] += sym * a.s[1 + l]
        } }
        return (abar, bbar)
    }

    /// e^a: value E, ∂_k = E a_k, ∂_kl = E(a_kl + a_k a_l).
    @inline(__always) public static func exp(_ a: PointJet) -> PointJet {
        let E = Foundation.exp(a.s[0])
        var e = PointJet()
        e.s = a.s * E
        e.s[0] = E
        for k in 0..<3 { for l in 0..<3 { e.s[4 + 3 * k + l] += E * a.s[1 + k] * a.s[1 + l] } }
        return e
    }

    /// Adjoint of e = exp(a) for the adjoint ē (e is the forward result).
    @inline(__always) public static func expAdjoint(_ a: PointJet, _ e: PointJet, _ ebar: PointJet) -> PointJet {
        let E = e.s[0]
        var abar = PointJet()
        abar.s = ebar.s * E
        abar.s[0] = (ebar.s * e.s).sum()
        for k in 0..<3 { for l in 0..<3 {
            abar.s[1 + k] += E * (ebar.s[4 + 3 * k + l] + ebar.s[4 + 3 * l + k]) * a.s[1 + l]
        } }
        return abar
    }

    /// Difference of jets, slot by slot.
    @inline(__always) public static func - (a: PointJet, b: PointJet) -> PointJet { var c = a; c.s -= b.s; return c }
    /// Negation of every slot.
    @inline(__always) public static prefix func - (a: PointJet) -> PointJet { var c = a; c.s = -c.s; return c }

    /// φ(a) for a scalar function with φ(a.v) = f0, φ' = f1, φ'' = f2: value f0, gradient f1·a_k,
    /// Hessian f2·a_k a_l + f1·a_kl.
    @inline(__always) public static func compose(_ a: PointJet, _ f0: Double, _ f1: Double, _ f2: Double) -> PointJet {
        var c = PointJet()
        c.s = a.s * f1
        c.s[0] = f0
        for k in 0..<3 { for l in 0..<3 { c.s[4 + 3 * k + l] += f2 * a.s[1 + k] * a.s[1 + l] } }
        return c
    }

    /// a/b = a·(1/b).
    @inline(__always) public static func / (a: PointJet, b: PointJet) -> PointJet {
        let v = b.v
        return a * compose(b, 1 / v, -1 / (v * v), 2 / (v * v * v))
    }
}

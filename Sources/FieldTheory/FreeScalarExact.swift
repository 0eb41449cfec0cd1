import Ensembles
import Foundation
import NumericCore

/// Exact statements about the free-scalar cos-net (Halverson, arXiv 2112.04527; arXiv 2307.03223), valid at every
/// width N: the two-point function is the cutoff propagator G_Λ(x − y) = ∫_{|p|<Λ} dᵈp/(2π)ᵈ e^{ip·(x−y)}/(p² + m²),
/// and the connected four-point function is a pure 1/N term, derived here directly from E[a⁴] = 3σ_a⁴/N² and the
/// phase average of a product of four cosines (`connectedFourPointTimesWidth`).
public struct FreeScalarExact: Sendable {
    /// The dimension d (1, 2 or 3).
    public let dimension: Int
    /// The mass m > 0.
    public let mass: Double
    /// The momentum cutoff Λ > 0.
    public let cutoff: Double
    /// The momentum sampling of the cos-net (it matters for the 1/N part only).
    public let sampling: MomentumSampling

    /// The free theory for d ∈ {1, 2, 3}, m > 0, Λ > 0; throws `InputError` naming the value otherwise.
    public init(dimension: Int, mass: Double, cutoff: Double, sampling: MomentumSampling = .ball) throws {
        guard (1...3).contains(dimension) else { throw InputError("dimension d = \(dimension), expected 1, 2 or 3") }
        guard mass > 0, mass.isFinite else { throw InputError("mass m = \(mass), expected m > 0") }
        guard cutoff > 0, cutoff.isFinite else { throw InputError("cutoff Λ = \(cutoff), expected Λ > 0") }
        self.dimension = dimension
        self.mass = mass
        self.cutoff = cutoff
        self.sampling = sampling
    }

    /// G_Λ(r) = ∫_{|p|<Λ} dᵈp/(2π)ᵈ e^{ip·x}/(p² + m²), |x| = r (radial quadrature).
    public func propagator(_ r: Double) -> Double {
        r == 0 ? propagatorAtZero : CutoffPropagator.propagator(dimension: dimension, distance: r, mass: mass, cutoff: cutoff)
    }

    /// G_Λ(0) in closed form.
    public var propagatorAtZero: Double { CutoffPropagator.propagatorAtZero(dimension: dimension, mass: mass, cutoff: cutoff) }

    /// The momentum-space propagator: ⟨φ̃(p)φ̃(q)⟩ = (2π)ᵈ δ(p + q) G̃(p), G̃(p) = Θ(Λ − |p|)/(p² + m²).
    public func momentumPropagator(_ p: Double) -> Double { abs(p) < cutoff ? 1 / (p * p + mass * mass) : 0 }

    /// The Λ → ∞ limits: e^{−mr}/(2m) (d = 1), K₀(mr)/(2π) (d = 2), e^{−mr}/(4πr) (d = 3).
    public static func continuumPropagator(dimension d: Int, mass m: Double, distance r: Double) -> Double {
        switch d {
        case 1: return exp(-m * r) / (2 * m)
        case 2: return besselK0(m * r) / (2 * Double.pi)
        default: return exp(-m * r) / (4 * Double.pi * r)
        }
    }

    /// K₀(x) = ∫₀^∞ e^{−x cosh t} dt, x > 0 (composite Gauss–Legendre up to x cosh t = 745, where e^{−·} underflows).
    public static func besselK0(_ x: Double) -> Double {
        precondition(x > 0)
        let T = acosh(max(1, 745 / x))
        return integrateComposite(0, max(T, 1e-3), maxPanel: 0.25, order: 20) { t in exp(-x * cosh(t)) }
    }

    /// The band-limited delta (−Δ + m²)G_Λ = δ_Λ(r) = ∫_{|p|<Λ} dᵈp/(2π)ᵈ e^{ip·x}: sin(Λr)/(πr) (d = 1),
    /// Λ J₁(Λr)/(2πr) (d = 2), (sin Λr − Λr cos Λr)/(2π² r³) (d = 3).
    public func bandLimitedDelta(_ r: Double) -> Double {
        let L = cutoff
        switch dimension {
        case 1: return r == 0 ? L / Double.pi : sin(L * r) / (Double.pi * r)
        case 2: return r == 0 ? L * L / (4 * Double.pi) : L * j1(L * r) / (2 * Double.pi * r)
        default:
            let t = L * r
            return t < 1e-3 ? L * L * L / (6 * Double.pi * Double.pi) * (1 - t * t / 10) : (sin(t) - t * cos(t)) / (2 * Double.pi * Double.pi * r * r * r)
        }
    }

    /// N·G_c⁽⁴⁾(x₁, …, x₄), the exact connected four-point function times the width (it has only a 1/N term):
    /// 3σ_a⁴ μ₄ − [G₁₂G₃₄ + G₁₃G₂₄ + G₁₄G₂₃] with, for S = {x₁+x₂−x₃−x₄, x₁−x₂+x₃−x₄, x₁−x₂−x₃+x₄},
    /// ball:        3σ_a⁴μ₄ = (3 vol(B_Λ)/(2(2π)^{2d})) Σ_{s∈S} ∫_{|b|<Λ} dᵈb cos(b·s)/(b² + m²)²,
    /// propagator:  3σ_a⁴μ₄ = (3/2) G_Λ(0) Σ_{s∈S} G_Λ(s)   (E_b[cos b·s] = G_Λ(s)/G_Λ(0) for b ~ 1/(b²+m²)).
    /// Independent of σ_a; non-local, growing like Λᵈ.
    public func connectedFourPointTimesWidth(_ x: [[Double]]) -> Double {
        precondition(x.count == 4)
        func dist(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        func comb(_ e: [Double]) -> Double { dist((0..<dimension).map { j in (0..<4).reduce(0) { $0 + e[$1] * x[$1][j] } }) }
        let S = [comb([1, 1, -1, -1]), comb([1, -1, 1, -1]), comb([1, -1, -1, 1])]
        let quartic: Double
        switch sampling {
        case .ball:
            let vol = ballVolume(dimension: dimension, radius: cutoff)
            quartic = 3 * vol / (2 * pow(2 * Double.pi, 2 * Double(dimension)))
                * S.reduce(0) { $0 + CutoffPropagator.ballIntegral(dimension: dimension, separation: $1, power: 2, mass: mass, cutoff: cutoff) }
        case .propagator:
            quartic = 1.5 * propagatorAtZero * S.reduce(0) { $0 + propagator($1) }
        }
        func g(_ a: Int, _ b: Int) -> Double { propagator(dist(zip(x[a], x[b]).map { $0 - $1 })) }
        return quartic - (g(0, 1) * g(2, 3) + g(0, 2) * g(1, 3) + g(0, 3) * g(1, 2))
    }
}

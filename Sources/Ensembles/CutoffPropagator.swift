import Foundation
import NumericCore

/// Momentum integrals over the d-ball |b| < Λ of radial functions, and the cutoff free propagator
/// G_Λ of a scalar of mass m in d = 1, 2, 3 (2112.04527).
public enum CutoffPropagator {
    /// I_d(s; k) = ∫_{|b|<Λ} dᵈb cos(b·s)/(b² + m²)^k for |s| = `separation`, by the radial forms
    /// d=1: 2∫₀^Λ cos(ps)/(p²+m²)^k dp;  d=2: 2π∫₀^Λ p J₀(ps)/(p²+m²)^k dp;  d=3: 4π∫₀^Λ p² sinc(ps)/(p²+m²)^k dp,
    /// with composite Gauss–Legendre panels that resolve both the scale m and the oscillation period 2π/s.
    public static func ballIntegral(dimension d: Int, separation s: Double, power k: Double, mass m: Double,
                                    cutoff Λ: Double) -> Double {
        precondition((1...3).contains(d), "ballIntegral: dimension \(d), expected 1, 2 or 3")
        let scales = [0.125, 0.25, 0.5, 1, 2, 4, 8].map { $0 * max(m, 1e-3 * Λ) }
        var maxPanel = Λ / 16
        if s > 0 { maxPanel = min(maxPanel, Double.pi / (2 * s)) }
        let m2 = m * m
        func weight(_ p: Double) -> Double { k == 1 ? 1 / (p * p + m2) : Foundation.pow(p * p + m2, -k) }
        switch d {
        case 1:
            return 2 * integrateComposite(0, Λ, breaks: scales, maxPanel: maxPanel) { p in Foundation.cos(p * s) * weight(p) }
        case 2:
            return 2 * Double.pi * integrateComposite(0, Λ, breaks: scales, maxPanel: maxPanel) { p in p * j0(p * s) * weight(p) }
        default:
            return 4 * Double.pi * integrateComposite(0, Λ, breaks: scales, maxPanel: maxPanel) { p in
                let x = p * s
                let sinc = abs(x) < 1e-8 ? 1 - x * x / 6 : Foundation.sin(x) / x
                return p * p * sinc * weight(p)
            }
        }
    }

    /// G_Λ(r) = ∫_{|p|<Λ} dᵈp/(2π)ᵈ e^{ip·x}/(p² + m²) at |x| = r.
    public static func propagator(dimension d: Int, distance r: Double, mass m: Double, cutoff Λ: Double) -> Double {
        ballIntegral(dimension: d, separation: r, power: 1, mass: m, cutoff: Λ) / Foundation.pow(2 * Double.pi, Double(d))
    }

    /// G_Λ(0) in closed form: arctan(Λ/m)/(πm), ln(1+Λ²/m²)/(4π), (Λ − m·arctan(Λ/m))/(2π²) for d = 1, 2, 3.
    public static func propagatorAtZero(dimension d: Int, mass m: Double, cutoff Λ: Double) -> Double {
        switch d {
        case 1: return atan(Λ / m) / (Double.pi * m)
        case 2: return log1p(Λ * Λ / (m * m)) / (4 * Double.pi)
        default: return (Λ - m * atan(Λ / m)) / (2 * Double.pi * Double.pi)
        }
    }
}

/// The radius |b| of a momentum with density ∝ 1/(b² + m²) in the d-ball of radius Λ: radial density
/// ∝ p^{d−1}/(p² + m²) on [0, Λ], with CDF numerators F(p) = arctan(p/m)/m (d = 1), ½ ln(1 + p²/m²) (d = 2),
/// p − m arctan(p/m) (d = 3); quantiles in closed form for d = 1, 2 and by safeguarded Newton for d = 3.
public struct CutoffMomentumRadius: Sendable {
    /// The dimension d (1, 2 or 3).
    public let dimension: Int
    /// The mass m.
    public let mass: Double
    /// The cutoff Λ.
    public let cutoff: Double

    /// The radial law for dimension d, mass m, cutoff Λ.
    public init(dimension: Int, mass: Double, cutoff: Double) {
        self.dimension = dimension
        self.mass = mass
        self.cutoff = cutoff
    }

    /// The unnormalised CDF F(p).
    public func cumulative(_ p: Double) -> Double {
        let m = mass
        switch dimension {
        case 1: return atan(p / m) / m
        case 2: return 0.5 * log1p(p * p / (m * m))
        default: return p - m * atan(p / m)
        }
    }

    /// The radius with F(p) = u·F(Λ), u ∈ [0, 1): p = m tan(u arctan(Λ/m)) (d = 1), m √(expm1(u ln(1 + Λ²/m²)))
    /// (d = 2), safeguarded Newton on F(p) = u F(Λ) to 1e-15 relative (d = 3).
    public func quantile(_ u: Double) -> Double {
        let m = mass, L = cutoff
        switch dimension {
        case 1: return m * tan(u * atan(L / m))
        case 2: return m * expm1(u * log1p(L * L / (m * m))).squareRoot()
        default:
            let target = u * cumulative(L)
            var lo = 0.0, hi = L
            // Start from the large-p form p ≈ target + mπ/2 or the small-p form p ≈ (3 m² target)^{1/3}.
            var p = min(L, max((3 * m * m * target).squareRoot() > 0 ? cbrt(3 * m * m * target) : 0, target))
            for _ in 0..<60 {
                let f = cumulative(p) - target
                if f > 0 { hi = p } else { lo = p }
                let fp = p * p / (p * p + m * m)
                var next = fp > 0 ? p - f / fp : (lo + hi) / 2
                if !(next > lo && next < hi) { next = (lo + hi) / 2 }
                if abs(next - p) <= 1e-15 * max(1, p) { return next }
                p = next
            }
            return p
        }
    }
}

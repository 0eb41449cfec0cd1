import Foundation
import NumericCore

/// Momentum integrals over the d-ball |b| < Λ of radial functions, and the cutoff free propagator
/// G_Λ of a scalar of mass m in d = 1, 2, 3 (nn-theory.md §3.1).
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

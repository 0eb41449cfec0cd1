import CYBridge
import Foundation
import NumericCore
import Numerics

/// The volume loss (cymetric's `compute_volk_loss`, arXiv 2205.13408): a Kähler form ω in the class t = Σ_a t_a J_a
/// has the topological slopes
///
///     μ_a = ∫_X ω^{n−1} ∧ J_a = (1/n) ∂Vol_K/∂t_a,   Vol_K(t) = ∫_X ω^n (`IntersectionNumbers`),
///
/// one per ambient factor (h^{1,1} numbers, so together they fix the class, where Vol_K alone fixes it only for
/// h^{1,1} = 1). Pointwise ω^{n−1} ∧ J_a = (1/n) tr(g⁻¹ g_a) ω^n with g_a the pulled-back factor metric at t_a = 1, and
/// with the sample's Monte Carlo Vol_K = mean(w det g/|Ω|²) (`IntegrationWeights.kahlerVolume`) the batch estimates
///
///     s_a = mean_B(w det g tr(g⁻¹ g_a)/|Ω|²)  of  τ_a = ∂Vol_K/∂t_a,   L_V = (1/F) Σ_a |s_a/τ_a − 1|^p
///
/// (relative, so that it does not depend on the normalisation of t; cymetric compares absolute slopes). For g = g_FS(t)
/// Σ_a t_a tr(g⁻¹ g_a) = n pointwise (Euler), and on a single P^n the estimate is exact. A batch estimate, so the loss
/// of the exact Ricci-flat metric is not 0 but of the order of the batch's Monte Carlo error.
public enum VolumeLoss {
    /// τ_a = ∂Vol_K/∂t_a at t.
    public static func targets(variety v: Variety, kahler t: [Double]) -> [Double] {
        IntersectionNumbers.volumeGradient(of: v, kahler: t)
    }

    /// L_V of the slopes s_a and its derivatives ∂L_V/∂s_a.
    public static func loss(slopes s: [Double], targets tau: [Double], power p: Double) -> (loss: Double, derivatives: [Double]) {
        let F = Double(s.count)
        var l = 0.0, d = [Double](repeating: 0, count: s.count)
        for a in 0..<s.count {
            let r = s[a] / tau[a] - 1, ar = abs(r)
            l += (p == 1 ? ar : pow(ar, p)) / F
            d[a] = (p == 1 ? 1 : p * pow(ar, p - 1)) * (r >= 0 ? 1 : -1) / (tau[a] * F)
        }
        return (l, d)
    }

    /// The per-point slope densities v_a = w det g tr(g⁻¹ g_a)/|Ω|² of a whole sample's metrics g [N, n, n] (for
    /// validation; training takes them from its own pass).
    public static func slopes(_ s: CYTrainingSample, metrics g: [ComplexDouble]) -> [Double] {
        let n = s.sample.variety.dimension, F = s.factorCount
        var out = [Double](repeating: 0, count: F)
        var gi = [ComplexDouble](repeating: .zero, count: n * n), a = gi
        for i in 0..<s.count {
            for e in 0..<(n * n) { a[e] = g[i * n * n + e]; gi[e] = e % (n + 1) == 0 ? ComplexDouble(1, 0) : .zero }
            let det = a.withUnsafeMutableBufferPointer { ab in gi.withUnsafeMutableBufferPointer { SmallComplexLinearAlgebra.solve(ab.baseAddress!, n, $0.baseAddress!, n) } }.real
            for f in 0..<F {
                var tr = 0.0
                for r in 0..<n { for c in 0..<n { tr += (gi[r * n + c] * s.factorMetrics[((i * F + f) * n + c) * n + r]).real } }
                out[f] += s.sample.weights[i] * det * tr / s.sample.omegaSquared[i]
            }
        }
        return out.map { $0 / Double(max(1, s.count)) }
    }
}

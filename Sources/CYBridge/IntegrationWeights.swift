import NumericCore
import Numerics

/// Monte Carlo weights, Vol_K, Vol_CY and κ with cymetric's conventions (arXiv 2205.13408;
/// `point_weight`, `prepare_dataset(normalize_to_vol_j=True)`, `compute_kappa`).
///
/// Shiffman–Zelditch points are distributed by the mixed FS form ∧_r J_r^{m_r}|_X, m_r = n_r − d_r
/// (d_r = `Variety.samplingDegrees`). In local coordinates that form is ρ d^{2n}x with
///   ρ = ε^{a₁…aₙ} ε^{b₁…bₙ} ∏_k g^{(r_k)}_{a_k b̄_k}  (factor r repeated m_r times; g^{(r)} the pulled-back FS
///       metric of factor r at t_r = 1) = (∏_r m_r!) · [coefficient of ∏_r s_r^{m_r}] det(Σ_r s_r g^{(r)})
/// (= n!·det g_FS for a single P^n). Raw weight w = |Ω|²/ρ; normalised weight
///   w ← w · Vol_K(1) / mean(w · det g_FS(t=1)/|Ω|²),
/// so that Vol_K = mean(w det g/|Ω|²) (exact for g_FS on a single P^n, MC-exact in general),
/// Vol_CY = mean(w) = ∫_X |Ω|² d^{2n}x · n! (cymetric's normalisation), κ = Vol_K/Vol_CY.
public enum IntegrationWeights {
    /// ρ from the F pulled-back factor metrics `factorMetrics` ([F, n, n]) and exponents m_r (Σ m_r = n).
    /// Uses `scratch` (≥ 2n² + 2(n+1)^{F−1} complex values).
    @inline(__always)
    public static func mixedDensity(factorMetrics g: UnsafePointer<ComplexDouble>, exponents m: [Int], order n: Int,
                                    scratch: UnsafeMutablePointer<ComplexDouble>) -> Double {
        let f = m.count
        let nn = n * n
        if f == 1 {
            for e in 0..<nn { scratch[e] = g[e] }
            return Double(factorial(n)) * SmallComplexLinearAlgebra.determinant(scratch, n).real
        }
        // p(s_1..s_{F−1}) = det(g_0 + Σ_{r≥1} s_r g_r); coefficient of ∏_{r≥1} s_r^{m_r} by a DFT on (n+1)-th roots
        // of unity in each s_r (p has degree ≤ n in each variable).
        let base = n + 1
        var gridSize = 1
        for _ in 1..<f { gridSize *= base }
        var acc = ComplexDouble.zero
        for idx in 0..<gridSize {
            var rest = idx
            var phase = 0.0       // Σ_r 2π j_r m_r/(n+1) (for the inverse DFT factor)
            for e in 0..<nn { scratch[e] = g[e] }
            for r in 1..<f {
                let j = rest % base; rest /= base
                let ang = 2 * Double.pi * Double(j) / Double(base)
                let s = ComplexDouble(cos(ang), sin(ang))
                phase += ang * Double(m[r])
                let gr = g + r * nn
                for e in 0..<nn { scratch[e] = scratch[e] + s * gr[e] }
            }
            let det = SmallComplexLinearAlgebra.determinant(scratch, n)
            acc = acc + det * ComplexDouble(cos(-phase), sin(-phase))
        }
        var coeff = acc.real / Double(gridSize)
        for r in 0..<f { coeff *= Double(factorial(m[r])) }
        return coeff
    }

    static func factorial(_ k: Int) -> Int { k <= 1 ? 1 : (2...k).reduce(1, *) }

    /// Vol_K = mean_i(w_i det g_i/|Ω_i|²) for a metric given by its determinants at the sample points.
    public static func kahlerVolume(weights w: [Double], omegaSquared o: [Double], determinants det: [Double]) -> Double {
        precondition(w.count == o.count && w.count == det.count)
        var s = 0.0
        for i in 0..<w.count { s += w[i] * det[i] / o[i] }
        return s / Double(max(1, w.count))
    }

    /// Vol_CY = mean_i w_i.
    public static func calabiYauVolume(weights w: [Double]) -> Double { w.reduce(0, +) / Double(max(1, w.count)) }

    /// Standard error of mean_i(x_i) from batch means over contiguous blocks of `blockSize` values
    /// (≈ √N blocks by default). Points of one Shiffman–Zelditch draw (the roots on one line) are correlated,
    /// so sample errors should use blocks spanning many draws; the plain `standardError` underestimates them.
    public static func batchMeansError(_ x: [Double], blockSize: Int? = nil) -> Double {
        let n = x.count
        let b = max(1, blockSize ?? Int(Double(n).squareRoot()))
        let blocks = n / b
        guard blocks >= 2 else { return standardError(x) }
        var means: [Double] = []
        for k in 0..<blocks { means.append(x[(k * b)..<((k + 1) * b)].reduce(0, +) / Double(b)) }
        return standardError(means)
    }

    /// Standard error of mean_i(x_i) (sample standard deviation/√N), assuming independent values.
    public static func standardError(_ x: [Double]) -> Double {
        let n = Double(x.count)
        guard x.count > 1 else { return .nan }
        let m = x.reduce(0, +) / n
        let v = x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
        return (v / n).squareRoot()
    }
}

import Foundation

import Foundation
import NumericCore

/// The measures of 2008.08601 for the approach to the Gaussian process.
public enum ScalingAnalysis {
    /// m_n = mean over multisets of |G_exp − G_GP| / |G_GP|.
    public static func deviation(_ values: [Double], gp: [Double]) -> Double {
        precondition(values.count == gp.count)
        guard !values.isEmpty else { return .nan }
        return zip(values, gp).reduce(0) { $0 + abs($1.0 - $1.1) / abs($1.1) } / Double(values.count)
    }

    /// Background = mean over multisets of (standard deviation of the K chunk means) / |G_GP|: the size of
    /// m_n that sampling noise alone produces at one chunk's size.
    public static func background(chunkMeans: [[Double]], gp: [Double]) -> Double {
        let K = chunkMeans.count
        guard K > 1 else { return .nan }
        var total = 0.0
        for k in 0..<gp.count {
            let v = chunkMeans.map { $0[k] }
            let m = v.reduce(0, +) / Double(K)
            let sd = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(K - 1)).squareRoot()
            total += sd / abs(gp[k])
        }
        return total / Double(gp.count)
    }

    /// Least-squares line y = slope·x + intercept with its coefficient of determination R².
    public struct LinearFit: Sendable, Codable, Equatable {
        /// Fitted slope.
        public let slope: Double
        /// Fitted intercept.
        public let intercept: Double
        /// R² = 1 − SS_res/SS_tot.
        public let rSquared: Double
        /// Number of points fitted.
        public let count: Int
    }

    /// Fits y = a + b·x; nil with fewer than two distinct x.
    public static func linearFit(_ x: [Double], _ y: [Double]) -> LinearFit? {
        let pts = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
        let n = Double(pts.count)
        guard pts.count >= 2 else { return nil }
        let mx = pts.reduce(0) { $0 + $1.0 } / n, my = pts.reduce(0) { $0 + $1.1 } / n
        let sxx = pts.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        guard sxx > 0 else { return nil }
        let sxy = pts.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let syy = pts.reduce(0) { $0 + ($1.1 - my) * ($1.1 - my) }
        let b = sxy / sxx
        return LinearFit(slope: b, intercept: my - b * mx, rSquared: syy > 0 ? sxy * sxy / (sxx * syy) : 1, count: pts.count)
    }

    /// Fit of log m_n against log N (natural logs; the slope is the power of N).
    /// Relative deviations m_n at or below this are round-off (the exact 2-point function equals the GP's at every
    /// N: its m_2 is ≈ 1e-15): they are neither fitted nor plotted.
    public static let roundOffDeviation = 1e-12

    public static func powerLawFit(widths: [Double], values: [Double]) -> LinearFit? {
        let keep = zip(widths, values).filter { $0.0 > 0 && $0.1 > 0 }
        return linearFit(keep.map { log($0.0) }, keep.map { log($0.1) })
    }

    /// ∫_{−Λ}^{Λ} dy Π_{a=1}^{4} K(x_a, y) for d_in = 1, by composite Gauss–Legendre on a mesh that is
    /// uniform (h = 0.25) on [−8, 8] and geometric beyond, up to the cutoff.
    public static func vertexIntegral1D(cutoff L: Double, _ integrand: (Double) -> Double) -> Double {
        var breaks: [Double] = stride(from: -8.0, through: 8.0, by: 0.25).map { $0 }
        var b = 16.0
        while b < L { breaks += [b, -b]; b *= 2 }
        return integrateComposite(-L, L, breaks: breaks.filter { abs($0) < L }, order: 20, integrand)
    }

    /// The quartic coupling λ_m(x₁..x₄) = (G⁽⁴⁾ − G⁽⁴⁾_GP) / [24 ∫_{−Λ}^{Λ} dy Π_a K(x_a, y)] of
    /// 2008.08601 (the paper's sign; in action language ΔG⁽⁴⁾ = −λ∫ΠK), for each 4-point multiset.
    /// λ_action = −24 λ_m (checked against LeadingOrderPhi4 in FieldTheoryTests' QuarticCouplingConventionTests).
    public static func quarticCouplings(multisets: [[Int]], deltaG4: [Double], points: [Double], cutoff: Double,
                                        kernel: (Double, Double) -> Double) -> [Double] {
        zip(multisets, deltaG4).map { idx, dg in
            let integral = vertexIntegral1D(cutoff: cutoff) { y in idx.reduce(1) { $0 * kernel(points[$1], y) } }
            return dg / (24 * integral)
        }
    }

    /// The cutoffs Λ of the paper's λ_m plot.
    public static let paperCutoffs: [Double] = [7, 10, 15, 20, 30, 40, 50, 70, 100, 200, 500, 1000, 2000, 5000, 7000,
                                                1e4, 2e4, 4e4, 6e4, 8e4, 1e5]
}

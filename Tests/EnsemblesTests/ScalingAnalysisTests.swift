import Foundation
import Testing
@testable import Ensembles
@testable import NumericCore
import TestSupport

/// ScalingAnalysis (2008.08601's measures): every reference below is computed by hand from the definitions in
/// Sources/Ensembles/ScalingAnalysis.swift.
@Suite struct ScalingAnalysisTests {
    /// m_n = (1/n) Σ |G_exp − G_GP|/|G_GP|: values (1.1, 1.8, −3.3) against (1, 2, −3) give
    /// (0.1/1 + 0.2/2 + 0.3/3)/3 = 0.1; each term carries one rounding of the decimal inputs (≲ 2·10⁻¹⁶ relative).
    @Test func deviationIsMeanRelativeDifference() {
        let m = ScalingAnalysis.deviation([1.1, 1.8, -3.3], gp: [1, 2, -3])
        #expect(abs(m - 0.1) < 1e-15, "\(m)")
        #expect(ScalingAnalysis.deviation([2], gp: [2]) == 0)
        #expect(ScalingAnalysis.deviation([], gp: []).isNaN)
    }

    /// Background = (1/n) Σ_k sd(chunk means at k)/|G_GP,k| (sd with K − 1): K = 3 chunks,
    /// multiset 0: means (1, 2, 3), mean 2, sd = √((1 + 0 + 1)/2) = 1, over |G_GP| = 2 → 0.5;
    /// multiset 1: means (−1, 1, 3), mean 1, sd = √((4 + 0 + 4)/2) = 2, over |−8| = 8 → 0.25;
    /// background = (0.5 + 0.25)/2 = 0.375, exact in binary arithmetic. One chunk: undefined (NaN).
    @Test func backgroundFromChunkMeans() {
        let b = ScalingAnalysis.background(chunkMeans: [[1, -1], [2, 1], [3, 3]], gp: [2, -8])
        #expect(b == 0.375, "\(b)")
        #expect(ScalingAnalysis.background(chunkMeans: [[1, 2]], gp: [1, 1]).isNaN)
    }

    /// Least squares on (0, 1), (1, 3), (2, 2): x̄ = 1, ȳ = 2, Sxx = 2, Sxy = (−1)(−1) + 0 + (1)(0) = 1, Syy = 2,
    /// slope 1/2, intercept 2 − 1/2 = 3/2, R² = Sxy²/(Sxx·Syy) = 1/4 (all exact in binary). Fewer than two
    /// distinct finite x: nil.
    @Test func linearFitByHand() throws {
        let f = try #require(ScalingAnalysis.linearFit([0, 1, 2], [1, 3, 2]))
        #expect(f.slope == 0.5 && f.intercept == 1.5 && f.rSquared == 0.25 && f.count == 3, "\(f)")
        #expect(ScalingAnalysis.linearFit([1, 1], [2, 3]) == nil)
        #expect(ScalingAnalysis.linearFit([1, .nan], [2, 3]) == nil)
    }

    /// m_n = 5/N exactly: log m = log 5 − log N, so slope −1, intercept log 5, R² = 1; the log-data carry
    /// ~1 ulp of log each (|log N| ≤ 7), so the fitted values agree to ≲ 10⁻¹⁴. Non-positive widths or values
    /// are dropped (the (200, 0) point), leaving 5 points.
    @Test func powerLawFitOfExactInverseWidth() throws {
        let widths: [Double] = [10, 20, 50, 100, 1000, 200]
        let values = widths.map { $0 == 200 ? 0 : 5 / $0 }
        let f = try #require(ScalingAnalysis.powerLawFit(widths: widths, values: values))
        #expect(abs(f.slope + 1) < 1e-14, "\(f.slope)")
        #expect(abs(f.intercept - log(5.0)) < 1e-14, "\(f.intercept)")
        #expect(abs(f.rSquared - 1) < 1e-14, "\(f.rSquared)")
        #expect(f.count == 5)
    }
}

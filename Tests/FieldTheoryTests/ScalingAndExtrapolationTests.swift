import Ensembles
import Foundation
import Testing
@testable import FieldTheory
@testable import NumericCore
import TestSupport

/// The sign and factor of Ensembles' λ_m against FieldTheory's leading-order φ⁴ prediction.
@Suite struct QuarticCouplingConventionTests {
    /// ScalingAnalysis.quarticCouplings returns λ_m = ΔG⁽⁴⁾/(24 ∫dy ΠK(x_a, y)). For φ⁴ theory at leading order
    /// (Phi4Prediction.swift) ΔG⁽⁴⁾ = G_c⁽⁴⁾ = −λ V with V = ∫_box dy Π G_Λ(x_a − y); with K = G_Λ and the same
    /// integration range [−3, 3], λ_m = −λV/(24V) = −λ/24, i.e. λ_action = −24 λ_m. The two routes to V differ
    /// only by the propagator table's interpolation error, ≲ h⁴Λ⁴/24 ≈ 8·10⁻⁹ relative per factor G
    /// (PropagatorTable, h = 2π/(300Λ)), so ≤ 4 × 8·10⁻⁹ ≈ 3.2·10⁻⁸ for the product of four: tolerance 4·10⁻⁸.
    @Test func quarticCouplingIsMinusLambdaOver24() throws {
        let exact = try FreeScalarExact(dimension: 1, mass: 1, cutoff: 5)
        let lo = LeadingOrderPhi4(exact, maxDistance: 8)
        let pts: [Double] = [0, 0.5, -0.8]
        let box = try Box(lower: [-3], upper: [3])
        let V = lo.vertexTensor(points: Matrix(rows: 3, cols: 1, data: pts), box: box)
        let λ = 0.7
        let multisets = [[0, 0, 0, 0], [0, 0, 1, 1], [0, 1, 2, 2], [1, 1, 2, 2]]
        let dG4 = multisets.map { q in -λ * V.data[((q[0] * 3 + q[1]) * 3 + q[2]) * 3 + q[3]] }
        let lm = ScalingAnalysis.quarticCouplings(multisets: multisets, deltaG4: dG4, points: pts, cutoff: 3) { x, y in
            exact.propagator(abs(x - y))
        }
        for (q, l) in zip(multisets, lm) {
            #expect(abs(l / (-λ / 24) - 1) < 4e-8, "\(q): λ_m = \(l), −λ/24 = \(-λ / 24)")
            #expect(abs(-24 * l / λ - 1) < 4e-8)
        }
    }
}

/// `Phi4Experiment.fitInverseWidth`, the weighted least-squares fit y = a + b/N used for the 1/N extrapolation.
@Suite struct InverseWidthFitTests {
    /// Two widths: the line passes through both points, so a = (x₂y₁ − x₁y₂)/(x₂ − x₁) with x = 1/N, i.e.
    /// a = (N₁y₁ − N₂y₂)/(N₁ − N₂), linear in y with coefficients N₁/(N₁ − N₂), −N₂/(N₁ − N₂): hence
    /// σ_a = √(N₁²e₁² + N₂²e₂²)/|N₂ − N₁|. Both are a few roundings away from the normal-equation route: 10⁻¹³ relative.
    @Test func twoWidthsMatchClosedForm() {
        for (N1, N2, y1, y2, e1, e2) in [(8, 32, 0.31, 0.52, 0.02, 0.05), (10, 20, -1.7, 2.3, 0.3, 0.1), (64, 4, 5.0, 1.0, 1e-3, 2e-3)] {
            let fit = Phi4Experiment.fitInverseWidth(widths: [N1, N2], values: [y1, y2], errors: [e1, e2])
            let n1 = Double(N1), n2 = Double(N2)
            let a = (n1 * y1 - n2 * y2) / (n1 - n2)
            let b = (y1 - y2) / (1 / n1 - 1 / n2)
            let sa = (n1 * n1 * e1 * e1 + n2 * n2 * e2 * e2).squareRoot() / abs(n2 - n1)
            #expect(abs(fit.intercept - a) < 1e-13 * max(1, abs(a)), "\(fit.intercept) vs \(a)")
            #expect(abs(fit.slope - b) < 1e-13 * max(1, abs(b)), "\(fit.slope) vs \(b)")
            #expect(abs(fit.error - sa) < 1e-13 * sa, "\(fit.error) vs \(sa)")
        }
    }

    /// Exact data y = 0.7 − 3/N on four widths with unequal errors: the weighted fit is exact, a = 0.7, b = −3
    /// (round-off of a 4-point normal system: 10⁻¹³).
    @Test func exactDataRecoverLine() {
        let widths = [4, 8, 16, 64]
        let fit = Phi4Experiment.fitInverseWidth(widths: widths, values: widths.map { 0.7 - 3 / Double($0) },
                                                 errors: [0.1, 0.05, 0.2, 0.01])
        #expect(abs(fit.intercept - 0.7) < 1e-13, "\(fit.intercept)")
        #expect(abs(fit.slope + 3) < 1e-13, "\(fit.slope)")
    }

    /// Coverage: y_k = a + b/N_k + e_k·ξ_k with ξ standard normal; the pull (â − a)/σ_a is then exactly N(0, 1)
    /// (â is linear in y, σ_a its exact standard deviation), so pull² is χ²₁ (mean 1, variance 2): over R = 2000
    /// draws the mean of pull² is 1 ± √(2/R); assert within 4 standard errors. Seeded.
    @Test func pullsAreStandardNormal() {
        let widths = [4, 8, 16, 32], errors = [0.05, 0.03, 0.04, 0.08]
        let a = 0.4, b = -1.3, R = 2000
        var rng = RandomStream(seed: 2024, stream: 7)
        var sum = 0.0
        for _ in 0..<R {
            let y = widths.indices.map { a + b / Double(widths[$0]) + errors[$0] * rng.normal() }
            let fit = Phi4Experiment.fitInverseWidth(widths: widths, values: y, errors: errors)
            let pull = (fit.intercept - a) / fit.error
            sum += pull * pull
        }
        let meanPull2 = sum / Double(R)
        #expect(abs(meanPull2 - 1) < 4 * (2 / Double(R)).squareRoot(), "mean pull² = \(meanPull2)")
    }
}

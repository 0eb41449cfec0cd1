import CYBridge
import Foundation
import Networks
import NumericCore
import Numerics
import Testing
import TestSupport
@testable import Training

/// The Ricci loss (`RicciLoss`) against independent routes: the exact Ricci scalar of Fubini–Study (analytic
/// derivatives of the algebraic metric, `AlgebraicMetric.ricciScalars`), CYBridge's Ricci measure of the same network
/// metric through its single-point route, the flat constant metric (R = 0), and finite differences in θ.
@Suite struct RicciLossTests {
    static let quintic = Variety.fermatQuintic

    /// Exact R of g_FS (t = 1) at the first `m` points of `s`.
    static func fubiniStudyRicci(_ s: CYTrainingSample, _ m: Int) throws -> [Double] {
        let scoring = try ScoringSample(sample: s.sample, ricciPoints: m)
        return try scoring.ricciScalars(try AlgebraicMetric.fubiniStudy(factorSizes: [5], kahler: [1]))!
    }

    /// With a zero readout g = g_FS (φ ≡ 0; H = 0 for the multiplicative model): R_p is FS's exact Ricci scalar to the
    /// differences' accuracy (truncation O(h⁴) and rounding O(ε/h²) ≈ 1e-10 relative; 1e-7 allows the condition of g),
    /// and L_R = mean |R_p|^p.
    @Test(arguments: [CYMetricModel.phi, .multiplicative]) func fubiniStudyIsExact(model: CYMetricModel) throws {
        let s = try CYMetricModelTests.sample(4)
        var m = try CYMetricModelTests.metric(model, spec: model == .phi ? "Dense(8, parameterization=standard) Gelu Dense(1, parameterization=standard)" : CYMetricModelTests.spec)
        CYMetricModelTests.zeroReadout(&m)
        let exact = try Self.fubiniStudyRicci(s, 4)
        for power in [1.0, 2.0] {
            let r = m.ricciLoss(s, indices: [0, 1, 2, 3], power: power, wantGradient: false)
            #expect(r.nonPositive == 0)
            for p in 0..<4 { #expect(abs(r.scalars[p] - exact[p]) <= 1e-7 * abs(exact[p]), "\(model) R[\(p)] \(r.scalars[p]) vs exact \(exact[p])") }
            let want = exact.map { pow(abs($0), power) }.reduce(0, +) / 4
            #expect(abs(r.loss - want) <= 1e-7 * want, "\(model) L_R \(r.loss) vs \(want)")
        }
    }

    /// R_p of a trained-looking network metric (nonzero readout) equals CYBridge's Ricci measure route
    /// (`RicciMeasure.ricciScalar` of `metricFunction`: one point at a time through `metric(at:jacobian:)`), which
    /// shares only the stencil: the network is evaluated there point by point, here as one batch of jets.
    @Test(arguments: [CYMetricModel.phi, .additive, .multiplicative, .free]) func scalarsAreTheRicciMeasures(model: CYMetricModel) throws {
        for (v, inputs) in [(Variety.fermatQuintic, CYNetworkInputs.coordinates), (.bicubic, .bihomogeneous)] {
            let s = try CYMetricModelTests.sample(v, 3)
            let spec = model == .phi ? "Dense(8, parameterization=standard) Gelu Dense(1, W_std=0.05, parameterization=standard)"
                : CYMetricModelTests.spec.replacingOccurrences(of: "Dense(9,", with: "Dense(\(v.dimension * v.dimension),")
            let m = try CYMetricModelTests.metric(model, v, inputs: inputs, spec: spec, start: s)
            let r = m.ricciLoss(s, indices: [0, 1, 2], power: 1, wantGradient: false)
            for p in 0..<3 {
                let want = RicciMeasure.ricciScalar(LocalChart(sample: s.sample, index: p), metric: m.metricFunction)!
                #expect(abs(r.scalars[p] - want) <= 1e-8 * max(1, abs(want)), "\(model) on \(v.name): R[\(p)] \(r.scalars[p]) vs \(want)")
            }
        }
    }

    /// The free model at g = c·1 (readout weights 0, bias c on the diagonal) is a constant metric in every chart: flat,
    /// R = 0 to the stencil's rounding.
    @Test func constantMetricIsFlat() throws {
        let s = try CYMetricModelTests.sample(3)
        var m = try CYMetricModelTests.metric(.free, start: s)
        CYMetricModelTests.zeroReadout(&m)
        try m.setFreeStart(scale: 0.8)
        let r = m.ricciLoss(s, indices: [0, 1, 2], power: 1, wantGradient: false)
        // |log det g| = 3|log 0.8| ≈ 0.67 at every node; Σ_s |C_s| ≈ 3·10⁷ for h = 1e-3: rounding ≤ 1e-8.
        for p in 0..<3 { #expect(abs(r.scalars[p]) <= 1e-8, "R[\(p)] = \(r.scalars[p]) of a constant metric") }
    }

    /// The θ-gradient of the total loss with the Ricci term (through every stencil node's metric and the centre's g⁻¹)
    /// against central differences in θ, for φ and the matrix models, powers 1 and 2.
    @Test(arguments: [CYMetricModel.phi, .multiplicative, .free], [1.0, 2.0]) func gradientMatchesFiniteDifferences(model: CYMetricModel, power: Double) throws {
        let s = try CYMetricModelTests.sample(6, derivatives: true)
        let spec = model == .phi ? "Dense(8, b_std=0.1, parameterization=standard) Gelu Dense(1, W_std=0.05, parameterization=standard)" : CYMetricModelTests.spec
        let m = try CYMetricModelTests.metric(model, spec: spec, start: s)
        let w = NeuralCYMetric.LossWeights(kahler: model == .phi ? 0 : 0.3, ricci: 0.5, ricciPoints: 2)
        let idx = Array(0..<s.count)
        let e0 = m.evaluate(s, indices: idx, power: power, weights: w, wantGradient: true)
        #expect(e0.nonPositive == 0 && e0.ricci > 0)
        let alone = m.ricciLoss(s, indices: [0, 1], power: power, wantGradient: false)
        #expect(e0.ricci == alone.loss)
        guard let g = e0.gradient else { Issue.record("\(model): no gradient"); return }
        // The loss's rounding: R = −Re Σ_s tr(g₀⁻¹C_s) F_s with F_s = log det g_s rounded to a few ε (1 + |F_s|)
        // (g's entries carry relative errors of a few ε, and log det adds ε|F|); the stencil's weights ~1/h² amplify it.
        var rounding = 0.0
        for (k, p) in [0, 1].enumerated() {
            let chart = LocalChart(sample: s.sample, index: p), st = RicciMeasure.Stencil(chart: chart), n = 3
            let (jac, _) = PullbackJacobian.jacobian(variety: s.sample.variety, point: chart.center, patch: chart.patch, dependent: chart.dependent)
            var g = m.metric(at: chart.center, jacobian: jac), inv = [ComplexDouble](repeating: .zero, count: 9)
            for a in 0..<n { inv[a * n + a] = ComplexDouble(1, 0) }
            let det = g.withUnsafeMutableBufferPointer { gb in inv.withUnsafeMutableBufferPointer { SmallComplexLinearAlgebra.solve(gb.baseAddress!, n, $0.baseAddress!, n) } }
            var amp = 0.0
            for sIdx in 0..<st.nodes.count {
                var tr = 0.0
                for a in 0..<n { for b in 0..<n { tr += (inv[a * n + b] * st.weights[sIdx * 9 + b * n + a]).real } }
                amp += abs(tr)
            }
            let r = alone.scalars[k]
            rounding += (power == 1 ? 1 : power * pow(abs(r), power - 1)) * amp * 8 * 2.2e-16 * (1 + abs(log(det.real))) / 2
        }
        let checks = directionalDerivativeChecks(theta: m.network.parameters, gradient: g, seed: 9, step: 1e-3,
                                                 roundoff: 2 * w.ricci * rounding + Double(s.count) * 2.2e-16 * abs(e0.total(w))) { theta in
            var mm = m
            mm.network.parameters = theta
            return mm.evaluate(s, indices: idx, power: power, weights: w, wantGradient: false).total(w)
        }
        for c in checks {
            #expect(abs(c.analytic - c.difference) <= c.tolerance, "\(model) p=\(power): dL \(c.analytic) vs \(c.difference) (tolerance \(c.tolerance))")
        }
    }
}

import CYBridge
import Foundation
import MetricFlow
import NumericCore
import Numerics
import Testing
import TestSupport

/// The Kähler–Ricci flow reference on the algebraic metrics of degree k: the projection against known answers and
/// nestedness, the flow against its fixed point and its monotone approach to it.
@Suite struct KahlerRicciFlowTests {
    static let quintic = Variety.fermatQuintic

    /// A target in the span, (kπ)⁻¹ Re(sᵀ C s̄)/ψ_h for a random Hermitian C, is projected back to C (to 1e-8 of |C|,
    /// the ridge's 1e-12 relative regularisation amplified by the design's conditioning), with residual ≈ 0.
    @Test func projectionRecoversATargetInTheSpan() throws {
        let s = try PointSampler(variety: Self.quintic).sample(count: 400, seed: 3)
        let flow = try AlgebraicKahlerRicciFlow(variety: Self.quintic, degree: 1, sample: s)
        let N = flow.basis.count
        var rng = RandomStream(seed: 9, stream: 0)
        var c = ComplexMatrix(rows: N, cols: N)
        for i in 0..<N { c[i, i] = ComplexDouble(rng.normal(), 0); for j in (i + 1)..<N { let z = ComplexDouble(rng.normal(), rng.normal()); c[i, j] = z; c[j, i] = z.conjugate } }
        let h = flow.fubiniStudy
        let target: [Double] = (0..<s.count).map { p in
            let z = s.point(p)
            var num = 0.0, psi = 0.0
            for i in 0..<N { for j in 0..<N {
                num += (z[i] * c[i, j] * z[j].conjugate).real
                psi += (z[i] * h[i, j] * z[j].conjugate).real
            } }
            return num / psi / Double.pi
        }
        let (v, res) = try flow.projection(h, target: target)
        let scale = c.data.reduce(0) { max($0, $1.length) }
        for e in 0..<(N * N) { #expect((v.data[e] - c.data[e]).length <= 1e-8 * scale, "entry \(e): \(v.data[e]) vs \(c.data[e])") }
        #expect(res <= 1e-8)
    }

    /// The spans are nested in k (s_α s̄_β/|z|^{2k} ⊂ degree k + 1 through |z|²/|z|²), so the projection of the flow's
    /// velocity F at Fubini–Study leaves a relative residual that falls strictly with k.
    @Test func projectionResidualFallsWithDegree() throws {
        let s = try PointSampler(variety: Self.quintic).sample(count: 2500, seed: 4)
        var last = Double.infinity
        for k in 1...3 {
            let flow = try AlgebraicKahlerRicciFlow(variety: Self.quintic, degree: k, sample: s)
            let (_, res) = try flow.projection(flow.fubiniStudy, target: try flow.residual(flow.fubiniStudy))
            #expect(res < last, "k = \(k): residual \(res), degree k − 1: \(last)")
            last = res
        }
    }

    /// Along the flow from Fubini–Study, σ on an independent sample falls (the flow approaches the Ricci-flat metric
    /// within the family): k = 2, t = 0 … 0.1 in 4 Heun steps, σ strictly decreasing at each record and its final
    /// value below FS's by more than 10 jackknife errors; Vol_K is the class's, 5 (every algebraic metric is in t = 1), within
    /// 4 standard errors.
    @Test func flowLowersSigma() throws {
        let s = try PointSampler(variety: Self.quintic).sample(count: 2000, seed: 5)
        let val = try PointSampler(variety: Self.quintic).sample(count: 3000, seed: 6)
        let flow = try AlgebraicKahlerRicciFlow(variety: Self.quintic, degree: 2, sample: s)
        let states = try flow.run(time: 0.1, steps: 4, recordEvery: 1)
        let vj = PullbackJacobian.jacobians(of: val)
        var sig: [Double] = [], err: [Double] = []
        for st in states {
            let det = try flow.metric(st.h).pullbackDeterminants(points: val.points, jacobians: vj, dimension: 3)
            sig.append(SigmaMeasure.sigma(val, determinants: det))
            err.append(SigmaMeasure.jackknifeError(weights: val.weights, omegaSquared: val.omegaSquared, determinants: det))
            // Vol_K = mean(w det g/|Ω|²) (PointSample.kahlerVolume) against the exact 5 within 4 batch-means standard
            // errors (the roots of one line are correlated, IntegrationWeights.batchMeansError),
            let x = (0..<val.count).map { val.weights[$0] * det[$0] / val.omegaSquared[$0] }
            let volK = val.kahlerVolume(determinants: det), se = IntegrationWeights.batchMeansError(x)
            // plus the round-off of the mean of N terms, N·ε·Vol_K (FS: w det/|Ω|² is constant, exact 5 by normalisation)
            let roundoff = Double(val.count) * Double.ulpOfOne * 5
            #expect(abs(volK - Self.quintic.kahlerVolume([1])) < 4 * se + roundoff, "Vol_K = \(volK) ± \(se)")
        }
        for i in 1..<sig.count { #expect(sig[i] < sig[i - 1], "σ \(sig)") }
        #expect(sig[0] - sig.last! > 10 * err[0], "σ \(sig) ± \(err)")
    }
}

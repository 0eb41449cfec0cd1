import CYBridge
import Foundation
import Networks
import NumericCore
import Numerics
import Testing
import TestSupport
@testable import Training

/// The matrix models (additive, multiplicative, free) and the Kähler, transition and volume losses against
/// independent routes: cymetric's packing written out as its band-part formula, the finite-difference measures of
/// CYBridge, the closedness of Fubini–Study, the intersection volume, and finite differences in θ.
@Suite struct CYMetricModelTests {
    static let quintic = Variety.fermatQuintic
    static let spec = "Dense(12, b_std=0.1, parameterization=standard) Gelu Dense(12, b_std=0.1, parameterization=standard) Tanh Dense(9, W_std=0.02, b_std=0.005, parameterization=standard)"

    static func sample(_ count: Int, derivatives: Bool = false) throws -> CYTrainingSample {
        try sample(quintic, count, derivatives: derivatives)
    }

    static func sample(_ v: Variety, _ count: Int, seed: UInt64 = 7, kahler: [Double]? = nil, derivatives: Bool = false) throws -> CYTrainingSample {
        let s = try PointSampler(variety: v).sample(count: count, seed: seed)
        return try CYTrainingSample(sample: s, kahler: kahler ?? [Double](repeating: 1, count: v.ambient.factorCount), derivatives: derivatives)
    }

    static func metric(_ model: CYMetricModel, _ v: Variety = quintic, inputs: CYNetworkInputs = .coordinates, spec: String = spec,
                       kahler: [Double]? = nil, start: CYTrainingSample? = nil) throws -> NeuralCYMetric {
        var m = try NeuralCYMetric(variety: v, kahler: kahler ?? [Double](repeating: 1, count: v.ambient.factorCount), model: model, inputs: inputs,
                                   architecture: try NetworkSpec.parse(spec, defaultParameterization: .standard), seed: 3)
        if model == .free, let start { try m.setFreeStart(scale: NeuralCYMetric.freeStartScale(start)) }
        return m
    }

    /// A zero readout (weights and bias): H = 0.
    static func zeroReadout(_ m: inout NeuralCYMetric) {
        let last = m.network.layout.slices.last { $0.hasWeight }!
        for k in last.weightOffset..<(last.weightOffset + last.fanIn * last.fanOut) { m.network.parameters[k] = 0 }
        if let b = last.biasOffset { for k in b..<(b + last.fanOut) { m.network.parameters[k] = 0 } }
    }

    /// The packing is cymetric's `to_hermitian`, written here as its band-part formula: with T the n×n reshape of o,
    /// U = triu(T), L = i·tril(T), H = U + Uᵀ − diag(T) + L + L†. H is Hermitian and reproduces the n² reals.
    @Test func packingIsCymetricsHermitian() {
        let n = 3
        var rng = RandomStream(seed: 1, stream: 0)
        let o = (0..<(n * n)).map { _ in rng.normal() }
        var h = [ComplexDouble](repeating: .zero, count: n * n)
        h.withUnsafeMutableBufferPointer { CYMetricModel.hermitian(n, into: $0.baseAddress!) { ComplexDouble(o[$0], 0) } }
        for a in 0..<n { for b in 0..<n {
            let t = o[a * n + b], tt = o[b * n + a]
            var want = ComplexDouble.zero
            if b >= a { want = want + ComplexDouble(t, 0) }                 // U
            if a >= b { want = want + ComplexDouble(tt, 0) }                // Uᵀ
            if a == b { want = want - ComplexDouble(t, 0) }                 // − diag
            if a >= b { want = want + ComplexDouble(0, t) }                 // L = i·tril(T)
            if b >= a { want = want + ComplexDouble(0, tt).conjugate }      // L†
            #expect(h[a * n + b] == want, "H[\(a)][\(b)] = \(h[a * n + b]), expected \(want)")
            #expect(h[a * n + b] == h[b * n + a].conjugate)
        } }
        // The adjoint: Re Σ X_ab dH_ab = Σ_m Re(Y_m) do_m for real increments, for a random X.
        let x = (0..<(n * n)).map { _ in ComplexDouble(rng.normal(), rng.normal()) }
        var y = [ComplexDouble](repeating: .zero, count: n * n)
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { CYMetricModel.packingAdjoint(n, xb.baseAddress!, into: $0.baseAddress!) } }
        for m in 0..<(n * n) {
            var e = [ComplexDouble](repeating: .zero, count: n * n)
            e.withUnsafeMutableBufferPointer { eb in CYMetricModel.hermitian(n, into: eb.baseAddress!) { $0 == m ? ComplexDouble(1, 0) : .zero } }
            let direct = (0..<(n * n)).reduce(0.0) { $0 + (x[$1] * e[$1]).real }
            #expect(abs(direct - y[m].real) <= 1e-14 * (1 + abs(direct)))
        }
    }

    /// H = 0: the additive and multiplicative models are g_ref exactly (det g = det g_FS); their Kähler loss is 0 and
    /// the volume loss on the quintic vanishes to round-off, since Σ tr(g_FS⁻¹ g_FS) = n pointwise and the weights'
    /// Vol_K estimate is exact on one projective space (`PointSample.kahlerVolumeFubiniStudy`).
    @Test(arguments: [CYMetricModel.additive, .multiplicative]) func zeroOutputIsTheReference(model: CYMetricModel) throws {
        let s = try Self.sample(200, derivatives: true)
        var m = try Self.metric(model)
        Self.zeroReadout(&m)
        let e = m.evaluate(s, indices: Array(0..<s.count), power: 1, weights: .init(kahler: 1, transition: 0, volume: 1), wantGradient: false)
        let fs = s.sample.fubiniStudyDeterminants(kahler: [1])
        for i in 0..<s.count { #expect(abs(e.determinants[i] - fs[i]) <= 1e-12 * fs[i]) }
        #expect(e.kahler == 0)
        #expect(e.volume <= 1e-13, "volume loss \(e.volume)")
    }

    /// The slopes' targets ∂Vol_K/∂t_a against the derivative of the intersection volume (a cubic in t, so the
    /// fourth-order central difference is exact up to round-off): quintic 15t², bicubic 9(2t₁t₂ + t₂²), 9(t₁² + 2t₁t₂).
    @Test func slopeTargetsAreTheVolumeGradient() {
        for (v, t) in [(Variety.fermatQuintic, [1.3]), (Variety.bicubic, [0.7, 1.9])] {
            let g = IntersectionNumbers.volumeGradient(of: v, kahler: t)
            for a in 0..<t.count {
                let fd = fourthOrderCentralDifference(step: 1e-2) { d in
                    var tt = t; tt[a] += d; return v.kahlerVolume(tt)
                }
                #expect(abs(g[a] - fd) <= 1e-10 * abs(g[a]), "\(v.name) a = \(a): \(g[a]) vs \(fd)")
            }
        }
        #expect(abs(IntersectionNumbers.volumeGradient(of: .bicubic, kahler: [0.7, 1.9])[0] - 9 * (2 * 0.7 * 1.9 + 1.9 * 1.9)) <= 1e-12)
    }

    /// On the bicubic (h^{1,1} = 2) the Fubini–Study slopes s_a are Monte Carlo estimates of τ_a: within 4 standard
    /// errors (batch means over 40 blocks of 1000 points; the terms are heavy-tailed, so the blocks are long).
    @Test func fubiniStudySlopesOnTheBicubic() throws {
        let s = try Self.sample(.bicubic, 40_000, kahler: [1, 2])
        let n = 3, F = 2
        var terms = [[Double]](repeating: [], count: F)
        var gi = [ComplexDouble](repeating: .zero, count: n * n), a = gi
        for i in 0..<s.count {
            for e in 0..<(n * n) { a[e] = s.fubiniStudy[i * n * n + e]; gi[e] = e % (n + 1) == 0 ? ComplexDouble(1, 0) : .zero }
            let det = a.withUnsafeMutableBufferPointer { ab in gi.withUnsafeMutableBufferPointer { SmallComplexLinearAlgebra.solve(ab.baseAddress!, n, $0.baseAddress!, n) } }.real
            for f in 0..<F {
                var tr = 0.0
                for r in 0..<n { for c in 0..<n { tr += (gi[r * n + c] * s.factorMetrics[((i * F + f) * n + c) * n + r]).real } }
                terms[f].append(s.sample.weights[i] * det * tr / s.sample.omegaSquared[i])
            }
        }
        let slopes = VolumeLoss.slopes(s, metrics: s.fubiniStudy)
        for f in 0..<F {
            let mean = terms[f].reduce(0, +) / Double(s.count)
            #expect(abs(mean - slopes[f]) <= 1e-12 * abs(mean))
            let err = IntegrationWeights.batchMeansError(terms[f], blockSize: 1000)
            #expect(abs(slopes[f] - s.slopeTargets[f]) <= 4 * err, "slope \(f): \(slopes[f]) vs \(s.slopeTargets[f]) ± \(err)")
        }
    }

    /// ∂_c g_FS by Richardson-extrapolated differences is closed: the torsion of Fubini–Study, which vanishes exactly,
    /// is below 1e-16 of |∂g|² (the extrapolation's O(h⁴) ≈ 1e-12 relative, squared).
    @Test func referenceDerivativesAreClosed() throws {
        let s = try Self.sample(50, derivatives: true)
        let d = try #require(s.referenceDerivatives)
        let n = 3, m = n * n * n
        for i in 0..<s.count {
            let scale = (0..<m).reduce(0.0) { $0 + d[i * m + $1].lengthSquared }
            let t = d.withUnsafeBufferPointer { KahlerLoss.torsionNorm($0.baseAddress! + i * m, n, adjoint: nil) }
            #expect(t <= 1e-16 * scale, "point \(i): |T|² = \(t), |∂g|² = \(scale)")
        }
    }

    /// The exact Kähler loss (output jets) against the torsion of the model's own chart metric by CYBridge's
    /// central differences (`KahlerMeasure.derivatives`) at steps h = 1e-3 and 2h, Richardson-extrapolated (O(h⁴)):
    /// equal within the error estimated from a third step 4h (see below; the torsion is a small antisymmetric part
    /// of ∂g, so its relative error is larger than ∂g's — measured 2e-11 to 4e-8). (The plain h = 1e-4 differences carry an O(h²) error
    /// of the Fubini–Study part, whose torsion the exact loss drops as identically 0; it is visible in the additive
    /// model at 1e-2 relative.)
    @Test(arguments: [CYMetricModel.additive, .multiplicative, .free]) func kahlerLossMatchesFiniteDifferences(model: CYMetricModel) throws {
        let s = try Self.sample(30, derivatives: true)
        let m = try Self.metric(model, start: s)
        let exact = m.evaluate(s, indices: Array(0..<s.count), power: 1, weights: .init(kahler: 1), wantGradient: false).kahler
        var fd = 0.0, fdCoarse = 0.0
        for i in 0..<s.count {
            let chart = LocalChart(sample: s.sample, index: i)
            let h = 1e-3 * max(1, chart.centerCoordinates.map { $0.length }.max() ?? 1)
            let d1 = try #require(KahlerMeasure.derivatives(chart, metric: m.chartMetric, step: h))
            let d2 = try #require(KahlerMeasure.derivatives(chart, metric: m.chartMetric, step: 2 * h))
            let d4 = try #require(KahlerMeasure.derivatives(chart, metric: m.chartMetric, step: 4 * h))
            let d = zip(d1, d2).map { ($0 * ComplexDouble(4, 0) - $1) / ComplexDouble(3, 0) }
            let dc = zip(d2, d4).map { ($0 * ComplexDouble(4, 0) - $1) / ComplexDouble(3, 0) }
            fd += d.withUnsafeBufferPointer { KahlerLoss.torsionNorm($0.baseAddress!, 3, adjoint: nil) } / Double(s.count)
            fdCoarse += dc.withUnsafeBufferPointer { KahlerLoss.torsionNorm($0.baseAddress!, 3, adjoint: nil) } / Double(s.count)
        }
        #expect(exact > 1e-8, "the random network's metric should not be closed: \(exact)")
        // The Richardson value from (h, 2h) errs by c·h⁴, the one from (2h, 4h) by 16c·h⁴: their difference is
        // 15c·h⁴, so |fd − fdCoarse|/15 estimates fd's error; assert twice that. The round-off of the step-h
        // differences (≈ ε|g|/h per ∂g entry) also shows in fd − fdCoarse; the 10⁻¹²·exact term is only a floor for
        // the case where the two Richardson values agree by accident (measured errors: 2e-11 to 4e-8 relative,
        // each about half the tolerance).
        let tol = 2 * abs(fd - fdCoarse) / 15 + 1e-12 * exact
        #expect(abs(exact - fd) <= tol, "\(model): exact \(exact) vs differences \(fd) (coarse \(fdCoarse), tolerance \(tol))")
    }

    /// The matrix models' transition loss with exponent 2 on a whole sample is CYBridge's `TransitionMeasure` of
    /// the model's chart metric (which rescales the points and pulls back the reference on its own), to round-off.
    @Test(arguments: [CYMetricModel.additive, .multiplicative, .free]) func transitionLossIsTheMeasure(model: CYMetricModel) throws {
        for v in [Variety.fermatQuintic, .bicubic] {
            let s = try Self.sample(v, 25)
            let m = try Self.metric(model, v, start: s)
            let loss = m.transitionLoss(s, power: 2)
            let measure = TransitionMeasure.measure(s.sample, metric: m.chartMetric)
            #expect(loss > 0)
            #expect(abs(loss - measure) <= 1e-10 * measure, "\(model) on \(v.name): \(loss) vs \(measure)")
        }
    }

    /// ∂(L_MA + L_K + L_T + L_V)/∂θ (jet adjoint, the packing's adjoint, the transition and slope adjoints) against
    /// central differences along three random directions, power 2 (smooth) and power 1 (cymetric's default; smooth
    /// away from the kinks), on the quintic with coordinates and on the bicubic with bihomogeneous inputs: tolerance
    /// twice the gap between the second- and fourth-order differences plus round-off B·ε·|L|/s.
    @Test(arguments: [CYMetricModel.additive, .multiplicative, .free], [1.0, 2.0]) func gradientMatchesFiniteDifferences(model: CYMetricModel, power: Double) throws {
        for (v, inputs) in [(Variety.fermatQuintic, CYNetworkInputs.coordinates), (.bicubic, .bihomogeneous)] {
            let s = try Self.sample(v, 24, derivatives: true)
            let m = try Self.metric(model, v, inputs: inputs, start: s)
            let w = NeuralCYMetric.LossWeights(kahler: 0.7, transition: 0.3, volume: 0.5)
            let idx = Array(0..<s.count)
            let e0 = m.evaluate(s, indices: idx, power: power, weights: w, wantGradient: true)
            #expect(e0.nonPositive == 0)
            #expect(e0.kahler > 0); #expect(e0.transition > 0); #expect(e0.volume > 0)
            guard let g = e0.gradient else { Issue.record("\(model) on \(v.name): no gradient (\(e0.nonPositive) non-positive points)"); continue }
            let checks = directionalDerivativeChecks(theta: m.network.parameters, gradient: g, seed: 5, step: 1e-5,
                                                     roundoff: Double(s.count) * 2.2e-16 * abs(e0.total(w))) { theta in
                var mm = m
                mm.network.parameters = theta
                return mm.evaluate(s, indices: idx, power: power, weights: w, wantGradient: false).total(w)
            }
            for c in checks {
                #expect(abs(c.analytic - c.difference) <= c.tolerance, "\(model) p=\(power) on \(v.name): dL \(c.analytic) vs \(c.difference) (tolerance \(c.tolerance))")
            }
        }
    }

    /// The free model starts at g = c·1 with cⁿ = κ·median|Ω|²: positive definite, and det g/(κ|Ω|²) = 1 at the
    /// median point.
    @Test func freeModelStartsAtTheMongeAmpereScale() throws {
        let s = try Self.sample(101)
        var m = try Self.metric(.free)
        Self.zeroReadout(&m)
        try m.setFreeStart(scale: NeuralCYMetric.freeStartScale(s))
        let det = m.determinants(s)
        let c = NeuralCYMetric.freeStartScale(s)
        let ratios = (0..<s.count).map { det[$0] / (s.kappa * s.sample.omegaSquared[$0]) }.sorted()
        #expect(det.allSatisfy { abs($0 - c * c * c) <= 1e-13 * c * c * c })
        #expect(abs(ratios[50] - 1) <= 1e-12, "median ratio \(ratios[50])")
    }
}

/// The metric-NTK's Jacobian against central differences of the metric's real components in θ.
@Suite struct CYMetricNTKTests {
    /// 𝒥v against [g(θ + εv) − g(θ − εv)]/(2ε) along a random unit v, per point and component, for the φ-model
    /// (coordinates and bihomogeneous inputs) and the multiplicative model: within twice the gap to the fourth-order
    /// difference plus round-off (ε = 1e-5); Θ = 𝒥𝒥ᵀ is symmetric with a positive diagonal.
    @Test(arguments: [(CYMetricModel.phi, CYNetworkInputs.coordinates), (.phi, .bihomogeneous), (.multiplicative, .coordinates)])
    func jacobianMatchesFiniteDifferences(model: CYMetricModel, inputs: CYNetworkInputs) throws {
        let s = try CYMetricModelTests.sample(6, derivatives: true)
        let spec = model == .phi ? "Dense(12, b_std=0.1, parameterization=standard) Gelu Dense(1, W_std=0.05, parameterization=standard)" : CYMetricModelTests.spec
        let m = try NeuralCYMetric(variety: .fermatQuintic, kahler: [1], model: model, inputs: inputs,
                                   architecture: try NetworkSpec.parse(spec, defaultParameterization: .standard), seed: 3)
        let idx = Array(0..<s.count), n = 3, nn = 9
        let jac = m.metricJacobian(s, indices: idx)
        var rng = RandomStream(seed: 8, stream: 0)
        var v = (0..<m.network.parameterCount).map { _ in rng.normal() }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); v = v.map { $0 / norm }
        func comps(_ d: Double) -> [Double] {
            var mm = m
            mm.network.parameters = zip(m.network.parameters, v).map { $0 + d * $1 }
            let g = mm.metricsAndDeterminants(s).metrics
            return (0..<s.count).flatMap { NeuralCYMetric.realComponents(g[($0 * nn)..<(($0 + 1) * nn)], n: n) }
        }
        let h = 1e-5
        let cd = centralDifferences(step: h, comps), cd4 = fourthOrderCentralDifferences(step: h, comps)
        let scale = comps(0).reduce(0) { max($0, abs($1)) }
        for r in 0..<jac.rows {
            var jv = 0.0
            for k in 0..<jac.cols { jv += jac.data[r * jac.cols + k] * v[k] }
            #expect(abs(jv - cd[r]) <= 2 * abs(cd[r] - cd4[r]) + 1e-15 * scale / h, "row \(r): 𝒥v \(jv) vs \(cd[r])")
        }
        let theta = m.metricNTK(s, indices: idx)
        for r in 0..<theta.rows {
            #expect(theta.data[r * theta.cols + r] > 0)
            for c in 0..<r { #expect(theta.data[r * theta.cols + c] == theta.data[c * theta.cols + r]) }
        }
    }
}

/// `cy train`'s settings through JSON: every key round-trips, and settings written before a key existed read with
/// its default.
@Suite struct CYTrainingConfigTests {
    @Test func roundTripAndMissingKeys() throws {
        var c = CYTrainingConfig()
        c.variety = "bicubic"; c.psi = [0.1, -0.2]; c.ambient = [2, 2]; c.kahler = [1, 2]; c.model = .multiplicative; c.net = "Dense(8) Gelu Dense(9)"
        c.inputs = .bihomogeneous; c.reference = "/x"; c.referenceDegree = 3; c.points = 123; c.validationPoints = 45; c.epochs = 6; c.batch = 7
        c.rate = 0.02; c.optimizer = .sgd; c.schedule = "exp:10"; c.power = 2; c.weightedLoss = true; c.clip = 5; c.transitionWeight = 0.5
        c.kahlerWeight = 0.25; c.volumeWeight = 0.75; c.scorePoints = 9; c.seed = 42
        let data = try JSONEncoder().encode(c)
        #expect(try JSONDecoder().decode(CYTrainingConfig.self, from: data) == c)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["kahler_weight"] = nil; object["volume_weight"] = nil
        let old = try JSONDecoder().decode(CYTrainingConfig.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.kahlerWeight == CYTrainingConfig().kahlerWeight && old.volumeWeight == nil && old.points == 123 && old.model == .multiplicative)
    }
}

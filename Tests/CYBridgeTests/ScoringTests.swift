import Foundation
import Numerics
import Testing
@testable import CYBridge
@testable import NumericCore
import TestSupport

/// `ScoringSample`/`MetricScore`, `AlgebraicMetric.fubiniStudy`, `PointSample.fubiniStudyDeterminants` and
/// `BalancedMetricDirectory`, each against an independent route.
@Suite struct ScoringTests {
    /// The k = 1 algebraic metric with h = I on the quintic is FS: its σ and Vol_K equal `testSigma` and the mean of
    /// w det g_FS/|Ω|² from the sampler's own det g_FS (another determinant route), Vol_K = 5 exactly with a vanishing
    /// error (the weights make w det g_FS/|Ω|² constant on a single P⁴), and the analytic Ricci measure equals that of
    /// finite differences of the FS metric.
    @Test func algebraicScoreMatchesFubiniStudyRoutes() throws {
        let v = Variety.fermatQuintic, m = 20
        let s = try PointSampler(variety: v).sample(count: 400, seed: 3)
        let scoring = try ScoringSample(sample: s, ricciPoints: m)
        let score = try scoring.score(AlgebraicMetric.fubiniStudy(factorSizes: [5], kahler: [1]))
        let ref = testSigma(det: s.detFubiniStudy, omega2: s.omegaSquared, weights: s.weights)
        #expect(abs(score.sigma - ref.sigma) < 1e-10, "\(score.sigma) vs \(ref.sigma)")
        let x = (0..<s.count).map { s.weights[$0] * s.detFubiniStudy[$0] / s.omegaSquared[$0] }
        let mean = sampleMean(x)
        #expect(abs(score.volK - mean) < 1e-10 * mean)
        // on a single P⁴ the weights make w det g_FS/|Ω|² = 5 at every point: Vol_K is exact and its error vanishes
        #expect(abs(score.volK - 5) < 1e-9 && score.volKError < 1e-9, "Vol_K = \(score.volK) ± \(score.volKError)")
        #expect(abs(score.kappa - score.volK / (s.weights.reduce(0, +) / Double(s.count))) < 1e-12)
        let fd = try scoring.scoreFubiniStudy(kahler: [1], route: .finiteDifferences)
        #expect(score.ricciRoute == .analytic && fd.ricciRoute == .finiteDifferences && score.ricciPoints == m && fd.ricciPoints == m)
        #expect(abs(score.ricciMeasure! - fd.ricciMeasure!) < 1e-6 * fd.ricciMeasure!, "\(score.ricciMeasure!) vs \(fd.ricciMeasure!)")
        // the same metric's measure on the Ricci points alone (determinants there only) agrees to round-off
        let alone = try scoring.ricciMeasure(AlgebraicMetric.fubiniStudy(factorSizes: [5], kahler: [1]))!
        #expect(abs(alone - score.ricciMeasure!) < 1e-12 * alone)
    }

    /// FS on the bicubic: equal moduli (2, 2) take the analytic route, which agrees with finite differences; unequal
    /// moduli (1, 2) fall back to finite differences; σ equals `SigmaMeasure.fubiniStudy` (the sampler's det g_FS scaled,
    /// or the FS pullback) to round-off; no Ricci points give no measure.
    @Test func fubiniStudyRoutes() throws {
        let s = try PointSampler(variety: .bicubic).sample(count: 300, seed: 8)
        let scoring = try ScoringSample(sample: s, ricciPoints: 12)
        let a = try scoring.scoreFubiniStudy(kahler: [2, 2])
        let b = try scoring.scoreFubiniStudy(kahler: [2, 2], route: .finiteDifferences)
        let c = try scoring.scoreFubiniStudy(kahler: [1, 2])
        #expect(a.ricciRoute == .analytic && b.ricciRoute == .finiteDifferences && c.ricciRoute == .finiteDifferences)
        #expect(ScoringSample.fubiniStudyRicciRoute(kahler: [1, 2], preferred: .analytic) == .finiteDifferences)
        #expect(abs(a.ricciMeasure! - b.ricciMeasure!) < 1e-6 * b.ricciMeasure!, "\(a.ricciMeasure!) vs \(b.ricciMeasure!)")
        #expect(abs(a.sigma - SigmaMeasure.fubiniStudy(s, kahler: [2, 2])) < 1e-10)
        #expect(abs(c.sigma - SigmaMeasure.fubiniStudy(s, kahler: [1, 2])) < 1e-10)
        let none = try ScoringSample(sample: s, ricciPoints: 0).scoreFubiniStudy(kahler: [1, 2])
        #expect(none.ricciMeasure == nil && none.ricciPoints == 0 && none.ricciRoute == nil && none.sigma == c.sigma)
        #expect(try ScoringSample(sample: s, ricciPoints: 10_000).ricciPoints == s.count)
        #expect(throws: InputError.self) { try ScoringSample(sample: s, ricciPoints: -1) }
        #expect(throws: InputError.self) { try scoring.scoreFubiniStudy(kahler: [1]) }
    }

    /// FS at integer moduli as an algebraic metric (monomials of bidegree t, h = diag(multinomial coefficients)) has
    /// the determinants of the FS pullback `FubiniStudy.determinants` at t.
    @Test(arguments: [[1, 1], [1, 2], [3, 1]])
    func fubiniStudyAsAnAlgebraicMetric(kahler t: [Int]) throws {
        let s = try PointSampler(variety: .bicubic).sample(count: 100, seed: 1)
        let det = try ScoringSample(sample: s, ricciPoints: 0).determinants(AlgebraicMetric.fubiniStudy(factorSizes: [3, 3], kahler: t))
        let ref = FubiniStudy.determinants(of: s, kahler: t.map(Double.init))
        #expect(zip(det, ref).allSatisfy { abs($0 - $1) < 1e-10 * abs($1) })
    }

    /// det g_FS(t) on a single P⁴: the sampler's det at t = 1, and t³ times it at t = 1.5 (det of a 3×3 metric scaled by t).
    @Test func fubiniStudyDeterminantsScaleWithTheModulus() throws {
        let s = try PointSampler(variety: .fermatQuintic).sample(count: 100, seed: 2)
        #expect(s.fubiniStudyDeterminants(kahler: [1]) == s.detFubiniStudy)
        let d15 = s.fubiniStudyDeterminants(kahler: [1.5])
        #expect(zip(d15, s.detFubiniStudy).allSatisfy { abs($0 - 3.375 * $1) < 1e-10 * $0 })
    }

    /// h_k and sections_k written and read back rebuild the same metric (same ψ at sample points, computed from the
    /// written form); the degrees present, the default (largest) degree, the Kähler class of summary.json, and the
    /// load errors name the directory and the degrees present.
    @Test func balancedMetricDirectoryRoundTrip() throws {
        let dir = try makeTemporaryDirectory(prefix: "cy-balanced")
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = Variety.quarticK3
        let q = v.equations[0]
        let rows = (0..<q.monomialCount).map { q.exponents(ofMonomial: $0) }
        var forms: [Int: (SectionBasis, ComplexMatrix)] = [:]
        for k in [1, 3] {
            let b = try SectionBasis(degree: k, variables: 4, polynomialExponents: rows)
            var h = DonaldsonBalancing.initialForm(b)
            h[0, 1] = Complex(0.1, 0.2); h[1, 0] = Complex(0.1, -0.2)
            forms[k] = (b, h)
            try BalancedMetricDirectory.write(form: h, basis: b, degree: k, to: dir)
        }
        #expect(BalancedMetricDirectory.degrees(in: dir) == [1, 3])
        #expect(BalancedMetricDirectory.kahlerClass(dir) == nil)
        try Data(#"{"kahler": [1]}"#.utf8).write(to: dir.appendingPathComponent("summary.json"))
        #expect(BalancedMetricDirectory.kahlerClass(dir) == [1])
        let (metric, k) = try BalancedMetricDirectory.load(dir, variety: v)
        #expect(k == 3 && metric.degree == 3)
        let (b3, h3) = forms[3]!
        let z = try PointSampler(variety: v).sample(count: 20, seed: 4).points
        let ref = try AlgebraicMetric(basis: b3, h: h3, degree: 3).kahlerPotential(points: z)
        #expect(metric.kahlerPotential(points: z) == ref && metric.basis.exponents == b3.exponents)
        #expect(try BalancedMetricDirectory.load(dir, degree: 1, variety: v).metric.h.data == forms[1]!.1.data)
        do { _ = try BalancedMetricDirectory.load(dir, degree: 2, variety: v); Issue.record("k = 2 loaded") } catch {
            #expect("\(error)" == "balanced metrics: degree 2 is absent, \(dir.path) has h_k for k = 1,3")
        }
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(throws: BalancedMetricDirectory.LoadError.self) { try BalancedMetricDirectory.load(empty, variety: v) }
        #expect(throws: BalancedMetricDirectory.LoadError.self) {
            try BalancedMetricDirectory.load(dir.appendingPathComponent("summary.json"), variety: v)
        }
        #expect(throws: BalancedMetricDirectory.LoadError.self) { try BalancedMetricDirectory.load(dir, variety: .fermatQuintic) }
    }
}

/// The difference stencil of the Ricci measure (`RicciMeasure.Stencil`) against closed forms: central differences are
/// exact for quadratics, and the Richardson combination of h and h/2 is exact for quartics (the O(h²) error of a
/// second difference of a quartic is h²/12 · F⁗, with no higher term), so the weights must reproduce ∂_a∂̄_b F of such F
/// to rounding, O(ε F/h²).
@Suite struct RicciStencilTests {
    /// A chart of the quintic whose centre is a sample point (the stencil only uses its local coordinates).
    static func chart() throws -> LocalChart {
        LocalChart(sample: try PointSampler(variety: .fermatQuintic).sample(count: 3, seed: 11), index: 1)
    }

    @Test func nodesAndWeightsReproduceComplexHessians() throws {
        let c = try Self.chart(), n = 3
        let x0 = c.centerCoordinates
        // F = Σ_ab Re(c_ab x_a x̄_b) + Re(x_0²) + |x_0|⁴ + |x_1|²|x_2|², with c Hermitian:
        // ∂_a∂̄_b F = c_ab + ∂_a∂̄_b(|x_0|⁴ + |x_1|²|x_2|²) (the holomorphic Re(x_0²) drops out).
        let cm: [ComplexDouble] = [.init(1.3, 0), .init(0.2, -0.4), .init(-0.1, 0.3),
                                   .init(0.2, 0.4), .init(0.7, 0), .init(0.5, 0.1),
                                   .init(-0.1, -0.3), .init(0.5, -0.1), .init(2.1, 0)]
        func f(_ x: [ComplexDouble]) -> Double {
            var s = 0.0
            for a in 0..<n { for b in 0..<n { s += (cm[a * n + b] * x[a] * x[b].conjugate).real } }
            return s + (x[0] * x[0]).real + x[0].lengthSquared * x[0].lengthSquared + x[1].lengthSquared * x[2].lengthSquared
        }
        var exact = cm
        // ∂_0∂̄_0 |x_0|⁴ = 4|x_0|²; ∂_1∂̄_1 = |x_2|², ∂_2∂̄_2 = |x_1|², ∂_1∂̄_2 (|x_1|²|x_2|²) = x̄_1 x_2, ∂_2∂̄_1 = x_1 x̄_2.
        exact[0] = exact[0] + ComplexDouble(4 * x0[0].lengthSquared, 0)
        exact[4] = exact[4] + ComplexDouble(x0[2].lengthSquared, 0)
        exact[8] = exact[8] + ComplexDouble(x0[1].lengthSquared, 0)
        exact[5] = exact[5] + x0[1].conjugate * x0[2]
        exact[7] = exact[7] + x0[1] * x0[2].conjugate
        let st = RicciMeasure.Stencil(chart: c)
        // Per step: the centre, ±e_u for 2n directions, and 4 nodes for each of the C(2n, 2) pairs; two steps share the centre.
        #expect(st.nodes.count == 1 + 2 * (4 * n + 4 * (2 * n) * (2 * n - 1) / 2) && st.nodes[0] == x0)
        let got = st.contract(st.nodes.map(f))
        // Rounding bound of Σ_s C_s F_s: each F_s carries a relative error of a few ε, so |error| ≤ 4ε max|F| Σ_s |C_s|.
        func tolerance(_ s: RicciMeasure.Stencil, _ e: Int, _ fmax: Double) -> Double {
            4 * 2.2e-16 * fmax * (0..<s.nodes.count).reduce(0) { $0 + s.weights[$1 * n * n + e].length }
        }
        let fmax = st.nodes.map { abs(f($0)) }.max()!
        for e in 0..<(n * n) {
            let tol = tolerance(st, e, fmax)
            #expect((got[e] - exact[e]).length <= tol, "∂∂̄F[\(e)] \(got[e]) vs \(exact[e]) (tolerance \(tol))")
        }
        // One step without extrapolation: exact for the quadratic part alone.
        let st1 = RicciMeasure.Stencil(chart: c, richardson: false)
        #expect(st1.nodes.count == 1 + 4 * n + 4 * (2 * n) * (2 * n - 1) / 2)
        let quad = { (x: [ComplexDouble]) -> Double in
            var s = 0.0
            for a in 0..<n { for b in 0..<n { s += (cm[a * n + b] * x[a] * x[b].conjugate).real } }
            return s
        }
        let g1 = st1.contract(st1.nodes.map(quad))
        let qmax = st1.nodes.map { abs(quad($0)) }.max()!
        for e in 0..<(n * n) { #expect((g1[e] - cm[e]).length <= tolerance(st1, e, qmax), "quadratic ∂∂̄F[\(e)] \(g1[e]) vs \(cm[e])") }
    }
}

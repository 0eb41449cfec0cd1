import Foundation
import Numerics
import Testing
@testable import CYBridge
@testable import NumericCore
import TestSupport

/// `DonaldsonScan` against the direct route: the scan's samples drawn here from the documented seeds, the existing
/// balancing, metric and Ricci functions called at each k, and σ, Vol_K and the Ricci measure from the tests' own
/// formulas (`testSigma`, means and standard errors written out).
@Suite struct DonaldsonScanTests {
    /// Quartic K3, k = 1, 2: N_k = 4, 10; the scan's bases, forms, step counts, σ, Vol_K (± standard error) and ‖R‖
    /// equal those of a direct `DonaldsonBalancing` + `AlgebraicMetric` run on the same points to round-off; σ_FS is
    /// `testSigma` of the sampler's det g_FS; ‖R‖_FS (analytic, FS as the algebraic metric of the degree-1 monomials)
    /// agrees with Richardson finite differences of the FS metric (`RicciMeasure`), an independent route, to 1e-6.
    @Test func perDegreeResultsEqualTheDirectRoute() throws {
        let v = Variety.quarticK3, seed: UInt64 = 5, np = 1500, ne = 400, m = 25
        let scan = try DonaldsonScan(variety: v, degrees: [1, 2], points: np, evalPoints: ne, seed: seed, tolerance: 1e-12,
                                     maxIterations: 3, ricciPoints: m)
        var lines: [String] = []
        let out = try scan.run { lines.append($0) }
        #expect(lines.contains { $0.contains("step 3") })
        let s = out.summary
        #expect(s.kahler == [1] && s.volKExact == 4 && s.evalSeed == deriveSeed(seed, 0xD0A1) && s.ricciPoints == m)
        #expect(s.degrees.map(\.k) == [1, 2] && s.degrees.map(\.sections) == [4, 10] && s.degrees.allSatisfy { $0.points == np })

        let sampler = try PointSampler(variety: v)
        let t = try sampler.sample(count: np, seed: seed)
        let e = try sampler.sample(count: ne, seed: deriveSeed(seed, 0xD0A1))
        let jac = PullbackJacobian.jacobians(of: e)
        let n = v.dimension, d = v.coordinateCount
        let rz = Array(e.points.prefix(m * d)), rj = Array(jac.prefix(m * n * d))
        let dj = AlgebraicMetric.jacobianDerivatives(variety: v, points: rz, jacobians: rj, dependent: Array(e.dependent.prefix(m)))
        /// Vol_K^{1/n}/Vol_CY · mean(w det/|Ω|² |R|) on the first m points.
        func measure(_ det: [Double], _ r: [Double]) -> Double {
            var sw = 0.0, sk = 0.0, sr = 0.0
            for i in 0..<m { let x = e.weights[i] * det[i] / e.omegaSquared[i]; sw += e.weights[i]; sk += x; sr += x * abs(r[i]) }
            return pow(sk / Double(m), 1 / Double(n)) / (sw / Double(m)) * sr / Double(m)
        }
        let fs = testSigma(det: e.detFubiniStudy, omega2: e.omegaSquared, weights: e.weights)
        #expect(abs(s.sigmaFS - fs.sigma) < 1e-12, "σ_FS \(s.sigmaFS) vs \(fs.sigma)")
        let rFD = RicciMeasure.ricciScalars(e, metric: RicciMeasure.fubiniStudyMetric(variety: v, kahler: [1]), count: m)
        let fsMeasure = measure(e.detFubiniStudy, rFD)
        #expect(abs(s.ricciMeasureFS! - fsMeasure) < 1e-6 * fsMeasure, "‖R‖_FS \(s.ricciMeasureFS!) vs \(fsMeasure)")

        let q = v.equations[0]
        let rows = (0..<q.monomialCount).map { q.exponents(ofMonomial: $0) }
        for (i, k) in [1, 2].enumerated() {
            let basis = try SectionBasis(degree: k, variables: d, polynomialExponents: rows)
            #expect(basis.exponents == scan.bases[i].exponents)
            let r = try DonaldsonBalancing(basis: basis, points: t.points, weights: t.weights).balance(tolerance: 1e-12, maxIterations: 3)
            let got = s.degrees[i]
            #expect(got.iterations == r.iterations && got.changes == r.changes && !got.converged)
            #expect(zip(out.forms[i].data, r.h.data).allSatisfy { ($0 - $1).length < 1e-12 })
            let metric = try AlgebraicMetric(basis: basis, h: r.h, degree: k)
            let det = try metric.pullbackDeterminants(points: e.points, jacobians: jac, dimension: n)
            let sg = testSigma(det: det, omega2: e.omegaSquared, weights: e.weights)
            #expect(abs(got.sigma - sg.sigma) < 1e-12, "k = \(k): σ \(got.sigma) vs \(sg.sigma)")
            let x = (0..<ne).map { e.weights[$0] * det[$0] / e.omegaSquared[$0] }
            let (mean, se) = meanAndStandardError(x)
            #expect(abs(got.volK - mean) < 1e-12 * mean && abs(got.volKError - se) < 1e-9 * se)
            #expect(abs(got.volK - 4) < 5 * se, "k = \(k): Vol_K \(got.volK) ± \(se)")
            let ricci = try metric.ricciScalars(points: rz, jacobians: rj, jacobianDerivatives: dj, dimension: n)
            let rm = measure(Array(det.prefix(m)), ricci)
            #expect(abs(got.ricciMeasure! - rm) < 1e-10 * rm, "k = \(k): ‖R‖ \(got.ricciMeasure!) vs \(rm)")
        }
    }

    /// An unequal Kähler class on the bicubic: sections of bidegree (k, 2k) (at k = 1 all 3·6 = 18 monomials: none is
    /// divisible by the bidegree-(3, 3) leading monomial of Q), Vol_K(1, 2) = 54, and the
    /// analytic ‖R‖_FS at t = (1, 2) equal to finite differences of the FS metric at t.
    @Test func unequalKahlerClass() throws {
        let v = Variety.bicubic, m = 15
        let scan = try DonaldsonScan(variety: v, degrees: [1], points: 1200, evalPoints: 300, seed: 2, tolerance: 1e-3,
                                     maxIterations: 2, ricciPoints: m, kahler: [1, 2])
        #expect(scan.bases[0].count == 18)
        let out = try scan.run { _ in }
        #expect(out.summary.kahler == [1, 2] && out.summary.volKExact == 54)
        let e = try PointSampler(variety: v).sample(count: 300, seed: deriveSeed(2, 0xD0A1))
        let det = FubiniStudy.determinants(of: e, kahler: [1, 2])
        let r = RicciMeasure.ricciScalars(e, metric: RicciMeasure.fubiniStudyMetric(variety: v, kahler: [1, 2]), count: m)
        let fd = RicciMeasure.measure(weights: Array(e.weights.prefix(m)), omegaSquared: Array(e.omegaSquared.prefix(m)),
                                      determinants: Array(det.prefix(m)), ricci: r, dimension: 3)
        #expect(abs(out.summary.ricciMeasureFS! - fd) < 1e-6 * fd, "\(out.summary.ricciMeasureFS!) vs \(fd)")
        #expect(abs(out.summary.sigmaFS - testSigma(det: det, omega2: e.omegaSquared, weights: e.weights).sigma) < 1e-10)
    }

    /// Each parameter outside its range is named, with its value and what was expected (and no command-line flag).
    @Test func invalidParametersAreNamed() throws {
        let v = Variety.quarticK3
        func parameter(degrees: [Int] = [1], points: Int? = nil, evalPoints: Int = 200, tolerance: Double = 1e-3, maxIterations: Int = 2,
                       ricciPoints: Int = 0, kahler: [Int]? = nil) -> DonaldsonScan.InvalidParameter? {
            do {
                _ = try DonaldsonScan(variety: v, degrees: degrees, points: points, evalPoints: evalPoints, seed: 0, tolerance: tolerance,
                                      maxIterations: maxIterations, ricciPoints: ricciPoints, kahler: kahler)
                return nil
            } catch let e as DonaldsonScan.InvalidParameter { return e } catch { return nil }
        }
        let cases: [(DonaldsonScan.InvalidParameter?, DonaldsonScan.InvalidParameter.Parameter, String)] = [
            (parameter(degrees: [0, 1]), .degrees, "[0, 1]"), (parameter(degrees: []), .degrees, "[]"),
            (parameter(degrees: [13]), .degrees, "[13]"), (parameter(kahler: [1, 1]), .kahler, "[1, 1]"),
            (parameter(kahler: [0]), .kahler, "[0]"), (parameter(points: 0), .points, "0"),
            (parameter(evalPoints: 99), .evalPoints, "99"), (parameter(tolerance: 0), .tolerance, "0.0"),
            (parameter(tolerance: .infinity), .tolerance, "inf"), (parameter(maxIterations: 0), .maxIterations, "0"),
            (parameter(ricciPoints: -1), .ricciPoints, "-1"),
        ]
        for (e, p, value) in cases {
            #expect(e?.parameter == p && e?.value == value, "\(p): \(String(describing: e))")
            #expect(e.map { !$0.description.contains("--") && $0.description.contains("expected") } == true)
        }
        #expect(parameter() == nil)
        // the Ricci points are clamped to the evaluation sample
        #expect(try DonaldsonScan(variety: v, degrees: [1], points: 10, evalPoints: 150, seed: 0, tolerance: 1, maxIterations: 1,
                                  ricciPoints: 1000).ricciPoints == 150)
    }
}

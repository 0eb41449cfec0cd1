import Foundation
import Numerics
import NumericCore
import TestSupport
import Testing
@testable import CYBridge

/// Pullback Jacobian, Ω, FS metric, σ and the Ricci scalar against independent routes.
@Suite struct GeometryTests {
    /// J against differences of the chart map x ↦ z(x) (LocalChart solves for the dependent coordinates by Newton,
    /// polished to full precision): per entry the central difference cd at h and the fourth-order one cd4 from ±h, ±2h;
    /// |cd − J| must be below Richardson's truncation estimate 2|cd − cd4| plus the round-off of cd, ≈ 4ε·max|z|/h.
    @Test(arguments: [Variety.fermatQuintic, .bicubic, .tianYau])
    func pullbackJacobianMatchesFiniteDifferencesOfTheChart(_ v: Variety) throws {
        let s = try PointSampler(variety: v).sample(count: 20, seed: 3)
        let jac = PullbackJacobian.jacobians(of: s)
        let n = v.dimension, d = v.coordinateCount
        let h = 1e-4
        for i in 0..<s.count {
            let chart = LocalChart(sample: s, index: i)
            let x0 = chart.centerCoordinates
            for a in 0..<n {
                func z(_ e: Double) throws -> [ComplexDouble] {
                    var x = x0
                    x[a] = x[a] + ComplexDouble(e, 0)
                    return try #require(chart.point(at: x))
                }
                let zp = try z(h), zm = try z(-h), zp2 = try z(2 * h), zm2 = try z(-2 * h)
                let scale = (zp + zm + zp2 + zm2).map { $0.length }.max()!
                let roundoff = 4 * Double.ulpOfOne * scale / h
                for j in 0..<d {
                    let cd = (zp[j] - zm[j]) / ComplexDouble(2 * h, 0)
                    let cd4 = (ComplexDouble(8, 0) * (zp[j] - zm[j]) - (zp2[j] - zm2[j])) / ComplexDouble(12 * h, 0)
                    let an = jac[(i * n + a) * d + j]
                    let tol = 2 * (cd - cd4).length + roundoff
                    #expect((cd - an).length < tol, "\(v.name) point \(i) J[\(a),\(j)]: |cd − J| = \((cd - an).length), tolerance \(tol)")
                }
            }
        }
    }

    /// |Ω|²/det g is chart-independent: recompute with another choice of dependent coordinate(s) and compare.
    @Test(arguments: [Variety.quarticK3, .fermatQuintic, .bicubic, .tianYau])
    func omegaOverDetIsChartIndependent(_ v: Variety) throws {
        let s = try PointSampler(variety: v).sample(count: 50, seed: 4)
        let n = v.dimension, f = v.ambient.factorCount, k = v.equationCount
        for i in 0..<s.count {
            let z = s.point(i)
            let patch = Array(s.patch[(i * f)..<((i + 1) * f)])
            let dep = Array(s.dependent[(i * k)..<((i + 1) * k)])
            let t = [Double](repeating: 1, count: f)
            func ratio(_ dependent: [Int]) -> Double {
                let (jac, detB) = PullbackJacobian.jacobian(variety: v, point: z, patch: patch, dependent: dependent)
                var g = RicciMeasure.fubiniStudyMetric(variety: v, kahler: t)(z, jac)
                let det = g.withUnsafeMutableBufferPointer { SmallComplexLinearAlgebra.determinant($0.baseAddress!, n) }.real
                return HolomorphicVolumeForm.squaredNorm(detB: detB) / det
            }
            let r0 = ratio(dep)
            #expect(abs(r0 - s.omegaSquared[i] / s.detFubiniStudy[i]) < 1e-10 * r0)
            // alternative: replace the first dependent coordinate by another admissible one
            let others = (0..<v.coordinateCount).filter { !patch.contains($0) && !dep.contains($0) }
            for alt in others {
                var d2 = dep; d2[0] = alt
                let (_, detB) = PullbackJacobian.jacobian(variety: v, point: z, patch: patch, dependent: d2)
                if detB.length < 1e-3 { continue }   // ill-conditioned choice
                let r1 = ratio(d2)
                #expect(abs(r1 - r0) < 1e-8 * r0, "\(v.name) point \(i): \(r0) vs \(r1)")
            }
        }
    }

    @Test func fubiniStudyPullbackAgreesWithTheAmbientFormula() throws {
        let v = Variety.bicubic
        let s = try PointSampler(variety: v).sample(count: 10, seed: 8)
        let t = [0.7, 1.9]
        let g = FubiniStudy.pullbackMetrics(of: s, kahler: t)
        let jac = PullbackJacobian.jacobians(of: s)
        let n = v.dimension, d = v.coordinateCount
        for i in 0..<s.count {
            let amb = FubiniStudy.ambientMetric(point: s.point(i), ambient: v.ambient, kahler: t)
            for a in 0..<n { for b in 0..<n {
                var acc = ComplexDouble.zero
                for p in 0..<d { for q in 0..<d { acc = acc + jac[(i * n + a) * d + p] * amb[p * d + q] * jac[(i * n + b) * d + q].conjugate } }
                #expect((acc - g[(i * n + a) * n + b]).length < 1e-12 * max(1, acc.length))
            } }
        }
        // FS on P¹ has ∫J = t: ∫_C (t/π) d²x/(1+|x|²)² — the metric at x is (t/π)/(1+|x|²)²
        let p1 = FubiniStudy.ambientMetric(point: [ComplexDouble(1, 0), ComplexDouble(0.3, 0.4)], ambient: try ProjectiveAmbient([1]), kahler: [2])
        // tangent direction (0,1) in the patch z0 = 1: g_11̄ = (t/π)/(1+|x|²)²
        #expect(abs(p1[3].real - 2 / Double.pi / pow(1.25, 2)) < 1e-14)
    }

    /// Cubic torus: the flat metric g = κ|Ω|² (n = 1) is the Ricci-flat metric — its Ricci scalar by finite differences
    /// of log|Ω|² (Ω holomorphic) vanishes to the truncation level of the stencil (1e-6 of FS's, the bound the same stencil
    /// meets against the analytic FS curvature in RicciCrossCheckTests); FS has σ > 10 jackknife errors and
    /// ∫R dVol = 0 (χ = 0, within MC error).
    @Test func cubicTorusFlatMetricHasZeroSigmaAndZeroCurvature() throws {
        let v = Variety.cubicTorus
        let s = try PointSampler(variety: v).sample(count: 4000, seed: 12)
        let kappa = s.kappa(kahler: [1])
        // σ_FS from SigmaMeasure against the definition written out here (Vol_CY = mean w, Vol_K = mean w·det/|Ω|²,
        // σ = mean_w|1 − det/|Ω|²·Vol_CY/Vol_K|), and clearly nonzero: more than 10 of its jackknife errors
        let w = s.weights, o = s.omegaSquared, det = s.detFubiniStudy, count = Double(s.count)
        let volCY = w.reduce(0, +) / count
        let volK = (0..<s.count).reduce(0.0) { $0 + w[$1] * det[$1] / o[$1] } / count
        let direct = (0..<s.count).reduce(0.0) { $0 + w[$1] * abs(1 - det[$1] / o[$1] * volCY / volK) } / (count * volCY)
        let sigmaFS = SigmaMeasure.fubiniStudy(s)
        #expect(abs(sigmaFS - direct) < 1e-12, "σ_FS \(sigmaFS) vs \(direct)")
        let errFS = SigmaMeasure.jackknifeError(weights: w, omegaSquared: o, determinants: det)
        #expect(sigmaFS > 10 * errFS, "σ_FS = \(sigmaFS) ± \(errFS)")
        // Vol_K of FS at t = 2 (det from FubiniStudy.determinants, not the sampler's) is the intersection number
        // ∫_X J = deg·t = 3·2 = 6: the weights are normalised at t = 1 and det g_FS(t) = t·det g_FS(1) for n = 1,
        // so the Monte Carlo estimate is exact up to rounding
        #expect(v.kahlerVolume([2]) == 6)
        #expect(abs(s.kahlerVolume(determinants: FubiniStudy.determinants(of: s, kahler: [2])) - 6) < 1e-12 * 6)
        // Ricci of the flat metric by finite differences: g(z, J) = κ|Ω|² with Ω from the chart's dependent coordinate
        let flatMetric: RicciMeasure.MetricFunction = { z, jac in
            // |Ω|² = 1/|∂Q/∂z_dep|² in the chart; dependent = the coordinate with J[0, dep] ≠ 0, ≠ 1
            let q = v.equations[0]
            let grad = q.gradient(at: z)
            var dep = 0
            for j in 0..<3 where jac[j] != .zero && jac[j] != ComplexDouble(1, 0) { dep = j }
            return [ComplexDouble(kappa / grad[dep].lengthSquared, 0)]
        }
        // finite differences leave an O(h²) truncation error: require max|R_flat| ≪ the typical |R_FS| at the same
        // points and step (the FS curvature is O(1) here)
        let fsMetric = RicciMeasure.fubiniStudyMetric(variety: v, kahler: [1])
        var flatR: [Double] = [], fsR: [Double] = []
        for i in 0..<20 {
            let chart = LocalChart(sample: s, index: i)
            flatR.append(abs(try #require(RicciMeasure.ricciScalar(chart, metric: flatMetric))))
            fsR.append(abs(try #require(RicciMeasure.ricciScalar(chart, metric: fsMetric))))
        }
        let typical = fsR.sorted()[fsR.count / 2]
        #expect(typical > 0.1)
        #expect(flatR.max()! < 1e-6 * typical, "flat |R| up to \(flatR.max()!), FS median |R| \(typical)")
        // FS: R ≠ 0 pointwise, but ∫ R dVol_FS = 0 on a torus
        let m = 1200
        let fs = RicciMeasure.fubiniStudyMetric(variety: v, kahler: [1])
        let r = RicciMeasure.ricciScalars(s, metric: fs, count: m)
        let terms = (0..<m).map { s.weights[$0] * s.detFubiniStudy[$0] / s.omegaSquared[$0] * r[$0] }
        let mean = terms.reduce(0, +) / Double(m), se = IntegrationWeights.batchMeansError(terms)
        let absMean = (0..<m).map { s.weights[$0] * s.detFubiniStudy[$0] / s.omegaSquared[$0] * abs(r[$0]) }.reduce(0, +) / Double(m)
        #expect(absMean > 0.1)
        #expect(abs(mean) < 4 * se, "∫R dVol = \(mean) ± \(se)")
        // R scales as 1/t under g → t g
        let fs2 = RicciMeasure.fubiniStudyMetric(variety: v, kahler: [2.5])
        let r2 = try #require(RicciMeasure.ricciScalar(LocalChart(sample: s, index: 0), metric: fs2))
        #expect(abs(r2 * 2.5 - r[0]) < 1e-5 * abs(r[0]))
    }

    /// σ of FS on the Fermat quintic against an independent sample: cymetric's own 100 000-point quintic dataset, on
    /// which its `sigma_measure` gives 0.371931 and our `cy sigma` 0.3719309 (BENCHMARKS.md, the σ row of the `cy sigma`
    /// vs cymetric table), jackknife error ± 0.0007 (docs/cy-neural.md §6, "Reading them back"). Tolerance: 4 combined standard errors,
    /// 4·√(δ² + 0.0007²), δ our jackknife error on 20 000 points (two estimates of one integral on different points).
    @Test func fubiniStudySigmaOnTheFermatQuintic() throws {
        let s = try PointSampler(variety: .fermatQuintic).sample(count: 20000, seed: 13)
        let det = s.detFubiniStudy
        let sigma = SigmaMeasure.sigma(s, determinants: det)
        let err = SigmaMeasure.jackknifeError(weights: s.weights, omegaSquared: s.omegaSquared, determinants: det)
        let ref = 0.371931, refErr = 0.0007
        #expect(abs(sigma - ref) < 4 * (err * err + refErr * refErr).squareRoot(), "σ_FS = \(sigma) ± \(err) vs cymetric's \(ref) ± \(refErr)")
        // σ is invariant under g → c g
        #expect(abs(SigmaMeasure.sigma(s, determinants: det.map { 7 * $0 }) - sigma) < 1e-12)
    }
}

/// The finite-difference Ricci scalar of FS (`RicciMeasure`) against the analytic one of the algebraic metric with
/// k = 1, h = I (K = log Σ|z|²/π = FS; `AlgebraicMetric.ricciScalars`) — two independent routes.
@Suite struct RicciCrossCheckTests {
    @Test func finiteDifferenceRicciOfFubiniStudyMatchesTheAnalyticAlgebraicMetric() throws {
        let v = Variety.dworkQuintic(psi: ComplexDouble(0.3, 0.1))
        let s = try PointSampler(variety: v).sample(count: 30, seed: 21)
        let basis = try SectionBasis(degree: 1, variables: 5, polynomialExponents: (0..<v.equations[0].monomialCount).map { v.equations[0].exponents(ofMonomial: $0) })
        var h = ComplexMatrix(rows: 5, cols: 5)
        for i in 0..<5 { h[i, i] = ComplexDouble(1, 0) }
        let metric = try AlgebraicMetric(basis: basis, h: h, degree: 1)
        let jac = PullbackJacobian.jacobians(of: s)
        let dj = AlgebraicMetric.jacobianDerivatives(variety: v, points: s.points, jacobians: jac, dependent: s.dependent)
        let analytic = try metric.ricciScalars(points: s.points, jacobians: jac, jacobianDerivatives: dj, dimension: 3)
        let fd = RicciMeasure.ricciScalars(s, metric: RicciMeasure.fubiniStudyMetric(variety: v, kahler: [1]))
        let scale = analytic.map(abs).reduce(0, +) / Double(s.count)
        #expect(scale > 1)
        for i in 0..<s.count {
            #expect(abs(fd[i] - analytic[i]) < 1e-6 * scale, "point \(i): FD \(fd[i]) vs analytic \(analytic[i])")
        }
    }
}

/// Transition and Kähler measures of chart-wise metric models.
@Suite struct ModelMeasureTests {
    @Test(arguments: [Variety.fermatQuintic, .bicubic, .tianYau])
    func fubiniStudyIsGlobalAndKahler(_ v: Variety) throws {
        let s = try PointSampler(variety: v).sample(count: 20, seed: 31)
        let t = [Double](repeating: 1.3, count: v.ambient.factorCount)
        let fs = TransitionMeasure.fubiniStudy(variety: v, kahler: t)
        let typical = s.detFubiniStudy.reduce(0, +) / Double(s.count)   // ~ g³
        #expect(TransitionMeasure.measure(s, metric: fs) < 1e-24 * pow(typical, 2.0 / 3))
        // Kähler: the antisymmetric part of ∂_c g_ab̄ is pure finite-difference truncation error — small relative to
        // ∂g, and falling like h⁴ (squared norm of an O(h²) error) when the step halves, down to the rounding floor
        for i in 0..<s.count {
            let chart = LocalChart(sample: s, index: i)
            let h = 1e-4 * max(1, chart.centerCoordinates.map { $0.length }.max()!)
            let dg = try #require(KahlerMeasure.derivatives(chart, metric: fs, step: h))
            let scale = dg.reduce(0) { $0 + $1.lengthSquared }
            let t1 = try #require(KahlerMeasure.torsion(chart, metric: fs, step: h)).reduce(0) { $0 + $1.lengthSquared }
            let t2 = try #require(KahlerMeasure.torsion(chart, metric: fs, step: h / 2)).reduce(0) { $0 + $1.lengthSquared }
            #expect(t1 < 1e-8 * scale, "\(v.name) point \(i): \(t1 / scale)")
            #expect(t2 < t1 / 10 || t1 < 1e-18 * scale, "\(v.name) point \(i): \(t1 / scale) → \(t2 / scale)")
        }
    }

    /// A model that is the identity matrix in every chart is not a global tensor (L_transition > 0); T composed with
    /// the inverse transition is the identity.
    @Test func chartwiseIdentityFailsTheTransitionCheck() throws {
        let v = Variety.fermatQuintic
        let s = try PointSampler(variety: v).sample(count: 10, seed: 32)
        let identity: ChartMetric = { _, _, _ in [ComplexDouble(1, 0), .zero, .zero, .zero, ComplexDouble(1, 0), .zero, .zero, .zero, ComplexDouble(1, 0)] }
        #expect(TransitionMeasure.measure(s, metric: identity) > 0.01)
        for i in 0..<s.count {
            let z = s.point(i), patch = [s.patch[i]], dep = [s.dependent[i]]
            let alt = TransitionMeasure.alternativePatches(variety: v, point: z, patch: patch, dependent: dep)
            #expect(alt.count == 3)   // 5 coordinates − patch − dependent
            let np = alt[0]
            var z2 = z
            for j in 0..<5 { z2[j] = z[j] / z[np[0]] }
            z2[np[0]] = ComplexDouble(1, 0)
            let t = TransitionMeasure.transitionMatrix(variety: v, point: z, patch: patch, dependent: dep, newPatch: np)
            let tBack = TransitionMeasure.transitionMatrix(variety: v, point: z2, patch: np, dependent: dep, newPatch: patch)
            for a in 0..<3 { for b in 0..<3 {
                var acc = ComplexDouble.zero
                for c in 0..<3 { acc = acc + t[a * 3 + c] * tBack[c * 3 + b] }
                #expect((acc - ComplexDouble(a == b ? 1 : 0, 0)).length < 1e-10)
            } }
        }
    }

    /// g = diag(1 + |x₂|², 1, 1) in every chart: c_{11̄2} = x̄₂, all other c vanish, so Σ|c_{ab̄c} − c_{cb̄a}|² = 2|x₂|².
    @Test func nonKahlerModelHasTheAnalyticTorsion() throws {
        let v = Variety.fermatQuintic
        let s = try PointSampler(variety: v).sample(count: 10, seed: 33)
        let model: ChartMetric = { z, patch, dep in
            let good = Patch.goodCoordinates(coordinates: 5, patch: patch, dependent: dep)
            return [ComplexDouble(1 + z[good[1]].lengthSquared, 0), .zero, .zero, .zero, ComplexDouble(1, 0), .zero, .zero, .zero, ComplexDouble(1, 0)]
        }
        for i in 0..<s.count {
            let chart = LocalChart(sample: s, index: i)
            let tor = try #require(KahlerMeasure.torsion(chart, metric: model))
            let l = tor.reduce(0) { $0 + $1.lengthSquared }
            let x2 = chart.centerCoordinates[1]
            #expect(abs(l - 2 * x2.lengthSquared) < 1e-7 * max(1, l), "\(l) vs \(2 * x2.lengthSquared)")
        }
    }
}

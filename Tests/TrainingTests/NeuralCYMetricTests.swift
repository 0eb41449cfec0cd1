import CYBridge
import Foundation
import Networks
import NumericCore
import Numerics
import Testing
import TestSupport
@testable import Training

/// The φ-model g = g_FS + ∂∂̄φ on the Fermat quintic against independent routes: the Fubini–Study determinant for
/// φ = 0, the complex Hessian by finite differences of the network in its inputs, and the Monge–Ampère loss's
/// parameter gradient by finite differences in θ.
@Suite struct NeuralCYMetricTests {
    static let quintic = Variety.fermatQuintic

    static func sample(_ count: Int, seed: UInt64 = 7) throws -> CYTrainingSample {
        let s = try PointSampler(variety: quintic).sample(count: count, seed: seed)
        return try CYTrainingSample(sample: s, kahler: [1])
    }

    static func metric(_ spec: String = "Dense(16, b_std=0, parameterization=standard) Gelu Dense(16, b_std=0, parameterization=standard) Tanh Dense(1, W_std=0.05, parameterization=standard)", seed: UInt64 = 3) throws -> NeuralCYMetric {
        try NeuralCYMetric(variety: quintic, kahler: [1], architecture: try NetworkSpec.parse(spec, defaultParameterization: .standard), seed: seed)
    }

    /// φ = 0 (a zero readout): det g is det g_FS,pb of CYBridge's own route, to round-off.
    @Test func zeroPotentialIsFubiniStudy() throws {
        let s = try Self.sample(200)
        var m = try Self.metric()
        let layout = m.network.layout
        var theta = m.network.parameters
        let last = layout.slices.last { $0.hasWeight }!
        for k in last.weightOffset..<(last.weightOffset + last.fanIn * last.fanOut) { theta[k] = 0 }
        m.network.parameters = theta
        let det = m.determinants(s)
        let fs = s.sample.fubiniStudyDeterminants(kahler: [1])
        for i in 0..<s.count { #expect(abs(det[i] - fs[i]) <= 1e-12 * fs[i], "point \(i): \(det[i]) vs \(fs[i])") }
    }

    /// ∂_i∂̄_j φ from the network's second-order input jet against central second differences of φ(x, y) in the real
    /// inputs at steps h = 2e-3 and h/2: the tolerance is twice Richardson's estimate |F(h) − F(h/2)|/3 of the h/2
    /// difference's O(h²) truncation, plus its round-off 4ε·max|φ|/(h/2)², per entry.
    @Test func complexHessianMatchesFiniteDifferences() throws {
        let s = try Self.sample(4)
        let m = try Self.metric()
        let D = 5, R = 10, P = s.count
        let ix = JetIndexSet(dimension: R, order: 2)
        let x = CYNetworkInputs.coordinates.jet(s.sample.points[...], count: P, ambient: Self.quintic.ambient, order: 0).block(0)
        let jet = m.network.forward(inputJet: TaylorJet(inputs: x, order: 2).data, indexSet: ix, points: P, keepTape: false).output
        let blocks = NeuralCYMetric.hessianBlocks(ix)
        let h = 2e-3
        func phi(_ x: [Double]) -> Double { m.network.outputs(Matrix(rows: 1, cols: R, data: x)).data[0] }
        for p in 0..<P {
            var a = [ComplexDouble](repeating: .zero, count: D * D)
            jet.withUnsafeBufferPointer { jb in blocks.withUnsafeBufferPointer { bb in a.withUnsafeMutableBufferPointer { ab in
                NeuralCYMetric.complexHessian(jb.baseAddress!, point: p, points: P, coordinates: D, blocks: bb.baseAddress!, into: ab.baseAddress!)
            } } }
            let x0 = Array(x.data[(p * R)..<((p + 1) * R)])
            func second(_ u: Int, _ v: Int, _ h: Double) -> Double {
                var pp = x0, pm = x0, mp = x0, mm = x0
                pp[u] += h; pp[v] += h; pm[u] += h; pm[v] -= h; mp[u] -= h; mp[v] += h; mm[u] -= h; mm[v] -= h
                return (phi(pp) - phi(pm) - phi(mp) + phi(mm)) / (4 * h * h)
            }
            var scale = 0.0
            for e in a { scale = max(scale, e.length) }
            let roundoff = 4 * 2.2e-16 * abs(phi(x0)) / (h * h / 4)
            for i in 0..<D { for j in 0..<D {
                let f = { (h: Double) -> (Double, Double) in
                    (0.25 * (second(i, j, h) + second(D + i, D + j, h)), 0.25 * (second(i, D + j, h) - second(D + i, j, h)))
                }
                let (re, im) = f(h / 2), (re2, im2) = f(h)
                let tolRe = 2 * abs(re2 - re) / 3 + roundoff, tolIm = 2 * abs(im2 - im) / 3 + roundoff
                #expect(abs(a[i * D + j].real - re) <= tolRe && abs(a[i * D + j].imaginary - im) <= tolIm,
                        "point \(p) (\(i), \(j)): \(a[i * D + j]) vs (\(re), \(im)), tolerances \(tolRe), \(tolIm)")
            } }
            // Hermitian.
            for i in 0..<D { for j in 0..<D { #expect((a[i * D + j] - a[j * D + i].conjugate).length <= 1e-14 * scale) } }
        }
    }

    /// ∂L_MA/∂θ (jet adjoint) against central differences of L_MA along three random directions, power 2 (smooth),
    /// unweighted and with the integration weights w/mean(w): tolerance twice the gap between the second- and
    /// fourth-order differences plus the round-off B·ε·|L|/s. The weighted loss is the weighted mean of the unweighted
    /// terms (to round-off), and weights all 1 give the unweighted loss bit for bit.
    @Test(arguments: [false, true]) func mongeAmpereGradientMatchesFiniteDifferences(weighted: Bool) throws {
        let s = try Self.sample(64)
        let m = try Self.metric()
        let idx = Array(0..<s.count)
        let w = s.sample.weights, meanW = w.reduce(0, +) / Double(w.count)
        let lw: [Double]? = weighted ? w.map { $0 / meanW } : nil
        let e0 = m.evaluate(s, indices: idx, power: 2, lossWeights: lw, wantGradient: true)
        if weighted {
            let det = e0.determinants
            let direct = (0..<s.count).reduce(0.0) { $0 + lw![$1] * pow(det[$1] / (s.kappa * s.sample.omegaSquared[$1]) - 1, 2) } / Double(s.count)
            #expect(abs(e0.mongeAmpere - direct) <= 1e-14 * direct)
        } else {
            let ones = m.evaluate(s, indices: idx, power: 2, lossWeights: [Double](repeating: 1, count: s.count), wantGradient: true)
            #expect(ones.mongeAmpere == e0.mongeAmpere && ones.gradient == e0.gradient)
        }
        #expect(e0.nonPositive == 0)
        let g = try #require(e0.gradient)
        let checks = directionalDerivativeChecks(theta: m.network.parameters, gradient: g, seed: 5, step: 1e-4,
                                                 roundoff: Double(s.count) * 2.2e-16 * abs(e0.mongeAmpere)) { theta in
            var mm = m
            mm.network.parameters = theta
            return mm.evaluate(s, indices: idx, power: 2, lossWeights: lw, wantGradient: false).mongeAmpere
        }
        for c in checks { #expect(abs(c.analytic - c.difference) <= c.tolerance, "dL: \(c.analytic) vs \(c.difference) (tolerance \(c.tolerance))") }
    }

    /// The bihomogeneous features' jet in x against central differences of the features themselves (first order:
    /// step 1e-5; second order: mixed 4-point stencil, step 1e-4), on the quintic (one factor) and the bicubic (two
    /// factors). Tolerances by Richardson: both stencils err by c·h² + O(h⁴), so the same stencil at step 2h differs
    /// by ≈ 3c·h² — |fd(h) − fd(2h)| bounds the truncation error with a factor 3 to spare — plus round-off: the
    /// features are computed to ~10ε·|f| (|f| the largest value the stencil uses), amplified by 1/h (first order) and
    /// 4/(4h²) (mixed second order).
    @Test(arguments: [Variety.fermatQuintic, Variety.bicubic]) func bihomogeneousJetMatchesFiniteDifferences(variety: Variety) throws {
        let s = try PointSampler(variety: variety).sample(count: 3, seed: 2)
        let D = variety.coordinateCount, R = 2 * D, W = CYNetworkInputs.bihomogeneous.width(variety.ambient)
        let jet = CYNetworkInputs.bihomogeneous.jet(s.points[...], count: 3, ambient: variety.ambient, order: 2)
        #expect(jet.width == W && W == variety.ambient.dimensions.reduce(0) { $0 + ($1 + 1) * ($1 + 1) })
        func features(_ x: [Double]) -> [Double] {
            let z = (0..<D).map { ComplexDouble(x[$0], x[D + $0]) }
            return CYNetworkInputs.bihomogeneous.jet(z[...], count: 1, ambient: variety.ambient, order: 0).data
        }
        for p in 0..<3 {
            let x0 = (0..<R).map { $0 < D ? s.points[p * D + $0].real : s.points[p * D + $0 - D].imaginary }
            let f0 = features(x0)
            for f in 0..<W { #expect(abs(jet[[], point: p, unit: f] - f0[f]) <= 1e-15) }
            for u in 0..<R {
                let h = 1e-5
                func along(_ a: Double) -> [Double] { var x = x0; x[u] += a; return features(x) }
                let fp = along(h), fm = along(-h), fp2 = along(2 * h), fm2 = along(-2 * h)
                for f in 0..<W {
                    let fd = (fp[f] - fm[f]) / (2 * h), fd2 = (fp2[f] - fm2[f]) / (4 * h)
                    let size = max(abs(fp[f]), abs(fm[f]), abs(fp2[f]), abs(fm2[f]))
                    let tol = abs(fd - fd2) + 10 * Double.ulpOfOne * size / h
                    #expect(abs(jet[[u], point: p, unit: f] - fd) <= tol, "∂\(u) feature \(f): \(jet[[u], point: p, unit: f]) vs \(fd), tol \(tol)")
                }
                for v in u..<R {
                    let h2 = 1e-4
                    func at(_ a: Double, _ b: Double) -> [Double] { var x = x0; x[u] += a; x[v] += b; return features(x) }
                    let pp = at(h2, h2), pm = at(h2, -h2), mp = at(-h2, h2), mm = at(-h2, -h2)
                    let pp2 = at(2 * h2, 2 * h2), pm2 = at(2 * h2, -2 * h2), mp2 = at(-2 * h2, 2 * h2), mm2 = at(-2 * h2, -2 * h2)
                    for f in 0..<W {
                        let fd = (pp[f] - pm[f] - mp[f] + mm[f]) / (4 * h2 * h2)
                        let fd2 = (pp2[f] - pm2[f] - mp2[f] + mm2[f]) / (16 * h2 * h2)
                        let size = [pp, pm, mp, mm, pp2, pm2, mp2, mm2].map { abs($0[f]) }.max()!
                        let tol = abs(fd - fd2) + 10 * Double.ulpOfOne * size / (h2 * h2)
                        #expect(abs(jet[[u, v], point: p, unit: f] - fd) <= tol, "∂\(u)∂\(v) feature \(f): \(jet[[u, v], point: p, unit: f]) vs \(fd), tol \(tol)")
                    }
                }
            }
        }
    }

    /// With bihomogeneous inputs φ is one function on X: its value at a point rescaled into any other patch is the
    /// same to round-off (transition loss measured 4e-18), the metric transforms between charts as a tensor
    /// (CYBridge's transition measure 5e-30), and the model stays in the Kähler class: Vol_K(g) = mean(w det g/|Ω|²)
    /// equals the intersection volume within 4 standard errors of the paired Monte Carlo estimate of
    /// ∫(det g − det g_FS)/|Ω|² (measured −0.016 ± 0.015 against Vol_K = 5). The same network on cymetric's
    /// coordinates fails all three (measured: transition loss 0.12, measure 6.6e3, ΔVol_K = −1.14 ± 0.02, 51 standard
    /// errors): the check tells the two apart.
    @Test func bihomogeneousModelIsGlobal() throws {
        let s = try Self.sample(2000)
        let spec = "Dense(32, b_std=0, parameterization=standard) Gelu Dense(32, b_std=0, parameterization=standard) Gelu Dense(1, W_std=0.3, parameterization=standard)"
        let m = try NeuralCYMetric(variety: Self.quintic, kahler: [1], inputs: .bihomogeneous,
                                   architecture: try NetworkSpec.parse(spec, defaultParameterization: .standard), seed: 4)
        let idx = Array(0..<200)
        let t = m.transitionLoss(s, indices: idx, values: m.potential(s, indices: idx), power: 1, wantGradient: false)
        #expect(t.loss <= 1e-14, "transition loss \(t.loss)")
        #expect(TransitionMeasure.measure(s.sample, metric: m.chartMetric, count: 50) <= 1e-20)
        let det = m.determinants(s), fs = s.sample.fubiniStudyDeterminants(kahler: [1])
        let w = s.sample.weights, o = s.sample.omegaSquared, N = Double(s.count)
        let diff = (0..<s.count).map { w[$0] * (det[$0] - fs[$0]) / o[$0] }
        let mean = diff.reduce(0, +) / N
        let se = (diff.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (N - 1) / N).squareRoot()
        let fsVolume = (0..<s.count).reduce(0.0) { $0 + w[$1] * fs[$1] / o[$1] } / N
        #expect(abs(mean) <= 4 * se, "ΔVol_K = \(mean) ± \(se) (Vol_K = \(fsVolume))")
        #expect(se >= 1e-3 * fsVolume, "the network must move det g for the check to mean anything: se \(se)")
        // The same network on cymetric's coordinates: not one function on X, not in the class.
        let c = try NeuralCYMetric(variety: Self.quintic, kahler: [1], inputs: .coordinates,
                                   architecture: try NetworkSpec.parse(spec, defaultParameterization: .standard), seed: 4)
        #expect(c.transitionLoss(s, indices: idx, values: c.potential(s, indices: idx), power: 1, wantGradient: false).loss > 1e-2)
        let detC = c.determinants(s)
        let diffC = (0..<s.count).map { w[$0] * (detC[$0] - fs[$0]) / o[$0] }
        let meanC = diffC.reduce(0, +) / N
        let seC = (diffC.reduce(0) { $0 + ($1 - meanC) * ($1 - meanC) } / (N - 1) / N).squareRoot()
        #expect(abs(meanC) > 10 * seC, "coordinates: ΔVol_K = \(meanC) ± \(seC)")
    }

    /// An algebraic reference metric g_alg = ∂∂̄ log(sᵀhs̄)/(2π) (the k = 2 monomials, a random positive-definite h):
    /// with φ = 0 the batch route's det g is CYBridge's `pullbackDeterminants` of the algebraic metric (to round-off),
    /// and with φ ≠ 0 the single-point route (`metric(at:)`, ambient algebraic metric + ∂∂̄φ pulled back) equals
    /// the batch route (pulled-back algebraic metric + J∂∂̄φJ†) entry by entry.
    @Test func algebraicReferenceMetric() throws {
        let raw = try PointSampler(variety: Self.quintic).sample(count: 50, seed: 9)
        let exps = SectionBasis.monomials(variables: 5, degree: 2)
        let basis = try SectionBasis(exponents: exps, factorSizes: [5])
        let N = exps.count
        var rng = RandomStream(seed: 3, stream: 0)
        var a = ComplexMatrix(rows: N, cols: N)
        for k in 0..<(N * N) { a.data[k] = ComplexDouble(rng.normal(), rng.normal()) }
        var h = ComplexMatrix(rows: N, cols: N)
        for i in 0..<N { for j in 0..<N {
            var sum = ComplexDouble(i == j ? Double(N) : 0, 0)
            for k in 0..<N { sum = sum + a.data[i * N + k] * a.data[j * N + k].conjugate }
            h.data[i * N + j] = sum
        } }
        let alg = try AlgebraicMetric(basis: basis, h: h, degree: 2)
        let s = try CYTrainingSample(sample: raw, kahler: [1], reference: alg)
        var m = try NeuralCYMetric(variety: Self.quintic, kahler: [1], reference: alg,
                                   architecture: try NetworkSpec.parse("Dense(16, b_std=0, parameterization=standard) Gelu Dense(1, W_std=0.05, parameterization=standard)", defaultParameterization: .standard), seed: 2)
        let theta = m.network.parameters
        var zero = theta
        let last = m.network.layout.slices.last { $0.hasWeight }!
        for k in last.weightOffset..<(last.weightOffset + last.fanIn * last.fanOut) { zero[k] = 0 }
        m.network.parameters = zero
        let det0 = m.determinants(s)
        let ref = try alg.pullbackDeterminants(points: raw.points, jacobians: s.jacobians, dimension: 3)
        for i in 0..<s.count { #expect(abs(det0[i] - ref[i]) <= 1e-12 * ref[i], "point \(i): \(det0[i]) vs \(ref[i])") }
        m.network.parameters = theta
        let det = m.determinants(s)
        for i in 0..<10 {
            let J = Array(s.jacobians[(i * 15)..<((i + 1) * 15)])
            let g = m.metric(at: raw.point(i), jacobian: J)
            var gg = g
            let d = gg.withUnsafeMutableBufferPointer { SmallComplexLinearAlgebra.determinant($0.baseAddress!, 3) }.real
            #expect(abs(d - det[i]) <= 1e-11 * det[i], "point \(i): single-point det \(d) vs batch \(det[i])")
        }
    }
}

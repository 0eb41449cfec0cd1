import Foundation
import Testing
@testable import Ensembles
@testable import Networks
@testable import NumericCore
import TestSupport

@Suite struct ExactCorrelatorTests {
    static let points1D = Matrix(rows: 3, cols: 1, data: [-0.6, 0.2, 1.0])

    static func ensemble(_ a: SingleLayerNetKind, width: Int = 5, d: Int = 1, sb: Double = 1) -> SingleLayerEnsemble {
        SingleLayerEnsemble(activation: a, width: width, inputDimension: d, sigmaW: 1, sigmaB: sb)
    }

    /// Neuron moments (Gauss–Hermite for Erf, sphere averages for ReLU, closed form for Gauss) against
    /// the closed-form GP kernels: two independent routes to K(x, y).
    @Test(arguments: SingleLayerNetKind.allCases) func twoPointMomentsMatchClosedFormKernels(a: SingleLayerNetKind) throws {
        for (d, sb) in [(1, 1.0), (1, 0.0), (2, 0.0), (2, 0.7), (3, 0.0), (3, 1.0)] {
            if a == .relu && d + (sb > 0 ? 1 : 0) > 3 { continue }
            let e = Self.ensemble(a, d: d, sb: sb)
            var rng = RandomStream(seed: 5, stream: UInt64(d))
            let pts = rng.uniformMatrix(3, d, -1.2, 1.2)
            let exact = try e.exactCorrelators(points: pts)
            for i in 0..<3 {
                for j in i..<3 {
                    let k = e.gpKernel(pts.row(i), pts.row(j))
                    // G⁽²⁾ is exactly N-independent.
                    // Erf at rank 4 (d_in = 3 with bias) uses 28 Gauss–Hermite nodes per axis: ~10⁻⁷ (see below).
                    let tol = a == .erf && d == 3 && sb > 0 ? 1e-6 : 1e-10
                    #expect(abs(exact.correlator([i, j]) - k) < tol * max(1, abs(k)), "\(a) d=\(d) σ_b=\(sb) (\(i),\(j))")
                }
            }
        }
    }

    /// N → ∞: the exact 4- and 6-point functions tend to Wick contractions of the closed-form kernel.
    @Test(arguments: SingleLayerNetKind.allCases) func largeWidthLimitIsGaussian(a: SingleLayerNetKind) throws {
        let pts = Self.points1D
        let e = Self.ensemble(a, width: 1)
        let exact = try e.exactCorrelators(points: pts)
        func at(_ n: Double) -> ExactCorrelators {
            ExactCorrelators(width: n, outputWeightVariance: exact.outputWeightVariance,
                             outputBiasVariance: exact.outputBiasVariance, moment: exact.moment)
        }
        let K: (Int, Int) -> Double = { e.gpKernel(pts.row($0), pts.row($1)) }
        for idx in [[0, 0, 1, 2], [0, 1, 1, 2], [2, 2, 2, 2], [0, 0, 1, 1, 2, 2], [0, 1, 2, 2, 2, 2]] {
            let gp = Wick.gaussianCorrelator(idx, kernel: K)
            // G⁽ⁿ⁾(N) is a polynomial of degree ≤ 2 in h = 1/N (n ≤ 6), so extrapolation from
            // h, h/2, h/4 is exact: G(∞) = G(N)/3 − 2G(2N) + 8G(4N)/3.
            let n0 = 50.0
            let limit = at(n0).correlator(idx) / 3 - 2 * at(2 * n0).correlator(idx) + 8 * at(4 * n0).correlator(idx) / 3
            #expect(abs(limit / gp - 1) < 1e-10, "\(a) \(idx)")
            // and at finite N the deviation is visible
            #expect(abs(exact.correlator(idx) / gp - 1) > 1e-3, "\(a) \(idx) at N = 1")
        }
    }

    /// ReLU-net, d_in = 1, σ_b = 0, equal positive inputs: G⁽⁴⁾/G⁽⁴⁾_GP = 1 + 5/N
    /// (E[relu(z)⁴] = 3/2, E[relu(z)²] = 1/2), and G⁽⁶⁾/G⁽⁶⁾_GP = 1 + 30/N + 44/N²... derived below by hand:
    /// G⁶ = N E[W⁶]μ₆ + 15 N(N−1)E[W⁴]E[W²]μ₄μ₂ + 15 N(N−1)(N−2) E[W²]³ μ₂³ with μ_{2j} = (2j−1)!!/2.
    @Test func reluClosedFormRatios() throws {
        for N in [1, 2, 3, 7, 50] {
            let e = Self.ensemble(.relu, width: N, sb: 0)
            let pts = Matrix(rows: 1, cols: 1, data: [0.8])
            let exact = try e.exactCorrelators(points: pts)
            let k = e.gpKernel([0.8], [0.8])
            let n = Double(N)
            #expect(abs(exact.correlator([0, 0, 0, 0]) / (3 * k * k) - (1 + 5 / n)) < 1e-12)
            let mu2 = 0.5, mu4 = 1.5, mu6 = 7.5
            let g6 = (n * 15 / (n * n * n) * mu6 + 15 * n * (n - 1) * 3 / (n * n * n) * mu4 * mu2
                      + 15 * n * (n - 1) * (n - 2) / (n * n * n) * mu2 * mu2 * mu2)
            let gp6 = 15 * mu2 * mu2 * mu2
            #expect(abs(exact.correlator([0, 0, 0, 0, 0, 0]) / (15 * k * k * k) - g6 / gp6) < 1e-12)
        }
    }

    /// Erf-net at rank 4: the Gauss–Hermite error against the closed-form kernel shrinks as the degree grows
    /// (28 → 36 nodes per axis), so the default's ~10⁻⁷ is quadrature error, not a wrong formula.
    @Test func erfRank4Converges() throws {
        let e = Self.ensemble(.erf, d: 3, sb: 1)
        let pts = Matrix(rows: 2, cols: 3, data: [1, -1, -1, -1, 1, 1])
        let k = e.gpKernel(pts.row(0), pts.row(1))
        let err28 = abs(try e.exactCorrelators(points: pts, quadratureDegree: 28).correlator([0, 1]) - k)
        let err36 = abs(try e.exactCorrelators(points: pts, quadratureDegree: 36).correlator([0, 1]) - k)
        #expect(err28 < 1e-6 && err36 < err28 / 3, "errors \(err28), \(err36)")
    }

    /// Erf-net: two Gauss–Hermite degrees agree on 4- and 6-point moments (quadrature converged).
    @Test func erfQuadratureConverged() throws {
        let e = Self.ensemble(.erf, width: 3)
        let a = try e.exactCorrelators(points: Self.points1D, quadratureDegree: 90)
        let b = try e.exactCorrelators(points: Self.points1D, quadratureDegree: 120)
        for idx in [[0, 1, 2, 2], [0, 0, 1, 1, 2, 2]] { #expect(abs(a.correlator(idx) / b.correlator(idx) - 1) < 1e-9) }
    }

    /// Cos-net: G⁽²⁾(x, x) = G_Λ(0) in closed form, and the d = 1 coincident-point connected 4-point
    /// function N·G_c⁽⁴⁾ = 9ΛJ(0)/(4π²) − 3G_Λ(0)², J(0) = Λ/(m²(Λ²+m²)) + arctan(Λ/m)/m³ (derived from E[a⁴] = 3σ_a⁴/N² and the four-cosine phase average; cos-net of arXiv 2112.04527).
    @Test(arguments: [1, 2, 3]) func cosNetClosedForms(d: Int) {
        let m = 1.0, L = 10.0, N = 4
        let e = CosNetEnsemble(width: N, dimension: d, mass: m, cutoff: L)
        let pts = Matrix(rows: 1, cols: d, repeating: 0.3)
        let exact = e.exactCorrelators(points: pts)
        let g0 = CutoffPropagator.propagatorAtZero(dimension: d, mass: m, cutoff: L)
        #expect(abs(exact.correlator([0, 0]) / g0 - 1) < 1e-10)
        if d == 1 {
            let J0 = L / (m * m * (L * L + m * m)) + atan(L / m) / (m * m * m)
            let expected = (9 * L * J0 / (4 * Double.pi * Double.pi) - 3 * g0 * g0) / Double(N)
            let g4c = Wick.connected4([0, 0, 0, 0], g4: exact.correlator([0, 0, 0, 0]), g2: exact.gpKernel)
            #expect(abs(g4c / expected - 1) < 1e-10)
        }
    }

    /// G_Λ at large Λ against the continuum propagators e^{−mr}/(2m), K₀(mr)/(2π), e^{−mr}/(4πr): the
    /// cutoff tail is bounded by ∫_Λ^∞ dᵈp/(2π)ᵈ oscillation, O(1/(Λ²r)) in d = 1.
    @Test func propagatorContinuumLimitD1() {
        let m = 1.3, r = 0.7, L = 4000.0
        let g = CutoffPropagator.propagator(dimension: 1, distance: r, mass: m, cutoff: L)
        #expect(abs(g - exp(-m * r) / (2 * m)) < 2 / (Double.pi * L * L * r))
    }

    /// The single-layer Erf ensemble's closed-form kernel (NeuronMoments.swift, Williams 1997) against the NNGP
    /// recursion of a one-hidden-layer DeepNetwork with φ = erf (Networks' dual maps): both are
    /// σ_b² + σ_w²·(2/π) arcsin(2m₁₂/√((1 + 2m₁₁)(1 + 2m₂₂))), m = σ_b² + σ_w² x·y/d_in, evaluated by two code paths;
    /// agreement to round-off, 10⁻¹⁴ (values O(1)).
    @Test func erfKernelMatchesOneLayerDeepNetwork() {
        var rng = RandomStream(seed: 31, stream: 0)
        for (sw, sb, d) in [(1.0, 0.0, 1), (1.4, 0.1, 2), (0.6, 1.2, 3), (2.0, 0.5, 1)] {
            let single = SingleLayerEnsemble(activation: .erf, width: 1, inputDimension: d, sigmaW: sw, sigmaB: sb)
            let deep = DeepNetwork(inputDimension: d, hiddenWidths: [1], activation: .erf(a: 1, b: 1, c: 0), sigmaW: sw, sigmaB: sb)
            for _ in 0..<3 {
                let x = rng.uniforms(d, -1.5, 1.5), y = rng.uniforms(d, -1.5, 1.5)
                let a = single.gpKernel(x, y), b = deep.gpKernel(x, y)
                #expect(abs(a - b) < 1e-14 * max(1, abs(a)), "σ_w=\(sw) σ_b=\(sb) d=\(d): \(a) vs \(b)")
            }
        }
    }

    /// Depth-2 ReLU DeepNetwork's NNGP kernel against an independent arc-cosine recursion (Cho–Saul 2009; the
    /// convention of DeepNet.swift): K¹ = σ_b² + σ_w² x·y/d_in, then per hidden layer
    /// T = √(k₁₁k₂₂)/(2π)(sin θ + (π − θ)cos θ), cos θ = k₁₂/√(k₁₁k₂₂), K^{l+1} = σ_b² + σ_w² T; the output is K³.
    /// Round-off only: 10⁻¹⁴ relative.
    @Test func reluDepthTwoKernelMatchesArcCosineRecursion() {
        func recursion(_ x: [Double], _ y: [Double], sw: Double, sb: Double, depth: Int) -> Double {
            let d = Double(x.count)
            func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
            var k11 = sb * sb + sw * sw * dot(x, x) / d, k22 = sb * sb + sw * sw * dot(y, y) / d
            var k12 = sb * sb + sw * sw * dot(x, y) / d
            for _ in 0..<depth {
                let n = (k11 * k22).squareRoot()
                let theta = acos(max(-1, min(1, k12 / n)))
                let t12 = n / (2 * Double.pi) * (sin(theta) + (Double.pi - theta) * cos(theta))
                // Diagonal: θ = 0, T = k/2.
                k11 = sb * sb + sw * sw * k11 / 2
                k22 = sb * sb + sw * sw * k22 / 2
                k12 = sb * sb + sw * sw * t12
            }
            return k12
        }
        var rng = RandomStream(seed: 32, stream: 0)
        for (sw, sb, d) in [(1.0, 0.0, 1), (1.4, 0.1, 2), (0.8, 1.0, 3)] {
            let deep = DeepNetwork(inputDimension: d, hiddenWidths: [1, 1], activation: .abRelu(a: 0, b: 1), sigmaW: sw, sigmaB: sb)
            for _ in 0..<3 {
                let x = rng.uniforms(d, -1.5, 1.5), y = rng.uniforms(d, -1.5, 1.5)
                let a = recursion(x, y, sw: sw, sb: sb, depth: 2), b = deep.gpKernel(x, y)
                #expect(abs(a - b) < 1e-14 * max(1, abs(a)), "σ_w=\(sw) σ_b=\(sb) d=\(d): \(a) vs \(b)")
            }
        }
    }
}

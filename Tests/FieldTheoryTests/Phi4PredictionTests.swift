import Ensembles
import Foundation
import Testing
@testable import FieldTheory
@testable import NumericCore
import TestSupport

@Suite struct Phi4PredictionTests {
    static func randomModes(_ n: Int, d: Int, cutoff: Double, seed: UInt64) -> CosineModes {
        var rng = RandomStream(seed: seed, stream: 0)
        let b = Matrix(rows: n, cols: d, data: rng.uniforms(n * d, -cutoff, cutoff).map { $0 / Double(d).squareRoot() })
        return CosineModes(amplitudes: rng.normals(n), momenta: b, phases: rng.uniforms(n, -Double.pi, Double.pi))
    }

    /// Brute force: composite Gauss–Legendre with panels of 1/20 of the shortest wavelength of φ⁴, in every axis.
    static func bruteForce(_ f: CosineModes, box: Box, cutoff: Double) -> Double {
        let d = box.dimension
        let rules = (0..<d).map { j -> QuadratureRule in
            let L = box.upper[j] - box.lower[j]
            let panels = Int((L / (2 * Double.pi / (4 * cutoff) / 4)).rounded(.up))
            let r = QuadratureRule.gaussLegendre(10)
            var x: [Double] = [], w: [Double] = []
            let h = L / Double(panels)
            for p in 0..<panels { for k in 0..<10 { x.append(box.lower[j] + (Double(p) + 0.5) * h + h / 2 * r.nodes[k]); w.append(h / 2 * r.weights[k]) } }
            return QuadratureRule(nodes: x, weights: w)
        }
        let counts = rules.map { $0.nodes.count }
        var s = 0.0
        var pt = [Double](repeating: 0, count: d)
        for p in 0..<counts.reduce(1, *) {
            var rest = p, w = 1.0
            for j in 0..<d { let k = rest % counts[j]; rest /= counts[j]; pt[j] = rules[j].nodes[k]; w *= rules[j].weights[k] }
            let v = f.evaluate(at: Matrix(rows: 1, cols: d, data: pt))[0]
            s += w * v * v * v * v
        }
        return s
    }

    /// ∫_V φ⁴ by the analytic sinc sum and by the automatic Gauss–Legendre grid, against brute-force quadrature.
    @Test(arguments: [1, 2, 3]) func quarticIntegralMatchesBruteForce(d: Int) throws {
        let cutoff = d == 3 ? 2.0 : 4.0
        let f = Self.randomModes(d == 3 ? 3 : 5, d: d, cutoff: cutoff, seed: UInt64(d))
        let box = try Box(lower: (0..<d).map { -1.0 - 0.3 * Double($0) }, upper: (0..<d).map { 1.5 + 0.2 * Double($0) })
        let analytic = QuarticAction.analyticIntegral(f, box: box)
        let quad = QuarticAction.quadratureIntegral(f, box: box)
        let brute = Self.bruteForce(f, box: box, cutoff: cutoff)
        #expect(abs(analytic - brute) < 1e-10 * abs(brute), "\(analytic) vs \(brute)")
        #expect(abs(quad - brute) < 1e-10 * abs(brute), "\(quad) vs \(brute)")
    }

    /// The leading-order vertex integral by direct quadrature over a large box against the FFT cross-correlation,
    /// d = 1 and 2, for configurations (0, δ₁, u, u + δ₂) at several grid displacements u (both routes use the same
    /// tabulated G_Λ; the box truncation e^{−4m·4} and aliasing are below 10⁻⁶ relative).
    @Test(arguments: [1, 2]) func vertexQuadratureMatchesFFT(d: Int) throws {
        let exact = try FreeScalarExact(dimension: d, mass: 1, cutoff: 6)
        let lo = LeadingOrderPhi4(exact, maxDistance: 12)
        let n = d == 1 ? 256 : 96, h = d == 1 ? 0.04 : 0.1
        let delta1 = d == 1 ? [0.2] : [0.2, 0.0], delta2 = d == 1 ? [-0.3] : [0.0, -0.3]
        let fft = lo.vertexIntegralsByFFT(delta1: delta1, delta2: delta2, points: n, spacing: h)
        let box = try Box(side: Double(n) * h, dimension: d)
        for k in [0, 3, 7] {
            let u = (0..<d).map { $0 == 0 ? Double(k) * h : 0 }
            let x = [[Double](repeating: 0, count: d), delta1, u, zip(u, delta2).map { $0 + $1 }]
            let quad = lo.vertexIntegral(x, box: box, maxPanels: d == 1 ? 400 : 120)
            var idx = 0
            for j in 0..<d { idx = idx * n + ((j == 0 ? k : 0) + n / 2) }
            #expect(abs(quad - fft.data[idx]) < 1e-6 * abs(quad), "k = \(k): \(quad) vs \(fft.data[idx])")
        }
    }

    /// d = 1: ∫dy G_Λ(y)⁴ against the continuum 1/(32m⁵) with its leading cutoff correction. Writing G_Λ = G_∞ − t,
    /// t(y) = (1/π)∫_Λ^∞ cos(ky)/(k² + m²) dk, the expansion gives −4∫G_∞³t + 6∫G_∞²t² + O(Λ⁻⁴): by Parseval
    /// ∫G_∞³t = (1/π)∫_Λ^∞ 6m/(8m³(9m² + k²)(k² + m²)) dk ≈ 1/(4πm²Λ³) and, t being concentrated in |y| ≲ 1/Λ,
    /// ∫G_∞²t² ≈ G_∞(0)²∫t² = (1/4m²)(1/π)∫_Λ^∞ dk/(k² + m²)² ≈ 1/(12πm²Λ³); together −1/(2πm²Λ³). The
    /// next order comes from G_∞² = (1 − 2m|y| + …)/4m² against the t² ≈ 1/(2π²Λ⁴y²) tail for 1/Λ < |y| < 1/m:
    /// −3∫|y|t² ≈ −3 ln(Λ/m)/(π²m²Λ⁴); the residual is bounded by 4 ln(Λ/m)/(π²m²Λ⁴), a quarter of the correction
    /// at Λ = 40 (box truncation e^{−60}, quadrature 10⁻¹²).
    @Test func vertexApproachesContinuumInOneDimension() throws {
        let m = 1.0, L = 40.0
        let lo = LeadingOrderPhi4(try FreeScalarExact(dimension: 1, mass: m, cutoff: L), maxDistance: 20)
        let v = lo.vertexIntegral([[0], [0], [0], [0]], box: try Box(side: 30, dimension: 1), maxPanels: 20_000)
        let c = 1 / (32 * pow(m, 5)), correction = -1 / (2 * Double.pi * m * m * pow(L, 3))
        #expect(abs(v - c - correction) < 4 * log(L / m) / (Double.pi * Double.pi * m * m * pow(L, 4)), "\(v - c) vs \(correction)")
    }

    /// The tadpole in momentum space against −(λ/2)G_Λ(0)∫dz G(x−z)G(z−y) by position-space quadrature (d = 1).
    @Test func tadpoleMomentumAndPositionSpaceAgree() throws {
        let exact = try FreeScalarExact(dimension: 1, mass: 1, cutoff: 8)
        let lo = LeadingOrderPhi4(exact, maxDistance: 30)
        let x = [0.1], y = [0.9], λ = 0.3
        let integral = integrateComposite(-25, 25, breaks: [0.1, 0.9], maxPanel: 0.1, order: 16) { z in lo.table(abs(x[0] - z)) * lo.table(abs(z - y[0])) }
        let position = -0.5 * λ * exact.propagatorAtZero * integral
        // Truncating z to [−25, 25]: beyond, |G_Λ(r)| ≤ e^{−mr}/2m + 1/(πrΛ²) (the sharp cutoff's sin(Λr)/(πr(Λ²+m²))
        // tail), so the dropped part of ∫G G is below 2∫_{24}^∞ dz/(π²Λ⁴z²) = 2/(24π²Λ⁴).
        let truncation = 0.5 * λ * exact.propagatorAtZero * 2 / (24 * Double.pi * Double.pi * pow(8, 4))
        #expect(abs(lo.tadpole(x, y, coupling: λ) - position) < truncation + 1e-9 * abs(position))
    }

    /// The Gram-product vertex tensor against the panel quadrature of single quadruples (d = 1, 2), and its symmetry
    /// under permutations of the four points.
    @Test(arguments: [1, 2]) func vertexTensorMatchesPanelQuadrature(d: Int) throws {
        let exact = try FreeScalarExact(dimension: d, mass: 1, cutoff: 4)
        let lo = LeadingOrderPhi4(exact, maxDistance: 10)
        let box = try Box(side: 4, dimension: d)
        let pts: [[Double]] = d == 1 ? [[0], [0.5], [-0.8]] : [[0, 0], [0.5, 0.1], [-0.8, 0.3]]
        let x = Matrix(rows: 3, cols: d, data: pts.flatMap { $0 })
        let V = lo.vertexTensor(points: x, box: box)
        for q in [[0, 0, 0, 0], [0, 0, 1, 1], [0, 1, 2, 2], [2, 1, 0, 1]] {
            let quad = lo.vertexIntegral(q.map { pts[$0] }, box: box, maxPanels: d == 1 ? 400 : 60)
            let v = V.data[((q[0] * 3 + q[1]) * 3 + q[2]) * 3 + q[3]]
            #expect(abs(v - quad) < 1e-9 * abs(quad), "\(q): \(v) vs \(quad)")
            let perm = V.data[((q[2] * 3 + q[0]) * 3 + q[3]) * 3 + q[1]]
            #expect(abs(perm - v) < 1e-14 * abs(v))
        }
    }

    /// d = 3: the vertex tensor over a box large enough that the truncation e^{−4m·dist} < 10⁻⁹ against the FFT
    /// cross-correlation on an unbounded-in-effect grid, at grid displacements.
    @Test func vertexTensorMatchesFFTInThreeDimensions() throws {
        let exact = try FreeScalarExact(dimension: 3, mass: 2, cutoff: 3)
        let lo = LeadingOrderPhi4(exact, maxDistance: 20)
        let h = 0.25, n = 32
        let fft = lo.vertexIntegralsByFFT(delta1: [0, 0, 0], delta2: [0, 0, 0], points: n, spacing: h)
        let box = try Box(side: Double(n) * h, dimension: 3)
        let x = Matrix(rows: 2, cols: 3, data: [0, 0, 0, 2 * h, 0, 0])
        let V = lo.vertexTensor(points: x, box: box)
        let idx = ((2 + n / 2) * n + n / 2) * n + n / 2
        #expect(abs(V.data[0 * 8 + 0 * 4 + 1 * 2 + 1] - fft.data[idx]) < 1e-6 * fft.data[idx], "\(V.data[3]) vs \(fft.data[idx])")
    }

    @Test func propagatorTableInterpolates() throws {
        let exact = try FreeScalarExact(dimension: 3, mass: 0.5, cutoff: 10)
        let t = PropagatorTable(exact, maxDistance: 3)
        for r in [0.0, 0.0123, 0.77, 2.345] { #expect(abs(t(r) - exact.propagator(r)) < 1e-8 * exact.propagatorAtZero) }
    }
}

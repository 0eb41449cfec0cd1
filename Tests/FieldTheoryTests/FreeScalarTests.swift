import Ensembles
import Foundation
import Testing
@testable import FieldTheory
@testable import NumericCore
import TestSupport

/// Monte Carlo moments of the free-scalar cos-net at four points: per chunk, G₂ for every pair and G₄, then the
/// connected G_c⁽⁴⁾ per chunk; mean and standard error over chunks.
func freeScalarMoments(_ e: CosNetEnsemble, points: Matrix, networks: Int, chunks: Int = 20, seed: UInt64 = 1)
    -> (g2: [[Double]], g2Error: [[Double]], g4c: Double, g4cError: Double) {
    let P = points.rows, per = networks / chunks
    var g2Chunks: [[[Double]]] = [], g4c: [Double] = []
    for k in 0..<chunks {
        var s2 = [[Double]](repeating: [Double](repeating: 0, count: P), count: P), s4 = 0.0
        var f = [Double](repeating: 0, count: P)
        for t in 0..<per {
            var rng = RandomStream(seed: seed, stream: UInt64(k * per + t))
            f.withUnsafeMutableBufferPointer { e.sampleField(using: &rng, at: points, into: $0) }
            for a in 0..<P { for b in 0..<P { s2[a][b] += f[a] * f[b] } }
            if P == 4 { s4 += f[0] * f[1] * f[2] * f[3] }
        }
        let g2 = s2.map { $0.map { $0 / Double(per) } }
        g2Chunks.append(g2)
        if P == 4 { g4c.append(s4 / Double(per) - (g2[0][1] * g2[2][3] + g2[0][2] * g2[1][3] + g2[0][3] * g2[1][2])) }
    }
    var g2 = [[Double]](repeating: [Double](repeating: 0, count: P), count: P), g2e = g2
    for a in 0..<P { for b in 0..<P { (g2[a][b], g2e[a][b]) = meanAndStandardError(g2Chunks.map { $0[a][b] }) } }
    let (m4, e4) = P == 4 ? meanAndStandardError(g4c) : (0, 0)
    return (g2, g2e, m4, e4)
}

@Suite struct FreeScalarTests {
    static let pointsByDimension: [Int: Matrix] = [
        1: Matrix(rows: 3, cols: 1, data: [0, 0.3, 1.1]),
        2: Matrix(rows: 3, cols: 2, data: [0, 0, 0.3, 0.1, -0.4, 0.8]),
        3: Matrix(rows: 3, cols: 3, data: [0, 0, 0, 0.2, 0.1, -0.1, 0.5, -0.4, 0.6]),
    ]

    /// The cos-net two-point function against G_Λ within 4.5 standard errors, d = 1, 2, 3, both momentum samplings.
    @Test(arguments: [1, 2, 3], MomentumSampling.allCases)
    func twoPointFunctionIsTheCutoffPropagator(d: Int, sampling: MomentumSampling) throws {
        let x = Self.pointsByDimension[d]!
        let e = CosNetEnsemble(width: 8, dimension: d, mass: 1, cutoff: 4, sampling: sampling)
        let exact = try FreeScalarExact(dimension: d, mass: 1, cutoff: 4, sampling: sampling)
        let mc = freeScalarMoments(e, points: x, networks: 20_000, seed: UInt64(10 * d))
        for a in 0..<3 { for b in a..<3 {
            let r = zip(x.row(a), x.row(b)).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            let g = exact.propagator(r)
            #expect(abs(mc.g2[a][b] - g) < 4.5 * mc.g2Error[a][b], "G(\(a),\(b)) = \(mc.g2[a][b]) ± \(mc.g2Error[a][b]) vs \(g)")
        } }
    }

    /// G₂ = G_Λ at every width, from N = 1 (the most non-Gaussian ensemble) up (d = 2, both samplings).
    @Test(arguments: [1, 3, 40], MomentumSampling.allCases)
    func twoPointFunctionIsTheCutoffPropagatorAtEveryWidth(width N: Int, sampling: MomentumSampling) throws {
        let x = Self.pointsByDimension[2]!
        let e = CosNetEnsemble(width: N, dimension: 2, mass: 1, cutoff: 4, sampling: sampling)
        let exact = try FreeScalarExact(dimension: 2, mass: 1, cutoff: 4, sampling: sampling)
        let mc = freeScalarMoments(e, points: x, networks: 20_000, seed: UInt64(100 + N))
        for a in 0..<3 { for b in a..<3 {
            let r = zip(x.row(a), x.row(b)).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            #expect(abs(mc.g2[a][b] - exact.propagator(r)) < 4.5 * mc.g2Error[a][b], "N = \(N): G(\(a),\(b)) = \(mc.g2[a][b]) ± \(mc.g2Error[a][b])")
        } }
    }

    /// The exact finite-N connected four-point function against Monte Carlo at small N, where the 1/N term is large.
    @Test(arguments: [1, 2], MomentumSampling.allCases)
    func connectedFourPointMatchesMonteCarlo(d: Int, sampling: MomentumSampling) throws {
        let x = d == 1 ? Matrix(rows: 4, cols: 1, data: [0, 0.2, 0.5, 0.9]) : Matrix(rows: 4, cols: 2, data: [0, 0, 0.2, 0.1, 0.5, -0.3, 0.1, 0.6])
        let N = 3
        let e = CosNetEnsemble(width: N, dimension: d, mass: 1, cutoff: 3, sampling: sampling)
        let exact = try FreeScalarExact(dimension: d, mass: 1, cutoff: 3, sampling: sampling)
        let mc = freeScalarMoments(e, points: x, networks: 60_000, seed: 77)
        let predicted = exact.connectedFourPointTimesWidth((0..<4).map { x.row($0) }) / Double(N)
        #expect(abs(mc.g4c - predicted) < 4.5 * mc.g4cError, "G_c4 = \(mc.g4c) ± \(mc.g4cError) vs \(predicted)")
        #expect(abs(predicted) > 5 * mc.g4cError, "the test must resolve the 1/N term")
    }

    /// The closed-form N·G_c⁽⁴⁾ against the set-partition route of `ExactCorrelators` with the variant's neuron moments.
    @Test(arguments: MomentumSampling.allCases)
    func closedFormAgreesWithSetPartitions(sampling: MomentumSampling) throws {
        let x = Matrix(rows: 4, cols: 2, data: [0, 0, 0.3, 0.1, -0.2, 0.5, 0.7, 0.7])
        let exact = try FreeScalarExact(dimension: 2, mass: 0.8, cutoff: 5, sampling: sampling)
        let N = 7
        let ec = CosNetEnsemble(width: N, dimension: 2, mass: 0.8, cutoff: 5, sampling: sampling).exactCorrelators(points: x)
        let g4 = ec.correlator([0, 1, 2, 3])
        let disconnected = ec.gpKernel(0, 1) * ec.gpKernel(2, 3) + ec.gpKernel(0, 2) * ec.gpKernel(1, 3) + ec.gpKernel(0, 3) * ec.gpKernel(1, 2)
        let closed = exact.connectedFourPointTimesWidth((0..<4).map { x.row($0) })
        #expect(abs(Double(N) * (g4 - disconnected) - closed) < 1e-9 * abs(closed))
    }

    /// d = 1 coincident points: N·G_c⁽⁴⁾ = 9ΛJ(0)/(4π²) − 3G_Λ(0)², J(0) = Λ/(m²(Λ²+m²)) + arctan(Λ/m)/m³.
    @Test func coincidentClosedFormInOneDimension() throws {
        let (m, L) = (1.3, 7.0)
        let exact = try FreeScalarExact(dimension: 1, mass: m, cutoff: L)
        let J = L / (m * m * (L * L + m * m)) + atan(L / m) / (m * m * m)
        let g0 = atan(L / m) / (Double.pi * m)
        let closed = 9 * L * J / (4 * Double.pi * Double.pi) - 3 * g0 * g0
        let z = [[0.4], [0.4], [0.4], [0.4]]
        #expect(abs(exact.connectedFourPointTimesWidth(z) - closed) < 1e-10 * closed)
    }

    /// Λ → ∞: e^{−mr}/(2m), K₀(mr)/(2π), e^{−mr}/(4πr), within the tail bounds of the radial integrals at Λ = 1000:
    /// |(1/π)∫_Λ^∞ cos(pr)/(p²+m²)| ≤ 2/(πΛ²r) (by parts), |(1/2π)∫_Λ^∞ pJ₀(pr)/(p²+m²)| ≤ 2√(2/(πr))/(2πrΛ^{3/2}),
    /// |(1/2π²r)∫_Λ^∞ p sin(pr)/(p²+m²)| ≤ 2/(2π²r²Λ).
    @Test(arguments: [1, 2, 3]) func infiniteCutoffLimits(d: Int) throws {
        let m = 1.0, L = 1000.0
        let exact = try FreeScalarExact(dimension: d, mass: m, cutoff: L)
        for r in [0.5, 1.0, 2.0] {
            let bound: Double
            switch d {
            case 1: bound = 2 / (Double.pi * L * L * r)
            case 2: bound = 2 * (2 / (Double.pi * r)).squareRoot() / (2 * Double.pi * r * pow(L, 1.5))
            default: bound = 2 / (2 * Double.pi * Double.pi * r * r * L)
            }
            let g = exact.propagator(r), c = FreeScalarExact.continuumPropagator(dimension: d, mass: m, distance: r)
            #expect(abs(g - c) < bound + 1e-12, "d = \(d), r = \(r): \(g) vs \(c), bound \(bound)")
        }
        // K₀ against its series at small argument: K₀(x) = −(ln(x/2) + γ)I₀(x) + x²/4 + …
        let x = 0.01, gamma = 0.5772156649015329
        let series = -(log(x / 2) + gamma) * (1 + x * x / 4) + x * x / 4
        #expect(abs(FreeScalarExact.besselK0(x) - series) < 1e-8)
    }

    /// G_Λ solves the band-limited Poisson equation (−Δ + m²)G_Λ = δ_Λ, the radial Laplacian G'' + (d−1)G'/r by
    /// 5-point differences with h = 10⁻². Error bound: the stencils' truncation errors are h⁴/90·|G⁽⁶⁾| (second
    /// derivative) and h⁴/30·|G⁽⁵⁾| (first derivative, times (d−1)/r), and any radial derivative of the band-limited
    /// G_Λ obeys |∂ⁿG_Λ| ≤ ∫_{|p|<Λ} dᵈp/(2π)ᵈ |p|ⁿ/(p² + m²) ≤ M_n = S_d Λ^{n+d−2}/((2π)ᵈ(n+d−2)) (S₁ = 2, S₂ = 2π,
    /// S₃ = 4π); for Λ = 5 the h⁴/90·M₆ term is 2.2·10⁻⁸, 4.6·10⁻⁸, 6.3·10⁻⁸ for d = 1, 2, 3. Round-off: the
    /// stencils amplify an error δ of G by 64/(12h²) and 18/(12h)·(d−1)/r; δ = 100ε·G_Λ(0) (the radial quadrature's
    /// rounding; its truncation error is smooth in r and is differentiated, not amplified).
    @Test(arguments: [1, 2, 3]) func propagatorSolvesBandLimitedPoisson(d: Int) throws {
        let m = 0.7, L = 5.0, exact = try FreeScalarExact(dimension: d, mass: m, cutoff: L)
        let h = 1e-2
        let sphere = [1: 2.0, 2: 2 * Double.pi, 3: 4 * Double.pi][d]!
        func M(_ n: Int) -> Double { sphere * pow(L, Double(n + d - 2)) / (pow(2 * Double.pi, Double(d)) * Double(n + d - 2)) }
        let delta = 100 * Double.ulpOfOne * exact.propagatorAtZero
        for r in [0.6, 1.3] {
            let f = (-2...2).map { exact.propagator(r + Double($0) * h) }
            let d1 = (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * h)
            let d2 = (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * h * h)
            let laplacian = d2 + Double(d - 1) / r * d1
            let lhs = -laplacian + m * m * f[2]
            let radial = Double(d - 1) / r
            let tol = pow(h, 4) / 90 * M(6) + radial * pow(h, 4) / 30 * M(5) + (64 / (12 * h * h) + radial * 18 / (12 * h)) * delta
                + 100 * Double.ulpOfOne * abs(exact.bandLimitedDelta(r))
            #expect(abs(lhs - exact.bandLimitedDelta(r)) < tol, "d = \(d), r = \(r): \(lhs) vs \(exact.bandLimitedDelta(r)), tol \(tol)")
        }
    }

    /// The radius quantile inverts the CDF, F(q(u)) = u F(Λ), and is monotone.
    @Test(arguments: [1, 2, 3]) func propagatorMomentumQuantile(d: Int) {
        let r = CutoffMomentumRadius(dimension: d, mass: 0.6, cutoff: 9)
        var last = -1.0
        for k in 0..<200 {
            let u = (Double(k) + 0.5) / 200
            let q = r.quantile(u)
            #expect(abs(r.cumulative(q) / r.cumulative(9) - u) < 1e-12)
            #expect(q > last && q < 9)
            last = q
        }
    }
}

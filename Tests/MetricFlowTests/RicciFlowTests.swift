import Foundation
import Testing
@testable import MetricFlow
import NumericCore
import TestSupport

/// The reference Ricci flow on Tⁿ against closed forms and independent routes.
@Suite struct RicciFlowTests {
    /// Spectral derivatives of a trigonometric polynomial are exact (to round-off).
    @Test(arguments: [2, 3]) func spectralDerivativesAreExact(n: Int) throws {
        let grid = try TorusGrid(dimension: n, side: 12)
        let f = grid.sample { x in sin(2 * x[0] + x[1]) + (n == 3 ? cos(3 * x[2] - x[0]) : 0.5 * cos(x[1])) }
        let fx = grid.sample { x in 2 * cos(2 * x[0] + x[1]) + (n == 3 ? sin(3 * x[2] - x[0]) : 0) }
        let lap = grid.sample { x in -5 * sin(2 * x[0] + x[1]) + (n == 3 ? -10 * cos(3 * x[2] - x[0]) : -0.5 * cos(x[1])) }
        let s = grid.spectrum(f)
        let dx = grid.derivative(fromSpectrum: s, axis: 0), l = grid.laplacian(f)
        let fxy = grid.secondDerivative(fromSpectrum: s, 0, 1)
        let fxyExact = grid.sample { x in -2 * sin(2 * x[0] + x[1]) }
        for p in 0..<grid.count {
            #expect(abs(dx[p] - fx[p]) < 1e-12)
            #expect(abs(l[p] - lap[p]) < 1e-12)
            #expect(abs(fxy[p] - fxyExact[p]) < 1e-12)
        }
        // ∫ sin² = half the volume.
        #expect(abs(grid.integrate(grid.sample { x in pow(sin(x[0] + x[1]), 2) }) - grid.flatVolume / 2) < 1e-12)
    }

    /// g = e^{u}δ = e^{2φ}δ (φ = u/2): Γ^k_ij = ½(δ_ki ∂_j u + δ_kj ∂_i u − δ_ij ∂_k u),
    /// R_ij = −(n−2)(∂_i∂_jφ − ∂_iφ∂_jφ) − (Δφ + (n−2)|∂φ|²)δ_ij (Besse, Einstein Manifolds, 1.159),
    /// R = e^{−u} δ^{ij}R_ij, W^k = (1 − n/2)e^{−u}∂_k u — against the analytic derivatives of u.
    @Test(arguments: [2, 3]) func conformalCurvatureMatchesClosedForms(n: Int) throws {
        let grid = try TorusGrid(dimension: n, side: 32)
        let z = { (x: [Double]) in n == 3 ? x[2] : 0.0 }
        let u = grid.sample { x in 0.3 * cos(x[0]) + 0.2 * sin(x[0] + 2 * x[1]) + (n == 3 ? 0.1 * cos(z(x) - x[1]) : 0) }
        let du: [([Double]) -> Double] = [
            { x in -0.3 * sin(x[0]) + 0.2 * cos(x[0] + 2 * x[1]) },
            { x in 0.4 * cos(x[0] + 2 * x[1]) + (n == 3 ? 0.1 * sin(z(x) - x[1]) : 0) },
            { x in n == 3 ? -0.1 * sin(z(x) - x[1]) : 0 },
        ]
        let ddu: (Int, Int, [Double]) -> Double = { i, j, x in
            let s = sin(x[0] + 2 * x[1]), c3 = n == 3 ? 0.1 * cos(z(x) - x[1]) : 0.0
            let a = [1.0, 2.0, 0.0], b = [0.0, -1.0, 1.0]
            var v = -0.2 * a[i] * a[j] * s - c3 * b[i] * b[j]
            if i == 0 && j == 0 { v += -0.3 * cos(x[0]) }
            return v
        }
        let curv = GridCurvature(.conformal(u, grid: grid))
        var worst = (gamma: 0.0, ricci: 0.0, scalar: 0.0, w: 0.0)
        let nd = Double(n)
        for p in 0..<grid.count {
            let x = (0..<n).map { grid.coordinate(p, axis: $0) }
            let d = (0..<n).map { du[$0](x) }
            let lapu = (0..<n).reduce(0.0) { $0 + ddu($1, $1, x) }
            let grad2 = d.reduce(0.0) { $0 + $1 * $1 }
            for k in 0..<n { for i in 0..<n { for j in 0..<n {
                let exact = 0.5 * ((k == i ? d[j] : 0) + (k == j ? d[i] : 0) - (i == j ? d[k] : 0))
                worst.gamma = max(worst.gamma, abs(curv.christoffel[p * n * n * n + (k * n + i) * n + j] - exact))
            } } }
            var trace = 0.0
            for i in 0..<n { for j in 0..<n {
                let exact = -(nd - 2) * (0.5 * ddu(i, j, x) - 0.25 * d[i] * d[j]) - (i == j ? 0.5 * lapu + (nd - 2) * 0.25 * grad2 : 0)
                if i == j { trace += exact }
                worst.ricci = max(worst.ricci, abs(curv.ricci[p * n * n + i * n + j] - exact))
            } }
            worst.scalar = max(worst.scalar, abs(curv.scalar[p] - exp(-u[p]) * trace))
            for k in 0..<n { worst.w = max(worst.w, abs(curv.deTurck[p * n + k] - (1 - nd / 2) * exp(-u[p]) * d[k])) }
        }
        // g = e^u is resolved to round-off on 32 points; what is left is the round-off of spectral differentiation,
        // which grows like ε·N²·√(Nⁿ) (ε·(N/2)² per mode, √M from the sum over modes): 2.2e-16·1024·181 ≈ 4e-11 for
        // N = 32, n = 3, below 1e-10 for both dimensions.
        #expect(worst.gamma < 1e-10 && worst.ricci < 1e-10 && worst.scalar < 1e-10 && worst.w < 1e-10,
                "Γ \(worst.gamma), Ric \(worst.ricci), R \(worst.scalar), W \(worst.w)")
    }

    /// In 2-D the DeTurck field of a conformal metric vanishes, so the Ricci–DeTurck flow of e^{u}δ is the conformal
    /// flow ∂_t u = e^{−u}Δu pointwise.
    @Test func deTurckFlowEqualsConformalFlowInTwoDimensions() throws {
        let grid = try TorusGrid(dimension: 2, side: 32)
        let u0 = grid.sample { x in 0.5 * cos(x[0]) + 0.3 * sin(x[0] + x[1]) }
        let control = StepControl(tolerance: 1e-10)
        let a = try RicciFlow(grid: grid, formulation: .conformal, control: control).run(conformalFactor: u0, times: [0.5, 2])
        let b = try RicciFlow(grid: grid, formulation: .deTurck, control: control).run(from: .conformal(u0, grid: grid), times: [0.5, 2])
        #expect(a.isComplete && b.isComplete)
        for k in 0..<2 {
            var worst = 0.0
            for q in 0..<(grid.count * 4) { worst = max(worst, abs(a.metrics[k].components[q] - b.metrics[k].components[q])) }
            #expect(worst < 1e-8, "t = \(a.times[k]): max |g_conformal − g_DeTurck| = \(worst)")
        }
    }


    /// Gauss–Bonnet: ∫R dA = 4πχ(T²) = 0, so the area A = ∫e^{u} = 4π²I₀(a) for u₀ = a cos x is conserved, and the
    /// flow converges to the flat metric e^{u∞}δ with u∞ = ln(A/4π²) = ln I₀(a) (Hamilton 1988).
    @Test(arguments: [RicciFlow.Formulation.conformal, .deTurck]) func areaIsConservedAndTheLimitIsFlat(formulation: RicciFlow.Formulation) throws {
        let grid = try TorusGrid(dimension: 2, side: 32)
        let a = 1.0
        let u0 = grid.sample { x in a * cos(x[0]) }
        let flow = try RicciFlow(grid: grid, formulation: formulation, control: StepControl(tolerance: 1e-10))
        let run = try flow.run(conformalFactor: u0, times: [0, 1, 4, 16])
        let exactArea = 4 * Double.pi * Double.pi * besselI(0, a)
        #expect(abs(run.metrics[0].volume / exactArea - 1) < 1e-14)
        for m in run.metrics { #expect(abs(m.volume / exactArea - 1) < 1e-8, "area \(m.volume) vs \(exactArea)") }
        // At t = 16 the slowest mode has decayed by exp(−16/I₀(1)) ≈ 3e-6 relative to its start.
        let uInf = log(besselI(0, a))
        let last = run.metrics.last!
        var worst = 0.0
        for p in 0..<grid.count { worst = max(worst, abs(log(last.components[p * 4]) - uInf)) }
        #expect(worst < 1e-5, "max |u(16) − u∞| = \(worst)")
    }

    /// Near the flat metric e^{u∞}δ the flow is linear: every Fourier mode k of u (or of g_ij in the DeTurck
    /// gauge) decays as exp(−e^{−u∞}|k|²t). With perturbation size ε the quadratic terms feed only other wave
    /// numbers, so the measured amplitudes agree to O(ε²).
    @Test(arguments: [(2, RicciFlow.Formulation.conformal), (2, .deTurck), (3, .deTurck)])
    func linearisedModesDecayAtTheirClosedFormRates(n: Int, formulation: RicciFlow.Formulation) throws {
        let grid = try TorusGrid(dimension: n, side: n == 2 ? 16 : 8)
        let eps = 1e-4, uInf = 0.3
        let modes: [[Double]] = n == 2 ? [[1, 0], [1, 1], [0, 2]] : [[1, 0, 0], [1, 1, 0], [0, 1, -1]]
        let phase = { (k: [Double], x: [Double]) in zip(k, x).reduce(0.0) { $0 + $1.0 * $1.1 } }
        // In the DeTurck gauge mode q sits in component pairs[q], so off-diagonal components are checked too.
        let pairs: [(Int, Int)] = formulation == .conformal ? [(0, 0), (0, 0), (0, 0)] : (n == 2 ? [(0, 0), (0, 1), (1, 1)] : [(0, 1), (1, 2), (2, 2)])
        var g0 = [Double](repeating: 0, count: grid.count * n * n)
        for p in 0..<grid.count {
            let x = (0..<n).map { grid.coordinate(p, axis: $0) }
            for i in 0..<n { g0[p * n * n + i * n + i] = exp(uInf) }
            for (q, k) in modes.enumerated() {
                let (i, j) = pairs[q]
                let v = eps * cos(phase(k, x))
                if formulation == .conformal { for a in 0..<n { g0[p * n * n + a * n + a] *= exp(v) } }
                else { g0[p * n * n + i * n + j] += v; if i != j { g0[p * n * n + j * n + i] += v } }
            }
        }
        let times = [0.5, 1.0]
        let run = try RicciFlow(grid: grid, formulation: formulation, control: StepControl(tolerance: 1e-11))
            .run(from: GridMetric(grid: grid, components: g0), times: times)
        for (s, t) in times.enumerated() {
            for (q, k) in modes.enumerated() {
                let (i, j) = pairs[q]
                // Amplitude of cos(k·x) in δu = ln g_00 − u∞ (conformal) or in g_ij (DeTurck): (2/(2π)ⁿ)∫ f cos(k·x).
                let f = (0..<grid.count).map { p -> Double in
                    let x = (0..<n).map { grid.coordinate(p, axis: $0) }
                    let v = formulation == .conformal ? log(run.metrics[s].components[p * n * n]) - uInf
                                                      : run.metrics[s].components[p * n * n + i * n + j]
                    return v * cos(phase(k, x))
                }
                let amplitude = 2 * grid.integrate(f) / grid.flatVolume
                let k2 = k.reduce(0.0) { $0 + $1 * $1 }
                let expected = eps * exp(-exp(-uInf) * k2 * t)
                #expect(abs(amplitude / expected - 1) < 1e-6, "n = \(n) \(formulation) k = \(k) t = \(t): \(amplitude) vs \(expected)")
            }
        }
    }

    /// A product T² × S¹, g = e^{u(x,y)}(dx² + dy²) + L²dz²: Ric has no S¹ components, W³ = 0, so the S¹ factor
    /// stays L² and the T² factor follows the 2-D flow.
    @Test func productWithACircleKeepsTheCircle() throws {
        let g2 = try TorusGrid(dimension: 2, side: 8), g3 = try TorusGrid(dimension: 3, side: 8)
        let u = { (x: [Double]) in 0.5 * cos(x[0]) + 0.3 * sin(x[0] + x[1]) }
        let L2 = 2.0
        var c = [Double](repeating: 0, count: g3.count * 9)
        for p in 0..<g3.count {
            let e = exp(u([g3.coordinate(p, axis: 0), g3.coordinate(p, axis: 1)]))
            c[p * 9] = e; c[p * 9 + 4] = e; c[p * 9 + 8] = L2
        }
        let control = StepControl(tolerance: 1e-11)
        let times = [0.5, 2.0]
        let r3 = try RicciFlow(grid: g3, formulation: .deTurck, control: control).run(from: GridMetric(grid: g3, components: c), times: times)
        // The 2-D flow in the same (metric-component) discretisation: the conformal form evolves u instead of e^u,
        // whose truncations differ by the grid error (1e-4 at N = 8), not by the time stepping.
        let r2 = try RicciFlow(grid: g2, formulation: .deTurck, control: control).run(from: .conformal(g2.sample(u), grid: g2), times: times)
        for s in 0..<times.count {
            var circle = 0.0, mixed = 0.0, surface = 0.0
            for p in 0..<g3.count {
                let m = r3.metrics[s].components
                circle = max(circle, abs(m[p * 9 + 8] - L2))
                mixed = max(mixed, abs(m[p * 9 + 2]), abs(m[p * 9 + 5]))
                surface = max(surface, abs(m[p * 9] - r2.metrics[s].components[(p / 8) * 4]))
            }
            #expect(circle < 1e-12 && mixed < 1e-12, "t = \(times[s]): |g_zz − L²| = \(circle), |g_xz|, |g_yz| = \(mixed)")
            #expect(surface < 1e-8, "t = \(times[s]): T² factor off the 2-D flow by \(surface)")
        }
    }

    /// Convergence of u(t = 1) from u₀ = cos x in grid size (spectral: the error falls faster than any power) and in
    /// the step tolerance (the global error follows the tolerance), against a run at N = 64, rtol 1e-12.
    @Test func convergesInGridSizeAndTolerance() throws {
        func u(side: Int, tol: Double) throws -> [Double] {
            let grid = try TorusGrid(dimension: 2, side: side)
            let r = try RicciFlow(grid: grid, formulation: .conformal, control: StepControl(tolerance: tol))
                .run(conformalFactor: grid.sample { cos($0[0]) }, times: [1])
            // u along the x axis at the 8 points x = 2πi/8 shared by every grid.
            return (0..<8).map { i in r.conformalFactors![0][(i * side / 8) * side] }
        }
        let reference = try u(side: 64, tol: 1e-12)
        func error(_ v: [Double]) -> Double { zip(v, reference).map { abs($0 - $1) }.max()! }
        let grids = try [8, 16, 32].map { try error(u(side: $0, tol: 1e-12)) }
        let tolerances = try [1e-4, 1e-6, 1e-8].map { try error(u(side: 64, tol: $0)) }
        print("RicciFlow convergence: grid 8, 16, 32 → \(grids); rtol 1e-4, 1e-6, 1e-8 → \(tolerances)")
        // Spectral convergence: each doubling gains far more than the factor 4 of a second-order method.
        #expect(grids[0] > 50 * grids[1] && (grids[1] > 50 * grids[2] || grids[2] < 1e-11))
        #expect(grids[2] < 1e-9)
        // The global error is bounded by a modest multiple of the tolerance and falls with it.
        for (k, tol) in [1e-4, 1e-6, 1e-8].enumerated() { #expect(tolerances[k] < 10 * tol) }
        #expect(tolerances[0] > tolerances[2])
    }
}

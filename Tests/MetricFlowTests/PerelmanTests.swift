import Foundation
import Testing
@testable import MetricFlow
import NumericCore
import TestSupport

/// Perelman's F, W and λ on T² and T³ against closed forms (Bessel integrals of u = a cos x), an independent
/// Fourier–Galerkin eigen-solve, exact symmetries (scaling, products with a flat circle), and the monotonicity of F
/// and λ along Ricci flow with the conjugate heat flow.
@Suite struct PerelmanTests {

    static let eps = Double.ulpOfOne

    static func conformal(_ a: Double, side: Int) throws -> (grid: TorusGrid, u: [Double], g: GridMetric) {
        let grid = try TorusGrid(dimension: 2, side: side)
        let u = grid.sample { a * cos($0[0]) }
        return (grid, u, .conformal(u, grid: grid))
    }

    /// Test 1. g = e^{a cos x}δ on the 2π-square T², 64² grid: F(g, c) = e^{−c}∫R dA = 0 (Gauss–Bonnet),
    /// F(g, u) = ∫Δ(e^{−u}) dxdy = 0, F(g, −u) = 2∫|∂u|²e^{u} dxdy = 8π² a I₁(a) (∫₀^{2π} sin²x e^{a cos x} dx =
    /// 2π I₁(a)/a) and the area 4π² I₀(a). The integrands' Fourier coefficients beyond |k| = 32 are below
    /// I₃₂(1) ≈ 10⁻⁴⁵, so only rounding remains: second spectral derivatives carry ε·|k|²_max ≈ ε·2·32² relative
    /// rounding, giving the bound 10·ε·|k|²_max relative to the scale ∫(|R| + |∇f|²)e^{−f} dV.
    @Test(arguments: [0.3, 1.0]) func closedFormsOfF(a: Double) throws {
        let (grid, u, g) = try Self.conformal(a, side: 64)
        let curvature = GridCurvature(g)
        let tol = 10 * Self.eps * grid.largestWaveNumberSquared
        func scale(_ f: [Double]) -> Double {
            let grad = curvature.gradientNormSquared(Perelman.gradient(f, grid: grid))
            return grid.integrate((0..<grid.count).map { (abs(curvature.scalar[$0]) + grad[$0]) * exp(-f[$0]) * curvature.volumeDensity[$0] })
        }
        let area = 4 * Double.pi * Double.pi * besselI(0, a)
        #expect(abs(g.volume - area) <= tol * area, "area \(g.volume) vs \(area)")
        let fc = [Double](repeating: 0.7, count: grid.count)
        let F0 = Perelman.F(g, f: fc)
        #expect(abs(F0) <= tol * scale(fc), "F(g, 0.7) = \(F0), scale \(scale(fc))")
        let Fu = Perelman.F(g, f: u)
        #expect(abs(Fu) <= tol * scale(u), "F(g, u) = \(Fu), scale \(scale(u))")
        let minusU = u.map { -$0 }
        let Fm = Perelman.F(g, f: minusU), exact = 8 * Double.pi * Double.pi * a * besselI(1, a)
        #expect(abs(Fm - exact) <= tol * scale(minusU), "F(g, −u) = \(Fm) vs \(exact)")
    }

    /// Test 2. W on g = e^{a cos x}δ, 64² grid, n = 2, with dV = e^{u}dxdy, R dV = −Δu dxdy = a cos x dxdy:
    /// f = c: W = (c − 2)(4πτ)^{−1}e^{−c}·4π²I₀(a) (the R term integrates to 0);
    /// f = c + b cos x: |∇f|² dV = b² sin²x dxdy, so with ∫cos x e^{k cos x} = 2πI₁(k), ∫sin²x e^{k cos x} = 2πI₁(k)/k,
    /// W = (π/τ)e^{−c}[τ(b − a)I₁(b) + (c − 2)I₀(a − b) + b I₁(a − b)].
    /// Same rounding bound as test 1, relative to the scale ∫(τ(|R| + |∇f|²) + |f| + 2)(4πτ)^{−1}e^{−f} dV.
    @Test func closedFormsOfW() throws {
        for (a, b, c, tau) in [(1.0, 0.0, 0.4, 0.7), (0.3, 0.0, -1.1, 2.0), (1.0, 0.6, 0.4, 0.7), (0.3, -0.8, 1.5, 0.25), (1.0, 1.0, 0.2, 1.3)] {
            let (grid, _, g) = try Self.conformal(a, side: 64)
            let curvature = GridCurvature(g)
            let f = grid.sample { c + b * cos($0[0]) }
            let W = Perelman.W(g, f: f, tau: tau)
            let exact = Double.pi / tau * exp(-c) * (tau * (b - a) * besselI(1, b) + (c - 2) * besselI(0, a - b) + b * besselI(1, a - b))
            let grad = curvature.gradientNormSquared(Perelman.gradient(f, grid: grid))
            let scale = grid.integrate((0..<grid.count).map {
                (tau * (abs(curvature.scalar[$0]) + grad[$0]) + abs(f[$0]) + 2) * exp(-f[$0]) * curvature.volumeDensity[$0]
            }) / (4 * Double.pi * tau)
            let tol = 10 * Self.eps * grid.largestWaveNumberSquared
            #expect(abs(W - exact) <= tol * scale, "W(a \(a), b \(b), c \(c), τ \(tau)) = \(W) vs \(exact)")
        }
    }

    /// λ of g = e^{a cos x}δ by an independent route: w depends on x only, −4w″ + a cos x·w = λ e^{a cos x} w on the
    /// circle (R dV = −Δu dx = a cos x dx), solved by Fourier–Galerkin in e^{ikx}, |k| ≤ K: stiffness
    /// 4k²δ_jk + (a/2)(δ_{j,k+1} + δ_{j,k−1}), mass ∫e^{−ijx}e^{a cos x}e^{ikx}dx/2π = I_{j−k}(a) (exact, from the
    /// Bessel series), B = LLᵀ, lowest eigenvalue of L⁻¹AL⁻ᵀ (LAPACK).
    static func galerkinLambda(_ a: Double, modes K: Int) throws -> Double {
        let m = 2 * K + 1
        var A = Matrix(rows: m, cols: m), B = Matrix(rows: m, cols: m)
        for j in 0..<m { for k in 0..<m {
            let kj = j - K, kk = k - K
            A[j, k] = (j == k ? 4 * Double(kk * kk) : 0) + (abs(kj - kk) == 1 ? a / 2 : 0)
            B[j, k] = besselI(kj - kk, a)
        } }
        let L = try LinearAlgebra.cholesky(B)
        let X = try LinearAlgebra.solve(L, A)                  // L⁻¹A
        let C = try LinearAlgebra.solve(L, X.transposed)       // L⁻¹(L⁻¹A)ᵀ = L⁻¹AL⁻ᵀ
        var S = C
        for j in 0..<m { for k in 0..<m { S[j, k] = 0.5 * (C[j, k] + C[k, j]) } }
        return try LinearAlgebra.symmetricEigen(S).values[0]
    }

    /// Test 3a. λ of the flat metric s·δ is 0 with a constant ground state w = (2π)^{−1}s^{−1/2} (∫w²dV = 1), found
    /// from w = 1 without iterating (the start is exact: residual 0).
    @Test func flatLambda() throws {
        for (n, side, s) in [(2, 32, 1.0), (2, 16, 2.5), (3, 8, 0.7)] {
            let grid = try TorusGrid(dimension: n, side: side)
            var c = [Double](repeating: 0, count: grid.count * n * n)
            for p in 0..<grid.count { for i in 0..<n { c[(p * n + i) * n + i] = s } }
            let r = try Perelman.lambda(GridMetric(grid: grid, components: c))
            let w0 = 1 / (pow(2 * Double.pi, Double(n) / 2) * pow(s, Double(n) / 4))
            #expect(abs(r.value) <= 10 * Self.eps, "λ(flat) = \(r.value)")
            #expect(maxAbsDifference(r.groundState, [Double](repeating: w0, count: grid.count)) <= 10 * Self.eps * w0)
            #expect(r.iterations == 0)
        }
    }

    /// Test 3b. g = e^{a cos x}δ (64²). λ against the Galerkin route with K = 24 (its truncation error is of order
    /// I_K(a)² < 10⁻⁵⁰, and that of the grid of order I₃₂(a)² — both far below rounding): the Rayleigh quotient lies
    /// within its residual of an eigenvalue (Krylov–Bogoliubov; it is the lowest, as the ground state is positive),
    /// plus the rounding of the operator, 10·ε·4|k|²_max: |Δλ| ≤ residual + 40·ε·|k|²_max.
    /// Bounds: min R ≤ λ < 0 (−4Δ_g ≥ 0; non-flat), λ ≤ F at the normalised f = −u + c, F = 2a I₁(a)/I₀(2a) (test 1
    /// over ∫e^{2u} = 4π²I₀(2a)). The minimiser: ∫e^{−f_λ}dV = 1 (to the rounding of e^{2 ln w}, ε·|f| per point)
    /// and F(g, f_λ) = λ (the same quadratic form once w = e^{−f/2}; rounding bound of test 1). Scaling:
    /// λ(s g) = λ(g)/s (s = 2.5) within the two residuals.
    @Test(arguments: [0.3, 1.0]) func lambdaOfConformalCosine(a: Double) throws {
        let (grid, _, g) = try Self.conformal(a, side: 64)
        let rounding = 10 * Self.eps * grid.largestWaveNumberSquared
        let r = try Perelman.lambda(g)
        #expect(r.residual <= r.bound)
        let reference = try Self.galerkinLambda(a, modes: 24)
        #expect(abs(r.value - reference) <= r.residual + 4 * rounding, "λ = \(r.value), Galerkin \(reference)")
        let upper = 2 * a * besselI(1, a) / besselI(0, 2 * a)
        let minR = GridCurvature(g).scalar.min()!
        #expect(minR <= r.value && r.value < 0 && r.value <= upper, "λ = \(r.value), min R = \(minR), F(−u + c) = \(upper)")
        let weights = (0..<grid.count).map { exp(-r.potential[$0]) * g.volumeDensity[$0] }
        let norm = grid.integrate(weights)
        #expect(abs(norm - 1) <= 10 * Self.eps * (1 + maxAbs(r.potential)), "∫e^{−f}dV = \(norm)")
        let F = Perelman.F(g, f: r.potential)
        let curvature = GridCurvature(g)
        let grad = curvature.gradientNormSquared(Perelman.gradient(r.potential, grid: grid))
        let scale = grid.integrate((0..<grid.count).map { (abs(curvature.scalar[$0]) + grad[$0]) * weights[$0] })
        #expect(abs(F - r.value) <= rounding * scale, "F(g, f_λ) = \(F) vs λ = \(r.value)")
        let s = 2.5
        let scaled = try Perelman.lambda(GridMetric(grid: grid, components: g.components.map { s * $0 }))
        #expect(abs(scaled.value - r.value / s) <= scaled.residual + r.residual / s + 4 * rounding / s,
                "λ(sg) = \(scaled.value) vs λ/s = \(r.value / s)")
    }

    /// Test 3b′. A nearly flat metric carrying grid noise: u = ε cos x + δ(−1)^{i+j} (ε = 10⁻², δ = 10⁻⁹, 16²), the
    /// state a trained network leaves (its outputs are not band-limited). First derivatives annihilate the sawtooth
    /// (−1)^{i+j}, so without its Nyquist kinetic term the grid mode would sit at ≈ 0, next to λ ≈ −ε²/8, and LOBPCG
    /// would return a mixture that is not positive. Both routes (curvature and conformal gauge) must give a positive
    /// ground state and λ of ε cos x: the Galerkin value (−1.2500e-5; second-order perturbation theory gives
    /// −ε²/8 + O(ε⁴), λ being even in ε) within the residual plus the noise's second-order shift
    /// (δ·|k|²_max)²/gap ≈ 10⁻¹⁴ and the operator's rounding.
    @Test func nearlyFlatMetricWithGridNoise() throws {
        let eps = 1e-2, delta = 1e-9
        let grid = try TorusGrid(dimension: 2, side: 16)
        let saw = (0..<grid.count).map { p in ((p / 16 + p % 16) % 2 == 0 ? 1.0 : -1.0) }
        let u = (0..<grid.count).map { eps * cos(grid.coordinate($0, axis: 0)) + delta * saw[$0] }
        let reference = try Self.galerkinLambda(eps, modes: 12)
        #expect(abs(reference + eps * eps / 8) <= eps * eps / 8 * 2 * eps * eps)
        let rounding = 10 * Self.eps * grid.largestWaveNumberSquared
        let curvature = try Perelman.lambda(GridMetric.conformal(u, grid: grid))
        let conformal = try Perelman.lambda(conformalFactor: u, grid: grid)
        for r in [curvature, conformal] {
            #expect(r.groundState.allSatisfy { $0 > 0 })
            #expect(abs(r.value - reference) <= r.residual + 1e-14 + 4 * rounding, "λ = \(r.value), Galerkin \(reference)")
        }
    }

    /// Test 3c. The product T² × S¹ with g = diag(e^u, e^u, 1), u = 0.5 cos x + 0.3 sin(x + y) (16² and 16³ grids):
    /// the ground state is constant along the circle, so λ equals the 2-D λ of e^{u}δ on the same x-y grid (the
    /// discrete 3-D operator restricted to z-independent fields is the 2-D one): |Δλ| ≤ the two residuals
    /// (Krylov–Bogoliubov) + 40·ε·|k|²_max (rounding); and the 3-D ground state's z-dependence is bounded as below.
    @Test func productWithCircle() throws {
        let side = 16
        let grid2 = try TorusGrid(dimension: 2, side: side), grid3 = try TorusGrid(dimension: 3, side: side)
        let uOf = { (x: [Double]) in 0.5 * cos(x[0]) + 0.3 * sin(x[0] + x[1]) }
        let u2 = grid2.sample(uOf), u3 = grid3.sample(uOf)
        var c = [Double](repeating: 0, count: grid3.count * 9)
        for p in 0..<grid3.count { c[p * 9] = exp(u3[p]); c[p * 9 + 4] = exp(u3[p]); c[p * 9 + 8] = 1 }
        let l3 = try Perelman.lambda(GridMetric(grid: grid3, components: c))
        let l2 = try Perelman.lambda(.conformal(u2, grid: grid2))
        #expect(l2.value < 0)
        let tol = l3.residual + l2.residual + 40 * Self.eps * grid3.largestWaveNumberSquared
        #expect(abs(l3.value - l2.value) <= tol, "λ(T²×S¹) = \(l3.value), λ(T²) = \(l2.value)")
        // The ground state does not depend on z. g and dV are z-independent products, so each z-mode of w has its own
        // residual, a projection of r. On the z-modes 0 < |k_z| < N/2, −4Δ_g + R − λ ≥ 4k_z² ≥ 4 (g_zz = 1), so
        // their part of w has L²(dV) norm ≤ residual/4. The Nyquist z-mode is annihilated by the spectral ∂_z, so
        // (−1)^{i_z}w₂(x, y) is a second exact eigenvector of the discrete operator with the same λ: its amplitude is
        // not controlled by the residual, but the start w = 1 has none and the preconditioner is diagonal in Fourier
        // space, so it stays at rounding: ≤ 10·ε per iteration.
        var varying = [Double](repeating: 0, count: grid3.count), nyquist = varying
        for q in 0..<grid2.count {
            let column = (0..<side).map { l3.groundState[q * side + $0] }
            let mean = column.reduce(0, +) / Double(side)
            let alternating = (0..<side).reduce(0.0) { $0 + (($1 % 2 == 0) ? 1 : -1) * column[$1] } / Double(side)
            for z in 0..<side {
                nyquist[q * side + z] = (z % 2 == 0 ? 1 : -1) * alternating
                varying[q * side + z] = column[z] - mean - nyquist[q * side + z]
            }
        }
        let density = GridMetric(grid: grid3, components: c).volumeDensity
        func norm(_ v: [Double]) -> Double { grid3.integrate((0..<grid3.count).map { v[$0] * v[$0] * density[$0] }).squareRoot() }
        #expect(norm(varying) <= l3.residual / 4 + 10 * Self.eps, "‖w − w̄_z − Nyquist part‖ = \(norm(varying))")
        #expect(norm(nyquist) <= 10 * Self.eps * Double(max(l3.iterations, 1)), "‖Nyquist part‖ = \(norm(nyquist))")
    }

    /// Fourth-order central differences of samples v[0…8] at t − 4h … t + 4h with steps h and 2h, their Richardson
    /// combination (16D(h) − D(2h))/15 (sixth order) and its error estimate |D(h) − D(2h)|/15 (the truncation of
    /// D(h), ≥ that of the combination for a smooth function). The combination's weights sum to 1.65/h in absolute
    /// value, its amplification of errors in the samples.
    static func derivative(_ v: [Double], step h: Double) -> (value: Double, error: Double) {
        let d1 = (8 * (v[5] - v[3]) - (v[6] - v[2])) / (12 * h)
        let d2 = (8 * (v[6] - v[2]) - (v[8] - v[0])) / (24 * h)
        return (d1 + (d1 - d2) / 15, abs(d1 - d2) / 15)
    }

    /// Test 4a. Ricci flow of g = e^{cos x}δ on a 32² grid (conformal, rtol 10⁻⁹, 401 saved times on [0, 4]):
    /// λ(t) at t = 0, 0.5, …, 4 increases strictly, stays in [min R, 0] (λ ≥ min R as −4Δ ≥ 0; λ ≤ F(g, c) =
    /// e^{−c}∫R dV = 0 by Gauss–Bonnet) and so tends to 0 with R; dλ/dt at t = 1 and 3 (central differences of λ at
    /// t ± kΔt, Δt = 0.01) equals 2∫|Ric + ∇²f_λ|²e^{−f_λ}dV at the minimiser, within the differences' truncation
    /// estimate, their amplification 1.65/Δt of each λ's error (≤ its residual, Krylov–Bogoliubov, with the
    /// eigen-solve at tolerance 10⁻¹²) and 10⁻⁸ of the rate (ten times the flow's relative tolerance: the identity
    /// holds for the exact flow, and the saved states deviate from it by about that much).
    /// Then F(g(t), f(t)) along the flow with e^{−f} solving the conjugate heat equation backward from a normalised
    /// e^{−f(4)} ∝ exp(0.8 sin y + 0.3 cos x): ∫e^{−f}dV = 1 at every saved time to rounding (10·ε per step), F
    /// increases strictly (sampled every 0.2), and dF/dt at t = 1, 2, 3 equals 2∫|Ric + ∇²f|²e^{−f}dV (Ric = (R/2)g)
    /// within the same difference estimate, the time-stepping error (the change of F between 1 and 2 ETDRK4
    /// substeps per saved interval, which bounds the error of the finer one for a fourth-order scheme, amplified by
    /// 1.65/Δt) and 10⁻⁸ of the rate. (The fields must be resolved: on a 24² grid the rate at the λ-minimiser is off
    /// by 2·10⁻⁷ relative; on 32² by < 10⁻¹⁰.)
    @Test func monotonicityAlongConformalRicciFlow() throws {
        let grid = try TorusGrid(dimension: 2, side: 32)
        let dt = 0.01
        let times = (0...400).map { Double($0) * dt }
        let trajectory = try RicciFlow(grid: grid, formulation: .conformal, control: StepControl(tolerance: 1e-9))
            .run(conformalFactor: grid.sample { cos($0[0]) }, times: times)
        try #require(trajectory.isComplete)
        var previous = -Double.infinity
        for k in stride(from: 0, through: 400, by: 50) {
            let g = trajectory.metrics[k]
            let l = try Perelman.lambda(g).value, minR = GridCurvature(g).scalar.min()!
            #expect(l > previous && minR <= l && l < 0, "t = \(times[k]): λ = \(l), previous \(previous), min R = \(minR)")
            previous = l
        }
        for c in [100, 300] {
            let ls = try (-4...4).map { try Perelman.lambda(trajectory.metrics[c + $0], tolerance: 1e-12) }
            let d = Self.derivative(ls.map(\.value), step: dt)
            let rate = Perelman.monotonicityIntegrand(trajectory.metrics[c], f: ls[4].potential)
            let solver = 1.65 / dt * ls.map(\.residual).max()!
            let tol = d.error + solver + 1e-8 * rate
            #expect(abs(d.value - rate) <= tol, "t = \(times[c]): dλ/dt = \(d.value), 2∫|Ric + ∇²f|²e^{−f}dV = \(rate)")
        }
        let raw = grid.sample { exp(0.8 * sin($0[1]) + 0.3 * cos($0[0])) }
        let gT = trajectory.metrics[400], vT = gT.volumeDensity
        let Z = grid.integrate((0..<grid.count).map { raw[$0] * vT[$0] })
        let final = raw.map { $0 / Z }
        let fine = try Perelman.conjugateHeatFlow(trajectory, finalDensity: final, substeps: 2)
        let coarse = try Perelman.conjugateHeatFlow(trajectory, finalDensity: final, substeps: 1)
        var drift = 0.0
        for k in times.indices {
            let v = trajectory.metrics[k].volumeDensity
            drift = max(drift, abs(grid.integrate((0..<grid.count).map { fine.densities[k][$0] * v[$0] }) - 1))
        }
        #expect(drift <= 10 * Self.eps * Double(fine.steps), "max |∫e^{−f}dV − 1| = \(drift)")
        var Fs: [Double] = []
        for k in stride(from: 0, through: 400, by: 20) { Fs.append(Perelman.F(trajectory.metrics[k], f: fine.potential(k))) }
        for k in 1..<Fs.count { #expect(Fs[k] > Fs[k - 1], "F(\(Double(k) * 0.2)) = \(Fs[k]) after \(Fs[k - 1])") }
        for c in [100, 200, 300] {
            let F2 = (-4...4).map { Perelman.F(trajectory.metrics[c + $0], f: fine.potential(c + $0)) }
            let F1 = (-4...4).map { Perelman.F(trajectory.metrics[c + $0], f: coarse.potential(c + $0)) }
            let d = Self.derivative(F2, step: dt)
            let stepping = 1.65 / dt * maxAbsDifference(F1, F2)
            let rate = Perelman.monotonicityIntegrand(trajectory.metrics[c], f: fine.potential(c))
            let tol = d.error + stepping + 1e-8 * rate
            #expect(rate > 0 && abs(d.value - rate) <= tol, "t = \(times[c]): dF/dt = \(d.value), 2∫|Ric + ∇²f|²e^{−f}dV = \(rate)")
        }
    }

    /// Test 4b. The conjugate heat flow on a static flat metric e^{u₀}δ (u₀ = 0.4, a constant trajectory on [0, 1],
    /// 101 saved times): φ(t) = 1 + 0.3 e^{−κ(T−t)} cos x + 0.2 e^{−5κ(T−t)} sin(x + 2y), κ = e^{−u₀}. The stepping
    /// is exact for the stiff part and the explicit remainder is (e^{−u₀} − c)Δ with c = 1.01e^{−u₀}, one percent of
    /// it, so only rounding remains: bound 10·ε per step relative to max φ.
    @Test func conjugateHeatClosedForm() throws {
        let grid = try TorusGrid(dimension: 2, side: 16)
        let u0 = 0.4, kappa = exp(-u0), T = 1.0
        var trajectory = FlowTrajectory(grid: grid)
        let u = [Double](repeating: u0, count: grid.count)
        for k in 0...100 { trajectory.append(time: Double(k) / 100, metric: .conformal(u, grid: grid), conformalFactor: u) }
        func exact(_ t: Double) -> [Double] {
            grid.sample { 1 + 0.3 * exp(-kappa * (T - t)) * cos($0[0]) + 0.2 * exp(-5 * kappa * (T - t)) * sin($0[0] + 2 * $0[1]) }
        }
        let solution = try Perelman.conjugateHeatFlow(trajectory, finalDensity: exact(T), substeps: 2)
        var worst = 0.0
        for k in [0, 37, 50, 99] { worst = max(worst, maxAbsDifference(solution.densities[k], exact(trajectory.times[k]))) }
        #expect(worst <= 10 * Self.eps * Double(solution.steps) * 1.5, "max |φ − φ_exact| = \(worst)")
    }

    /// Test 4c. λ along the Ricci–DeTurck flow (8³ grid, rtol 10⁻⁶: the flow's error, ≈ 10⁻⁶ relative in g, moves λ
    /// by ≈ 10⁻⁸, far below its increments of ≈ 10⁻³) of a general metric on T³, g = δ + 0.2 cos(x + y)S +
    /// 0.1 sin(y − z)P with S, P symmetric positive definite, at t = 0, 0.05, 0.1, 0.2, 0.3: strictly increasing (λ is
    /// diffeomorphism invariant, so the DeTurck flow carries Ricci flow's λ), and min R ≤ λ < 0 (λ ≥ 0 would make
    /// the conformal Laplacian −8Δ + R positive, i.e. T³ would carry positive scalar curvature; Schoen–Yau,
    /// Gromov–Lawson).
    @Test func monotonicityAlongDeTurckFlow() throws {
        let grid = try TorusGrid(dimension: 3, side: 8)
        let S = [1.0, 0.3, 0.1, 0.3, 0.8, 0.2, 0.1, 0.2, 0.6], P = [0.5, 0.0, 0.2, 0.0, 0.3, 0.1, 0.2, 0.1, 1.0]
        var c = [Double](repeating: 0, count: grid.count * 9)
        for p in 0..<grid.count {
            let x = grid.coordinate(p, axis: 0), y = grid.coordinate(p, axis: 1), z = grid.coordinate(p, axis: 2)
            for k in 0..<9 { c[p * 9 + k] = (k % 4 == 0 ? 1 : 0) + 0.2 * cos(x + y) * S[k] + 0.1 * sin(y - z) * P[k] }
        }
        let times = [0, 0.05, 0.1, 0.2, 0.3]
        let trajectory = try RicciFlow(grid: grid, formulation: .deTurck, control: StepControl(tolerance: 1e-6))
            .run(from: GridMetric(grid: grid, components: c), times: times)
        try #require(trajectory.isComplete)
        var previous = -Double.infinity
        for (t, g) in zip(trajectory.times, trajectory.metrics) {
            let l = try Perelman.lambda(g).value, minR = GridCurvature(g).scalar.min()!
            #expect(l > previous && minR <= l && l < 0, "t = \(t): λ = \(l), previous \(previous), min R = \(minR)")
            previous = l
        }
    }
}

import Foundation
import Testing
@testable import MetricFlow
import NumericCore
import TestSupport

/// The comparison measures of `FlowComparison` (velocity cosine, time matching, distances, speed factor, mode rates)
/// against closed forms: Bessel integrals of u = c + ε cos x, the exact mode rates of explicit Euler on linear flows,
/// the linearised Ricci rates e^{−u∞}|k|², and exact identities of the L²(dV_g) pairing.
@Suite struct FlowComparisonTests {
    static let eps = Double.ulpOfOne


    /// A non-conformal metric on Tⁿ (positive definite: diagonal ≥ 0.7, off-diagonal ≤ 0.25) and a symmetric tensor.
    static func generalMetric(_ n: Int) throws -> (grid: TorusGrid, g: GridMetric, a: [Double]) {
        let grid = try TorusGrid(dimension: n, side: n == 2 ? 16 : 8)
        let M = grid.count
        var c = [Double](repeating: 0, count: M * n * n), a = c
        for p in 0..<M {
            let x = (0..<n).map { grid.coordinate(p, axis: $0) }
            let z = n == 3 ? x[2] : 0
            var g = [[1.2 + 0.3 * cos(x[0]), 0.25 * cos(x[1]), 0.1 * sin(z)],
                     [0, 0.9 + 0.2 * sin(x[0] + x[1]), 0.1 * cos(x[0] + z)],
                     [0, 0, 1 + 0.2 * cos(z - x[0])]]
            let t = [[sin(x[1]), 0.5 * cos(x[0] - x[1]), 0.3], [0, 1 + cos(x[0]), 0.2 * sin(z)], [0, 0, -0.7 * cos(x[1] + z)]]
            for i in 0..<n { for j in 0..<n {
                let (lo, hi) = (min(i, j), max(i, j))
                if i > j { g[i][j] = g[lo][hi] }
                c[(p * n + i) * n + j] = g[lo][hi]; a[(p * n + i) * n + j] = t[lo][hi]
            } }
        }
        return (grid, GridMetric(grid: grid, components: c), a)
    }

    /// ⟨a, b⟩_g against the polarisation (|a + b|²_g − |a − b|²_g)/4 of `GridCurvature.tensorNormSquared` integrated
    /// with `GridMetric.volumeDensity` (a different contraction order: agreement to a few ε relative); cos(a, a) = 1,
    /// cos(a, −a) = −1; under g → s·g: ⟨a, b⟩_{sg} = s^{n/2−2}⟨a, b⟩_g (two inverse metrics s⁻¹ each and dV scaling
    /// as s^{n/2}) and Ric(sg) = Ric(g), so the Ricci cosine of the velocity s·a at s·g equals that of a at g; the
    /// distance: d(g, g) = 0, d(g, λg) = √n|1 − λ| (g⁻¹(g − λg) = (1 − λ)I), d(sg, sh) = d(g, h).
    @Test(arguments: [2, 3]) func pairingIdentities(n: Int) throws {
        let (grid, g, a) = try Self.generalMetric(n)
        let b = RicciFlow.velocity(of: g)
        let curv = GridCurvature(g)
        let plus = curv.tensorNormSquared(zip(a, b).map { $0 + $1 }), minus = curv.tensorNormSquared(zip(a, b).map { $0 - $1 })
        let vol = g.volumeDensity
        let polar = grid.integrate((0..<grid.count).map { (plus[$0] - minus[$0]) / 4 * vol[$0] })
        let scale = grid.integrate((0..<grid.count).map { (plus[$0] + minus[$0]) / 2 * vol[$0] })
        let ip = FlowComparison.innerProduct(a, b, at: g)
        #expect(abs(ip - polar) <= 100 * Self.eps * scale, "⟨a,b⟩ \(ip) vs polarisation \(polar)")
        #expect(abs(FlowComparison.cosine(a, a, at: g) - 1) <= 4 * Self.eps)
        #expect(abs(FlowComparison.cosine(a, a.map { -$0 }, at: g) + 1) <= 4 * Self.eps)
        let cos0 = FlowComparison.ricciCosine(velocity: a, at: g)
        #expect(abs(cos0) < 0.99 && abs(cos0) > 1e-3, "a generic pair: \(cos0)")
        for s in [0.37, 2.7] {
            let sg = GridMetric(grid: grid, components: g.components.map { s * $0 })
            let ipS = FlowComparison.innerProduct(a, b, at: sg)
            #expect(abs(ipS - pow(s, Double(n) / 2 - 2) * ip) <= 1e-13 * abs(pow(s, Double(n) / 2 - 2) * ip))
            // Ric(sg) = Ric(g) up to the rounding of spectral second derivatives (ε·|k|²_max relative).
            let cosS = FlowComparison.ricciCosine(velocity: a.map { s * $0 }, at: sg)
            #expect(abs(cosS - cos0) <= 1e-12, "cos at s g \(cosS) vs \(cos0)")
            for lambda in [0.5, 1.3] {
                let h = GridMetric(grid: grid, components: g.components.map { lambda * $0 })
                #expect(abs(FlowComparison.distance(g, h) - Double(n).squareRoot() * abs(1 - lambda)) <= 10 * Self.eps)
                let sh = GridMetric(grid: grid, components: h.components.map { s * $0 })
                let hp = GridMetric(grid: grid, components: zip(g.components, a).map { $0 + 0.1 * $1 })
                let shp = GridMetric(grid: grid, components: hp.components.map { s * $0 })
                #expect(abs(FlowComparison.distance(sg, sh) - FlowComparison.distance(g, h)) <= 10 * Self.eps)
                #expect(abs(FlowComparison.distance(sg, shp) - FlowComparison.distance(g, hp)) <= 1e-14)
            }
        }
        #expect(FlowComparison.distance(g, g) == 0)
    }

    /// Amplitudes of a trigonometric polynomial are its cosine amplitudes (the half-plane representatives of
    /// `lowestWaveVectors`), to round-off; the fitted rate of an exact exponential is its rate; the Euler rate.
    @Test func modeAmplitudesOfATrigonometricPolynomial() throws {
        let grid = try TorusGrid(dimension: 2, side: 16)
        let u = grid.sample { x in 0.7 + 0.3 * cos(x[0]) + 0.2 * sin(x[0] + x[1]) + 0.1 * cos(x[0] - 2 * x[1]) + 0.05 * sin(2 * x[1]) }
        let k = ModeAmplitudes.lowestWaveVectors(dimension: 2)
        #expect(k == [[0, 1], [1, 0], [1, -1], [1, 1], [0, 2], [2, 0], [1, -2], [1, 2], [2, -1], [2, 1]])
        #expect(ModeAmplitudes.lowestWaveVectors(dimension: 3, maximumNormSquared: 2).count == 9)
        let expected: [[Int]: Double] = [[1, 0]: 0.3, [1, 1]: 0.2, [1, -2]: 0.1, [0, 2]: 0.05]
        for v in k {
            let a = ModeAmplitudes.amplitude(of: u, grid: grid, waveVector: v)
            #expect(abs(a - (expected[v] ?? 0)) <= 1e-15, "k = \(v): \(a)")
        }
        let grid3 = try TorusGrid(dimension: 3, side: 8)
        let u3 = grid3.sample { x in 1 + 0.4 * cos(x[0] - x[2] + 0.3) }
        #expect(abs(ModeAmplitudes.amplitude(of: u3, grid: grid3, waveVector: [1, 0, -1]) - 0.4) <= 1e-15)
        #expect(ModeAmplitudes.amplitude(of: u3, grid: grid3, waveVector: [1, 0, 1]) <= 1e-15)
        let ts = [0.5, 1.0, 2.5, 3.0]
        #expect(abs(ModeAmplitudes.fittedRate(times: ts, amplitudes: ts.map { 3 * exp(-1.7 * $0) }) - 1.7) <= 1e-14)
        #expect(abs(ModeAmplitudes.discreteEulerRate(2, step: 0.1) - (-log(0.8) / 0.1)) <= 1e-15)
    }

    /// The `local` arm is explicit Euler (step η) of 2-D Ricci flow itself. Its velocity at its own metric is
    /// e^{−u}Δu·e^{u}δ = Δu δ = −2Ric: the cosine is 1 up to the difference of two spectral routes (Δu from u, Ric from
    /// e^{u}), which enters the cosine only quadratically (1 − cos = ½|perpendicular relative error|², ≤ 10⁻²⁰ here).
    /// From u₀ = c + ε cos x (ε = 10⁻³, linear regime): the arm's mode decays as (1 − ηr)^{t/η}, Ricci flow's as
    /// e^{−rτ}, r = e^{−u∞}, u∞ = c + ln I₀(ε) (the conserved area (2π)²e^{c}I₀(ε)), both conserving ∫e^{u}: the
    /// matched time is τ = t·ρ, ρ = −ln(1 − ηr)/(ηr) (the speed factor), up to the relative O(ε²) by which the
    /// nonlinear terms (shared by both flows) change the per-step factor; the distance at equal time is the amplitude
    /// gap ε|(1 − ηr)^{t/η} − e^{−rt}| (≥ 7·10⁻⁷ at t ≥ 0.25) up to relative O(ε²) (d² = 2∫(1 − e^{v−u})²e^{u}/∫e^{u}:
    /// the e^{u} weight, the mean shift −aδa/2 and the cos 2x harmonic's shift (a/2)δa each enter d² at relative ε²) and
    /// the reference's time-stepping error (≈ rtol·|u| = 3·10⁻¹² against the gap: ≤ 5·10⁻⁶ relative), checked at
    /// 5·10⁻⁵; after matching the amplitude gap is gone and only O(ε) of the distance is left (the harmonics and the
    /// mean, whose Euler errors are not the mode's), checked at 5ε.
    @Test func localArmIsRicciFlowUpToTheEulerTimeShift() throws {
        let grid = try TorusGrid(dimension: 2, side: 16)
        let (c, e, eta) = (0.3, 1e-3, 0.01)
        let u0 = grid.sample { c + e * cos($0[0]) }
        let times = (0...8).map { 0.25 * Double($0) }
        let arm = try KernelFlow(grid: grid, arm: .local, step: eta).run(conformalFactor: u0, times: times)
        let dense = (0...400).map { 2.5 * Double($0) / 400 }
        let ref = try RicciFlow(grid: grid, formulation: .conformal, control: StepControl(tolerance: 1e-11)).run(conformalFactor: u0, times: dense)
        let cmp = FlowComparison(arm: arm, reference: ref)
        let r = exp(-(c + log(besselI(0, e))))
        let rho = -log1p(-eta * r) / (eta * r)
        // The closed-form rate against the one from the reference's area.
        let k10 = cmp.armModes.waveVectors.firstIndex(of: [1, 0])!
        #expect(abs(cmp.ricciRates[k10] - r) <= 1e-14)
        var worst = (cos: 0.0, tau: 0.0, gap: 0.0, ratio: 0.0)
        for (i, t) in times.enumerated() {
            worst.cos = max(worst.cos, abs(cmp.velocityCosine[i] - 1))
            worst.tau = max(worst.tau, abs(cmp.matchedTime[i] - rho * t))
            if t > 0 {
                let gap = e * abs(pow(1 - eta * r, t / eta) - exp(-r * t))
                worst.gap = max(worst.gap, abs(cmp.unmatchedDistance[i] / gap - 1))
                worst.ratio = max(worst.ratio, cmp.distance[i] / cmp.unmatchedDistance[i])
            } else {
                #expect(cmp.distance[i] <= 1e-14 && cmp.matchedTime[i] <= 1e-12)
            }
        }
        print("local arm: 1 − cos \(worst.cos), |τ − ρt| \(worst.tau) (ρ − 1 = \(rho - 1)), gap rel \(worst.gap), matched/unmatched \(worst.ratio), s − ρ \(cmp.speedFactor - rho)")
        #expect(worst.cos <= 1e-12)
        // O(ε²)·t relative to the time, plus the reference's time-stepping error (rtol 10⁻¹¹ of |u| ≈ 0.3 against a
        // mode ≥ ε e^{−2r}: ≤ 2·10⁻⁸ relative in amplitude, 3·10⁻⁸ in time).
        #expect(worst.tau <= e * e * 2 + 1e-7)
        #expect(abs(cmp.speedFactor - rho) <= e * e + 1e-7)
        #expect(worst.gap <= 5e-5)
        #expect(worst.ratio <= 5 * e)
        #expect(!cmp.matchedAtReferenceEnd.contains(true))
    }

    /// The `local` arm from a finite-amplitude u₀ with modes of different rates: no single time shift fits all modes,
    /// so a distance remains after matching; it and the distance at equal time are the global error of explicit
    /// Euler, first order in η (halving η halves both to within 10%), and the matched distance does not exceed the
    /// unmatched one. Linearised bound of the equal-time distance: mode k's Euler error is
    /// a_k e^{−r_k t}(1 − e^{−ηr_k² t/2}) ≤ a_k η r_k/(2e) (max over t at t = 1/r_k), so d ≤ η/(2e)·(Σ_k r_k² a_k²)^{1/2}
    /// (d² ≈ Σ a_k² δ-amplitudes for cosines), checked with a factor 2 for the nonlinearity at amplitude 0.3.
    @Test func localArmDistanceIsFirstOrderInTheStep() throws {
        let grid = try TorusGrid(dimension: 2, side: 16)
        let u0 = grid.sample { x in 0.3 * cos(x[0]) + 0.2 * sin(x[0] + x[1]) }
        let times = (0...4).map { 0.25 * Double($0) }
        let ref = try RicciFlow(grid: grid, formulation: .conformal, control: StepControl(tolerance: 1e-11))
            .run(conformalFactor: u0, times: (0...400).map { 1.25 * Double($0) / 400 })
        let uInf = log(ref.metrics[0].volume / (4 * Double.pi * Double.pi))
        let bound = { (eta: Double) in eta / (2 * exp(1)) * (pow(exp(-uInf) * 0.3, 2) + pow(2 * exp(-uInf) * 0.2, 2)).squareRoot() }
        var unmatched = [[Double]](), matched = [[Double]]()
        for eta in [0.004, 0.002] {
            let arm = try KernelFlow(grid: grid, arm: .local, step: eta).run(conformalFactor: u0, times: times)
            let cmp = FlowComparison(arm: arm, reference: ref)
            #expect(cmp.velocityCosine.allSatisfy { abs($0 - 1) <= 1e-12 })
            for i in 1..<times.count {
                #expect(cmp.distance[i] <= cmp.unmatchedDistance[i] * (1 + 1e-12))
                #expect(cmp.unmatchedDistance[i] <= 2 * bound(eta), "t = \(times[i]): \(cmp.unmatchedDistance[i]) vs bound \(bound(eta))")
            }
            unmatched.append(Array(cmp.unmatchedDistance.dropFirst())); matched.append(Array(cmp.distance.dropFirst()))
        }
        let ru = zip(unmatched[0], unmatched[1]).map { $0 / $1 }, rm = zip(matched[0], matched[1]).map { $0 / $1 }
        print("local arm, η → η/2: unmatched ratios \(ru), matched ratios \(rm), unmatched \(unmatched[0]) bound \(bound(0.004))")
        #expect(ru.allSatisfy { abs($0 - 2) <= 0.2 })
        #expect(rm.allSatisfy { abs($0 - 2) <= 0.2 })
    }

    /// Heat arm at u = c + b cos x: its velocity is Δu·e^{u}δ, Ricci's Δu·δ; with g⁻¹a = αI, g⁻¹b = βI the pairing is
    /// ∫2αβ e^{u}, so cos = ∫(Δu)² / (∫(Δu)²e^{u} ∫(Δu)²e^{−u})^{1/2} = 1/(I₀(b) + I₂(b)) (∫₀^{2π}cos²x e^{±b cos x}dx =
    /// π(I₀(b) + I₂(b)), ∫₀^{2π}cos²x dx = π), independent of c; ≈ 1 − 3b²/8. The arm's amplitude after k Euler steps
    /// is b = ε(1 − η)^k exactly (linear, spectral). On 32 points the trapezoidal rule and the spectral derivatives of
    /// e^{u} are exact to I₁₆(0.5) ≈ 10⁻³⁰; what is left is the rounding of −2Ric (ε·|k|²_max relative).
    @Test func heatArmCosineIsTheBesselClosedForm() throws {
        let grid = try TorusGrid(dimension: 2, side: 32)
        let (c, e, eta) = (0.4, 0.5, 0.0025)
        let times = (0...8).map { 0.25 * Double($0) }
        let arm = try KernelFlow(grid: grid, arm: .heat, step: eta).run(conformalFactor: grid.sample { c + e * cos($0[0]) }, times: times)
        var worst = 0.0
        for (i, t) in times.enumerated() {
            let b = e * pow(1 - eta, (t / eta).rounded())
            let exact = 1 / (besselI(0, b) + besselI(2, b))
            let cs = FlowComparison.ricciCosine(velocity: arm.velocities[i], at: arm.metrics[i])
            worst = max(worst, abs(cs - exact))
            #expect(exact < 1 - 0.3 * b * b)
        }
        print("heat cosine: worst deviation from 1/(I0+I2): \(worst)")
        #expect(worst <= 1e-13)
    }

    /// Heat arm against Ricci flow from u₀ = c + ε cos x (ε = 10⁻³): the heat mode decays by (1 − η) per step, i.e. as
    /// e^{−ρ₁t} with ρ₁ = −ln(1 − η)/η, Ricci flow's as e^{−e^{−u∞}τ}, so at linear order the matched time is
    /// τ = e^{u∞}ρ₁t exactly and the speed factor is e^{u∞}ρ₁. Corrections are relative O(ε²) in amplitude (the two
    /// flows' means differ by (ε² − a²)/4: heat conserves ∫u, Ricci ∫e^{u}; Ricci's rate e^{−u∞}(1 + O(a²))), i.e.
    /// O(ε²)e^{u∞} in τ; checked at 2ε²e^{u∞}t. The cosine is 1/(I₀(b) + I₂(b)) at the arm's amplitude b, the arm's
    /// fitted mode rate is ρ₁ exactly, the reference's fitted rate of mode (1, 0) is e^{−u∞}(1 + O(ε²)).
    @Test func heatArmRunsAtTheSpeedOfTheFlatLimit() throws {
        let grid = try TorusGrid(dimension: 2, side: 16)
        let (c, e, eta) = (0.3, 1e-3, 0.01)
        let u0 = grid.sample { c + e * cos($0[0]) }
        let times = (0...8).map { 0.25 * Double($0) }
        let arm = try KernelFlow(grid: grid, arm: .heat, step: eta).run(conformalFactor: u0, times: times)
        let ref = try RicciFlow(grid: grid, formulation: .conformal, control: StepControl(tolerance: 1e-11))
            .run(conformalFactor: u0, times: (0...400).map { 3.5 * Double($0) / 400 })
        let cmp = FlowComparison(arm: arm, reference: ref)
        let uInf = c + log(besselI(0, e))
        let rho1 = ModeAmplitudes.discreteEulerRate(1, step: eta)
        let s = exp(uInf) * rho1
        var worst = (tau: 0.0, cos: 0.0)
        #expect(abs(cmp.matchedTime[0]) <= 1e-12 && cmp.distance[0] <= 1e-14)
        for (i, t) in times.enumerated() {
            if t > 0 { worst.tau = max(worst.tau, abs(cmp.matchedTime[i] - s * t) / t) }
            let b = e * pow(1 - eta, (t / eta).rounded())
            worst.cos = max(worst.cos, abs(cmp.velocityCosine[i] - 1 / (besselI(0, b) + besselI(2, b))))
        }
        let k10 = cmp.armModes.waveVectors.firstIndex(of: [1, 0])!
        print("heat vs Ricci: max |τ − st|/t \(worst.tau) (s = \(s)), s fit − s \(cmp.speedFactor - s), cos dev \(worst.cos), arm rate − ρ₁ \(cmp.armModes.rates[k10] - rho1), ref rate/e^{−u∞} − 1 \(cmp.referenceModes.rates[k10] * exp(uInf) - 1), distances \(cmp.distance)")
        #expect(worst.tau <= 2 * e * e * exp(uInf))
        #expect(abs(cmp.speedFactor - s) <= 2 * e * e * exp(uInf))
        #expect(worst.cos <= 1e-13)
        #expect(abs(cmp.armModes.rates[k10] - rho1) <= 1e-10)
        #expect(abs(cmp.referenceModes.rates[k10] * exp(uInf) - 1) <= e * e + 1e-7)
        #expect(!cmp.matchedAtReferenceEnd.contains(true))
    }

    /// Gaussian arm (ℓ = 0.5): linear, so mode k decays by exactly (1 − ηr_k) per step, r_k = |k|²e^{−ℓ²|k|²/2}; with
    /// saved times multiples of η the fitted rate is −ln(1 − ηr_k)/η to round-off: ln A carries ≈ ε·max|u|/A ≤ 2·10⁻¹⁰
    /// (A ≥ 2·10⁻⁶: mode (2, −1), r ≈ 2.7, after t = 4), over a window of length 4 and a rate ≥ 0.9 that is ≤ 10⁻¹⁰
    /// relative. The continuous rate differs by ≈ ηr_k²/2, which is checked to be resolved.
    @Test func gaussianArmModeRatesAreTheDiscreteKernelRates() throws {
        let grid = try TorusGrid(dimension: 2, side: 16)
        let (ell, eta) = (0.5, 0.05)
        let u0 = grid.sample { x in 0.2 + 0.5 * cos(x[0]) + 0.4 * sin(x[0] + x[1]) + 0.3 * cos(2 * x[1]) + 0.2 * cos(2 * x[0] - x[1] + 1) }
        let flow = try KernelFlow(grid: grid, arm: .gaussian, step: eta, kernelWidth: ell)
        let times = (0...8).map { 0.5 * Double($0) }
        let modes = ModeAmplitudes(try flow.run(conformalFactor: u0, times: times), fitCount: times.count)
        var worst = 0.0
        for (m, k) in modes.waveVectors.enumerated() {
            let k2 = Double(k[0] * k[0] + k[1] * k[1])
            guard [[1, 0], [1, 1], [0, 2], [2, -1]].contains(k) else { continue }
            let r = k2 * exp(-ell * ell * k2 / 2)
            #expect(abs(flow.modeRate(k2) - r) <= 1e-15 * r)
            let discrete = ModeAmplitudes.discreteEulerRate(r, step: eta)
            worst = max(worst, abs(modes.rates[m] / discrete - 1))
            #expect(abs(modes.rates[m] - r) > 0.1 * eta * r * r)   // the Euler shift is visible
        }
        print("gaussian: worst relative deviation from the discrete Euler rates \(worst)")
        #expect(worst <= 1e-10)
    }

    /// Ricci flow from a single mode u₀ = c + a cos(k·x), a = 10⁻²: near the flat limit the mode decays at e^{−u∞}|k|²
    /// with u∞ = ln(A/(2π)²), A = (2π)²e^{c}I₀(a) (Bessel integral). The single-mode problem is one ODE in θ = k·x with
    /// time scaled by |k|²; writing u = m + a cos θ + b cos 2θ + …, the rate is e^{−m}(1 − 3a²/8 + 5b/2 + O(a⁴)) with
    /// e^{−m} = e^{−u∞}(1 + a²/4 + …) and b → a²/4 (its forced late-time value), so the O(a²) corrections cancel
    /// once the transient b − a²/4 ∝ e^{−4e^{−u∞}|k|²t} has died: over the fit window t ∈ [2, 3] they are below
    /// (5/8)a²e^{−8e^{−u∞}|k|²} ≤ 2·10⁻⁷; the time stepping (rtol 10⁻¹¹ of |u| ≈ 0.3: 3·10⁻¹² absolute against
    /// amplitudes ≥ a e^{−3r_k} in the window, ≥ 1.2·10⁻⁶ for (0, 2)) moves the two ends of ln A by ≤ 2.5·10⁻⁶, i.e.
    /// the rate by ≤ 2·2.5·10⁻⁶/(1·r_k) ≤ 1.7·10⁻⁶ relative; checked at 3·10⁻⁶. Modes absent from u₀ (here (0, 1),
    /// only ever at round-off) have no rate (NaN).
    @Test(arguments: [[1, 0], [1, 1], [0, 2]]) func ricciModeRatesAreTheLinearisedRates(k: [Int]) throws {
        let grid = try TorusGrid(dimension: 2, side: 16)
        let (c, a) = (0.3, 0.01)
        let u0 = grid.sample { x in c + a * cos(Double(k[0]) * x[0] + Double(k[1]) * x[1]) }
        let times = (0...12).map { 0.25 * Double($0) }
        let ref = try RicciFlow(grid: grid, formulation: .conformal, control: StepControl(tolerance: 1e-11)).run(conformalFactor: u0, times: times)
        let modes = ModeAmplitudes(ref, fitCount: 5)
        let area = 4 * Double.pi * Double.pi * exp(c) * besselI(0, a)
        #expect(abs(ref.metrics[0].volume / area - 1) <= 1e-14)
        let uInf = log(area / (4 * Double.pi * Double.pi))
        let m = modes.waveVectors.firstIndex(of: k)!
        let k2 = Double(k[0] * k[0] + k[1] * k[1])
        let closed = exp(-uInf) * k2
        #expect(abs(ModeAmplitudes.ricciRate(normSquared: k2, volume: area, dimension: 2) - closed) <= 1e-14 * closed)
        #expect(modes.fitStartTime[m] == 2)
        let dev = abs(modes.rates[m] / closed - 1)
        print("Ricci k = \(k): relative rate deviation \(dev)")
        #expect(dev <= 3e-6)
        if k != [0, 1] { #expect(modes.rates[modes.waveVectors.firstIndex(of: [0, 1])!].isNaN) }
    }

    /// The reference curve is the cubic Hermite interpolant of the saved states with their velocities, error
    /// s²(1 − s)²Δ⁴/24·∂⁴_τ g + O(Δ⁵) at s = (τ − τ_j)/Δ, i.e. Δ⁴/384·∂⁴_τ g at midpoints. Against Ricci flow saved
    /// directly at the midpoints of each spacing, the midpoint error falls by 2⁴ = 16 when Δ halves (checked ≥ 12:
    /// ∂⁴_τ g varies by ≈ 10% over the probes); on [1, 1.2] the fast transients of u₀'s generated harmonics (rates up to
    /// |k|²e^{−u} ≈ 100) have died (e^{−100}) and the solver's own error (≈ 10⁻¹³ at rtol 10⁻¹²) is far below.
    /// Matching a state of the curve itself returns its time and distance 0, and the distance at a time outside the
    /// saved range is NaN.
    @Test func referenceCurveIsFourthOrder() throws {
        let grid = try TorusGrid(dimension: 2, side: 16)
        let u0 = grid.sample { x in 0.5 * cos(x[0]) + 0.3 * sin(x[0] + x[1]) }
        let flow = try RicciFlow(grid: grid, formulation: .conformal, control: StepControl(tolerance: 1e-12))
        let (t0, delta) = (1.0, 0.1)
        let probes = [1.0, 2, 3, 5, 6, 7].map { t0 + delta / 4 * $0 }
        let direct = try flow.run(conformalFactor: u0, times: probes)
        var errors = [Double]()
        for step in [delta, delta / 2] {
            let saved = try flow.run(conformalFactor: u0, times: (0...Int((2 * delta / step).rounded())).map { t0 + step * Double($0) })
            let curve = ReferenceCurve(saved)
            #expect(curve.slopes == .conformal)
            var worst = 0.0
            for (i, t) in probes.enumerated() {
                let s = (t - t0) / step
                guard abs(s - s.rounded(.down) - 0.5) < 1e-9 else { continue }   // midpoints of this spacing only
                let g = curve.metric(at: t).components, h = direct.metrics[i].components
                for k in 0..<g.count { worst = max(worst, abs(g[k] - h[k])) }
            }
            errors.append(worst)
            if step == delta {
                // In 2-D the DeTurck field of a conformal metric vanishes: the DeTurck slopes are the stored −2Ric.
                let deTurck = ReferenceCurve(saved, slopes: .ricciDeTurck), stored = ReferenceCurve(saved, slopes: .stored)
                #expect(maxAbsDifference(deTurck.derivative(at: 1), stored.derivative(at: 1)) <= 1e-12)
                let target = curve.metric(at: t0 + 0.0737)
                let m = curve.match(target)
                #expect(abs(m.time - (t0 + 0.0737)) <= 1e-9 && m.distance <= 1e-14 && !m.atEnd, "\(m)")
                #expect(curve.match(direct.metrics[0]).atEnd == false)
                #expect(curve.distance(from: target, at: t0 + 0.3).isNaN && curve.distance(from: target, at: 0.5).isNaN)
            }
        }
        print("Hermite midpoint errors \(errors), ratio \(errors[0] / errors[1])")
        #expect(errors[0] / errors[1] >= 12)
    }

    /// On T³ the reference runs in the Ricci–DeTurck form, whose ∂_t g = −2Ric + L_W g differs from the stored −2Ric
    /// (W^k = −½e^{−u}∂_k u ≠ 0 for e^{u}δ in 3-D): the automatic slopes are the DeTurck velocity, and Ricci flow
    /// compared with an independently saved run of itself has cosine 1 (the same formula at the same metric: exact),
    /// matched time t and distances at the level of the two runs' time-stepping errors (rtol 10⁻⁹ of |g| ≈ 1, checked
    /// at 10⁻⁷) plus the Hermite error (Δ⁴/384·|∂⁴_t g| ≈ 10⁻¹², Δ = 0.01, rates ≤ 2e^{0.3}). With the stored slopes
    /// instead, the slopes are off by L_W g = O(0.1), which at a midpoint enters as Δ/8·(L_W g_j − L_W g_{j+1}) =
    /// O(Δ²/8·∂_t L_W g) ≈ 10⁻⁶–10⁻⁵: checked > 10⁻⁶, against ≤ 10⁻⁷ with the DeTurck slopes.
    @Test func deTurckReferenceOnTheThreeTorus() throws {
        let grid = try TorusGrid(dimension: 3, side: 6)
        let g0 = GridMetric.conformal(grid.sample { x in 0.2 * cos(x[0]) + 0.1 * sin(x[1] + x[2]) }, grid: grid)
        let flow = try RicciFlow(grid: grid, formulation: .deTurck, control: StepControl(tolerance: 1e-9))
        let ref = try flow.run(from: g0, times: (0...15).map { 0.01 * Double($0) })
        let arm = try flow.run(from: g0, times: [0, 0.055, 0.1, 0.135])
        #expect(ReferenceCurve(ref).slopes == .ricciDeTurck)
        let cmp = FlowComparison(arm: arm, reference: ref)
        let naive = FlowComparison(arm: arm, reference: ref, slopes: .stored)
        print("T³ DeTurck: cos \(cmp.velocityCosine), τ − t \(zip(cmp.matchedTime, arm.times).map { $0 - $1 }), d \(cmp.distance), d(t) \(cmp.unmatchedDistance), stored slopes d(t) \(naive.unmatchedDistance)")
        for i in 0..<arm.times.count {
            #expect(abs(cmp.velocityCosine[i] - 1) <= 4 * Self.eps)
            #expect(abs(cmp.matchedTime[i] - arm.times[i]) <= 1e-5)
            #expect(cmp.distance[i] <= 1e-7 && cmp.unmatchedDistance[i] <= 1e-7)
        }
        #expect(naive.unmatchedDistance[1] > 1e-6 && naive.unmatchedDistance[3] > 1e-6)
    }
}

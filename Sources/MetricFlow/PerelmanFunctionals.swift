import Foundation
import Numerics
import NumericCore

/// Perelman's functionals on a metric (Tⁿ, g) sampled on a `TorusGrid` (Perelman, arXiv math/0211159 §1–3), their
/// monotonicity integrand and the conjugate heat equation that couples f to a Ricci flow.
///
/// Conventions: dV = √det g dⁿx, R the scalar curvature of `GridCurvature`, |∇f|² = g^{ij}∂_i f ∂_j f, Δ_g the
/// Laplace–Beltrami operator (non-positive), Ric + ∇²f with ∇_i∇_j f = ∂_i∂_j f − Γ^k_ij ∂_k f. Integrals are the
/// grid's trapezoidal rule (spectrally accurate for smooth periodic integrands); derivatives pseudo-spectral.
///
///     F(g, f)    = ∫ (R + |∇f|²) e^{−f} dV
///     W(g, f, τ) = ∫ [τ(R + |∇f|²) + f − n] (4πτ)^{−n/2} e^{−f} dV
///     λ(g)       = inf { F(g, f) : ∫ e^{−f} dV = 1 } = lowest eigenvalue of −4Δ_g + R,
///
/// the infimum attained at f = −2 ln w for the positive ground state w, ∫ w² dV = 1. Under Ricci flow
/// ∂_t g = −2 Ric with e^{−f} solving the conjugate heat equation ∂_t e^{−f} = −Δ_g e^{−f} + R e^{−f}
/// (so that ∫ e^{−f} dV is conserved), dF/dt = 2∫ |Ric + ∇²f|² e^{−f} dV ≥ 0 and λ(g(t)) is non-decreasing.
public enum Perelman {
    /// F(g, f) = ∫ (R + |∇f|²_g) e^{−f} dV (no normalisation of ∫e^{−f} dV).
    public static func F(_ g: GridMetric, f: [Double]) -> Double { F(GridCurvature(g), f: f) }

    /// F(g, f) = ∫ (R + |∇f|²_g) e^{−f} dV with the curvature of g already computed.
    public static func F(_ curvature: GridCurvature, f: [Double]) -> Double {
        let grid = curvature.metric.grid
        let grad = gradient(f, grid: grid)
        let norm = curvature.gradientNormSquared(grad)
        let integrand = (0..<grid.count).map { p in
            (curvature.scalar[p] + norm[p]) * exp(-f[p]) * curvature.volumeDensity[p]
        }
        return grid.integrate(integrand)
    }

    /// Perelman's entropy W(g, f, τ) = ∫ [τ(R + |∇f|²_g) + f − n] (4πτ)^{−n/2} e^{−f} dV, τ > 0 (no normalisation of
    /// (4πτ)^{−n/2}∫e^{−f} dV).
    public static func W(_ g: GridMetric, f: [Double], tau: Double) -> Double { W(GridCurvature(g), f: f, tau: tau) }

    /// W(g, f, τ) = ∫ [τ(R + |∇f|²_g) + f − n] (4πτ)^{−n/2} e^{−f} dV with the curvature of g already computed.
    public static func W(_ curvature: GridCurvature, f: [Double], tau: Double) -> Double {
        precondition(tau > 0, "Perelman.W: τ = \(tau), expected τ > 0")
        let grid = curvature.metric.grid, n = Double(grid.dimension)
        let grad = gradient(f, grid: grid)
        let norm = curvature.gradientNormSquared(grad)
        let integrand = (0..<grid.count).map { p in
            (tau * (curvature.scalar[p] + norm[p]) + f[p] - n) * exp(-f[p]) * curvature.volumeDensity[p]
        }
        return grid.integrate(integrand) * pow(4 * Double.pi * tau, -n / 2)
    }

    /// The rate of F along the coupled flow (Ricci flow ∂_t g = −2 Ric, conjugate heat flow of e^{−f}):
    /// dF/dt = 2∫ |Ric + ∇²f|²_g e^{−f} dV, |T|² = g^{ac}g^{bd}T_ab T_cd (Perelman §1.1).
    public static func monotonicityIntegrand(_ g: GridMetric, f: [Double]) -> Double {
        monotonicityIntegrand(GridCurvature(g), f: f)
    }

    /// 2∫ |Ric + ∇²f|²_g e^{−f} dV with the curvature of g already computed.
    public static func monotonicityIntegrand(_ curvature: GridCurvature, f: [Double]) -> Double {
        let grid = curvature.metric.grid
        var t = curvature.hessian(f).hessian
        for k in 0..<t.count { t[k] += curvature.ricci[k] }
        let norm = curvature.tensorNormSquared(t)
        let integrand = (0..<grid.count).map { p in 2 * norm[p] * exp(-f[p]) * curvature.volumeDensity[p] }
        return grid.integrate(integrand)
    }

    /// λ(g) = inf { F(g, f) : ∫e^{−f} dV = 1 }, the lowest eigenvalue of −4Δ_g + R, with its minimiser
    /// f = −2 ln w (w the positive ground state, ∫ w² dV = 1).
    ///
    /// Discretisation: the symmetric generalised eigenproblem −4 ∂_i(√g g^{ij} ∂_j w) + R√g w = λ √g w with the
    /// pseudo-spectral first derivative on both sides (exactly antisymmetric, so the matrix is exactly symmetric).
    /// First derivatives annihilate the Nyquist mode along each axis; the grid's sawtooth (−1)^{i_a} would then carry
    /// no kinetic energy and sit next to λ for a nearly flat metric (degenerate with the ground state when g does not
    /// depend on x_a), so the kinetic term gives Nyquist modes the flat Laplacian's 4c·k_a² instead (c below; for
    /// a conformal metric of T² exactly the spectral Laplacian). A resolved metric and ground state carry no Nyquist
    /// content, so this leaves λ unchanged to the grid's accuracy and keeps the low spectrum free of grid modes. Solver:
    /// `LowestEigenpair` (LOBPCG, block size one) from w = 1 with the spectral preconditioner
    /// P = (4c|k|² + σ)⁻¹, c = mean over points of tr(√g g^{ij})/n, σ = 4c + mean(√g)·max|R|.
    ///
    /// Convergence: the strong residual ‖(−4Δ_g + R − λ)w‖_{L²(dV)} (∫ w² dV = 1) at most `tolerance`·s with the
    /// curvature scale s = 4c/mean(√g) + max|R| (it scales as 1/length², like λ); λ is then within the residual
    /// (Krylov–Bogoliubov), and within residual²/gap (Kato–Temple), of the discrete eigenvalue. Throws an
    /// `EigenSolverError` when that is not reached in `maximumIterations`
    /// iterations or when the ground state is not positive, and a `SettingError` for a metric that is not positive
    /// definite.
    public static func lambda(_ g: GridMetric, tolerance: Double = 1e-10, maximumIterations: Int = 500) throws -> PerelmanLambda {
        try g.validate("metric")
        return try lambda(GridCurvature(g), tolerance: tolerance, maximumIterations: maximumIterations)
    }

    /// λ(g) as above, from the curvature of a positive-definite metric already computed (F and W take it too).
    public static func lambda(_ curvature: GridCurvature, tolerance: Double = 1e-10, maximumIterations: Int = 500) throws -> PerelmanLambda {
        try lambda(WeightedLaplacian(curvature), maxR: curvature.scalar.reduce(0) { max($0, abs($1)) },
                   tolerance: tolerance, maximumIterations: maximumIterations)
    }

    /// λ of the conformal metric g = e^{u}δ of T² in the conformal gauge, where √g g^{ij} = δ^{ij}, √g = e^{u} and
    /// R√g = −Δu: the generalised eigenproblem (−4Δ − Δu) w = λ e^{u} w with the spectral Laplacian Δ (Nyquist modes
    /// with their |k|²) in both terms. Its kinetic term is that of `lambda(_:)` (flux form with first derivatives,
    /// Nyquist modes given the flat k²) exactly; the potential differs, −Δu here against R√g from the curvature of
    /// the sampled components e^{u} there, so the two agree to the grid's spectral accuracy. This is the λ whose
    /// exact derivative in u is `lambdaVariation`. Throws a `SettingError` when u is not on a 2-D grid or is not
    /// finite, an `EigenSolverError` as `lambda(_:)`.
    public static func lambda(conformalFactor u: [Double], grid: TorusGrid, tolerance: Double = 1e-10,
                              maximumIterations: Int = 500) throws -> PerelmanLambda {
        guard grid.dimension == 2, u.count == grid.count else {
            throw SettingError("conformal factor", "\(u.count) values on T^\(grid.dimension), expected \(grid.count) values on T^2")
        }
        if let bad = u.firstIndex(where: { !$0.isFinite }) { throw SettingError("conformal factor", "u = \(u[bad]) at point \(bad), expected finite values") }
        let op = WeightedLaplacian(conformalFactor: u, grid: grid)
        let maxR = (0..<u.count).reduce(0.0) { max($0, abs(op.potential[$1] / op.weight[$1])) }
        return try lambda(op, maxR: maxR, tolerance: tolerance, maximumIterations: maximumIterations)
    }

    /// The exact derivative of the conformal-gauge λ (`lambda(conformalFactor:grid:)`) in the grid values of u,
    /// divided by the cell volume h (the discrete variation δλ/δu): by Hellmann–Feynman for A w = λ B w with
    /// A = h(−4D² + diag(−D²u)), B = h diag(e^{u}) (D² the spectral Laplacian) and the ground state normalised
    /// h Σ w² e^{u} = 1,
    ///
    ///     δλ/δu = −D²(w²) − λ e^{u} w²,
    ///
    /// the discrete form of −(R + Δ_g f) e^{−f} √g with e^{−f} = w² (Perelman's first variation of F at fixed
    /// measure, math/0211159 §1, at the λ-minimising f, restricted to conformal variations δg = δu·g).
    public static func lambdaVariation(_ l: PerelmanLambda, conformalFactor u: [Double], grid: TorusGrid) -> [Double] {
        let w2 = l.groundState.map { $0 * $0 }
        let lap = grid.laplacian(w2)
        return (0..<u.count).map { -lap[$0] - l.value * exp(u[$0]) * w2[$0] }
    }

    /// The LOBPCG solve shared by both λ routes (see `lambda(_:)` for the preconditioner and the bound).
    static func lambda(_ op: WeightedLaplacian, maxR: Double, tolerance: Double, maximumIterations: Int) throws -> PerelmanLambda {
        let grid = op.grid, M = grid.count
        let meanB = op.weight.reduce(0, +) / Double(M)
        let c = op.meanCoefficient
        let sigma = 4 * c + meanB * maxR
        let scale = 4 * c / meanB + maxR
        let bound = tolerance * scale
        let solution = try LowestEigenpair(start: [Double](repeating: 1, count: M), weight: op.weight, bound: bound,
                                           maximumIterations: maximumIterations,
                                           apply: op.apply, preconditioner: { op.inverseShiftedLaplacian($0, c: c, sigma: sigma) })
        // ∫ w² dV = 1 by the grid's (compensated) trapezoidal sum.
        let x = solution.vector
        let s = 1 / grid.integrate((0..<M).map { x[$0] * x[$0] * op.weight[$0] }).squareRoot()
        let w = x.map { $0 * s }
        guard let wMin = w.min(), wMin > 0 else {
            throw EigenSolverError("the ground state is not positive (min w = \(w.min() ?? .nan))",
                                   iterations: solution.iterations, residual: solution.residual, bound: bound)
        }
        return PerelmanLambda(value: solution.value, groundState: w, potential: w.map { -2 * log($0) },
                              iterations: solution.iterations, residual: solution.residual, bound: bound)
    }

    /// Solves the conjugate heat equation ∂_t φ = −Δ_g φ + R φ for the density φ = e^{−f} backward in time along a
    /// two-dimensional conformal Ricci flow g(t) = e^{u(t)}δ (`RicciFlow` with the conformal formulation, whose
    /// trajectory carries the conformal factors), from φ(T) = `finalDensity` (positive) at the last saved time T.
    ///
    /// In s = T − t and the density ρ = φ e^{u} with respect to dx dy the equation is the stable, conservative
    /// ∂_s ρ = Δ(e^{−u} ρ) (using ∂_t u = e^{−u}Δu, Δ_g = e^{−u}Δ, R = −e^{−u}Δu), so ∫ φ dV = ∫ ρ dx is conserved
    /// exactly by the discretisation (to rounding). Time stepping: on each interval between saved times, `substeps`
    /// equal ETDRK4 steps (Cox–Matthews) with the stiff part −c|k|²ρ̂, c = 1.01·max e^{−u} on the interval,
    /// integrated exactly; u between saved times is the cubic Hermite interpolant of u and ∂_t u = e^{−u}Δu at the
    /// two ends. Accuracy: the interpolation error is ≤ Δt⁴/384·max|∂_t⁴u| and the stepping error O(h⁴) for the
    /// step h = Δt/`substeps`, on top of the Ricci flow's own error; the saved times of the trajectory should be
    /// fine enough for both (e.g. Δt = 0.01 for |∂_t u| = O(1)). Throws a `SettingError` for a trajectory without
    /// conformal factors, with fewer than two times, or a final density of the wrong size or not positive.
    public static func conjugateHeatFlow(_ trajectory: FlowTrajectory, finalDensity: [Double], substeps: Int = 2) throws -> ConjugateHeatSolution {
        let grid = trajectory.grid, M = grid.count
        guard grid.dimension == 2, let us = trajectory.conformalFactors, us.count == trajectory.times.count else {
            throw SettingError("trajectory", "has no conformal factors, expected a two-dimensional conformal Ricci flow")
        }
        guard us.count >= 2 else { throw SettingError("trajectory", "has \(us.count) saved times, expected at least 2") }
        guard finalDensity.count == M else { throw SettingError("final density", "has \(finalDensity.count) values, expected \(M)") }
        guard finalDensity.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw SettingError("final density", "is not positive everywhere, expected φ = e^{−f} > 0")
        }
        guard substeps >= 1 else { throw SettingError("substeps", "\(substeps), expected at least 1") }
        let times = trajectory.times
        let stepper = ConjugateHeatStepper(grid: grid)
        // ∂_t u = e^{−u}Δu at every saved time (for the Hermite interpolation).
        let velocities = us.map { u in
            let lap = grid.laplacian(u)
            return (0..<M).map { exp(-u[$0]) * lap[$0] }
        }
        let K = times.count - 1
        var densities = [[Double]](repeating: [], count: K + 1)
        densities[K] = finalDensity
        var rho = (0..<M).map { finalDensity[$0] * exp(us[K][$0]) }
        var steps = 0
        for j in stride(from: K, to: 0, by: -1) {
            let t0 = times[j - 1], t1 = times[j], dt = t1 - t0
            guard dt > 0 else { densities[j - 1] = densities[j]; continue }
            let interpolant = HermiteInterpolant(t0: t0, t1: t1, u0: us[j - 1], u1: us[j], v0: velocities[j - 1], v1: velocities[j])
            var c = 0.0
            for u in [us[j - 1], us[j], interpolant.value(at: 0.5 * (t0 + t1))] { for v in u { c = max(c, exp(-v)) } }
            c *= 1.01
            let h = dt / Double(substeps)
            rho = stepper.integrate(rho, from: t1, steps: substeps, step: h, diffusivity: c) { interpolant.value(at: $0) }
            steps += substeps
            densities[j - 1] = (0..<M).map { rho[$0] * exp(-us[j - 1][$0]) }
        }
        return ConjugateHeatSolution(grid: grid, times: times, densities: densities, steps: steps)
    }

    /// The gradient ∂_a f, [M, n], from one spectrum.
    static func gradient(_ f: [Double], grid: TorusGrid) -> [Double] {
        let n = grid.dimension, M = grid.count
        precondition(f.count == M, "Perelman: \(f.count) values of f, expected \(M)")
        let s = grid.spectrum(f)
        var out = [Double](repeating: 0, count: M * n)
        for a in 0..<n {
            let d = grid.derivative(fromSpectrum: s, axis: a)
            for p in 0..<M { out[p * n + a] = d[p] }
        }
        return out
    }
}

/// Perelman's λ(g) with its minimiser (`Perelman.lambda`).
public struct PerelmanLambda: Sendable {
    /// λ(g), the lowest eigenvalue of −4Δ_g + R (of its pseudo-spectral discretisation).
    public let value: Double
    /// The ground state w > 0, normalised ∫ w² dV = 1.
    public let groundState: [Double]
    /// The minimiser f = −2 ln w of F(g, ·) under ∫ e^{−f} dV = 1 (F(g, f) = λ).
    public let potential: [Double]
    /// LOBPCG iterations.
    public let iterations: Int
    /// The strong residual ‖(−4Δ_g + R − λ)w‖_{L²(dV)} reached.
    public let residual: Double
    /// The residual bound asked for (tolerance × curvature scale, see `Perelman.lambda`).
    public let bound: Double
}

/// The density φ = e^{−f} of the conjugate heat flow along a Ricci-flow trajectory (`Perelman.conjugateHeatFlow`).
public struct ConjugateHeatSolution: Sendable {
    /// The grid.
    public let grid: TorusGrid
    /// The trajectory's saved times t_k.
    public let times: [Double]
    /// φ(t_k) at every saved time (positive; ∫ φ dV the same at every time).
    public let densities: [[Double]]
    /// ETDRK4 steps taken.
    public let steps: Int

    /// The potential f = −ln φ at saved time index `k`.
    public func potential(_ k: Int) -> [Double] { densities[k].map { -log($0) } }
}

/// The cubic Hermite interpolant of u on [t₀, t₁] from u and ∂_t u at both ends.
struct HermiteInterpolant {
    let t0: Double, t1: Double
    let u0: [Double], u1: [Double], v0: [Double], v1: [Double]

    /// u(t) = h₀₀u₀ + h₁₀Δt v₀ + h₀₁u₁ + h₁₁Δt v₁ with θ = (t − t₀)/Δt.
    func value(at t: Double) -> [Double] {
        let dt = t1 - t0, th = (t - t0) / dt
        let t2 = th * th, t3 = t2 * th
        let h00 = 2 * t3 - 3 * t2 + 1, h10 = (t3 - 2 * t2 + th) * dt, h01 = -2 * t3 + 3 * t2, h11 = (t3 - t2) * dt
        return (0..<u0.count).map { h00 * u0[$0] + h10 * v0[$0] + h01 * u1[$0] + h11 * v1[$0] }
    }
}

/// ETDRK4 steps of ∂_s ρ = Δ(e^{−u(t)}ρ), t = t_start − s, split as −c|k|²ρ̂ (exact) + Δ((e^{−u} − c)ρ).
struct ConjugateHeatStepper {
    let grid: TorusGrid
    /// |k|² per half-spectrum mode.
    let k2: [Double]

    init(grid: TorusGrid) {
        self.grid = grid
        let n = grid.dimension
        k2 = (0..<grid.plan.spectrumCount).map { m in
            var s = 0.0
            for a in 0..<n { s += grid.waveNumbers[m * n + a] * grid.waveNumbers[m * n + a] }
            return s
        }
    }

    /// `steps` steps of size h in s from ρ at time `t` (backward in t); `u(t)` gives the conformal factor.
    func integrate(_ rho: [Double], from t: Double, steps: Int, step h: Double, diffusivity c: Double, u: (Double) -> [Double]) -> [Double] {
        let S = k2.count, M = grid.count
        var e1 = [Double](repeating: 0, count: S), e2 = e1, q = e1, b1 = e1, b2 = e1, b4 = e1
        for m in 0..<S {
            let z = -c * k2[m] * h
            let (p1, p2, p3) = ExponentialIntegrator.Stepper.phi(z)
            let (hp1, _, _) = ExponentialIntegrator.Stepper.phi(z / 2)
            e1[m] = exp(z); e2[m] = exp(z / 2); q[m] = h / 2 * hp1
            b1[m] = h * (p1 - 3 * p2 + 4 * p3); b2[m] = h * (2 * p2 - 4 * p3); b4[m] = h * (4 * p3 - p2)
        }
        let scale = 1 / Double(M)
        /// Physical field of a half spectrum (normalised backward transform; the spectrum is copied).
        func physical(_ s: [Complex<Double>]) -> [Double] {
            var w = s
            var out = [Double](repeating: 0, count: M)
            w.withUnsafeMutableBufferPointer { pw in out.withUnsafeMutableBufferPointer { grid.plan.backward(pw.baseAddress!, into: $0.baseAddress!) } }
            for p in 0..<M { out[p] *= scale }
            return out
        }
        func spectrum(_ f: [Double]) -> [Complex<Double>] { grid.spectrum(f) }
        /// N̂ = −|k|² FFT((e^{−u(t)} − c)ρ) for ρ given by its spectrum.
        func nonlinear(_ s: [Complex<Double>], _ time: Double) -> [Complex<Double>] {
            let r = physical(s), uu = u(time)
            var f = [Double](repeating: 0, count: M)
            for p in 0..<M { f[p] = (exp(-uu[p]) - c) * r[p] }
            var out = spectrum(f)
            for m in 0..<S { out[m] = Complex(-k2[m] * out[m].real, -k2[m] * out[m].imaginary) }
            return out
        }
        @inline(__always) func lin(_ a: Complex<Double>, _ alpha: Double, _ b: Complex<Double>, _ beta: Double) -> Complex<Double> {
            Complex(alpha * a.real + beta * b.real, alpha * a.imaginary + beta * b.imaginary)
        }
        var y = spectrum(rho)
        var time = t
        for _ in 0..<steps {
            let nv = nonlinear(y, time)
            var sa = y
            for m in 0..<S { sa[m] = lin(y[m], e2[m], nv[m], q[m]) }
            let na = nonlinear(sa, time - h / 2)
            var sb = y
            for m in 0..<S { sb[m] = lin(y[m], e2[m], na[m], q[m]) }
            let nb = nonlinear(sb, time - h / 2)
            var sc = y
            for m in 0..<S { sc[m] = lin(sa[m], e2[m], lin(nb[m], 2, nv[m], -1), q[m]) }
            let nc = nonlinear(sc, time - h)
            for m in 0..<S {
                let ab = lin(na[m], b2[m], nb[m], b2[m])
                y[m] = lin(lin(y[m], e1[m], nv[m], b1[m]), 1, lin(ab, 1, nc[m], b4[m]), 1)
            }
            time -= h
        }
        return physical(y)
    }
}

/// The operator of λ in flat coordinates: A w = −4 ∂_i(√g g^{ij} ∂_j w) + R√g w and the weight B = √g, with the
/// pseudo-spectral first derivative (exactly antisymmetric) on both sides, so that A is exactly symmetric.
struct WeightedLaplacian {
    let grid: TorusGrid
    /// √g g^{ij} per (i, j), [n·n][M].
    let coefficient: [[Double]]
    /// R√g, [M].
    let potential: [Double]
    /// √g, [M].
    let weight: [Double]
    /// k_a/M per axis and half-spectrum mode (zero on the Nyquist number of axis a), [n][S].
    let scaledWaveNumber: [[Double]]
    /// |k|² per half-spectrum mode.
    let k2: [Double]
    /// Whether the kinetic term is −4Δ by the spectral Laplacian (conformal gauge, `coefficient` = δ) instead of the
    /// flux form −4∂_i(√g g^{ij}∂_j) with first derivatives.
    let laplacianKinetic: Bool

    init(_ curvature: GridCurvature) {
        let grid = curvature.metric.grid, n = grid.dimension, M = grid.count, n2 = n * n, S = grid.plan.spectrumCount
        self.grid = grid
        laplacianKinetic = false
        let vol = curvature.volumeDensity
        coefficient = (0..<n2).map { ij in (0..<M).map { p in vol[p] * curvature.inverse[p * n2 + ij] } }
        potential = (0..<M).map { curvature.scalar[$0] * vol[$0] }
        weight = vol
        scaledWaveNumber = (0..<n).map { a in
            (0..<S).map { m in grid.nyquist[m * n + a] ? 0 : grid.waveNumbers[m * n + a] / Double(M) }
        }
        k2 = (0..<S).map { m in
            var s = 0.0
            for a in 0..<n { s += grid.waveNumbers[m * n + a] * grid.waveNumbers[m * n + a] }
            return s
        }
    }

    /// The conformal-gauge operator of g = e^{u}δ on T²: √g g^{ij} = δ^{ij}, R√g = −Δu, √g = e^{u}, with the kinetic
    /// term −4Δ by the spectral Laplacian (`laplacianKinetic`).
    init(conformalFactor u: [Double], grid: TorusGrid) {
        laplacianKinetic = true
        let M = grid.count, S = grid.plan.spectrumCount, n = 2
        self.grid = grid
        let one = [Double](repeating: 1, count: M), zero = [Double](repeating: 0, count: M)
        coefficient = [one, zero, zero, one]
        potential = grid.laplacian(u).map { -$0 }
        weight = u.map { exp($0) }
        scaledWaveNumber = (0..<n).map { a in
            (0..<S).map { m in grid.nyquist[m * n + a] ? 0 : grid.waveNumbers[m * n + a] / Double(M) }
        }
        k2 = (0..<S).map { m in grid.waveNumbers[m * n] * grid.waveNumbers[m * n] + grid.waveNumbers[m * n + 1] * grid.waveNumbers[m * n + 1] }
    }

    /// The mean over points of tr(√g g^{ij})/n.
    var meanCoefficient: Double {
        let n = grid.dimension, M = grid.count
        var s = 0.0
        for i in 0..<n { for p in 0..<M { s += coefficient[i * n + i][p] } }
        return s / Double(n * M)
    }

    func forward(_ f: [Double]) -> [Complex<Double>] { grid.spectrum(f) }

    /// Unnormalised backward transform (the 1/M is in `scaledWaveNumber`); `s` is used as scratch.
    func backward(_ s: inout [Complex<Double>]) -> [Double] {
        var out = [Double](repeating: 0, count: grid.count)
        s.withUnsafeMutableBufferPointer { ps in out.withUnsafeMutableBufferPointer { grid.plan.backward(ps.baseAddress!, into: $0.baseAddress!) } }
        return out
    }

    /// A w = −4 ∂_i(√g g^{ij} ∂_j w) + R√g w (−4Δw + R√g w with `laplacianKinetic`).
    func apply(_ w: [Double]) -> [Double] {
        if laplacianKinetic {
            let lap = grid.laplacian(w)
            return (0..<w.count).map { -4 * lap[$0] + potential[$0] * w[$0] }
        }
        let n = grid.dimension, M = grid.count, S = grid.plan.spectrumCount
        let ws = forward(w)
        var d = [[Double]]()
        for a in 0..<n {
            let k = scaledWaveNumber[a]
            var s = ws
            for m in 0..<S { s[m] = Complex(-k[m] * ws[m].imaginary, k[m] * ws[m].real) }
            d.append(backward(&s))
        }
        var acc = [Complex<Double>](repeating: .zero, count: S)
        var flux = [Double](repeating: 0, count: M)
        for i in 0..<n {
            for p in 0..<M {
                var v = 0.0
                for j in 0..<n { v += coefficient[i * n + j][p] * d[j][p] }
                flux[p] = v
            }
            let fs = forward(flux), k = scaledWaveNumber[i]
            for m in 0..<S { acc[m] = Complex(acc[m].real - k[m] * fs[m].imaginary, acc[m].imaginary + k[m] * fs[m].real) }
        }
        // The grid's sawtooth: first derivatives annihilate the Nyquist mode along each axis, which would leave it
        // with no kinetic energy (a spurious eigenvalue near λ for a nearly flat metric, degenerate with the ground
        // state for a metric independent of x_a). It gets the flat Laplacian's k_a² times the mean coefficient c̄
        // instead — for a conformal metric of T² (√g g^{ij} = δ, c̄ = 1) exactly the spectral Laplacian; it acts on
        // the Nyquist modes only, which a resolved metric and ground state do not carry.
        let c = meanCoefficient / Double(M)
        for m in 0..<S {
            var k2a = 0.0
            for a in 0..<n where grid.nyquist[m * n + a] { k2a += grid.waveNumbers[m * n + a] * grid.waveNumbers[m * n + a] }
            if k2a > 0 { acc[m] = Complex(acc[m].real - c * k2a * ws[m].real, acc[m].imaginary - c * k2a * ws[m].imaginary) }
        }
        let div = backward(&acc)
        return (0..<M).map { -4 * div[$0] + potential[$0] * w[$0] }
    }

    /// (4c|k|² + σ)⁻¹ r, spectrally.
    func inverseShiftedLaplacian(_ r: [Double], c: Double, sigma: Double) -> [Double] {
        let S = grid.plan.spectrumCount, scale = 1 / Double(grid.count)
        var s = forward(r)
        for m in 0..<S {
            let f = scale / (4 * c * k2[m] + sigma)
            s[m] = Complex(f * s[m].real, f * s[m].imaginary)
        }
        return backward(&s)
    }
}

import Foundation
import Numerics
import NumericCore

/// A parabolic system of fields on a `TorusGrid`, ∂_t y = V(y), written for exponential time stepping as
/// ∂_t y = c·Δy + N(y) with N(y) = V(y) − c·Δy: c is a diffusivity at least as large as the principal coefficient
/// of V (for ∂_t u = a(x)Δu + …, c ≥ max a), so that the stiff part c·Δ is integrated exactly and the remainder,
/// whose principal symbol (c − a)|k|² is bounded by c|k|², is damped rather than amplified.
public protocol ParabolicFlow {
    /// The grid of the fields.
    var grid: TorusGrid { get }
    /// Number of fields F; a state is F fields of M values, field-major [F][M].
    var fieldCount: Int { get }
    /// The velocity V(y) (F·M values); throws a `FlowBreakdown` when y is no longer admissible.
    func velocity(_ y: [Double]) throws -> [Double]
    /// A diffusivity c ≥ the principal coefficient of V at y.
    func diffusivity(_ y: [Double]) -> Double
}

/// Why a flow stopped before its end time: the state stopped being admissible (a metric that is no longer positive
/// definite, a value that is no longer finite) or the step size collapsed (finite-time blow-up).
public struct FlowBreakdown: Error, CustomStringConvertible, Sendable {
    /// What happened, one line.
    public let reason: String
    /// The flow time reached (the last admissible state).
    public var time: Double
    /// The breakdown `reason` at flow time `time`.
    public init(_ reason: String, time: Double = .nan) { self.reason = reason; self.time = time }
    /// "reason at t = time".
    public var description: String { "\(reason) at t = \(String(format: "%.6g", time))" }
}

/// Error tolerances and step limits of `ExponentialIntegrator`.
public struct StepControl: Sendable, Equatable, Codable {
    /// Relative tolerance of the local error per step.
    public var relativeTolerance = 1e-8
    /// Absolute tolerance of the local error per step.
    public var absoluteTolerance = 1e-10
    /// First trial step.
    public var initialStep = 1e-3
    /// Largest step (also bounds how far the frozen diffusivity c is used).
    public var maximumStep = 0.5
    /// Steps below this fraction of the time reached (or below 1e-14 at t = 0) mean a blow-up.
    public var minimumRelativeStep = 1e-12
    /// The defaults (rtol 1e-8, atol 1e-10).
    public init() {}
    /// The defaults with the given relative tolerance and absolute tolerance rtol/100.
    public init(tolerance: Double) { relativeTolerance = tolerance; absoluteTolerance = tolerance / 100 }
}

/// Adaptive exponential Runge–Kutta time stepping of a `ParabolicFlow`: the fourth-order scheme of Cox and Matthews
/// (ETDRK4; J. Comput. Phys. 176, 430 (2002)) with the φ-functions φ₁(z) = (eᶻ − 1)/z, φ₂ = (eᶻ − 1 − z)/z²,
/// φ₃ = (eᶻ − 1 − z − z²/2)/z³ of z = −c|k|²h evaluated per Fourier mode (Taylor series for |z| < 1), and error control
/// by step doubling: a step h is compared with two steps h/2, the local error of the latter is estimated as
/// |y_{h/2,h/2} − y_h|/15, and the step is accepted when that error is within atol + rtol·|y| entrywise; the next step
/// is h·min(4, max(0.2, 0.9·err^{−1/5})).
public struct ExponentialIntegrator {
    /// Tolerances and step limits.
    public var control: StepControl
    /// The integrator with `control`.
    public init(control: StepControl = StepControl()) { self.control = control }

    /// Statistics of one `integrate` call.
    public struct Statistics: Sendable, Equatable, Codable {
        /// Accepted steps (each a pair of half steps).
        public var accepted = 0
        /// Rejected steps.
        public var rejected = 0
        /// Velocity evaluations.
        public var evaluations = 0
    }

    /// Integrates from y(t₀) through every time in `times` (increasing, ≥ t₀), landing on each exactly, and calls
    /// `save(i, t_i, y(t_i))`; `progress(t)` after every accepted step. Throws a `FlowBreakdown` (with the time
    /// reached) when the flow stops being admissible or the step collapses; the states saved until then stand.
    /// With `checkpointing`, every saved time and a stop for a signal hand the resume point (fields [y], t, the next
    /// trial step, the statistics) and `trajectory()` to it; `resume` continues from such a point (the states before
    /// it already saved by the caller) with the same bits as the uninterrupted integration.
    public func integrate<Flow: ParabolicFlow>(_ flow: Flow, from y0: [Double], at t0: Double, times: [Double],
                                               statistics: inout Statistics,
                                               save: (Int, Double, [Double]) throws -> Void,
                                               progress: (Double) -> Void = { _ in },
                                               resume: FlowResumePoint? = nil, checkpointing: FlowCheckpointing? = nil,
                                               trajectory: () -> FlowTrajectory = { fatalError("no trajectory") }) throws {
        var y = resume?.fields.first ?? y0, t = resume?.time ?? t0, h = resume?.trialStep ?? control.initialStep
        if let s = resume?.statistics { statistics = s }
        var stepper = Stepper(flow: flow)
        for (i, target) in times.enumerated() where i >= (resume?.saved ?? 0) {
            precondition(target >= t - 1e-15 * max(1, abs(t)), "ExponentialIntegrator: times not increasing")
            while target - t > 1e-13 * max(1, abs(target)) {
                let last = h >= target - t
                let step = last ? target - t : h
                do {
                    let c = flow.diffusivity(y)
                    guard c.isFinite, c > 0 else { throw FlowBreakdown("the diffusivity is \(c), expected a positive number") }
                    // The full step and the first half step start from the same state: one velocity for both.
                    let vy = try flow.velocity(y); try Stepper.checkFinite(vy)
                    let full = try stepper.step(y, velocity: vy, h: step, c: c)
                    let half1 = try stepper.step(y, velocity: vy, h: step / 2, c: c)
                    let half2 = try stepper.step(half1, h: step / 2, c: c)
                    statistics.evaluations += 11
                    var err = 0.0
                    for k in 0..<y.count {
                        let d = abs(half2[k] - full[k]) / 15
                        let scale = control.absoluteTolerance + control.relativeTolerance * max(abs(y[k]), abs(half2[k]))
                        let e = d / scale
                        if !(e <= err) { err = e.isNaN ? .infinity : max(err, e) }
                    }
                    if err <= 1 {
                        y = half2; t = last ? target : t + step
                        statistics.accepted += 1
                        progress(t)
                        let factor = err == 0 ? 4 : min(4, max(0.2, 0.9 * pow(err, -0.2)))
                        if !last || factor < 1 { h = min(control.maximumStep, step * factor) }
                    } else {
                        statistics.rejected += 1
                        h = step * max(0.2, 0.9 * pow(err, -0.2))
                    }
                } catch var b as FlowBreakdown {
                    // A trial state left the admissible set: shrink the step; a true breakdown is reached when the
                    // step collapses.
                    statistics.rejected += 1
                    h = step * 0.25
                    if h < max(1e-14, control.minimumRelativeStep * abs(t)) { b.time = t; throw b }
                    continue
                }
                if h < max(1e-14, control.minimumRelativeStep * abs(t)) {
                    throw FlowBreakdown("the step size collapsed to \(String(format: "%.3g", h)) (finite-time blow-up)", time: t)
                }
                if let c = checkpointing, target - t > 1e-13 * max(1, abs(target)), let sig = c.stop() {
                    try c.stopping(sig, at: FlowResumePoint(saved: i, time: t, trialStep: h, fields: [y], statistics: statistics), trajectory())
                }
            }
            try save(i, target, y)
            try checkpointing?.saved(FlowResumePoint(saved: i + 1, time: t, trialStep: h, fields: [y], statistics: statistics),
                                     of: times.count, trajectory())
        }
    }

    /// One ETDRK4 step with the coefficient arrays of the current (c, h) cached.
    struct Stepper {
        let grid: TorusGrid
        let flow: Flow
        /// |k|² of every half-spectrum mode.
        var k2 = [Double]()
        /// The coefficient arrays of the last two (c, h): a doubling step alternates h and h/2.
        var cache: [Coefficients] = []

        /// e^{z}, e^{z/2}, (h/2)φ₁(z/2) and the weights h(φ₁ − 3φ₂ + 4φ₃), h(2φ₂ − 4φ₃), h(4φ₃ − φ₂) per mode, z = −c|k|²h.
        struct Coefficients { var c = 0.0, h = 0.0, e1 = [Double](), e2 = [Double](), q = [Double](), b1 = [Double](), b2 = [Double](), b4 = [Double]() }

        struct Flow { let velocity: ([Double]) throws -> [Double]; let fields: Int }

        init<F: ParabolicFlow>(flow f: F) {
            grid = f.grid
            flow = Flow(velocity: f.velocity, fields: f.fieldCount)
            let n = grid.dimension
            k2 = (0..<grid.plan.spectrumCount).map { m in (0..<n).reduce(0.0) { $0 + grid.waveNumbers[m * n + $1] * grid.waveNumbers[m * n + $1] } }
        }

        /// φ₁, φ₂, φ₃ at z ≤ 0.
        static func phi(_ z: Double) -> (Double, Double, Double) {
            if abs(z) < 1 {
                var p1 = 0.0, p2 = 0.0, p3 = 0.0, term = 1.0   // term = z^m / m!
                for m in 0..<22 {
                    if m > 0 { term *= z / Double(m) }
                    p1 += term / Double(m + 1)
                    p2 += term / (Double(m + 1) * Double(m + 2))
                    p3 += term / (Double(m + 1) * Double(m + 2) * Double(m + 3))
                }
                return (p1, p2, p3)
            }
            let em1 = expm1(z)
            return (em1 / z, (em1 - z) / (z * z), (em1 - z - z * z / 2) / (z * z * z))
        }

        mutating func coefficients(c: Double, h: Double) -> Coefficients {
            if let hit = cache.first(where: { $0.c == c && $0.h == h }) { return hit }
            let S = k2.count
            var k = Coefficients(c: c, h: h)
            k.e1 = [Double](repeating: 0, count: S); k.e2 = k.e1; k.q = k.e1; k.b1 = k.e1; k.b2 = k.e1; k.b4 = k.e1
            for m in 0..<S {
                let z = -c * k2[m] * h
                let (p1, p2, p3) = Self.phi(z)
                let (h1, _, _) = Self.phi(z / 2)
                k.e1[m] = exp(z); k.e2[m] = exp(z / 2); k.q[m] = h / 2 * h1
                k.b1[m] = h * (p1 - 3 * p2 + 4 * p3); k.b2[m] = h * (2 * p2 - 4 * p3); k.b4[m] = h * (4 * p3 - p2)
            }
            cache = Array(cache.suffix(1)) + [k]
            return k
        }

        /// Per field: spectra of y and of N(y) = V(y) − cΔy.
        func spectra(_ y: [Double], velocity v: [Double], c: Double) -> (y: [[Complex<Double>]], n: [[Complex<Double>]]) {
            let M = grid.count
            var ys = [[Complex<Double>]](), ns = [[Complex<Double>]]()
            for f in 0..<flow.fields {
                let sy = grid.spectrum(Array(y[(f * M)..<((f + 1) * M)]))
                var sn = grid.spectrum(Array(v[(f * M)..<((f + 1) * M)]))
                for m in 0..<sn.count { sn[m] = lin(sn[m], 1, sy[m], c * k2[m]) }
                ys.append(sy); ns.append(sn)
            }
            return (ys, ns)
        }

        func physical(_ s: [[Complex<Double>]]) -> [Double] {
            s.flatMap { grid.field(fromSpectrum: $0, radial: { _ in 1 }) }
        }

        /// α·a + β·b for complex a, b and real α, β.
        @inline(__always) func lin(_ a: Complex<Double>, _ alpha: Double, _ b: Complex<Double>, _ beta: Double) -> Complex<Double> {
            Complex(alpha * a.real + beta * b.real, alpha * a.imaginary + beta * b.imaginary)
        }

        static func checkFinite(_ v: [Double]) throws {
            for x in v where !x.isFinite { throw FlowBreakdown("the velocity is not finite") }
        }

        /// One ETDRK4 step of size h from y; `velocity` is V(y) when the caller has it.
        mutating func step(_ y: [Double], velocity v0: [Double]? = nil, h: Double, c: Double) throws -> [Double] {
            let k = coefficients(c: c, h: h)
            let (e1, e2, q, b1, b2, b4) = (k.e1, k.e2, k.q, k.b1, k.b2, k.b4)
            let vy: [Double]
            if let v0 { vy = v0 } else { vy = try flow.velocity(y); try Self.checkFinite(vy) }
            let (sy, nv) = spectra(y, velocity: vy, c: c)
            let S = k2.count, F = flow.fields
            var sa = sy
            for f in 0..<F { for m in 0..<S { sa[f][m] = lin(sy[f][m], e2[m], nv[f][m], q[m]) } }
            let ya = physical(sa)
            let va = try flow.velocity(ya); try Self.checkFinite(va)
            let na = spectra(ya, velocity: va, c: c).n
            var sb = sy
            for f in 0..<F { for m in 0..<S { sb[f][m] = lin(sy[f][m], e2[m], na[f][m], q[m]) } }
            let yb = physical(sb)
            let vb = try flow.velocity(yb); try Self.checkFinite(vb)
            let nb = spectra(yb, velocity: vb, c: c).n
            var sc = sy
            for f in 0..<F { for m in 0..<S { sc[f][m] = lin(sa[f][m], e2[m], lin(nb[f][m], 2, nv[f][m], -1), q[m]) } }
            let yc = physical(sc)
            let vc = try flow.velocity(yc); try Self.checkFinite(vc)
            let nc = spectra(yc, velocity: vc, c: c).n
            var out = sy
            for f in 0..<F { for m in 0..<S {
                let ab = lin(na[f][m], b2[m], nb[f][m], b2[m])
                out[f][m] = lin(lin(sy[f][m], e1[m], nv[f][m], b1[m]), 1, lin(ab, 1, nc[f][m], b4[m]), 1)
            } }
            return physical(out)
        }
    }
}

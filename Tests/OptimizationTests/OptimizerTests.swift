import Foundation
import Testing
import NumericCore
import Optimization
import TestSupport

/// Unit roundoff of Double, 2⁻⁵³.
private let u = Double.ulpOfOne / 2

/// The quadratic f(θ) = ½θᵀAθ with A = [[2, 1], [1, 2]]: eigenvalues 3 and 1 on the eigenvectors (1, 1)/√2 and
/// (1, −1)/√2, so θ = ½(θ₁ + θ₂)(1, 1) + ½(θ₁ − θ₂)(1, −1) splits into two independent modes.
private func gradient2(_ t: [Double]) -> [Double] { [2 * t[0] + t[1], t[0] + 2 * t[1]] }
private let modes2: [(lambda: Double, sign: Double)] = [(3, 1), (1, -1)]

/// θ_t = Σ_modes x_t·(1, ±1) with x₀ = ½(θ₁ ± θ₂), each mode's x_t from `heavyBall` (μ = 0: gradient descent).
private func closedForm2(_ theta0: [Double], eta: Double, mu: Double, t: Int) -> [Double] {
    var out = [0.0, 0.0]
    for (lambda, sign) in modes2 {
        let x = heavyBall(x0: 0.5 * (theta0[0] + sign * theta0[1]), lambda: lambda, eta: eta, mu: mu, t: t)
        out[0] += x; out[1] += sign * x
    }
    return out
}

/// Heavy-ball iterate x_t of one mode with curvature λ, x₀ given, buffer b₀ = 0. Eliminating b (b_t = (x_{t−1} − x_t)/η)
/// from b' = μb + λx, x' = x − ηb' gives x_{t+1} = τx_t − μx_{t−1}, τ = 1 + μ − ηλ, x₁ = (1 − ηλ)x₀; its roots
/// r = (τ ± √(τ² − 4μ))/2 give x_t = [(x₁ − r₂x₀)r₁ᵗ − (x₁ − r₁x₀)r₂ᵗ]/(r₁ − r₂) when real, and with r = √μ·e^{±iφ},
/// cos φ = τ/(2√μ), x_t = μ^{t/2}[x₀cos tφ + (x₁ − √μ cos φ·x₀)/(√μ sin φ)·sin tφ] when complex. μ = 0 is gradient
/// descent, x_t = (1 − ηλ)ᵗx₀.
private func heavyBall(x0: Double, lambda: Double, eta: Double, mu: Double, t: Int) -> Double {
    let x1 = (1 - eta * lambda) * x0
    if mu == 0 { return Foundation.pow(1 - eta * lambda, Double(t)) * x0 }
    let tau = 1 + mu - eta * lambda, disc = tau * tau - 4 * mu
    if disc > 0 {
        let r1 = (tau + disc.squareRoot()) / 2, r2 = (tau - disc.squareRoot()) / 2
        return ((x1 - r2 * x0) * Foundation.pow(r1, Double(t)) - (x1 - r1 * x0) * Foundation.pow(r2, Double(t))) / (r1 - r2)
    }
    let rho = mu.squareRoot(), phi = Foundation.acos(tau / (2 * rho))
    return Foundation.pow(rho, Double(t))
        * (x0 * Foundation.cos(Double(t) * phi) + (x1 - rho * Foundation.cos(phi) * x0) / (rho * Foundation.sin(phi)) * Foundation.sin(Double(t) * phi))
}

@Suite struct OptimizerTests {
    /// Gradient descent on ½θᵀAθ is θ_t = (I − ηA)ᵗθ₀, i.e. each eigenmode shrinks by (1 − ηλ)ᵗ (here 0.4ᵗ and 0.8ᵗ).
    /// Tolerance: each step rounds the products 2θ₁, ηg and the sums, ≤ 4u·(|θ| + η|g|) ≤ 4u(1 + η‖A‖)|θ₀| per
    /// coordinate; I − ηA contracts (‖I − ηA‖ = 0.8), so the t errors at most add up: t·4u(1 + 3η)|θ₀|, plus a few u
    /// in the closed form (pow and the mode sums).
    @Test func gradientDescentFollowsTheEigenmodes() {
        let eta = 0.2, theta0 = [1.0, 0.25]
        var st = OptimizerState(kind: .gd, parameters: 2)
        #expect(st.m.isEmpty && st.v.isEmpty)
        var th = theta0
        for t in 1...40 {
            st.update(&th, gradient: gradient2(th), rate: eta)
            let exact = closedForm2(theta0, eta: eta, mu: 0, t: t)
            let tol = (Double(t) * 4 * (1 + 3 * eta) + 8) * u * maxAbs(theta0)
            #expect(abs(th[0] - exact[0]) <= tol && abs(th[1] - exact[1]) <= tol, "t = \(t): \(th) vs \(exact)")
        }
        #expect(st.t == 40)
    }

    /// `gd` is `sgd` with μ = 0 bit for bit (b = 0·b + g = g exactly), and `sgd`'s default is μ = 0.9.
    @Test func gradientDescentIsMomentumZero() {
        var gd = OptimizerState(kind: .gd, parameters: 2), sgd0 = OptimizerState(kind: .sgd, parameters: 2, momentum: 0)
        var a = [0.7, -1.3], b = a
        for _ in 0..<25 {
            gd.update(&a, gradient: gradient2(a), rate: 0.1)
            sgd0.update(&b, gradient: gradient2(b), rate: 0.1)
        }
        #expect(a == b)
        #expect(OptimizerState(kind: .sgd, parameters: 1).momentum == 0.9 && OptimizerState.defaultMomentum == 0.9)
    }

    /// Heavy-ball momentum on ½θᵀAθ against the closed form of each eigenmode's recurrence (see `heavyBall`): μ = 0.3,
    /// η = 0.1 gives one complex pair of roots (λ = 3: τ² − 4μ = −0.2) and one real pair (λ = 1: +0.24); `sgd`'s default
    /// μ = 0.9 with η = 0.05 gives complex pairs of modulus √0.9 for both.
    /// Tolerance: the iteration's roundoff, ≤ 4u per step relative to the state, is carried forward by powers of the
    /// non-normal 2×2 map M = [[1 − ηλ, −ημ], [λ, μ]], whose powers are bounded here by K = max‖Mᵏ‖_∞ (computed below
    /// by explicit matrix powers): t·4u·K²·|θ₀|. The closed form's angle φ = acos(·) is off by ≤ 2u/sin φ, which
    /// the phase tφ multiplies by t: a further 2tu/sin φ·|x|, |x| ≤ K|θ₀|.
    @Test(arguments: [(0.1, 0.3), (0.05, OptimizerState.defaultMomentum)])
    func momentumFollowsTheClosedForm(eta: Double, mu: Double) {
        let theta0 = [1.0, 0.25], steps = 60
        var st = mu == OptimizerState.defaultMomentum
            ? OptimizerState(kind: .sgd, parameters: 2) : OptimizerState(kind: .sgd, parameters: 2, momentum: mu)
        var K = 1.0, phaseFactor = 0.0
        for (lambda, _) in modes2 {
            var p = (1.0, 0.0, 0.0, 1.0)  // Mᵏ, row-major
            for _ in 0..<steps {
                p = ((1 - eta * lambda) * p.0 - eta * mu * p.2, (1 - eta * lambda) * p.1 - eta * mu * p.3,
                     lambda * p.0 + mu * p.2, lambda * p.1 + mu * p.3)
                K = max(K, abs(p.0) + abs(p.1), abs(p.2) + abs(p.3))
            }
            let tau = 1 + mu - eta * lambda, c = tau / (2 * mu.squareRoot())
            if c * c < 1 { phaseFactor = max(phaseFactor, 2 / (1 - c * c).squareRoot()) }
        }
        var th = theta0
        for t in 1...steps {
            st.update(&th, gradient: gradient2(th), rate: eta)
            let exact = closedForm2(theta0, eta: eta, mu: mu, t: t)
            let tol = Double(t) * u * K * (4 * K + phaseFactor) + 8 * u * K
            #expect(abs(th[0] - exact[0]) <= tol && abs(th[1] - exact[1]) <= tol, "t = \(t): \(th) vs \(exact), tol \(tol)")
        }
    }

    /// `sgd` in PyTorch's form, bit for bit: the pair (θ, b) follows b' = μb + aθ, θ' = θ − ηb' on f = ½aθ².
    @Test func sgdMomentumIsPyTorchsForm() {
        var st = OptimizerState(kind: .sgd, parameters: 1)
        var th = [1.0]
        let a = 2.0, eta = 0.05, mu = 0.9
        var x = (1.0, 0.0)  // (θ, b)
        for _ in 0..<50 {
            st.update(&th, gradient: [a * th[0]], rate: eta)
            let b = mu * x.1 + a * x.0
            x = (x.0 - eta * b, b)
        }
        #expect(th[0] == x.0 && st.m[0] == x.1)
    }

    /// Adam's first two steps by hand. Step 1: m̂ = g, v̂ = g², so Δθ = −ηg/(|g| + ε) = −η·sign(g) + O(ηε/|g|).
    /// Step 2 with gradients g₁, g₂: m̂ = (β₁g₁ + g₂)/(1 + β₁), v̂ = (β₂g₁² + g₂²)/(1 + β₂). Coordinates:
    /// (g₁, g₂) = (1, −1): m̂ = −1/19, v̂ = 1, Δθ₂ = +η/19/(1 + ε); (−2, −2): both steps +2η/(2 + ε);
    /// (0, 0): no move (0/ε); (3, 0): m̂ = 27/19, √v̂ = 3√(0.999/1.999), Δθ₂ = −η(27/19)/(3√(0.999/1.999) + ε).
    /// Tolerance: the ε terms are kept exactly, so only roundoff remains: ≲ 16u·η per step from about ten roundings,
    /// and from step 2 on the cancellation in the bias correction 1 − β₂ᵗ: rounding β₂ᵗ (≤ u) is a relative error
    /// u/(1 − β₂²) ≈ 500u in v̂ at t = 2, half of it in √v̂ and so in Δθ₂ (1 − β₁² loses only u/0.19).
    @Test func adamFirstStepsByHand() {
        let eta = 0.1, eps = 1e-8
        var st = OptimizerState(kind: .adam, parameters: 4)
        var th = [0.0, 0.0, 0.5, 0.0]
        st.update(&th, gradient: [1, -2, 0, 3], rate: eta)
        let first = [-eta / (1 + eps), 2 * eta / (2 + eps), 0.5, -3 * eta / (3 + eps)]
        for k in 0..<4 { #expect(abs(th[k] - first[k]) <= 16 * u * eta, "\(k): \(th[k]) vs \(first[k])") }
        // −η·sign(g) to O(ηε/|g|):
        for (k, g) in [(0, 1.0), (1, -2.0), (3, 3.0)] { #expect(abs(th[k] + eta * (g > 0 ? 1 : -1)) <= eta * eps / abs(g) + 16 * u * eta) }
        st.update(&th, gradient: [-1, -2, 0, 0], rate: eta)
        let second = [first[0] + eta / 19 / (1 + eps), first[1] + 2 * eta / (2 + eps), 0.5,
                      first[3] - eta * (27.0 / 19) / (3 * (0.999 / 1.999).squareRoot() + eps)]
        let cancellation = 0.5 / (1 - 0.999 * 0.999)
        for k in 0..<4 {
            let tol = 16 * u * eta + (16 + cancellation) * u * abs(second[k] - first[k]) + u * abs(second[k])
            #expect(abs(th[k] - second[k]) <= tol, "\(k): \(th[k]) vs \(second[k])")
        }
    }

    /// After many steps on f = ½Σ a_kθ_k² Adam is near the minimum.
    @Test func adamConverges() {
        var st = OptimizerState(kind: .adam, parameters: 3)
        var th = [1.0, -2.0, 0.5]
        let a = [1.0, 10.0, 0.1]
        for _ in 0..<3000 { st.update(&th, gradient: (0..<3).map { a[$0] * th[$0] }, rate: 0.01) }
        #expect(th.allSatisfy { abs($0) < 1e-2 }, "\(th)")
    }

    /// f = ½xᵀAx − bᵀx in n = 6 dimensions, A = QΛQᵀ with Λ = diag(1, 2, 5, 10, 30, 100) and Q the Householder
    /// reflection I − 2wwᵀ/wᵀw (orthogonal by construction), b = Ax* for a chosen minimiser x*.
    struct Quadratic {
        let n = 6
        let lambda = [1.0, 2, 5, 10, 30, 100]
        let xStar = [1.0, -1, 2, 0.5, -0.3, 1.5]
        let a: [[Double]]
        let b: [Double]
        init() {
            let w = [1.0, 2, -1, 0.5, 3, -2], ww = w.reduce(0) { $0 + $1 * $1 }
            var q = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 6)
            for i in 0..<6 { for j in 0..<6 { q[i][j] = (i == j ? 1 : 0) - 2 * w[i] * w[j] / ww } }
            var a = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 6), b = [Double](repeating: 0, count: 6)
            for i in 0..<6 { for j in 0..<6 { for k in 0..<6 { a[i][j] += q[i][k] * lambda[k] * q[j][k] } } }
            for i in 0..<6 { for j in 0..<6 { b[i] += a[i][j] * xStar[j] } }
            self.a = a; self.b = b
        }
        func times(_ x: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: n)
            for i in 0..<n { for j in 0..<n { out[i] += a[i][j] * x[j] } }
            return out
        }
        func value(_ x: [Double]) -> (Double, [Double]) {
            let ax = times(x)
            var f = 0.0
            for i in 0..<n { f += 0.5 * x[i] * ax[i] - b[i] * x[i] }
            return (f, (0..<n).map { ax[$0] - b[$0] })
        }
        func error(_ x: [Double]) -> Double { maxAbsDifference(x, xStar) }
    }

    /// With exact line searches α = −gᵀd/dᵀAd and memory ≥ n, (L-)BFGS from a scalar H₀ = γI makes the same iterates as
    /// conjugate gradients (Nazareth; the scale γ only rescales d), so it reaches x* in n iterations, and not before for
    /// generic data. Tolerance: the final error is the roundoff of an n-step Krylov solve, ≲ n·κ·u·|x*| with κ = 100.
    @Test func lbfgsTerminatesOnAQuadraticWithExactLineSearch() {
        let f = Quadratic()
        #expect(LBFGS.memory >= f.n)
        var st = OptimizerState(kind: .lbfgs, parameters: f.n)
        var x = [Double](repeating: 0, count: f.n)
        var g = f.value(x).1
        for k in 1...f.n {
            let d = LBFGS.direction(g, state: st)
            let ad = f.times(d)
            let alpha = -zip(g, d).reduce(0.0) { $0 + $1.0 * $1.1 } / zip(d, ad).reduce(0.0) { $0 + $1.0 * $1.1 }
            let x1 = zip(x, d).map { $0 + alpha * $1 }, g1 = f.value(x1).1
            st.s.append(zip(x1, x).map { $0 - $1 }); st.y.append(zip(g1, g).map { $0 - $1 })
            (x, g) = (x1, g1)
            if k == f.n - 1 { #expect(f.error(x) > 1e-3, "converged early at k = \(k)") }
        }
        let tol = Double(f.n) * 100 * u * maxAbs(f.xStar)
        #expect(f.error(x) <= tol, "|x − x*| = \(f.error(x)), tol \(tol)")
    }

    /// With its own weak-Wolfe line search from η = 1 the iterates are no longer CG's, but L-BFGS still converges
    /// superlinearly, until its Armijo test, which compares values of f, stops resolving progress: f − f* = ½eᵀAe
    /// ≥ ½λ_min|e|² drops below the roundoff u|f*| of f at |e| ≈ √(2u|f*|/λ_min) (≈ 1.1·10⁻⁷ here). Within 4n
    /// iterations it is at that floor (from x = 0 it gets there in about 3n) and f is f* = −½bᵀx* to a few u.
    @Test func lbfgsConvergesOnAQuadraticWithItsLineSearch() {
        let f = Quadratic()
        var st = OptimizerState(kind: .lbfgs, parameters: f.n)
        var x = [Double](repeating: 0, count: f.n)
        var (v, g) = f.value(x)
        for _ in 0..<(4 * f.n) { (x, v, g) = LBFGS.step(x, loss: v, gradient: g, rate: 1, state: &st, evaluate: f.value) }
        let fStar = -0.5 * zip(f.b, f.xStar).reduce(0.0) { $0 + $1.0 * $1.1 }
        let floor = (2 * u * abs(fStar) / f.lambda.min()!).squareRoot()
        #expect(f.error(x) <= floor, "|x − x*| = \(f.error(x)), floor \(floor)")
        #expect(abs(v - fStar) <= 8 * u * abs(fStar), "f − f* = \(v - fStar)")
        #expect(st.t == 4 * f.n && st.s.count <= LBFGS.memory)
    }

    /// L-BFGS on the Rosenbrock function reaches the minimum (1, 1) to 10⁻⁸ within 100 iterations; on a diagonal
    /// quadratic in 4 variables (condition number 30) it reaches f < 10⁻²⁰ within 40 iterations.
    @Test func lbfgs() {
        func rosen(_ t: [Double]) -> (Double, [Double]) {
            let (x, y) = (t[0], t[1])
            return ((1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x), [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
        }
        var st = OptimizerState(kind: .lbfgs, parameters: 2)
        var th = [-1.2, 1.0]
        var (f, g) = rosen(th)
        for _ in 0..<100 { (th, f, g) = LBFGS.step(th, loss: f, gradient: g, rate: 1, state: &st, evaluate: rosen) }
        #expect(abs(th[0] - 1) < 1e-8 && abs(th[1] - 1) < 1e-8, "\(th) f = \(f)")
        let a = [1.0, 3.0, 10.0, 30.0]
        func quad(_ t: [Double]) -> (Double, [Double]) { (zip(a, t).reduce(0) { $0 + 0.5 * $1.0 * $1.1 * $1.1 }, zip(a, t).map { $0 * $1 }) }
        var s2 = OptimizerState(kind: .lbfgs, parameters: 4)
        var q = [1.0, 1, 1, 1]
        var (fq, gq) = quad(q)
        for _ in 0..<40 { (q, fq, gq) = LBFGS.step(q, loss: fq, gradient: gq, rate: 1, state: &s2, evaluate: quad) }
        #expect(fq < 1e-20, "\(fq)")
    }

    @Test func schedules() throws {
        #expect(try LearningRateSchedule.parse("exp:100").rate(0.1, step: 200) == 0.025)
        #expect(try LearningRateSchedule.parse("step:10:0.5").rate(1, step: 25) == 0.25)
        #expect(abs(try LearningRateSchedule.parse("cosine:50").rate(1, step: 50) - 0.01) < 1e-15)
        #expect(try LearningRateSchedule.parse("constant").rate(0.3, step: 7) == 0.3)
        #expect(throws: SettingError.self) { try LearningRateSchedule.parse("exp:-1") }
    }

    /// Each schedule over 0…300 steps against its formula by another route: exp as e^{−step·ln2/H} (pow and exp
    /// agree to a few u, plus |x|·u from rounding the exponent x); step by repeated halving (exact in binary, so ==);
    /// cosine through ½(1 + cos 2ψ) = cos²ψ, ψ = π·min(step, T)/(2T) (a few u of η₀), flat at η₀/100 after T.
    @Test func schedulesFollowTheirFormulas() throws {
        let base = 0.3
        let exp = try LearningRateSchedule.parse("exp:37.5"), step = try LearningRateSchedule.parse("STEP:10:0.5")
        let cosine = try LearningRateSchedule.parse("cosine:100")
        var halved = base
        for s in 0...300 {
            if s > 0 && s % 10 == 0 { halved /= 2 }
            let x = Double(s) * Foundation.log(2) / 37.5
            let e = base * Foundation.exp(-x)
            #expect(abs(exp.rate(base, step: s) - e) <= (x + 8) * u * e, "exp step \(s)")
            #expect(step.rate(base, step: s) == halved, "step step \(s)")
            let c = Foundation.cos(Double.pi * Double(min(s, 100)) / 200)
            #expect(abs(cosine.rate(base, step: s) - base * (0.01 + 0.99 * c * c)) <= 8 * u * base, "cosine step \(s)")
        }
        #expect(cosine.rate(base, step: 500) == cosine.rate(base, step: 100))
        for sched in [exp, step, cosine, .constant] { #expect(try LearningRateSchedule.parse(sched.description) == sched) }
    }

    /// Clipping by the global norm: a gradient above the bound keeps its direction and gets norm c exactly (to
    /// rounding); one at or below it is returned bit for bit; the norm before clipping is returned.
    @Test func clipByGlobalNormKeepsDirection() {
        var g = [3.0, -4.0, 12.0]                       // ‖g‖ = 13
        let norm = clipByGlobalNorm(&g, maximum: 5)
        #expect(norm == 13)
        #expect(abs(g.reduce(0) { $0 + $1 * $1 }.squareRoot() - 5) <= 1e-15 * 5)
        for (a, b) in zip(g, [3.0, -4.0, 12.0]) { #expect(abs(a / b - 5.0 / 13) <= 1e-15) }
        var h = [0.3, -0.4]
        #expect(clipByGlobalNorm(&h, maximum: 0.5) == 0.5 && h == [0.3, -0.4])
    }
}

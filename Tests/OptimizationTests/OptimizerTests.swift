import Foundation
import Testing
import NumericCore
import Optimization

@Suite struct OptimizerTests {
    /// Adam's first step moves every coordinate by −η·sign(g)·|g|/(|g| + ε) (m̂/√v̂ = g/|g| at t = 1); after many
    /// steps on f = ½Σ a_k θ_k² it is near the minimum.
    @Test func adam() {
        var st = OptimizerState(kind: .adam, parameters: 3)
        var th = [1.0, -2.0, 0.5]
        let g = [0.3, -4.0, 1e-3]
        st.update(&th, gradient: g, rate: 0.1)
        for k in 0..<3 { #expect(abs(th[k] - ([1.0, -2.0, 0.5][k] - 0.1 * g[k] / (abs(g[k]) + 1e-8))) < 1e-15) }
        let a = [1.0, 10.0, 0.1]
        for _ in 0..<3000 { st.update(&th, gradient: (0..<3).map { a[$0] * th[$0] }, rate: 0.01) }
        #expect(th.allSatisfy { abs($0) < 1e-2 }, "\(th)")
    }

    /// SGD with momentum on f = ½aθ²: the pair (θ, b) follows b' = μb + aθ, θ' = θ − ηb', i.e. the linear map
    /// [[1 − ηa, −ημ], [a, μ]]; 50 steps against that matrix power.
    @Test func sgdMomentum() {
        var st = OptimizerState(kind: .sgd, parameters: 1)
        var th = [1.0]
        let a = 2.0, eta = 0.05, mu = OptimizerState.momentum
        var x = (1.0, 0.0)  // (θ, b)
        for _ in 0..<50 {
            st.update(&th, gradient: [a * th[0]], rate: eta)
            let b = mu * x.1 + a * x.0
            x = (x.0 - eta * b, b)
        }
        #expect(abs(th[0] - x.0) < 1e-15)
        #expect(abs(th[0]) < 0.5)
    }

    /// L-BFGS on the Rosenbrock function reaches the minimum (1, 1) to 10⁻⁸ within 100 iterations; on a
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
        #expect(throws: InputError.self) { try LearningRateSchedule.parse("exp:-1") }
    }
}

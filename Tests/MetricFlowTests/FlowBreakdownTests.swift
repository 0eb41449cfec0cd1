import Foundation
import Testing
@testable import MetricFlow
import NumericCore

/// Breakdowns end a flow with the states saved so far and the time reached, never with a NaN state.
@Suite struct FlowBreakdownTests {
    /// ∂_t y = y² + εΔy from y₀ = 1 blows up at t* = 1 (the spatially constant solution 1/(1 − t)): the integrator
    /// saves t = 0.5 (y = 2 to the tolerance), then reports a collapsing step at a time within 1e-3 of t*.
    struct Riccati: ParabolicFlow {
        let grid: TorusGrid
        var fieldCount: Int { 1 }
        func velocity(_ y: [Double]) throws -> [Double] {
            let lap = grid.laplacian(y)
            return (0..<y.count).map { y[$0] * y[$0] + 1e-3 * lap[$0] }
        }
        func diffusivity(_ y: [Double]) -> Double { 1e-3 }
    }

    @Test func finiteTimeBlowUpIsReportedWithItsTime() throws {
        let grid = try TorusGrid(dimension: 2, side: 8)
        var saved: [(Double, [Double])] = []
        var stats = ExponentialIntegrator.Statistics()
        do {
            try ExponentialIntegrator(control: StepControl(tolerance: 1e-8)).integrate(
                Riccati(grid: grid), from: [Double](repeating: 1, count: grid.count), at: 0, times: [0.5, 2],
                statistics: &stats, save: { _, t, y in saved.append((t, y)) })
            Issue.record("no breakdown")
        } catch let b as FlowBreakdown {
            #expect(saved.count == 1 && saved[0].0 == 0.5)
            #expect(saved[0].1.allSatisfy { abs($0 - 2) < 1e-6 })
            #expect(b.reason.contains("blow-up") || b.reason.contains("not finite"), "\(b)")
            #expect(abs(b.time - 1) < 1e-3, "breakdown at t = \(b.time)")
        }
    }

    /// A velocity that refuses the state (a metric no longer positive definite) shrinks the step; when the refusal
    /// persists the run ends at the last admissible time, recorded in the trajectory by `RicciFlow.run`.
    struct Refusing: ParabolicFlow {
        let grid: TorusGrid
        var fieldCount: Int { 1 }
        func velocity(_ y: [Double]) throws -> [Double] {
            if y[0] > 1.5 { throw FlowBreakdown("the metric is no longer positive definite") }
            return [Double](repeating: 1, count: y.count)   // y = y₀ + t: inadmissible from t = 0.5 on
        }
        func diffusivity(_ y: [Double]) -> Double { 1 }
    }

    @Test func inadmissibleStateEndsTheRunAtTheLastGoodTime() throws {
        let grid = try TorusGrid(dimension: 2, side: 4)
        var stats = ExponentialIntegrator.Statistics()
        var last = -1.0
        do {
            try ExponentialIntegrator().integrate(Refusing(grid: grid), from: [Double](repeating: 1, count: grid.count), at: 0,
                                                  times: [0.25, 1], statistics: &stats, save: { _, t, _ in last = t })
            Issue.record("no breakdown")
        } catch let b as FlowBreakdown {
            #expect(last == 0.25)
            #expect(abs(b.time - 0.5) < 0.05, "stopped at t = \(b.time)")
            #expect(b.reason.contains("positive definite"))
        }
    }
}

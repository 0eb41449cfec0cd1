import Foundation
import Testing
@testable import MetricFlow
import NumericCore

/// The stable learning-rate bounds of the kernel arms against the spectrum of their linearised flows, found by power
/// iteration on the velocity (an independent route to the largest mode rate the bound's formula states).
@Suite struct KernelFlowTests {
    /// The largest |eigenvalue| of a symmetric linear map on grid fields, by power iteration from a fixed pseudo-random
    /// start (the Rayleigh quotient converges as (λ₂/λ₁)^{2k}; the Gaussian kernel's two largest rates on 8² points,
    /// 8e^{−1} and 9e^{−9/8}, differ by 0.7 %, hence the many iterations).
    static func largestEigenvalue(count: Int, iterations: Int = 2500, _ apply: ([Double]) -> [Double]) -> Double {
        var w = (0..<count).map { sin(Double($0) * 12.9898 + 1.3) }
        var lambda = 0.0
        for _ in 0..<iterations {
            let a = apply(w)
            let norm = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), wn = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            lambda = abs(zip(w, a).reduce(0) { $0 + $1.0 * $1.1 }) / (wn * wn)
            w = a.map { $0 / norm }
        }
        return lambda
    }

    /// Heat (rate |k|², largest n(N/2)²) and Gaussian with ℓ = 0.5 (rate |k|²e^{−ℓ²|k|²/2}, largest at |k|² = 2/ℓ² = 8,
    /// a lattice point): the bound is 2 over the largest eigenvalue of u ↦ ∂_t u.
    @Test(arguments: [KernelFlow.Arm.heat, .gaussian]) func linearArmsBoundIsTwoOverTheLargestRate(arm: KernelFlow.Arm) throws {
        let grid = try TorusGrid(dimension: 2, side: 8)
        let flow = try KernelFlow(grid: grid, arm: arm, step: 1e-3, kernelWidth: 0.5)
        let top = Self.largestEigenvalue(count: grid.count) { flow.conformalVelocity($0) }
        let u = [Double](repeating: 0, count: grid.count)
        #expect(abs(flow.stableStepBound(u) * top / 2 - 1) < 1e-8, "bound \(flow.stableStepBound(u)), 2/λ_max = \(2 / top)")
    }

    /// The local arm at constant v = c: the velocity ∂_t v = Δ ln v linearised (central differences in v) is Δ/c, whose
    /// largest rate is k²_max/c, so the bound is 2c/k²_max; a step above it is refused with the bound in the message.
    @Test func localArmBoundIsTwoOverTheLargestLinearisedRate() throws {
        let grid = try TorusGrid(dimension: 2, side: 8)
        let u0 = [Double](repeating: 0.3, count: grid.count), v0 = u0.map(exp)
        let flow = try KernelFlow(grid: grid, arm: .local, step: 1e-3)
        let h = 1e-6
        let top = Self.largestEigenvalue(count: grid.count) { w in
            let plus = grid.laplacian((0..<w.count).map { log(v0[$0] + h * w[$0]) })
            let minus = grid.laplacian((0..<w.count).map { log(v0[$0] - h * w[$0]) })
            return (0..<w.count).map { (plus[$0] - minus[$0]) / (2 * h) }
        }
        // Central differences of ln: relative error ≈ h²/(3c²) plus round-off ε·|Δ ln v|/h ≈ 1e-10.
        #expect(abs(flow.stableStepBound(u0) * top / 2 - 1) < 1e-7, "bound \(flow.stableStepBound(u0)), 2/λ_max = \(2 / top)")
        let above = try KernelFlow(grid: grid, arm: .local, step: 1.01 * flow.stableStepBound(u0))
        do { _ = try above.run(conformalFactor: u0, times: [0.1]); Issue.record("an unstable step was accepted") } catch {
            #expect("\(error)".contains("stable bound"))
        }
    }
}

import Foundation
import NumericCore

/// Frozen-kernel realisations of the neural-network metric flow ∂_t g(x) = −∫ Θ(x, y) δL/δg(y) dy on T² for
/// conformal metrics g = e^{u}δ, run as gradient descent on the grid values with learning rate η: one step is one
/// explicit Euler step of the kernel flow, so after k steps the flow time is t = kη (a last, shorter step lands on
/// each saved time exactly). Kernels act spectrally.
///
/// - `local`: output v = e^{u}, Θ = −Δδ(x − y) (positive semi-definite, local), L = ∫ v ln v dx; δL/δv = ln v + 1,
///   so ∂_t v = Δ ln v — exactly 2-D Ricci flow (∂_t u = e^{−u}Δu): the H⁻¹ gradient flow of the entropy.
///   Explicit Euler is stable while η ≤ 2 min v / k²_max (the linearisation ∂_t δv = Δ(δv / v)).
/// - `heat`: output u, Θ = δ(x − y), L = ½∫|∇u|² dx, δL/δu = −Δu, so ∂_t u = Δu: Ricci flow linearised at u = 0.
///   It conserves ∫u (Ricci flow conserves ∫e^{u}), so its limit is the mean of u₀, not ln(mean e^{u₀}); mode k decays
///   at |k|² instead of e^{−u∞}|k|². Stable while η ≤ 2/k²_max.
/// - `gaussian`: output u, Θ = K_ℓ(x − y), the periodised normalised Gaussian of width ℓ (∫K = 1, Fourier multiplier
///   e^{−ℓ²|k|²/2}), same loss: ∂_t u = K_ℓ ∗ Δu. Non-local: the same fixed points as `heat` (K̂ > 0, so
///   K ∗ Δu = 0 ⇔ u constant) but mode k decays at |k|²e^{−ℓ²|k|²/2}, which is largest at |k|² = 2/ℓ² and falls
///   beyond it — the high modes are the slowest, the ordering of Ricci flow reversed. Stable while
///   η ≤ 2 / max_k |k|²e^{−ℓ²|k|²/2}.
///
/// k²_max = n(N/2)² is the largest |k|² on the grid. A step above the stable bound is refused with the bound.
public struct KernelFlow: Sendable {
    /// The kernel realisation.
    public enum Arm: String, Sendable, Codable, CaseIterable {
        case local, heat, gaussian
    }

    /// The grid (n = 2).
    public let grid: TorusGrid
    /// The realisation.
    public let arm: Arm
    /// Learning rate η (the Euler step in flow time).
    public let step: Double
    /// Width ℓ of the Gaussian kernel (`gaussian` only).
    public let kernelWidth: Double

    /// The kernel flow; throws a `SettingError` for n ≠ 2, a non-positive η or ℓ.
    public init(grid: TorusGrid, arm: Arm, step: Double, kernelWidth: Double = 0.5) throws {
        guard grid.dimension == 2 else {
            throw SettingError("dimension", "\(grid.dimension) for the \(arm.rawValue) kernel flow, expected 2 (the kernel arms act on conformal metrics e^u δ of T²)")
        }
        guard step.isFinite, step > 0 else { throw SettingError("step", "\(step), expected a positive learning rate") }
        guard kernelWidth.isFinite, kernelWidth > 0 else { throw SettingError("kernelWidth", "\(kernelWidth), expected a positive width") }
        self.grid = grid; self.arm = arm; self.step = step; self.kernelWidth = kernelWidth
    }

    /// Fourier multiplier of the kernel times −|k|² (the rate of mode k: ∂_t û_k = −rate·û_k), for `heat` and
    /// `gaussian`.
    public func modeRate(_ k2: Double) -> Double {
        switch arm {
        case .heat, .local: return k2
        case .gaussian: return k2 * exp(-kernelWidth * kernelWidth * k2 / 2)
        }
    }

    /// The largest stable learning rate of explicit Euler at the conformal factor u.
    public func stableStepBound(_ u: [Double]) -> Double {
        let k2max = grid.largestWaveNumberSquared
        switch arm {
        case .local: return 2 * exp(u.min() ?? 0) / k2max
        case .heat: return 2 / k2max
        case .gaussian:
            let peak = 2 / (kernelWidth * kernelWidth)
            return 2 / (peak <= k2max ? modeRate(peak) : modeRate(k2max))
        }
    }

    /// ∂_t u of the kernel flow at u (the `local` flow written for u: ∂_t u = e^{−u}Δ ln v = e^{−u}Δu).
    public func conformalVelocity(_ u: [Double]) -> [Double] {
        switch arm {
        case .local:
            let lap = grid.laplacian(u)
            return (0..<u.count).map { exp(-u[$0]) * lap[$0] }
        case .heat, .gaussian:
            return grid.filter(u) { -self.modeRate($0) }
        }
    }

    /// ∂_t g = (∂_t u)·g at the conformal metric e^{u}δ, [M, 2, 2].
    public func velocity(_ u: [Double]) -> [Double] {
        let du = conformalVelocity(u)
        var out = [Double](repeating: 0, count: u.count * 4)
        for p in 0..<u.count { let v = du[p] * exp(u[p]); out[p * 4] = v; out[p * 4 + 3] = v }
        return out
    }

    /// Runs gradient descent from the conformal factor u₀ through `times` (increasing, ≥ 0). Throws a `SettingError`
    /// naming the stable bound when η exceeds it at the start; a bound crossed later (the `local` arm's bound moves
    /// with min v) or a non-finite state ends the run with a `FlowBreakdown` recorded in the trajectory.
    /// `checkpointing` and `resume` make the run stoppable and resumable bit-identically (fields [u, v]: the local arm
    /// steps v = e^u and takes u = ln v, so v is kept as it stands rather than recomputed from u).
    public func run(conformalFactor u0: [Double], times: [Double], progress: (Double) -> Void = { _ in },
                    resume: (point: FlowResumePoint, trajectory: FlowTrajectory)? = nil,
                    checkpointing: FlowCheckpointing? = nil) throws -> FlowTrajectory {
        let bound = stableStepBound(u0)
        guard step <= bound else {
            throw SettingError("step", "\(step) is above the stable bound \(String(format: "%.6g", bound)) of explicit Euler for the \(arm.rawValue) kernel on a \(grid.side)-point grid, expected η ≤ \(String(format: "%.6g", bound))")
        }
        var trajectory = resume?.trajectory ?? FlowTrajectory(grid: grid)
        var u = u0, v = u0.map(exp), t = 0.0
        if let p = resume?.point, p.fields.count == 2 { u = p.fields[0]; v = p.fields[1]; t = p.time }
        var lnv = v.map(log)   // ln v, the argument of the local kernel's Laplacian (one log per point and step)
        do {
            for (i, target) in times.enumerated() where i >= (resume?.point.saved ?? 0) {
                while target - t > 1e-12 * max(1, target) {
                    let h = min(step, target - t)
                    switch arm {
                    case .local:
                        if h > stableStepBound(u) * (1 + 1e-12) {
                            throw FlowBreakdown("the learning rate \(step) crossed the stable bound \(String(format: "%.6g", stableStepBound(u))) of the local kernel (min v fell)")
                        }
                        let lap = grid.laplacian(lnv)
                        for p in 0..<v.count { v[p] += h * lap[p] }
                        if let bad = v.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
                            throw FlowBreakdown("v = e^u became \(v[bad]) at point \(bad), expected a positive finite value")
                        }
                        lnv = v.map(log); u = lnv
                    case .heat, .gaussian:
                        let du = conformalVelocity(u)
                        for p in 0..<u.count { u[p] += h * du[p] }
                        if let bad = u.firstIndex(where: { !$0.isFinite }) { throw FlowBreakdown("u became \(u[bad]) at point \(bad)") }
                    }
                    t = h == step ? t + h : target
                    progress(t)
                    if let c = checkpointing, target - t > 1e-12 * max(1, target), let sig = c.stop() {
                        try c.stopping(sig, at: FlowResumePoint(saved: i, time: t, fields: [u, v]), trajectory)
                    }
                }
                trajectory.append(time: target, metric: .conformal(u, grid: grid), conformalFactor: u, velocity: velocity(u))
                try checkpointing?.saved(FlowResumePoint(saved: i + 1, time: t, fields: [u, v]), of: times.count, trajectory)
            }
        } catch var b as FlowBreakdown {
            b.time = t
            trajectory.breakdown = b
        }
        return trajectory
    }
}

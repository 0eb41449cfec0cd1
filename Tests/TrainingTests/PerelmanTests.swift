import Foundation
import Testing
@testable import Networks
@testable import NumericCore
@testable import Training

/// Perelman's F on T² in conformal gauge, F = ∫(−Δu + |∂f|²) e^{−f} dx dy (Perelman, arXiv math/0211159 §1, written in conformal gauge on T²), at dilatons tied to u
/// (the loss is F/∫e^{−f}dV, ∫e^{−f}dV = ∫e^{u−f} dx dy):
/// the network's dilaton output is made a copy of the u output (f = u), its negative (f = −u) or a constant, by
/// editing the last layer. Quadrature on a 96² grid: the residuals fall spectrally with the grid (relative 10⁻⁷ at
/// 48², 10⁻⁹ at 64², below 10⁻¹⁰ at 96²), so the identities are checked to 10⁻¹⁰.
@Suite struct PerelmanTests {
    static func model(_ tie: Double, constant: Double? = nil) throws -> NeuralTorusMetric {
        let spec = try NetworkSpec.parse("Dense(10, W_std=1.4, b_std=0.3) Tanh Dense(10, W_std=1.2, b_std=0.2) Sin Dense(2, W_std=0.5, b_std=0.1)", defaultParameterization: .standard)
        var m = try NeuralTorusMetric(dimension: 2, parametrization: .conformal, architecture: spec, harmonics: 2, dilaton: true, seed: 12)
        let w = m.network.layout.slices[4].weightOffset, b = m.network.layout.slices[4].biasOffset!
        for i in 0..<10 { m.network.parameters[w + 2 * i + 1] = constant == nil ? tie * m.network.parameters[w + 2 * i] : 0 }
        m.network.parameters[b + 1] = constant ?? tie * m.network.parameters[b]
        return m
    }

    static let q = TorusQuadrature.grid(dimension: 2, side: 96)

    /// F(g, f = u) = ∫Δ(e^{−u}) = 0 and F(g, f = c) = e^{−c}∫R dA = 0 (Gauss–Bonnet, χ(T²) = 0), relative to the
    /// size of the integrand's parts (∫|R| dA).
    @Test func vanishingIdentities() throws {
        for (tie, c) in [(1.0, nil), (0.0, 0.7), (0.0, -1.3)] as [(Double, Double?)] {
            let m = try Self.model(tie, constant: c)
            let F = m.lossAndGradient(.perelman, quadrature: Self.q, gradient: false).loss
            let ev = m.evaluate(Self.q.points)
            let scale = Self.q.integrate(zip(ev.scalar, ev.volumeForm).map { abs($0 * $1) })
            #expect(scale > 0.1)
            #expect(abs(F) < 1e-10 * scale, "F = \(F), scale \(scale), tie \(tie), c \(String(describing: c))")
        }
    }

    /// F(g, f = −u) = 2∫|∂u|² e^{u} dx dy, the right side from the network's u jets (the loss divided by
    /// ∫e^{−f}dV = ∫e^{2u} dx dy).
    @Test func identityAtMinusU() throws {
        let m = try Self.model(-1)
        let F = m.lossAndGradient(.perelman, quadrature: Self.q, gradient: false).loss
        let (J, _) = m.outputJet(Self.q.points, keepTape: false)
        var rhs = [Double](), norm = [Double]()
        for p in 0..<Self.q.points.rows {
            let u = J[[], point: p, unit: 0], ux = J[[0], point: p, unit: 0], uy = J[[1], point: p, unit: 0]
            #expect(abs(J[[], point: p, unit: 1] + u) < 1e-14)
            rhs.append(2 * (ux * ux + uy * uy) * exp(u))
            norm.append(exp(2 * u))
        }
        let R = Self.q.integrate(rhs) / Self.q.integrate(norm)
        #expect(R > 0.1)
        #expect(abs(F - R) < 1e-10 * R, "F = \(F), 2∫|∂u|²e^u / ∫e^{2u} = \(R)")
    }
}

@Suite struct QuadratureTests {
    /// The Monte Carlo volume of a network metric on T³ against the 24³ grid value, within 4 stated standard
    /// errors, for 8 independent streams; and the errors are of the stated size (mean |z| between 0.3 and 1.5).
    @Test func monteCarloErrorIsStated() throws {
        let spec = try NetworkSpec.parse("Dense(8, W_std=1.5, b_std=0.3) Tanh Dense(6, W_std=1.0, b_std=0.1)", defaultParameterization: .standard)
        let m = try NeuralTorusMetric(dimension: 3, parametrization: .ldl, architecture: spec, harmonics: 1, seed: 3)
        let grid = TorusQuadrature.grid(dimension: 3, side: 24)
        let exact = grid.integrate(m.evaluate(grid.points).volumeForm)
        var zs: [Double] = []
        for s in 0..<8 {
            let q = TorusQuadrature.random(dimension: 3, points: 400, seed: 5, stream: UInt64(s))
            let f = m.evaluate(q.points).volumeForm
            let z = (q.integrate(f) - exact) / q.monteCarloError(f)
            #expect(abs(z) < 4, "stream \(s): z = \(z)")
            zs.append(abs(z))
        }
        let mean = zs.reduce(0, +) / 8
        #expect(mean > 0.3 && mean < 1.5, "mean |z| = \(mean)")
    }

    /// The stated standard error of a Monte Carlo loss (∫R² dV of a conformal network metric on T², 400 points)
    /// against the 48² grid value, 8 streams: |z| < 4 each, mean |z| in [0.3, 1.5].
    @Test func monteCarloLossErrorIsStated() throws {
        let spec = try NetworkSpec.parse("Dense(8, W_std=1.2, b_std=0.3) Tanh Dense(1, W_std=0.5)", defaultParameterization: .standard)
        let m = try NeuralTorusMetric(dimension: 2, parametrization: .conformal, architecture: spec, harmonics: 1, seed: 8)
        let exact = m.lossAndGradient(.scalar2, quadrature: TorusQuadrature.grid(dimension: 2, side: 48), gradient: false).loss
        var zs: [Double] = []
        for s in 0..<8 {
            let e = m.lossAndGradient(.scalar2, quadrature: TorusQuadrature.random(dimension: 2, points: 400, seed: 6, stream: UInt64(s)), gradient: false)
            let z = (e.loss - exact) / e.standardError!
            #expect(abs(z) < 4, "stream \(s): z = \(z)")
            zs.append(abs(z))
        }
        let mean = zs.reduce(0, +) / 8
        #expect(mean > 0.3 && mean < 1.5, "mean |z| = \(mean)")
    }
}

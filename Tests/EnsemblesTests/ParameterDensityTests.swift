import Foundation
import Testing
@testable import Ensembles
@testable import Networks
@testable import NumericCore

/// θ ~ N(0, 1) in one dimension, for testing the density abstraction.
struct StandardNormalDensity: ParameterDensity {
    func sample(using rng: inout RandomStream) -> Double { rng.normal() }
    func logDensity(_ θ: Double) -> Double { -0.5 * θ * θ }
}

@Suite struct ParameterDensityTests {
    /// Deforming N(0, 1) by S_int = λθ²/2 gives N(0, 1/(1+λ)): importance reweighting of base draws
    /// reproduces ⟨θ²⟩ = 1/(1+λ), and the deformed log-density is that Gaussian's up to a constant.
    @Test func deformedDensityReweighting() {
        let lambda = 0.6
        let d = DeformedDensity(base: StandardNormalDensity()) { lambda * $0 * $0 / 2 }
        var rng = RandomStream(seed: 21, stream: 0)
        var sw = 0.0, swx = 0.0, sw2 = 0.0
        let n = 200_000
        for _ in 0..<n {
            let θ = d.sample(using: &rng)
            let w = exp(d.importanceLogWeight(θ))
            sw += w; swx += w * θ * θ; sw2 += w * w
        }
        let estimate = swx / sw
        let ess = sw * sw / sw2
        // Standard error of a ratio estimate ≈ sd(θ²) under the target / √ESS; sd(θ²) = √2·variance.
        let target = 1 / (1 + lambda)
        #expect(abs(estimate - target) < 5 * 2.0.squareRoot() * target / ess.squareRoot())
        for θ in [-1.3, 0.2, 2.0] {
            #expect(abs((d.logDensity(θ) - d.logDensity(0)) - (-(1 + lambda) * θ * θ / 2)) < 1e-14)
        }
    }

    /// −2 log P(θ) of the single-layer density is Σ z², a χ² variable with k = N(d_in + 2) + 1 degrees of
    /// freedom for draws θ ~ P: its sample mean must be k within 5 standard errors (√(2k/n)).
    @Test func singleLayerLogDensityIsChiSquared() {
        let dens = SingleLayerDensity(width: 7, inputDimension: 3, sigmaW: 1.7, sigmaB: 0.4)
        let k = Double(7 * (3 + 2) + 1)
        var rng = RandomStream(seed: 2, stream: 5)
        let n = 4000
        var s = 0.0
        for _ in 0..<n { s += -2 * dens.logDensity(dens.sample(using: &rng)) }
        #expect(abs(s / Double(n) - k) < 5 * (2 * k / Double(n)).squareRoot())
    }

    /// Cos-net: −2 log P over the amplitudes is χ² with N degrees of freedom; momenta outside the ball
    /// are impossible.
    @Test func cosNetLogDensity() {
        let dens = CosNetDensity(width: 10, dimension: 2, mass: 1, cutoff: 3, sigmaA: 0.8)
        var rng = RandomStream(seed: 3, stream: 1)
        var s = 0.0
        let n = 4000
        for _ in 0..<n { s += -2 * dens.logDensity(dens.sample(using: &rng)) }
        #expect(abs(s / Double(n) - 10) < 5 * (20 / Double(n)).squareRoot())
        var θ = dens.sample(using: &rng)
        θ.b[0, 0] = 3.5
        #expect(dens.logDensity(θ) == -.infinity)
    }
}

import Foundation
import Testing
@testable import Networks
@testable import NumericCore

/// The ReLU family at exactly zero pre-activation variance follows neural-tangents: φ'(0) = (a + b)/2, so
/// Ṫ = ((a + b)/2)² and T = 0 when K₁₁ = 0 (u ≡ 0 is independent of v).
@Suite struct ZeroVarianceTests {
    /// (T, Ṫ) of ABReLU at K₁₁ = 0 (and K₁₂ = 0, as Cauchy–Schwarz forces) for K₂₂ ∈ {0, 1.7}: T = 0 and
    /// Ṫ = E[φ'(0)φ'(v)] = φ'(0)·E[φ'(v)] = ((a + b)/2)², since E[φ'(v)] = (a + b)/2 for symmetric v too.
    @Test func dualAtZeroVariance() {
        for (a, b) in [(0.0, 1.0), (-1.0, 1.0), (0.1, 1.0), (-0.3, 2.0)] {
            let act = Activation.abRelu(a: a, b: b)
            #expect(act.derivative(0) == (a + b) / 2)
            for k22 in [0.0, 1.7] {
                let (t, tDot) = act.dual(k11: 0, k12: 0, k22: k22)
                #expect(t == 0, "ABRelu(\(a), \(b)) T at K₁₁ = 0, K₂₂ = \(k22)")
                #expect(abs(tDot - (a + b) * (a + b) / 4) < 1e-15, "ABRelu(\(a), \(b)) Ṫ = \(tDot)")
            }
        }
        // Sign at zero variance: T = E[sign(0)·sign(v)] = 0.
        #expect(Activation.sign.dual(k11: 0, k12: 0, k22: 2).t == 0)
    }

    /// Dense(N, σ, b_std=0, standard) Relu Dense(1, σ, b_std=0, standard) at x = 0, in closed form by hand:
    /// K¹ = 0, Θ¹ = n_in·0 + σ²·0 + 1 = 1; Relu: K = 0, Θ = ¼·1; Dense: K = 0, Θ = N·0 + σ²/4 + 1. Through both
    /// kernel paths (layer by layer for a single point, fused for a block), with x = 0 among nonzero points.
    @Test func standardReluNetworkAtTheOrigin() throws {
        let sigma = 1.5
        let net = try NetworkSpec.parse("Dense(64, W_std=\(sigma), b_std=0) Relu Dense(1, W_std=\(sigma), b_std=0)", defaultParameterization: .standard)
        let expected = sigma * sigma / 4 + 1
        let single = try net.kernels(Matrix([[0, 0, 0]]))
        #expect(single.nngp[0] == 0 && abs(single.ntk[0] - expected) < 1e-15)
        let block = try net.kernels(Matrix([[0.5, -1, 0.3], [0, 0, 0], [1.2, 0.4, -0.7]]))
        #expect(block.nngp[4] == 0 && abs(block.ntk[4] - expected) < 1e-15, "Θ(0, 0) = \(block.ntk[4])")
        let diag = try net.kernels(Matrix([[0, 0, 0], [1, 0, 0]]), diagonalOnly: true)
        #expect(abs(diag.ntk[0] - expected) < 1e-15)
    }
}

import Foundation
import Testing
@testable import NTK
@testable import Networks
@testable import NumericCore
import TestSupport

@Suite struct MetricNTKTests {
    /// A metric network on ℝⁿ (no embedding) with parametrisation `par`; the reference factor r(x) = 1 + x₀² for
    /// `additive`.
    static func model(_ par: MetricParametrization, n: Int = 2, seed: UInt64 = 2) throws -> (MetricNTK, Matrix) {
        let O = par.outputCount(dimension: n)
        let net = try NetworkSpec.parse("Dense(6, W_std=1.2, b_std=0.3) Tanh Dense(\(O), W_std=0.8, b_std=0.2)")
        var rng = RandomStream(seed: seed, stream: 0)
        let x = rng.normalMatrix(3, n)
        let network = try Network(net, inputWidth: n, using: &rng)
        var reference: (@Sendable ([Double]) -> PointJet)? = nil
        if par == .additive { reference = { x in var j = PointJet(); j.v = 1 + x[0] * x[0]; return j } }
        let mn = try MetricNetwork(dimension: n, parametrization: par, embedding: nil, network: network, reference: reference)
        return (MetricNTK(mn), x)
    }

    static let parametrizations: [MetricParametrization] = [.components, .ldl, .additive, .conformal]

    /// Θ^g from the chain rule against Σ_I of central differences of g in every stored parameter θ_I.
    @Test(arguments: [0, 1, 2, 3]) func chainRuleMatchesFiniteDifferences(which: Int) throws {
        let par = Self.parametrizations[which], name = par.rawValue
        let (m, x) = try Self.model(par)
        let theta = try m.kernel(x)
        let n = 2, P = 3
        // per parameter: ∂g over (p, i, j)
        let grads = centralDifferenceJacobian(at: m.metricNetwork.network.parameters, step: 1e-6) { params in
            var q = m.metricNetwork
            q.network.parameters = params
            return q.metrics(x).data
        }
        let kernel = tangentKernel(grads), scale = maxAbs(theta.data)
        for p in 0..<P { for q in 0..<P { for i in 0..<n { for j in 0..<n { for k in 0..<n { for l in 0..<n {
            let fd = kernel[(p * n + i) * n + j, (q * n + k) * n + l]
            #expect(abs(theta[[p, q, i, j, k, l]] - fd) < 1e-7 * scale, "\(name) Θ[\(p),\(q),\(i)\(j)\(k)\(l)]")
        } } } } } }
    }

    /// The LDLᵀ metric is symmetric positive definite at every point.
    @Test func ldlMetricIsPositiveDefinite() throws {
        let (m, x) = try Self.model(.ldl, n: 3)
        let g = m.metrics(x)
        for p in 0..<3 {
            let gp = Matrix(rows: 3, cols: 3, data: Array(g.data[(p * 9)..<((p + 1) * 9)]))
            #expect((gp - gp.transposed).frobeniusNorm < 1e-14)
            #expect(try LinearAlgebra.symmetricEigen(gp).values.first! > 0)
        }
        // The map itself in closed form from the outputs h = (L₁₀, L₂₀, L₂₁, log D₀, log D₁, log D₂):
        // det g = exp(Σ log D), g₀₀ = D₀, g₁₀ = L₁₀D₀, g₁₁ = L₁₀²D₀ + D₁, g₂₁ = L₂₀L₁₀D₀ + L₂₁D₁.
        let h = m.metricNetwork.network.outputs(x)
        for p in 0..<3 {
            let gp = Matrix(rows: 3, cols: 3, data: Array(g.data[(p * 9)..<((p + 1) * 9)]))
            let (l10, l20, l21) = (h[p, 0], h[p, 1], h[p, 2])
            let (d0, d1, d2) = (exp(h[p, 3]), exp(h[p, 4]), exp(h[p, 5]))
            let expected: [(Double, Double)] = [(gp[0, 0], d0), (gp[1, 0], l10 * d0), (gp[1, 1], l10 * l10 * d0 + d1),
                                                (gp[2, 1], l20 * l10 * d0 + l21 * d1), (gp[2, 2], l20 * l20 * d0 + l21 * l21 * d1 + d2)]
            for (got, want) in expected { #expect(abs(got - want) < 1e-14 * max(1, abs(want)), "point \(p): \(got) vs \(want)") }
            let det = try LinearAlgebra.determinant(gp)
            #expect(abs(det - d0 * d1 * d2) < 1e-13 * d0 * d1 * d2, "point \(p): det g \(det) vs ΠD \(d0 * d1 * d2)")
        }
    }

    /// One hidden layer, component parametrisation: E[Θ^g_ijkl] = (δ_ikδ_jl + δ_ilδ_jk − δ_ijδ_klδ_ik)·Θ,
    /// the frozen form, exactly at any width (Monte Carlo over 3000 networks, 5 standard errors).
    @Test func expectationIsTheFrozenMetricKernel() throws {
        let n = 2, O = 3
        let net = try NetworkSpec.parse("Dense(4, W_std=1.3, b_std=0.2) Erf Dense(\(O), W_std=1.1, b_std=0.3)")
        let x = Matrix([[0.4, -0.7], [1.1, 0.2]])
        let analytic = try net.kernels(x)
        var rng = RandomStream(seed: 8, stream: 0)
        let M = 3000, size = 4 * 16
        var acc = MomentAccumulator(entries: size)
        for _ in 0..<M {
            let network = try Network(net, inputWidth: 2, using: &rng)
            acc.add(try MetricNTK(MetricNetwork(dimension: n, parametrization: .components, embedding: nil, network: network)).kernel(x).data)
        }
        for pq in 0..<4 {
            let frozen = MetricNTK.frozenComponentKernel(dimension: n, ntk: analytic.ntk[pq])
            for c in 0..<16 {
                let i = pq * 16 + c
                let mean = acc.mean(i), se = acc.standardError(i)
                #expect(abs(mean - frozen[c]) < 5 * se + 1e-12, "entry \(pq),\(c): \(mean) ± \(se) vs \(frozen[c])")
            }
        }
    }
}

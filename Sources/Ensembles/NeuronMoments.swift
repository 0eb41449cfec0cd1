import Foundation
import Networks
import NumericCore

/// Why exact values are unavailable for a configuration.
public struct ExactValuesUnavailable: Error, CustomStringConvertible, Sendable {
    /// The reason, one line.
    public let description: String
}

extension SingleLayerEnsemble {
    /// The closed-form GP kernel K(x, y) = lim_{N→∞} E[f(x)f(y)] (2008.08601), with
    /// m(x,y) = σ_b² + σ_w² x·y/d_in:
    /// Erf:   σ_b² + (2σ_w²/π) arcsin(2m(x,y)/√((1+2m(x,x))(1+2m(y,y))));
    /// ReLU:  σ_b² + σ_w² √(m(x,x)m(y,y))/(2π)·(sin θ + (π−θ)cos θ), cos θ = m(x,y)/√(m(x,x)m(y,y));
    /// Gauss: σ_b² + σ_w² exp(−σ_w²|x−y|²/(2d_in)).
    public func gpKernel(_ x: [Double], _ y: [Double]) -> Double {
        let d = Double(network.inputDimension), sw2 = sigmaW * sigmaW, sb2 = sigmaB * sigmaB
        func m(_ a: [Double], _ b: [Double]) -> Double { sb2 + sw2 * zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } / d }
        switch activation {
        case .erf:
            return sb2 + 2 * sw2 / Double.pi * asin(max(-1, min(1, 2 * m(x, y) / ((1 + 2 * m(x, x)) * (1 + 2 * m(y, y))).squareRoot())))
        case .relu:
            let t = Activation.abRelu(a: 0, b: 1).dual(k11: m(x, x), k12: m(x, y), k22: m(y, y)).t
            return sb2 + sw2 * t
        case .gauss:
            let r2 = zip(x, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            return sb2 + sw2 * exp(-sw2 * r2 / (2 * d))
        }
    }

    /// The rows of A with z_p = W0·x_p + b0 = Σ_j A_pj u_j, u ~ N(0, I_r): A_p = (σ_w x_p/√d_in, σ_b), the
    /// bias column dropped when σ_b = 0. r is the rank of the pre-activation Gaussian.
    func preactivationFactors(_ points: Matrix) -> [[Double]] {
        let s = sigmaW / Double(network.inputDimension).squareRoot()
        return (0..<points.rows).map { p in points.row(p).map { s * $0 } + (sigmaB > 0 ? [sigmaB] : []) }
    }

    /// Exact finite-N correlators at the given points (2008.08601): the neuron moments
    /// μ(B) = E[Π_{k∈B} σ(z_k)] are
    /// Gauss: exp((n²σ_b² + σ_w²|Σ_k x_k|²/d_in)/2 − Σ_k(σ_b² + σ_w²|x_k|²/d_in)) (closed form);
    /// ReLU:  E[ρⁿ]·avg_{S^{r−1}} Π relu(A_k·ω), E[ρⁿ] = 2^{n/2}Γ((r+n)/2)/Γ(r/2) (homogeneity; r ≤ 3);
    /// Erf:   tensor Gauss–Hermite quadrature over u ∈ ℝ^r with `quadratureDegree` nodes per axis
    ///        (default 120, 48, 28 for r = 2, 3, 4).
    public func exactCorrelators(points: Matrix, quadratureDegree: Int? = nil) throws -> ExactCorrelators {
        let A = preactivationFactors(points)
        let r = A.first?.count ?? 0
        let d = Double(network.inputDimension), sw2 = sigmaW * sigmaW, sb2 = sigmaB * sigmaB
        let X = (0..<points.rows).map { points.row($0) }
        let moment: @Sendable ([Int]) -> Double
        switch activation {
        case .gauss:
            moment = { idx in
                var sum = [Double](repeating: 0, count: X[0].count)
                var logNorm = 0.0
                for p in idx {
                    for j in 0..<sum.count { sum[j] += X[p][j] }
                    logNorm += sb2 + sw2 * X[p].reduce(0) { $0 + $1 * $1 } / d
                }
                let n = Double(idx.count)
                return exp((n * n * sb2 + sw2 * sum.reduce(0) { $0 + $1 * $1 } / d) / 2 - logNorm)
            }
        case .relu:
            guard r <= 3 else {
                throw ExactValuesUnavailable(description: "exact ReLU-net values need a pre-activation rank ≤ 3 (d_in ≤ 2, or d_in = 3 with σ_b = 0); got rank \(r)")
            }
            moment = { idx in
                let n = idx.count
                let radial = pow(2, Double(n) / 2) * tgamma(Double(r + n) / 2) / tgamma(Double(r) / 2)
                return radial * SphereAverage.average(idx.map { A[$0] }, dimension: r)
            }
        case .erf:
            guard r <= 4 else {
                throw ExactValuesUnavailable(description: "exact Erf-net values need a pre-activation rank ≤ 4 (d_in ≤ 3); got rank \(r)")
            }
            let deg = quadratureDegree ?? [1: 120, 2: 120, 3: 48, 4: 28][r]!
            let table = GaussHermiteTable(factors: A, degree: deg) { Foundation.erf($0) }
            moment = { idx in table.moment(idx) }
        }
        let cache = MomentCache(moment)
        return ExactCorrelators(width: Double(width), outputWeightVariance: sw2, outputBiasVariance: sb2,
                                moment: { cache($0) })
    }
}

/// Values σ(z_p(u)) of an activation at every node u of a tensor Gauss–Hermite rule in ℝ^r, for the
/// pre-activations z_p = A_p·u of P points; μ(B) = Σ_nodes w Π_{k∈B} σ(z_k).
struct GaussHermiteTable: Sendable {
    let weights: [Double]
    /// values[node * P + p]
    let values: [Double]
    let pointCount: Int

    init(factors A: [[Double]], degree: Int, activation: (Double) -> Double) {
        let P = A.count, r = A.first?.count ?? 0
        let rule = QuadratureRule.gaussHermiteNormal(degree)
        let nodes = Int(pow(Double(degree), Double(r)).rounded())
        var w = [Double](repeating: 1, count: nodes), v = [Double](repeating: 0, count: nodes * P)
        var digits = [Int](repeating: 0, count: r)
        for node in 0..<nodes {
            var rem = node
            for j in 0..<r { digits[j] = rem % degree; rem /= degree; w[node] *= rule.weights[digits[j]] }
            for p in 0..<P {
                var z = 0.0
                for j in 0..<r { z += A[p][j] * rule.nodes[digits[j]] }
                v[node * P + p] = activation(z)
            }
        }
        weights = w
        values = v
        pointCount = P
    }

    func moment(_ idx: [Int]) -> Double {
        var s = 0.0
        for node in 0..<weights.count {
            var prod = weights[node]
            for p in idx { prod *= values[node * pointCount + p] }
            s += prod
        }
        return s
    }
}

extension CosNetEnsemble {
    /// The GP kernel of the cos-net, G_Λ(x − y), the cutoff propagator (exact for every N and either sampling).
    public func gpKernel(_ x: [Double], _ y: [Double]) -> Double {
        let r = zip(x, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        return CutoffPropagator.propagator(dimension: network.dimension, distance: r, mass: network.mass, cutoff: network.cutoff)
    }

    /// Exact finite-N correlators of the cos-net (2112.04527) through the set-partition formula of
    /// `ExactCorrelators`: with h(x) = C s(b) cos(b·x + c), the neuron moments are
    /// μ(x₁..xₙ) = Cⁿ 2⁻ⁿ Σ_{ε∈{±1}ⁿ, Σε = 0} E_b[s(b)ⁿ cos(b·Σ_k ε_k x_k)],
    /// from avg_c Π_k cos(α_k + c) = 2⁻ⁿ Σ_{balanced ε} cos(Σ ε_k α_k), where
    /// ball:        E_b[sⁿ cos(b·σ)] = (1/vol(B_Λ)) ∫_{|b|<Λ} dᵈb cos(b·σ)/(b² + m²)^{n/2},
    /// propagator:  E_b[cos(b·σ)] = G_Λ(σ)/G_Λ(0)   (b ∝ 1/(b² + m²), s = 1).
    public func exactCorrelators(points: Matrix) -> ExactCorrelators {
        let d = network.dimension, m = network.mass, L = network.cutoff, sampling = network.sampling
        let C = network.prefactor
        let normaliser: Double
        switch sampling {
        case .ball: normaliser = ballVolume(dimension: d, radius: L)
        case .propagator: normaliser = CutoffPropagator.propagatorAtZero(dimension: d, mass: m, cutoff: L)
        }
        let X = (0..<points.rows).map { points.row($0) }
        // normaliser · E_b[sⁿ cos(b·σ)] for key = [n, bit pattern of |σ|].
        let radial = MomentCache { key in
            let r = Double(bitPattern: UInt64(key[1]))
            switch sampling {
            case .ball:
                return CutoffPropagator.ballIntegral(dimension: d, separation: r, power: Double(key[0]) / 2, mass: m, cutoff: L)
            case .propagator:
                return r == 0 ? normaliser : CutoffPropagator.propagator(dimension: d, distance: r, mass: m, cutoff: L)
            }
        }
        let moment: @Sendable ([Int]) -> Double = { idx in
            let n = idx.count
            var total = 0.0
            for mask in 0..<(1 << n) where mask.nonzeroBitCount * 2 == n && mask & 1 == 1 {
                // ε_k = +1 for bits set; ε and −ε give the same cosine, so count masks containing position 0 twice.
                var s = [Double](repeating: 0, count: d)
                for (k, p) in idx.enumerated() {
                    let e: Double = mask & (1 << k) != 0 ? 1 : -1
                    for j in 0..<d { s[j] += e * X[p][j] }
                }
                var norm = s.reduce(0) { $0 + $1 * $1 }.squareRoot()
                norm = (norm * 1e12).rounded() / 1e12   // merge round-off duplicates in the cache
                total += 2 * radial([n, Int(bitPattern: UInt(norm.bitPattern))])
            }
            return pow(C, Double(n)) * pow(2, -Double(n)) * total / normaliser
        }
        let cache = MomentCache(moment)
        return ExactCorrelators(width: Double(network.width), outputWeightVariance: density.sigmaA * density.sigmaA,
                                outputBiasVariance: 0, moment: { cache($0) })
    }
}

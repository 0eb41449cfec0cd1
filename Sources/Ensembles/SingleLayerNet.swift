import CVectorKernels
import Foundation
import NumericCore

/// The three single-hidden-layer networks of Halverson, Maiti & Stoner (2008.08601), named by their hidden-layer
/// map. Not an activation vocabulary (that is `Networks.Activation`): the Gauss-net's map depends on the input
/// point through its normaliser, and these nets have fused samplers of their own.
public enum SingleLayerNetKind: String, Sendable, CaseIterable {
    /// σ(z) = erf(z) (evaluated by `FastErf`, within 5·10⁻¹⁶ of the C library).
    case erf
    /// σ(z) = max(z, 0).
    case relu
    /// Gauss-net: σ(z) = e^{z} / e^{σ_b² + σ_w²|x|²/d_in}, the exponential normalised by √E[e^{2z}] so that
    /// the GP kernel is σ_b² + σ_w² exp(−σ_w²|x−x'|²/(2 d_in)).
    case gauss
}

/// Parameters θ = (W0, b0, W1, b1) of a single-hidden-layer network of width N.
public struct SingleLayerParameters: Sendable, Equatable {
    /// [N, d_in] input weights.
    public var w0: Matrix
    /// [N] hidden biases.
    public var b0: [Double]
    /// [N] output weights.
    public var w1: [Double]
    /// Output bias.
    public var b1: Double
}

/// The parameter density of 2008.08601: W0 ~ N(0, σ_w²/d_in), b0 ~ N(0, σ_b²), W1 ~ N(0, σ_w²/N),
/// b1 ~ N(0, σ_b²), all independent.
///
/// Draw order (the reproducibility contract): for each neuron i = 0..<N, the d_in entries of W0_i,
/// then b0_i, then W1_i, each as one standard normal scaled by its standard deviation; finally b1.
public struct SingleLayerDensity: ParameterDensity {
    /// Width N.
    public let width: Int
    /// Input dimension d_in.
    public let inputDimension: Int
    /// σ_w: W0 ~ N(0, σ_w²/d_in), W1 ~ N(0, σ_w²/N).
    public let sigmaW: Double
    /// σ_b: b0, b1 ~ N(0, σ_b²).
    public let sigmaB: Double

    /// The density of a width-N net on d_in inputs.
    public init(width: Int, inputDimension: Int, sigmaW: Double, sigmaB: Double) {
        self.width = width
        self.inputDimension = inputDimension
        self.sigmaW = sigmaW
        self.sigmaB = sigmaB
    }

    var sdW0: Double { sigmaW / Double(inputDimension).squareRoot() }
    var sdW1: Double { sigmaW / Double(width).squareRoot() }

    /// θ drawn in the documented order (per neuron W0_i, b0_i, W1_i; then b1).
    public func sample(using rng: inout RandomStream) -> SingleLayerParameters {
        var w0 = Matrix(rows: width, cols: inputDimension)
        var b0 = [Double](repeating: 0, count: width), w1 = b0
        for i in 0..<width {
            for j in 0..<inputDimension { w0[i, j] = sdW0 * rng.normal() }
            b0[i] = sigmaB * rng.normal()
            w1[i] = sdW1 * rng.normal()
        }
        let b1 = sigmaB * rng.normal()
        return SingleLayerParameters(w0: w0, b0: b0, w1: w1, b1: b1)
    }

    /// log P(θ) up to a constant: Σ −θ²/(2 sd²) (a parameter with sd = 0 contributes 0 at 0, −∞ elsewhere).
    public func logDensity(_ θ: SingleLayerParameters) -> Double {
        func gauss(_ x: Double, _ sd: Double) -> Double { sd > 0 ? -0.5 * x * x / (sd * sd) : (x == 0 ? 0 : -.infinity) }
        var s = gauss(θ.b1, sigmaB)
        for i in 0..<width {
            for j in 0..<inputDimension { s += gauss(θ.w0[i, j], sdW0) }
            s += gauss(θ.b0[i], sigmaB) + gauss(θ.w1[i], sdW1)
        }
        return s
    }
}

/// f(x) = Σ_{i=1}^N W1_i σ(W0_i·x + b0_i) + b1 (2008.08601), d_out = 1.
public struct SingleLayerNetwork: NeuralNetwork {
    /// The hidden activation σ.
    public let activation: SingleLayerNetKind
    /// Width N.
    public let width: Int
    /// Input dimension d_in.
    public let inputDimension: Int
    /// σ_w and σ_b enter the Gauss-net activation's normaliser e^{σ_b² + σ_w²|x|²/d_in}.
    public let sigmaW: Double
    /// σ_b (enters the Gauss-net normaliser).
    public let sigmaB: Double

    /// The per-point normaliser log: σ_b² + σ_w²|x|²/d_in (used by the Gauss-net only).
    @inlinable
    func gaussLogNormaliser(_ x: UnsafeBufferPointer<Double>) -> Double {
        var r2 = 0.0
        for v in x { r2 += v * v }
        return sigmaB * sigmaB + sigmaW * sigmaW * r2 / Double(inputDimension)
    }

    /// f_θ(x) = Σ_i W1_i σ(W0_i·x + b0_i) + b1 at every row of `points`.
    public func evaluate(_ θ: SingleLayerParameters, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        let d = inputDimension
        points.data.withUnsafeBufferPointer { xs in
            for p in 0..<points.rows {
                let x = UnsafeBufferPointer(rebasing: xs[(p * d)..<((p + 1) * d)])
                let c = gaussLogNormaliser(x)
                var f = θ.b1
                for i in 0..<width {
                    var z = θ.b0[i]
                    for j in 0..<d { z += θ.w0[i, j] * x[j] }
                    f += θ.w1[i] * hidden(z, logNormaliser: c)
                }
                out[p] = f
            }
        }
    }

    @inlinable @inline(__always)
    func hidden(_ z: Double, logNormaliser c: Double) -> Double {
        switch activation {
        case .erf: return FastErf.erf(z)
        case .relu: return z > 0 ? z : 0
        case .gauss: return Foundation.exp(z - c)
        }
    }
}

/// The Gauss-, Erf- and ReLU-net ensembles of 2008.08601: a `SingleLayerNetwork` with its `SingleLayerDensity`.
///
/// `sampleField` is fused: it draws one neuron's parameters and adds its contribution at every point,
/// without storing θ (memory O(P + d_in)); it consumes the generator exactly as `density.sample`.
public struct SingleLayerEnsemble: NetworkEnsemble {
    /// The network f_θ.
    public let network: SingleLayerNetwork
    /// The density of θ.
    public let density: SingleLayerDensity
    let erfEvaluator = FastErf.Evaluator()

    /// The ensemble of width-N nets with activation σ on d_in inputs, scales σ_w, σ_b.
    public init(activation: SingleLayerNetKind, width: Int, inputDimension: Int, sigmaW: Double, sigmaB: Double) {
        network = SingleLayerNetwork(activation: activation, width: width, inputDimension: inputDimension,
                                     sigmaW: sigmaW, sigmaB: sigmaB)
        density = SingleLayerDensity(width: width, inputDimension: inputDimension, sigmaW: sigmaW, sigmaB: sigmaB)
    }

    /// The hidden activation σ.
    public var activation: SingleLayerNetKind { network.activation }
    /// Width N.
    public var width: Int { network.width }
    /// σ_w.
    public var sigmaW: Double { density.sigmaW }
    /// σ_b.
    public var sigmaB: Double { density.sigmaB }

    /// Fused draw and evaluation: f_θ at the points for θ drawn in the density's order (`RandomStream.fillNormal`,
    /// the same values and stream position as `density.sample`), without forming `SingleLayerParameters`.
    ///
    /// Neurons are evaluated four at a time, one per SIMD lane: lane l of the accumulator sums the neurons
    /// i ≡ l (mod 4) in order, the lanes are summed per point at the end, then the last N mod 4 neurons and b1
    /// are added. The Erf-net's lanes run as the AVX2 kernel `nnt_erf_lanes` where `VectorUnit.avx2` holds —
    /// the same operations in the same order, hence the same bits as the Swift lanes below.
    public func sampleField(using rng: inout RandomStream, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        sampleField(using: &rng, at: points, into: out, vectorized: true)
    }

    /// `sampleField` with the AVX2 kernels switched off (`vectorized: false`): the portable path, for tests.
    public func sampleField(using rng: inout RandomStream, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>,
                            vectorized: Bool) {
        let d = network.inputDimension, P = points.rows, N = network.width, stride = d + 2
        let sdW0 = density.sdW0, sdW1 = density.sdW1, sb = density.sigmaB
        let act = network.activation, table = erfEvaluator.table
        let lanesInC = vectorized && act == .erf && VectorUnit.avx2
        withUnsafeTemporaryAllocation(of: Double.self, capacity: N * stride + 1) { θ in
            // θ[i·(d+2) + j] = W0_ij, θ[i·(d+2) + d] = b0_i, θ[i·(d+2) + d + 1] = W1_i, θ[N·(d+2)] = b1: standard
            // normals, scaled here (or inside the kernel, by the same products) to the density's deviations.
            rng.fillNormal(θ, vectorized: vectorized)
            for i in (lanesInC ? 4 * (N / 4) : 0)..<N {
                let row = i * stride
                for j in 0..<d { θ[row + j] *= sdW0 }
                θ[row + d] *= sb
                θ[row + d + 1] *= sdW1
            }
            θ[N * stride] *= sb
            let groups = N / 4
            withUnsafeTemporaryAllocation(of: SIMD4<Double>.self, capacity: d + 2 * P) { v in
                let w = UnsafeMutableBufferPointer(rebasing: v[0..<d])
                let acc = UnsafeMutableBufferPointer(rebasing: v[d..<(d + P)])
                let logNorm = UnsafeMutableBufferPointer(rebasing: v[(d + P)..<(d + 2 * P)])
                points.data.withUnsafeBufferPointer { xs in
                    for p in 0..<P {
                        logNorm[p] = SIMD4(repeating: network.gaussLogNormaliser(UnsafeBufferPointer(rebasing: xs[(p * d)..<((p + 1) * d)])))
                        acc[p] = .zero
                    }
                    if lanesInC, let base = θ.baseAddress, let x = xs.baseAddress,
                       let lanes = UnsafeMutableRawPointer(acc.baseAddress)?.assumingMemoryBound(to: Double.self) {
                        nnt_erf_lanes(base, groups, d, x, P, lanes, table, sdW0, sb, sdW1)
                    } else {
                        for g in 0..<groups {
                            let row = 4 * g * stride
                            @inline(__always) func lanes(_ k: Int) -> SIMD4<Double> {
                                SIMD4(θ[row + k], θ[row + stride + k], θ[row + 2 * stride + k], θ[row + 3 * stride + k])
                            }
                            for j in 0..<d { w[j] = lanes(j) }
                            let b = lanes(d), a = lanes(d + 1)
                            for p in 0..<P {
                                var z = b
                                for j in 0..<d { z += w[j] * xs[p * d + j] }
                                let h: SIMD4<Double>
                                switch act {
                                case .erf: h = FastErf.erf(z, table: table)
                                case .relu: h = z.replacing(with: 0, where: z .< 0)
                                case .gauss:
                                    let e = z - logNorm[p]
                                    h = SIMD4(Foundation.exp(e[0]), Foundation.exp(e[1]), Foundation.exp(e[2]), Foundation.exp(e[3]))
                                }
                                acc[p] += a * h
                            }
                        }
                    }
                    for p in 0..<P { out[p] = acc[p].sum() }
                    // Scalar remainder: the last N mod 4 neurons.
                    for i in (4 * groups)..<N {
                        let row = i * stride
                        let b = θ[row + d], a = θ[row + d + 1]
                        for p in 0..<P {
                            var z = b
                            for j in 0..<d { z += θ[row + j] * xs[p * d + j] }
                            out[p] += a * network.hidden(z, logNormaliser: logNorm[p][0])
                        }
                    }
                    let b1 = θ[N * stride]
                    for p in 0..<P { out[p] += b1 }
                }
            }
        }
    }
}

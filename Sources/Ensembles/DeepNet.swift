import Foundation
import NumericCore

/// How (σ_w, σ_b) enter a dense layer (neural-tangents' conventions).
public enum Parameterization: String, Sendable, CaseIterable {
    /// W, b ~ N(0, 1); z = σ_w·W·h/√n_in + σ_b·b.
    case ntk
    /// W ~ N(0, σ_w²/n_in), b ~ N(0, σ_b²); z = W·h + b.
    case standard
}

/// Raw parameters of a deep fully connected network: per layer l, W_l of shape [n_in, n_out] (the layout
/// of neural-tangents' `stax.Dense`) and b_l of length n_out. Under NTK parameterisation they are the
/// unscaled N(0, 1) draws.
public struct DeepNetParameters: Sendable, Equatable {
    public var weights: [Matrix]
    public var biases: [[Double]]
}

/// Layer widths, activation, (σ_w, σ_b) and parameterisation of a deep fully connected network
/// x ∈ ℝ^{d_in} → ℝ: h⁰ = x, z^{l} = affine(h^{l−1}), h^{l} = σ(z^{l}) for hidden layers, f = z^{L+1}.
public struct DeepNetwork: NeuralNetwork {
    public let inputDimension: Int
    public let hiddenWidths: [Int]
    public let activation: Activation
    public let sigmaW: Double
    public let sigmaB: Double
    public let parameterization: Parameterization

    public init(inputDimension: Int, hiddenWidths: [Int], activation: Activation, sigmaW: Double, sigmaB: Double,
                parameterization: Parameterization = .ntk) {
        self.inputDimension = inputDimension
        self.hiddenWidths = hiddenWidths
        self.activation = activation
        self.sigmaW = sigmaW
        self.sigmaB = sigmaB
        self.parameterization = parameterization
    }

    /// Fan-in and fan-out of each dense layer, ending with the scalar output.
    public var layerShapes: [(fanIn: Int, fanOut: Int)] {
        let dims = [inputDimension] + hiddenWidths + [1]
        return (1..<dims.count).map { (dims[$0 - 1], dims[$0]) }
    }

    /// Multipliers (on W, on b) that turn stored parameters into the effective affine map.
    func scales(fanIn: Int) -> (Double, Double) {
        switch parameterization {
        case .ntk: return (sigmaW / Double(fanIn).squareRoot(), sigmaB)
        case .standard: return (1, 1)
        }
    }

    public func evaluate(_ θ: DeepNetParameters, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        var h = points
        for (l, shape) in layerShapes.enumerated() {
            let (sw, sb) = scales(fanIn: shape.fanIn)
            var z = Matrix.multiply(h, θ.weights[l], alpha: sw)
            let last = l == layerShapes.count - 1
            z.data.withUnsafeMutableBufferPointer { zp in
                for p in 0..<z.rows {
                    for j in 0..<z.cols {
                        let v = zp[p * z.cols + j] + sb * θ.biases[l][j]
                        zp[p * z.cols + j] = last ? v : activation(v)
                    }
                }
            }
            h = z
        }
        for p in 0..<points.rows { out[p] = h.data[p] }
    }

    /// The infinite-width GP kernel K(x, x') of the output (NNGP recursion, nn-theory.md §1.1):
    /// K¹ = σ_w² x·x'/d_in + σ_b², K^{l+1} = σ_w² T(K^l) + σ_b², with T from `Activation.gaussianExpectation`.
    /// Identical for both parameterisations.
    public func gpKernel(_ x: [Double], _ y: [Double]) -> Double {
        let d = Double(inputDimension)
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        var k11 = sigmaW * sigmaW * dot(x, x) / d + sigmaB * sigmaB
        var k22 = sigmaW * sigmaW * dot(y, y) / d + sigmaB * sigmaB
        var k12 = sigmaW * sigmaW * dot(x, y) / d + sigmaB * sigmaB
        for _ in hiddenWidths {
            let t12 = activation.gaussianExpectation(k11: k11, k12: k12, k22: k22)
            let t11 = activation.gaussianExpectation(k11: k11, k12: k11, k22: k11)
            let t22 = activation.gaussianExpectation(k11: k22, k12: k22, k22: k22)
            k12 = sigmaW * sigmaW * t12 + sigmaB * sigmaB
            k11 = sigmaW * sigmaW * t11 + sigmaB * sigmaB
            k22 = sigmaW * sigmaW * t22 + sigmaB * sigmaB
        }
        return k12
    }
}

/// The Gaussian density of a deep network's raw parameters. Draw order: layer by layer, W in row-major
/// [n_in, n_out] order, then b; each entry one standard normal (times σ_w/√n_in or σ_b under standard
/// parameterisation).
public struct DeepNetDensity: ParameterDensity {
    public let network: DeepNetwork

    public func sample(using rng: inout RandomStream) -> DeepNetParameters {
        var ws: [Matrix] = [], bs: [[Double]] = []
        for shape in network.layerShapes {
            let (sw, sb): (Double, Double) = network.parameterization == .ntk
                ? (1, 1) : (network.sigmaW / Double(shape.fanIn).squareRoot(), network.sigmaB)
            var w = Matrix(rows: shape.fanIn, cols: shape.fanOut)
            for k in 0..<w.data.count { w.data[k] = sw * rng.normal() }
            var b = [Double](repeating: 0, count: shape.fanOut)
            for k in 0..<b.count { b[k] = sb * rng.normal() }
            ws.append(w); bs.append(b)
        }
        return DeepNetParameters(weights: ws, biases: bs)
    }

    public func logDensity(_ θ: DeepNetParameters) -> Double {
        var s = 0.0
        for (l, shape) in network.layerShapes.enumerated() {
            let (sw, sb): (Double, Double) = network.parameterization == .ntk
                ? (1, 1) : (network.sigmaW / Double(shape.fanIn).squareRoot(), network.sigmaB)
            for v in θ.weights[l].data { s -= v * v / (2 * sw * sw) }
            if sb > 0 { for v in θ.biases[l] { s -= v * v / (2 * sb * sb) } }
        }
        return s
    }
}

/// A deep fully connected network ensemble (unfused: θ is sampled, then evaluated through BLAS).
public struct DeepNetEnsemble: NetworkEnsemble {
    public let network: DeepNetwork
    public let density: DeepNetDensity

    public init(network: DeepNetwork) {
        self.network = network
        self.density = DeepNetDensity(network: network)
    }
}

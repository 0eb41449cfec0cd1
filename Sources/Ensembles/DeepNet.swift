import Foundation
import Networks
import NumericCore

/// A deep fully connected network x ∈ ℝ^{d_in} → ℝ as the architecture of a neural-network field theory: a
/// `Serial` network (the one network description of nntheory, SPEC-described) on inputs of width d_in with one
/// output, its parameters θ the flat vector of `Network` (per layer W [n_in, n_out] row-major, then b).
public struct DeepNetwork: NeuralNetwork {
    /// Width d_in of the inputs.
    public let inputDimension: Int
    /// The network (a `Serial` with one output).
    public let architecture: Serial
    /// Where each layer's parameters sit in θ.
    public let layout: ParameterLayout

    /// Any one-output architecture on inputs of width `inputDimension`.
    public init(inputDimension: Int, architecture: Serial) throws {
        guard architecture.outputWidth(inputWidth: inputDimension) == 1 else {
            throw InputError("network '\(architecture.description)' has \(architecture.outputWidth(inputWidth: inputDimension)) outputs, expected 1 (a scalar field)")
        }
        try Network(architecture, inputWidth: inputDimension, parameters: [Double](repeating: 0, count: ParameterLayout(architecture, inputWidth: inputDimension).count))
            .requireDenseChain(for: "an ensemble of deep networks")
        self.inputDimension = inputDimension
        self.architecture = architecture
        layout = ParameterLayout(architecture, inputWidth: inputDimension)
    }

    /// `depth` hidden layers of the given widths with activation φ after each, then a scalar output:
    /// `Dense(N, W_std=σ_w, b_std=σ_b, parameterization=…) φ … Dense(1, W_std=σ_w, b_std=σ_b, …)` (every layer has a
    /// bias of spread σ_b, drawn even when σ_b = 0).
    public init(inputDimension: Int, hiddenWidths: [Int], activation: Activation, sigmaW: Double, sigmaB: Double,
                parameterization: Dense.Parameterization = .ntk) {
        var layers: [any Layer] = []
        for w in hiddenWidths {
            layers.append(Dense(w, wStd: sigmaW, bStd: sigmaB, parameterization: parameterization))
            layers.append(Nonlinearity(activation))
        }
        layers.append(Dense(1, wStd: sigmaW, bStd: sigmaB, parameterization: parameterization))
        self.inputDimension = inputDimension
        architecture = Serial(layers)
        layout = ParameterLayout(architecture, inputWidth: inputDimension)
    }

    /// f_θ(x) for every row of `points` (θ in the flat layout), through `Serial.apply`.
    public func evaluate(_ θ: [Double], at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        let f = architecture.apply(layout.split(θ), points)
        for p in 0..<points.rows { out[p] = f.data[p] }
    }

    /// The infinite-width GP kernel K(x, x') of the output: the NNGP of the architecture (1912.02803),
    /// K¹ = σ_w² x·x'/d_in + σ_b², K^{l+1} = σ_w² T(K^l) + σ_b². Identical for both parameterisations.
    public func gpKernel(_ x: [Double], _ y: [Double]) -> Double {
        // A valid architecture (checked at construction) has valid kernel maps.
        try! architecture.kernels(Matrix(rows: 1, cols: x.count, data: x), Matrix(rows: 1, cols: y.count, data: y)).nngp[0]
    }
}

/// The Gaussian initialisation density of a deep network's flat parameters: every layer in order draws W
/// (row-major) then b, each entry one standard normal (times σ_w/√n_in or σ_b under standard parameterisation) —
/// the initialisation of `Network`, so network m of an ensemble (stream m) is `Network(…, using: stream m)`.
public struct DeepNetDensity: ParameterDensity {
    /// The network whose parameters the density draws.
    public let network: DeepNetwork

    /// θ drawn from `rng` in `Network`'s initialisation order (per Dense layer W row-major, then b).
    public func sample(using rng: inout RandomStream) -> [Double] {
        // The layout was validated with the architecture.
        try! network.layout.join(network.architecture.initialize(inputWidth: network.inputDimension, using: &rng))
    }

    /// log P(θ) up to a constant: Σ −θ_I²/(2s_I²) with s_I the standard deviation of parameter I.
    public func logDensity(_ θ: [Double]) -> Double {
        network.architecture.logDensity(network.layout.split(θ), inputWidth: network.inputDimension)
    }
}

/// A deep fully connected network ensemble (unfused: θ is sampled, then evaluated through BLAS).
public struct DeepNetEnsemble: NetworkEnsemble {
    /// The architecture.
    public let network: DeepNetwork
    /// Its Gaussian initialisation density.
    public let density: DeepNetDensity

    /// The ensemble of `network` at initialisation.
    public init(network: DeepNetwork) {
        self.network = network
        self.density = DeepNetDensity(network: network)
    }
}

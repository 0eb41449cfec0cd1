import NumericCore

/// A neural network φ_θ: ℝ^{d_in} → ℝ, the architecture half of a neural-network field theory.
public protocol NeuralNetwork: Sendable {
    associatedtype Parameters: Sendable
    var inputDimension: Int { get }
    /// φ_θ(x) for every row x of `points` ([P, d_in]), written to `out` (length P).
    func evaluate(_ θ: Parameters, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>)
}

/// A neural-network field theory: an architecture φ_θ together with a parameter density P(θ). Its
/// correlators are G⁽ⁿ⁾(x₁…xₙ) = E_{θ~P}[φ_θ(x₁)…φ_θ(xₙ)].
public protocol NetworkEnsemble: Sendable {
    associatedtype Network: NeuralNetwork
    associatedtype Density: ParameterDensity where Density.Parameters == Network.Parameters
    var network: Network { get }
    var density: Density { get }
    /// Draws θ ~ P(θ) and writes φ_θ at the points to `out`. Implementations may fuse the two steps,
    /// but must consume the generator exactly as `density.sample` does, so both routes agree.
    func sampleField(using rng: inout RandomStream, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>)
}

extension NetworkEnsemble {
    /// The network's input dimension d_in.
    public var inputDimension: Int { network.inputDimension }

    /// Unfused route: sample θ, then evaluate.
    public func sampleField(using rng: inout RandomStream, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        let θ = density.sample(using: &rng)
        network.evaluate(θ, at: points, into: out)
    }

    /// Convenience: one sampled field at the points.
    public func sampleField(using rng: inout RandomStream, at points: Matrix) -> [Double] {
        var out = [Double](repeating: 0, count: points.rows)
        out.withUnsafeMutableBufferPointer { sampleField(using: &rng, at: points, into: $0) }
        return out
    }
}

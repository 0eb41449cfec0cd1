import NumericCore

/// A probability density P(θ) over the parameters of a network: it can be sampled, and it has a
/// log-density (up to a θ-independent constant) for reweighting and Markov-chain Monte Carlo.
///
/// Sampling draws from a `RandomStream` only, so θ is a pure function of (seed, stream, position).
/// Implementations document their draw order, which is part of the reproducibility contract.
public protocol ParameterDensity: Sendable {
    associatedtype Parameters: Sendable
    /// Draws θ ~ P(θ).
    func sample(using rng: inout RandomStream) -> Parameters
    /// log P(θ) + const.
    func logDensity(_ θ: Parameters) -> Double
}

/// The density P(θ)·e^{−S_int(θ)}/Z: a base density deformed by an interaction S_int (for example
/// S_int = (λ/4!)∫φ_θ(x)⁴ dᵈx, which turns the cos-net free scalar into φ⁴ theory).
///
/// It cannot be sampled directly; `sample` draws from the base density, and `importanceLogWeight`
/// gives log w(θ) = −S_int(θ), so that ⟨O⟩ = Σ w O / Σ w over base draws (importance reweighting), and
/// `logDensity` supports Metropolis or Hamiltonian chains.
public struct DeformedDensity<Base: ParameterDensity>: ParameterDensity {
    /// The base density P(θ) that is sampled.
    public let base: Base
    /// S_int(θ), the interaction that deforms it.
    public let interaction: @Sendable (Base.Parameters) -> Double

    /// The density P(θ)e^{−S_int(θ)}/Z.
    public init(base: Base, interaction: @escaping @Sendable (Base.Parameters) -> Double) {
        self.base = base
        self.interaction = interaction
    }

    /// A draw from the *base* density (weight it with `importanceLogWeight`).
    public func sample(using rng: inout RandomStream) -> Base.Parameters { base.sample(using: &rng) }

    /// log P(θ) − S_int(θ) + const.
    public func logDensity(_ θ: Base.Parameters) -> Double { base.logDensity(θ) - interaction(θ) }

    /// log of the importance weight e^{−S_int(θ)} of a base draw.
    public func importanceLogWeight(_ θ: Base.Parameters) -> Double { -interaction(θ) }
}

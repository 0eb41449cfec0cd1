import Foundation
import NumericCore

/// What a parameter-space Markov chain for the φ⁴ density records after every sweep (Metropolis) or trajectory
/// (HMC): φ at the points and I = ∫_V φ⁴; with the acceptance rate and the integrated autocorrelation times of I
/// and of φ(x₁)² (the slowest of the two sets the blocking of the error analysis).
public struct MarkovChainRecord: Sendable {
    /// The number of points P.
    public let pointCount: Int
    /// φ_t(x_p), row-major [T, P] over the kept (post-thermalisation) steps of all chains, chain after chain.
    public var fields: [Double]
    /// I_t = ∫_V φ_t⁴.
    public var interactions: [Double]
    /// Accepted / proposed, over all chains.
    public var acceptance: Double
    /// τ_int of I and of φ(x₁)², in recorded steps (averaged over chains).
    public var tauInteraction: IntegratedAutocorrelation
    /// τ_int of φ(x₁)², in recorded steps (averaged over chains).
    public var tauFieldSquared: IntegratedAutocorrelation
    /// The number of chains combined.
    public var chains: Int
    /// Sweeps/trajectories (thermalisation included, summed over chains) taken over from a checkpoint rather than
    /// run in this call.
    public var resumedSteps = 0

    /// Recorded steps T over all chains.
    public var count: Int { interactions.count }

    /// Correlators with jackknife blocks of at least 10 τ_int (and at most 32 blocks, at least 4).
    public func correlators() -> WeightedCorrelators {
        let tau = max(tauInteraction.tau, tauFieldSquared.tau)
        let perChain = count / max(chains, 1)
        // Blocks must not straddle chains: a multiple of the chain count.
        var blocksPerChain = max(2, min(32 / max(chains, 1), Int(Double(perChain) / (10 * tau))))
        if blocksPerChain * chains < 4 { blocksPerChain = 4 / chains + 1 }
        return WeightedCorrelators(fields: fields, pointCount: pointCount, blocks: blocksPerChain * chains)
    }

    /// Concatenates independent chains (τ_int averaged, acceptance weighted by length).
    static func combine(_ parts: [ChainOutput], pointCount P: Int) -> MarkovChainRecord {
        let taus = parts.map { IntegratedAutocorrelation($0.interactions) }
        let tausPhi = parts.map { part in IntegratedAutocorrelation(stride(from: 0, to: part.fields.count, by: P).map { part.fields[$0] * part.fields[$0] }) }
        func mean(_ t: [IntegratedAutocorrelation]) -> IntegratedAutocorrelation {
            IntegratedAutocorrelation(tau: t.map(\.tau).reduce(0, +) / Double(t.count),
                                      tauError: (t.map { $0.tauError * $0.tauError }.reduce(0, +)).squareRoot() / Double(t.count),
                                      window: t.map(\.window).max() ?? 0)
        }
        return MarkovChainRecord(pointCount: P, fields: parts.flatMap(\.fields), interactions: parts.flatMap(\.interactions),
                                 acceptance: Double(parts.map(\.accepted).reduce(0, +)) / Double(max(1, parts.map(\.proposed).reduce(0, +))),
                                 tauInteraction: mean(taus), tauFieldSquared: mean(tausPhi), chains: parts.count,
                                 resumedSteps: parts.map(\.resumedSteps).reduce(0, +))
    }
}

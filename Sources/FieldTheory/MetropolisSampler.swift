import Ensembles
import Foundation
import NumericCore

/// Metropolis sampling of the φ⁴ parameter density P(θ)e^{−S_int} by single-neuron prior proposals: for neuron i,
/// propose a fresh (a_i, b_i, c_i) from the free density and accept with min(1, e^{−ΔS_int}) — the prior factors
/// cancel against the proposal, so the chain is exact for any λ ≥ 0 and at λ = 0 it draws the free ensemble.
/// ΔS_int = (λ/24)[∫(φ + δ)⁴ − ∫φ⁴] costs O(#grid nodes) with φ kept on the `InteractionGrid`. A sweep is N
/// proposals (neurons in order). Chain c uses `RandomStream(seed:, stream: c)`; chains run on all cores and do
/// not depend on the thread count.
public struct MetropolisSampler: Sendable {
    public let theory: Phi4Theory
    public let coupling: Double

    public init(theory: Phi4Theory, coupling λ: Double) throws {
        guard λ >= 0, λ.isFinite else { throw InputError("coupling λ = \(λ); expected a finite λ ≥ 0") }
        self.theory = theory
        coupling = λ
    }

    /// Runs `chains` independent chains of `thermalization` + `sweeps` sweeps and records every sweep after
    /// thermalisation. `progress` is called with the fraction done (from any thread).
    public func run(points: Matrix, sweeps: Int, thermalization: Int, chains: Int = 2, seed: UInt64,
                    progress: (@Sendable (Double) -> Void)? = nil) -> MarkovChainRecord {
        let results = ChainResults(count: chains)
        DispatchQueue.concurrentPerform(iterations: chains) { c in
            results.set(c, runChain(points: points, sweeps: sweeps, thermalization: thermalization, seed: seed, stream: UInt64(c),
                                    progress: c == 0 ? progress : nil))
        }
        return MarkovChainRecord.combine(results.values, pointCount: points.rows)
    }

    func runChain(points: Matrix, sweeps: Int, thermalization: Int, seed: UInt64, stream: UInt64,
                  progress: (@Sendable (Double) -> Void)?) -> (fields: [Double], interactions: [Double], accepted: Int, proposed: Int) {
        let net = theory.ensemble.network, density = theory.ensemble.density, grid = theory.grid
        let N = net.width, d = net.dimension, P = points.rows, G = grid.nodeCount
        var rng = RandomStream(seed: seed, stream: stream)
        var θ = density.sample(using: &rng)
        var phi = grid.field(net.modes(θ))
        var delta = [Double](repeating: 0, count: G)
        var bNew = [Double](repeating: 0, count: d)
        var fields = [Double](repeating: 0, count: sweeps * P), inter = [Double](repeating: 0, count: sweeps)
        var accepted = 0, proposed = 0
        let sdA = density.sigmaA / Double(N).squareRoot()
        let factor = coupling / 24
        for sweep in 0..<(thermalization + sweeps) {
            for i in 0..<N {
                // The old mode.
                var b2 = 0.0
                for j in 0..<d { b2 += θ.b[i, j] * θ.b[i, j] }
                let aOld = θ.a[i], cOld = θ.c[i], AOld = net.prefactor * aOld * net.amplitude(momentumSquared: b2)
                // A fresh neuron from the prior, drawn in the density's order.
                let aNew = sdA * rng.normal()
                bNew.withUnsafeMutableBufferPointer { density.sampleMomentum(using: &rng, into: $0) }
                let cNew = -Double.pi + 2 * Double.pi * rng.uniform()
                let u = rng.uniform()
                var nb2 = 0.0
                for j in 0..<d { nb2 += bNew[j] * bNew[j] }
                let ANew = net.prefactor * aNew * net.amplitude(momentumSquared: nb2)
                let change: Double = θ.b.data.withUnsafeBufferPointer { bAll in
                    bNew.withUnsafeBufferPointer { bn in phi.withUnsafeBufferPointer { ph in delta.withUnsafeMutableBufferPointer { de in
                        grid.fourthPowerChange(ph, old: (AOld, UnsafeBufferPointer(rebasing: bAll[(i * d)..<((i + 1) * d)]), cOld),
                                               new: (ANew, bn, cNew), delta: de)
                    } } }
                }
                proposed += 1
                if coupling == 0 || u < exp(-factor * change) {
                    accepted += 1
                    θ.a[i] = aNew
                    θ.c[i] = cNew
                    for j in 0..<d { θ.b[i, j] = bNew[j] }
                    for p in 0..<G { phi[p] += delta[p] }
                }
            }
            // Resynchronise the grid field against accumulated round-off.
            if sweep % 16 == 15 { phi = grid.field(net.modes(θ)) }
            if sweep >= thermalization {
                let t = sweep - thermalization
                let modes = net.modes(θ)
                fields.withUnsafeMutableBufferPointer { f in
                    modes.evaluate(at: points, into: UnsafeMutableBufferPointer(rebasing: f[(t * P)..<((t + 1) * P)]))
                }
                inter[t] = phi.withUnsafeBufferPointer { grid.fourthPowerIntegral($0) }
            }
            if let progress, sweep % 64 == 0 { progress(Double(sweep) / Double(thermalization + sweeps)) }
        }
        return (fields, inter, accepted, proposed)
    }
}

/// Per-chain results written from concurrent workers (disjoint slots).
final class ChainResults: @unchecked Sendable {
    private(set) var values: [(fields: [Double], interactions: [Double], accepted: Int, proposed: Int)]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: ([], [], 0, 0), count: count) }
    func set(_ i: Int, _ v: (fields: [Double], interactions: [Double], accepted: Int, proposed: Int)) {
        lock.lock(); values[i] = v; lock.unlock()
    }
}

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
    /// The free cos-net and the box the interaction is integrated over.
    public let theory: Phi4Theory
    /// λ ≥ 0 in S_int = (λ/4!) ∫_V φ⁴.
    public let coupling: Double

    /// The sampler at coupling λ (finite, ≥ 0; otherwise `InputError` naming λ).
    public init(theory: Phi4Theory, coupling λ: Double) throws {
        self.theory = theory
        coupling = try QuarticAction.validatedCoupling(λ)
    }

    /// Runs `chains` independent chains of `thermalization` + `sweeps` sweeps and records every sweep after
    /// thermalisation. `progress` is called with the fraction done (from any thread). With a `checkpoint`, chain c
    /// is saved as `{label}_c{c}` (see `ChainCheckpoint`) and a saved state is continued to the same numbers.
    public func run(points: Matrix, sweeps: Int, thermalization: Int, chains: Int = 2, seed: UInt64,
                    progress: (@Sendable (Double) -> Void)? = nil, checkpoint: ChainCheckpoint? = nil,
                    label: String = "") throws -> MarkovChainRecord {
        try ChainResults.run(chains: chains, pointCount: points.rows, progress: progress, checkpoint: checkpoint, label: label) {
            try runChain(points: points, sweeps: sweeps, thermalization: thermalization, seed: seed, stream: $0, progress: $1, saver: $2)
        }
    }

    func runChain(points: Matrix, sweeps: Int, thermalization: Int, seed: UInt64, stream: UInt64,
                  progress: (@Sendable (Double) -> Void)?, saver: ChainSaver? = nil) throws -> ChainOutput {
        let net = theory.ensemble.network, density = theory.ensemble.density, grid = theory.grid
        let N = net.width, d = net.dimension, P = points.rows, G = grid.nodeCount, total = thermalization + sweeps
        var saver = saver
        var rng = RandomStream(seed: seed, stream: stream)
        var θ: CosNetParameters
        var fields = [Double](repeating: 0, count: sweeps * P), inter = [Double](repeating: 0, count: sweeps)
        var accepted = 0, proposed = 0, start = 0
        if let saved = try saver?.resume(total: total, thermalization: thermalization, parameterCount: N * (d + 2),
                                         shape: "a width-\(N) net in d = \(d)", fields: &fields, interactions: &inter) {
            θ = CosNetParameters(flat: saved.parameters, width: N, dimension: d)
            rng = RandomStream(seed: seed, stream: stream, position: saved.randomPosition)
            (start, accepted, proposed) = (saved.step, saved.accepted, saved.proposed)
        } else {
            θ = density.sample(using: &rng)
        }
        var phi = grid.field(net.modes(θ))
        var delta = [Double](repeating: 0, count: G)
        var bNew = [Double](repeating: 0, count: d)
        let factor = coupling / 24
        for sweep in start..<total {
            for i in 0..<N {
                // The old mode.
                let cOld = θ.c[i], AOld = net.modeAmplitude(θ.a[i], momentumSquared: θ.momentumSquared(i))
                // A fresh neuron from the prior, drawn in the density's order.
                let (aNew, cNew) = bNew.withUnsafeMutableBufferPointer { density.sampleNeuron(using: &rng, momentum: $0) }
                let u = rng.uniform()
                var nb2 = 0.0
                for j in 0..<d { nb2 += bNew[j] * bNew[j] }
                let ANew = net.modeAmplitude(aNew, momentumSquared: nb2)
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
            if let progress, sweep % 64 == 0 { progress(Double(sweep) / Double(total)) }
            // Exact stopping points: φ on the grid was just recomputed from θ (as a resumed chain computes it).
            if sweep % 16 == 15 || sweep + 1 == total {
                let recorded = max(0, sweep + 1 - thermalization)
                try saver?.reached(ChainState(step: sweep + 1, parameters: θ.flattened, randomPosition: rng.position, accepted: accepted,
                                              proposed: proposed, fields: Array(fields[0..<(recorded * P)]),
                                              interactions: Array(inter[0..<recorded])), step: sweep + 1, total: total)
            }
        }
        return ChainOutput(fields: fields, interactions: inter, accepted: accepted, proposed: proposed, resumedSteps: start)
    }
}

/// What one chain returns: its records, acceptance counts and the steps taken over from a checkpoint.
struct ChainOutput: Sendable {
    var fields: [Double]
    var interactions: [Double]
    var accepted: Int
    var proposed: Int
    var resumedSteps: Int
}

/// Per-chain results written from concurrent workers (disjoint slots).
final class ChainResults: @unchecked Sendable {
    private var values: [Result<ChainOutput, Error>]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: .failure(ChainInterrupted()), count: count) }
    func set(_ i: Int, _ v: Result<ChainOutput, Error>) {
        lock.lock(); values[i] = v; lock.unlock()
    }
    /// The outputs in chain order, or the first chain's error.
    func outputs() throws -> [ChainOutput] { try values.map { try $0.get() } }

    /// Runs `chain(c, progress, saver)` for c = 0..<chains on all cores — chain c on generator stream c, `progress`
    /// passed to chain 0 only, checkpoints saved as `{label}_c{c}` — and combines the records in chain order.
    static func run(chains: Int, pointCount: Int, progress: (@Sendable (Double) -> Void)?, checkpoint: ChainCheckpoint?,
                    label: String,
                    chain: @Sendable (UInt64, (@Sendable (Double) -> Void)?, ChainSaver?) throws -> ChainOutput) throws -> MarkovChainRecord {
        let results = ChainResults(count: chains)
        DispatchQueue.concurrentPerform(iterations: chains) { c in
            results.set(c, Result {
                try chain(UInt64(c), c == 0 ? progress : nil,
                          checkpoint.map { ChainSaver(store: $0, label: "\(label)_c\(c)", pointCount: pointCount) })
            })
        }
        return MarkovChainRecord.combine(try results.outputs(), pointCount: pointCount)
    }
}

extension CosNetParameters {
    /// q = (a [N], b [N·d] row-major, c [N]).
    var flattened: [Double] { a + b.data + c }

    init(flat q: [Double], width N: Int, dimension d: Int) {
        self.init(a: Array(q[0..<N]), b: Matrix(rows: N, cols: d, data: Array(q[N..<(N + N * d)])), c: Array(q[(N + N * d)...]))
    }
}

import Foundation
import NumericCore

/// Where one Markov chain of the φ⁴ density stands — enough to continue it to exactly the numbers an
/// uninterrupted chain gives: the steps done (sweeps or trajectories, thermalisation included), the parameters
/// q = (a [N], b [N·d] row-major, c [N]), the position of the chain's `RandomStream` (64-bit words drawn), the
/// acceptance counts and the records so far.
public struct ChainState: Sendable, Equatable {
    /// Steps done, sweeps (Metropolis) or trajectories (HMC), thermalisation included.
    public var step: Int
    /// q = (a [N], b [N·d] row-major, c [N]) after `step` steps.
    public var parameters: [Double]
    /// The chain's `RandomStream` position (64-bit words drawn so far).
    public var randomPosition: UInt64
    /// Proposals accepted so far.
    public var accepted: Int
    /// Proposals made so far (one per neuron per sweep, or one per trajectory).
    public var proposed: Int
    /// φ_t(x_p) row-major [t, P] and I_t = ∫_V φ_t⁴ for the recorded (post-thermalisation) steps.
    public var fields: [Double]
    /// I_t = ∫_V φ_t⁴ dᵈx for the recorded steps, [t].
    public var interactions: [Double]
}

/// Checkpoints of Metropolis/HMC chains, so that an interrupted `nntheory phi4` run resumes where it stopped and
/// ends with bit-identical numbers. The chains are counter-based (chain c draws from `RandomStream(seed:, stream: c)`),
/// so a chain is fully described by its `ChainState`.
///
/// Layout under `directory`, per chain label (e.g. `N1000_l0_c1`: width, index of λ, chain):
/// `chain_{label}_fields.npy` [T, P] and `chain_{label}_interactions.npy` [T] (records, append-only: a saved state
/// uses a prefix of them), then `chain_{label}.json` (fingerprint, step, q, random position, counts, the number of
/// records it uses), written last and atomically — a run killed while saving leaves the previous state valid.
/// States are saved at most every `interval` seconds at the points where a chain can stop exactly (Metropolis:
/// after a sweep that re-synchronised the grid field; HMC: after any trajectory) and always when a chain ends, so a
/// resumed multi-cell run skips the finished (N, λ) cells.
public struct ChainCheckpoint: Sendable {
    /// The folder holding the chain files.
    public let directory: URL
    /// A description of everything the chains depend on (theory, points, seed, sampler settings).
    public let fingerprint: String
    /// Seconds between saves of a running chain.
    public let interval: Double
    /// Testing: after the first save at or beyond this many steps, the chain stops with `ChainInterrupted`, as if
    /// the process had been killed there.
    var interruptAfterStep: Int? = nil
    /// Polled by every running chain at each point where it can stop exactly: a signal number saves the chain's
    /// state there and ends it with `StopRequest.Interrupted` (nil: never).
    public var stop: (@Sendable () -> Int32?)? = nil

    /// Chain states under `directory` for the settings `fingerprint`, saved at most every `interval` seconds.
    public init(directory: URL, fingerprint: String, interval: Double = 30) {
        self.directory = directory
        self.fingerprint = fingerprint
        self.interval = interval
    }

    struct Manifest: Codable {
        var fingerprint: String
        var step: Int
        var parameters: [Double]
        var randomPosition: UInt64
        var accepted: Int
        var proposed: Int
        var recorded: Int
    }

    func url(_ label: String, _ suffix: String) -> URL { directory.appendingPathComponent("chain_\(label)\(suffix)") }

    /// The saved state of chain `label` with `pointCount` points (nil when none was saved).
    public func load(label: String, pointCount P: Int) throws -> ChainState? {
        let jsonURL = url(label, ".json")
        guard let data = FileManager.default.contents(atPath: jsonURL.path) else { return nil }
        guard let m = try? JSONDecoder().decode(Manifest.self, from: data) else {
            throw InputError("chain checkpoint \(jsonURL.path) is unreadable; expected the state an earlier run saved")
        }
        guard m.fingerprint == fingerprint else {
            throw CheckpointMismatch(location: "chain checkpoint \(jsonURL.path)", saved: m.fingerprint, expected: fingerprint)
        }
        let f = m.recorded == 0 ? [] : try NPY.readDoubles(url(label, "_fields.npy")).data
        let i = m.recorded == 0 ? [] : try NPY.readDoubles(url(label, "_interactions.npy")).data
        guard f.count >= m.recorded * P, i.count >= m.recorded else {
            throw InputError("chain checkpoint \(label) declares \(m.recorded) records; its arrays hold \(i.count) — expected at least as many")
        }
        return ChainState(step: m.step, parameters: m.parameters, randomPosition: m.randomPosition, accepted: m.accepted,
                          proposed: m.proposed, fields: Array(f[0..<(m.recorded * P)]), interactions: Array(i[0..<m.recorded]))
    }

    /// Throws unless every chain state in `directory` belongs to these settings (call before a resumed run starts,
    /// so that a mismatch is reported before any work).
    public func validate() throws {
        guard let items = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for f in items.sorted() where f.hasPrefix("chain_") && f.hasSuffix(".json") {
            _ = try load(label: String(f.dropFirst("chain_".count).dropLast(".json".count)), pointCount: 0)
        }
    }

    /// Saves the state of chain `label` (records first, then the manifest that declares them).
    public func save(_ s: ChainState, label: String, pointCount P: Int) throws {
        // A checkpoint: flushed to the disk before it replaces the previous one.
        try AtomicFile.durably {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let recorded = s.interactions.count
            if recorded > 0 {
                try NPY.write(NDArray(shape: [recorded, P], data: Array(s.fields[0..<(recorded * P)])), to: url(label, "_fields.npy"))
                try NPY.write(NDArray(shape: [recorded], data: s.interactions), to: url(label, "_interactions.npy"))
            }
            try JSONOutput.write(Manifest(fingerprint: fingerprint, step: s.step, parameters: s.parameters, randomPosition: s.randomPosition,
                                          accepted: s.accepted, proposed: s.proposed, recorded: recorded), to: url(label, ".json"))
        }
    }

    /// Removes every chain state in `directory` (at the start of a run without resume).
    public static func clear(directory: URL) {
        guard let items = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for f in items where f.hasPrefix("chain_") && (f.hasSuffix(".json") || f.hasSuffix(".npy")) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(f))
        }
    }
}

/// A chain stopped by `ChainCheckpoint.interruptAfterStep` (testing only).
struct ChainInterrupted: Error {}

/// Saving policy of one running chain: when to save and where.
struct ChainSaver {
    let store: ChainCheckpoint
    let label: String
    let pointCount: Int
    var lastSave = Date()

    /// The saved state of this chain, checked against the run (at most `total` steps, `parameterCount`
    /// parameters, one record per step after `thermalization`), with its records copied into the run's
    /// `fields`/`interactions` buffers; nil when none was saved. `shape` names the network in the error.
    func resume(total: Int, thermalization: Int, parameterCount: Int, shape: String,
                fields: inout [Double], interactions: inout [Double]) throws -> ChainState? {
        guard let saved = try store.load(label: label, pointCount: pointCount) else { return nil }
        guard saved.step <= total, saved.parameters.count == parameterCount,
              saved.interactions.count == max(0, saved.step - thermalization) else {
            throw InputError("chain checkpoint \(label): step \(saved.step) with \(saved.parameters.count) parameters; expected ≤ \(total) steps of \(shape)")
        }
        fields.replaceSubrange(0..<saved.fields.count, with: saved.fields)
        interactions.replaceSubrange(0..<saved.interactions.count, with: saved.interactions)
        return saved
    }

    /// Saves if the interval has passed, the chain is done, a signal came (`ChainCheckpoint.stop`) or a test
    /// interruption is due; after the save, throws `StopRequest.Interrupted` for a signal and `ChainInterrupted`
    /// for a test.
    mutating func reached(_ state: @autoclosure () -> ChainState, step: Int, total: Int) throws {
        let interrupt = store.interruptAfterStep.map { step >= $0 && step < total } ?? false
        let signal = step < total ? store.stop?() : nil
        guard step == total || interrupt || signal != nil || Date().timeIntervalSince(lastSave) >= store.interval else { return }
        try store.save(state(), label: label, pointCount: pointCount)
        lastSave = Date()
        if let signal { throw StopRequest.Interrupted(signal: signal, detail: "in chain \(label) at step \(step) of \(total)") }
        if interrupt { throw ChainInterrupted() }
    }
}

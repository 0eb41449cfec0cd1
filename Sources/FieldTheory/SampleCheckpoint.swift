import Foundation
import NumericCore

/// Checkpoints of streamed free-network samples (reweighting), so that an interrupted run resumes where it
/// stopped. Networks are counter-based (network k on Philox stream k), so a resumed run draws exactly the networks
/// an uninterrupted one would and gives identical numbers.
///
/// Layout under `directory`: `samples_N{width}_fields.npy` [M_done, P], `samples_N{width}_interactions.npy`
/// [M_done] (absent for free-field runs) and `checkpoint.json` with the settings they belong to; every file is
/// written atomically, the JSON last.
public struct SampleCheckpoint: Sendable {
    /// The folder holding the sample files.
    public let directory: URL
    /// A description of everything the samples depend on (dimension, mass, cutoff, sampling, box, points, seed).
    public let fingerprint: String

    /// Sample checkpoints under `directory` for the settings `fingerprint`.
    public init(directory: URL, fingerprint: String) {
        self.directory = directory
        self.fingerprint = fingerprint
    }

    struct Manifest: Codable { var fingerprint: String; var done: [String: Int] }

    var manifestURL: URL { directory.appendingPathComponent("checkpoint.json") }

    func manifest() throws -> Manifest? {
        guard let data = FileManager.default.contents(atPath: manifestURL.path) else { return nil }
        guard let m = try? JSONDecoder().decode(Manifest.self, from: data) else {
            throw InputError("checkpoint \(manifestURL.path) is unreadable; expected the checkpoint.json of an earlier run")
        }
        guard m.fingerprint == fingerprint else {
            throw CheckpointMismatch(location: "checkpoint in \(directory.path)", saved: m.fingerprint, expected: fingerprint)
        }
        return m
    }

    /// Throws unless the checkpoint is absent or belongs to these settings (call before a resumed run starts).
    public func validate() throws { _ = try manifest() }

    /// The samples saved for `width` (nil when none).
    public func load(width N: Int, pointCount P: Int) throws -> FreeFieldSamples? {
        guard let m = try manifest(), let done = m.done["\(N)"], done > 0 else { return nil }
        let f = try NPY.readDoubles(directory.appendingPathComponent("samples_N\(N)_fields.npy"))
        let iURL = directory.appendingPathComponent("samples_N\(N)_interactions.npy")
        let inter = FileManager.default.fileExists(atPath: iURL.path) ? try NPY.readDoubles(iURL).data : []
        guard f.data.count >= done * P else { throw InputError("checkpoint for N = \(N) holds \(f.data.count / max(P, 1)) samples; expected \(done)") }
        return FreeFieldSamples(pointCount: P, fields: Array(f.data[0..<(done * P)]), interactions: inter.isEmpty ? [] : Array(inter[0..<done]))
    }

    /// Saves the samples for `width` (arrays first, then the manifest that declares them).
    public func save(_ s: FreeFieldSamples, width N: Int, count done: Int) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try NPY.write(NDArray(shape: [done, s.pointCount], data: s.fields), to: directory.appendingPathComponent("samples_N\(N)_fields.npy"))
        if !s.interactions.isEmpty {
            try NPY.write(NDArray(shape: [done], data: s.interactions), to: directory.appendingPathComponent("samples_N\(N)_interactions.npy"))
        }
        var m = ((try? manifest()) ?? nil) ?? Manifest(fingerprint: fingerprint, done: [:])
        m.done["\(N)"] = done
        try JSONOutput.write(m, to: manifestURL)
    }

    /// Removes the checkpoint, Markov-chain states in the same directory included (at the start of a run without
    /// resume).
    public func clear() {
        ChainCheckpoint.clear(directory: directory)
        guard let items = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for f in items where f == "checkpoint.json" || (f.hasPrefix("samples_N") && f.hasSuffix(".npy")) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(f))
        }
    }
}

/// A checkpoint (samples or a chain state) saved under other settings than the run that would continue it:
/// "`location` belongs to other settings (`saved`); expected `expected`", the two fingerprints side by side.
public struct CheckpointMismatch: Error, CustomStringConvertible, Sendable {
    /// Which checkpoint, e.g. "checkpoint in /run/checkpoints" or "chain checkpoint /run/checkpoints/chain_N4_l0_c0.json".
    public let location: String
    /// The fingerprint the checkpoint was saved with.
    public let saved: String
    /// The fingerprint of the settings asking to continue it.
    public let expected: String

    /// One line naming the checkpoint and both fingerprints.
    public var description: String { "\(location) belongs to other settings (\(saved)); expected \(expected)" }
}

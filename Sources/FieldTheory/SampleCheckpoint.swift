import Foundation
import NumericCore

/// Checkpoints of streamed free-network samples (reweighting), so that an interrupted run resumes where it
/// stopped. Networks are counter-based (network k on Philox stream k), so a resumed run draws exactly the networks
/// an uninterrupted one would and gives identical numbers.
///
/// Layout under `directory`: `samples_N{width}_fields.npy` [M_done, P], `samples_N{width}_interactions.npy`
/// [M_done] (absent for free-field runs) and `checkpoint.json` with the settings they belong to; every file is
/// written atomically, the JSON last. The generation before is kept beside them (`NAME.prev`): when the newest is
/// unreadable (a truncated or garbled file), `load` falls back to it with a warning on stderr.
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

    /// `url` of the generation before the newest (`NAME.prev`), or `url` itself.
    static func generation(_ url: URL, previous: Bool) -> URL { previous ? AtomicFile.previousGeneration(of: url) : url }

    func manifest(previous: Bool = false) throws -> Manifest? {
        let url = Self.generation(manifestURL, previous: previous)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        guard let m = try? JSONDecoder().decode(Manifest.self, from: data) else {
            throw InputError("checkpoint \(url.path) is unreadable; expected the checkpoint.json of an earlier run")
        }
        guard m.fingerprint == fingerprint else {
            throw CheckpointMismatch(location: "checkpoint in \(directory.path)", saved: m.fingerprint, expected: fingerprint)
        }
        return m
    }

    /// Throws unless the checkpoint is absent or belongs to these settings (call before a resumed run starts); an
    /// unreadable newest manifest with a readable previous one passes (`load` falls back to it).
    public func validate() throws {
        do { _ = try manifest() } catch let e as CheckpointMismatch { throw e } catch {
            guard (try? manifest(previous: true)) != nil else { throw error }
        }
    }

    /// The samples saved for `width` (nil when none): the newest generation, else — when any of its files is
    /// unreadable — the one before, with a warning.
    public func load(width N: Int, pointCount P: Int) throws -> FreeFieldSamples? {
        do {
            return try load(width: N, pointCount: P, previous: false)
        } catch let e as CheckpointMismatch {
            throw e
        } catch {
            guard FileManager.default.fileExists(atPath: Self.generation(manifestURL, previous: true).path),
                  let s = try? load(width: N, pointCount: P, previous: true) else { throw error }
            FileHandle.standardError.write(Data("warning: \(error); continuing from the checkpoint before it (*.prev in \(directory.path))\n".utf8))
            return s
        }
    }

    /// The samples of one generation's manifest. Samples only ever grow by appending (network k is drawn from
    /// stream k), so an array file holding at least the declared count serves any generation: the newest file is
    /// tried first, then the previous one.
    func load(width N: Int, pointCount P: Int, previous: Bool) throws -> FreeFieldSamples? {
        guard let m = try manifest(previous: previous), let done = m.done["\(N)"], done > 0 else { return nil }
        func read(_ name: String, count: Int, optional: Bool) throws -> [Double] {
            let url = directory.appendingPathComponent(name)
            var failure: Error? = nil
            for u in previous ? [url, Self.generation(url, previous: true)] : [url] {
                if optional && !FileManager.default.fileExists(atPath: u.path) { continue }
                do {
                    let a = try NPY.readDoubles(u).data
                    guard a.count >= count else { throw InputError("checkpoint \(u.path) holds \(a.count) values; expected \(count)") }
                    return Array(a[0..<count])
                } catch { failure = failure ?? error }
            }
            if let failure { throw failure }
            return []
        }
        let fields = try read("samples_N\(N)_fields.npy", count: done * P, optional: false)
        let inter = try read("samples_N\(N)_interactions.npy", count: done, optional: true)
        return FreeFieldSamples(pointCount: P, fields: fields, interactions: inter)
    }

    /// Saves the samples for `width` (arrays first, then the manifest that declares them), the files they replace
    /// kept as the previous generation.
    public func save(_ s: FreeFieldSamples, width N: Int, count done: Int) throws {
        // A checkpoint: flushed to the disk before it replaces the previous one.
        try AtomicFile.durably {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var m = ((try? manifest()) ?? nil) ?? Manifest(fingerprint: fingerprint, done: [:])
            for name in ["samples_N\(N)_fields.npy", "samples_N\(N)_interactions.npy", "checkpoint.json"] {
                AtomicFile.keepPreviousGeneration(of: directory.appendingPathComponent(name))
            }
            try NPY.write(NDArray(shape: [done, s.pointCount], data: s.fields), to: directory.appendingPathComponent("samples_N\(N)_fields.npy"))
            if !s.interactions.isEmpty {
                try NPY.write(NDArray(shape: [done], data: s.interactions), to: directory.appendingPathComponent("samples_N\(N)_interactions.npy"))
            }
            m.done["\(N)"] = done
            try JSONOutput.write(m, to: manifestURL)
        }
    }

    /// Removes the checkpoint, Markov-chain states in the same directory included (at the start of a run without
    /// resume).
    public func clear() {
        ChainCheckpoint.clear(directory: directory)
        guard let items = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for f in items where f.hasPrefix("checkpoint.json") || (f.hasPrefix("samples_N") && (f.hasSuffix(".npy") || f.hasSuffix(".npy.prev"))) {
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

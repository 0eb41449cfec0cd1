import Foundation

/// One JSON checkpoint file of a resumable run: a `Codable` state tagged with the run's fingerprint (a string of
/// every setting the state depends on, so that a resume with other settings is refused rather than mixed in).
/// Saving keeps the previous generation (`NAME.prev`, `AtomicFile.keepPreviousGeneration`); loading a damaged newest
/// file falls back to it with a warning.
public struct RunCheckpoint<State: Codable> {
    /// The checkpoint file, e.g. DIR/checkpoints/drift.json.
    public let url: URL
    /// The settings the state belongs to.
    public let fingerprint: String
    /// The command that writes it, for the messages ("ntk drift").
    public let command: String

    /// The file `url` of `command`'s runs with `fingerprint`.
    public init(url: URL, fingerprint: String, command: String) {
        self.url = url; self.fingerprint = fingerprint; self.command = command
    }

    struct Record: Codable { var fingerprint: String; var state: State }

    /// The saved state (nil when there is none). A newest file that does not decode falls back to the previous
    /// generation, reported through `warn`; a checkpoint of other settings, or no readable generation, is an
    /// `InputError` naming the file.
    public func load(warn: (String) -> Void = { _ in }) throws -> State? {
        let previous = AtomicFile.previousGeneration(of: url)
        var candidates = [url, previous].filter { FileManager.default.fileExists(atPath: $0.path) }
        guard !candidates.isEmpty else { return nil }
        while let file = candidates.first {
            candidates.removeFirst()
            guard let data = FileManager.default.contents(atPath: file.path),
                  let r = try? JSONOutput.decode(Record.self, from: data) else {
                if candidates.isEmpty {
                    throw InputError("checkpoint \(file.path) is unreadable; expected one written by nntheory \(command) (delete it to start afresh)")
                }
                warn("\(command): warning: checkpoint \(file.path) is unreadable; continuing from the previous one (\(candidates[0].lastPathComponent))")
                continue
            }
            guard r.fingerprint == fingerprint else {
                throw InputError("checkpoint \(file.path) belongs to other settings; expected those of this run (use another --out or drop --resume)")
            }
            return r.state
        }
        return nil
    }

    /// Writes `state` atomically (creating the directory), keeping the file it replaces as the previous generation.
    public func save(_ state: State) throws {
        // A checkpoint: flushed to the disk before it replaces the previous one.
        try AtomicFile.durably {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            AtomicFile.keepPreviousGeneration(of: url)
            try JSONOutput.write(Record(fingerprint: fingerprint, state: state), to: url)
        }
    }
}

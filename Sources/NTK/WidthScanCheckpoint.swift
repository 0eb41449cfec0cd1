import Foundation
import NumericCore

/// The checkpoint of a scan over widths with independent networks per width (`ntk convergence`, `ntk drift`): the
/// per-network results finished so far, keyed by width, in one `RunCheckpoint` (DIR/checkpoints/NAME.json). Saved at
/// most every 10 s (`saveIfDue`), and whenever asked (`save`: a width done, a stop).
struct WidthScanCheckpoint<Item: Codable> {
    let file: RunCheckpoint<[String: [Item]]>?
    private(set) var finished: [String: [Item]] = [:]
    private var lastSave = Date()

    /// The checkpoint `name` under `directory` (nil: none kept) of `command`'s scan with `fingerprint`; with `resume`
    /// it takes what an earlier run saved and says so through `progress`.
    init(directory: URL?, name: String, fingerprint: String, command: String, resume: Bool, progress: (String) -> Void) throws {
        file = directory.map { RunCheckpoint(url: $0.appendingPathComponent(name), fingerprint: fingerprint, command: command) }
        if resume, let file, let state = try file.load(warn: progress) {
            finished = state
            progress("resuming: \(networkCount) networks taken from the checkpoint")
        }
    }

    /// Networks finished, all widths together.
    var networkCount: Int { finished.values.reduce(0) { $0 + $1.count } }

    /// The saved results of width N (at most `limit`).
    func items(width N: Int, limit: Int) -> [Item] { Array((finished["\(N)"] ?? []).prefix(limit)) }

    /// Records the results of width N so far; saves when 10 s have passed since the last save.
    mutating func record(width N: Int, _ items: [Item]) throws {
        finished["\(N)"] = items
        if Date().timeIntervalSince(lastSave) > 10 { try save() }
    }

    /// Writes the checkpoint now (no-op without a directory).
    mutating func save() throws {
        try file?.save(finished)
        lastSave = Date()
    }

    /// "; the checkpoint is in DIR: rerun with --resume to continue" (empty without a checkpoint).
    var resumeAdvice: String {
        file.map { "; the checkpoint is in \($0.url.deletingLastPathComponent().path): rerun with --resume to continue" } ?? ""
    }
}

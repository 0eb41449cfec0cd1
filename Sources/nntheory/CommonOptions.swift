import ArgumentParser
import Foundation
import NumericCore

// The options every command shares, each declared and worded once. A command takes them with `@OptionGroup`;
// `demo`, whose --out and --seed have other defaults, declares those two with the same help text.

/// --out DIR: the directory a command writes into, prepared under the output-directory contract
/// (`OutputDirectory`) before any work is done.
struct OutputOptions: ParsableArguments {
    static let help = ArgumentHelp("Output directory: new or empty (created if missing); one holding an earlier run needs --force, or --resume where offered. Checked before any work.")

    @Option(help: Self.help)
    var out: String

    @OptionGroup var force: ForceOption

    /// Runs `body` with the prepared output directory, every error as one line on stderr (exit status 2).
    /// - Parameter resume: nil for a command without `--resume`, else whether it was given.
    func run(resume: Bool? = nil, _ body: (URL) throws -> Void) throws {
        try Self.run(in: out, resume: resume, force: force.force, body)
    }

    /// `run` for a directory given otherwise (a command whose --out has a default).
    /// Under mpirun, ranks other than 0 write into a scratch directory of their own, removed when they finish: rank 0
    /// alone checks, writes and checkpoints the output the user named.
    static func run(in path: String, resume: Bool? = nil, force: Bool, _ body: (URL) throws -> Void) throws {
        let group = ProcessGroups.current
        guard !group.isRoot else {
            try reportingErrors { try body(try OutputDirectory.prepare(path, resume: resume, force: force)) }
            return
        }
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("nntheory-rank\(group.rank)-of-\(group.size)-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try reportingErrors { try body(try OutputDirectory.prepare(scratch.path, resume: resume, force: true)) }
    }
}

/// --force: reuse a non-empty --out.
struct ForceOption: ParsableArguments {
    @Flag(help: "Reuse a non-empty --out: first remove the files the nntheory run there wrote (nothing else).")
    var force = false
}

/// --shard i/S: run only shard i of S of an ensemble's work (its checkpoints; `--resume` combines them).
struct ShardOption: ParsableArguments {
    @Option(help: "Run only shard i of S (e.g. 2/3): writes its checkpoints, no results; --resume without --shard combines them.")
    var shard: String?

    /// The 0-based shard index and the count (nil without --shard); a one-line error for a malformed value.
    func resolve() throws -> (index: Int, count: Int)? {
        guard let s = shard else { return nil }
        let parts = s.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
            throw InputError("--shard '\(s)', expected i/S with 1 ≤ i ≤ S")
        }
        return (parts[0] - 1, parts[1])
    }
}

/// --threads N: worker threads, all cores by default.
struct ThreadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Worker threads, at least 1 (default: all cores; under mpirun, the cores divided among this node's ranks).")
    var threads: Int?

    /// The thread count: --threads, else all cores (under mpirun: divided among the ranks on this machine); a one-line
    /// error below 1.
    func count() throws -> Int {
        guard let threads else { return max(1, activeCores / ProcessGroups.ranksOnThisNode) }
        guard threads >= 1 else { throw InputError("--threads \(threads), expected at least 1") }
        return threads
    }
}

/// --seed S: the seed of every random stream of a run.
struct SeedOption: ParsableArguments {
    static let help = ArgumentHelp("Random seed (64-bit); the same seed gives the same numbers on any thread count.")

    @Option(parsing: .unconditional, help: Self.help)
    var seed: UInt64 = 0
}

/// --resume: continue an interrupted run from the checkpoints it left in --out.
struct ResumeOption: ParsableArguments {
    @Flag(help: "Continue an interrupted run from its checkpoints in --out (the same settings; the same numbers as an uninterrupted run).")
    var resume = false
}

/// summary.json of a command whose results are arrays (`kernel`, `ntk compute`, `ntk metric`): the network as parsed,
/// the main array's shape, the files written and, for kernels by series or quadrature, the largest error estimates
/// (absolute and relative); `JSONOutput.writeSummary` adds the run.
struct ArrayRunSummary: Encodable {
    var net: String
    var shape: [Int]
    var files: [String]
    var nngp_error_estimate: Double? = nil, ntk_error_estimate: Double? = nil
    var nngp_relative_error_estimate: Double? = nil, ntk_relative_error_estimate: Double? = nil

    /// Writes it to DIR/summary.json.
    func write(to dir: URL) throws { try JSONOutput.writeSummary(self, to: dir.appendingPathComponent("summary.json")) }
}

/// `body`, except that a run stopped at a safe point by SIGINT/SIGTERM (`StopRequest.Interrupted`, whose detail says
/// what was kept and how to resume) ends the process with one line on stderr and exit status 128 + the signal.
func exitingOnInterrupt<T>(_ command: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let i as StopRequest.Interrupted {
        // Under mpirun every rank stops at the same point; rank 0 says so.
        if ProcessGroups.current.isRoot { FileHandle.standardError.write(Data("error: \(command): \(i)\n".utf8)) }
        Foundation.exit(i.exitStatus)
    }
}

/// Runs `body`; a non-finite output array (`NonFiniteOutput`) is reported with the input points its index selects:
/// `axes[k]` names the point set that axis k of the array indexes ("x", "x2"; nil for an axis that indexes none).
func namingInputs<T>(_ sets: [String: Matrix], axes: [String?], _ body: () throws -> T) throws -> T {
    do { return try body() } catch var e as NonFiniteOutput {
        let parts = zip(axes, e.index).compactMap { name, i -> String? in
            guard let name, let m = sets[name], i < m.rows else { return nil }
            return "\(name) row \(i) = (" + (0..<m.cols).map { String(format: "%g", m[i, $0]) }.joined(separator: ", ") + ")"
        }
        if !parts.isEmpty { e.inputs = parts.joined(separator: " and ") }
        throw e
    }
}

/// Help text as swift-argument-parser prints it: a discussion is written in the source as lines of about 115
/// characters, which the parser would wrap a second time at the terminal's width (80 columns when not a terminal),
/// leaving ragged short lines. `paragraphs` joins each run of consecutive unindented, non-empty lines into one line
/// that the parser wraps cleanly; indented lines (examples, file lists, tables) and blank lines stay as written.
enum HelpText {
    static func paragraphs(_ text: String) -> String {
        // One pass over the UTF-8 bytes (every command's discussion is built at each start-up, when the parser
        // lists the commands): a newline before a line of prose that follows prose becomes a space.
        var bytes = Array(text.utf8)
        var lineStart = 0, previousIsProse = false
        while lineStart <= bytes.count {
            var end = lineStart
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            let prose = end > lineStart && bytes[lineStart] != UInt8(ascii: " ")
            if prose && previousIsProse { bytes[lineStart - 1] = UInt8(ascii: " ") }
            previousIsProse = prose
            lineStart = end + 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

import Foundation

/// Where a result came from: what every `summary.json` records under `run` (`JSONOutput.writeSummary`) — the tool
/// and its version, the git commit it was built from, the full command line, the seed and thread count asked for,
/// when the run started and ended (UTC, ISO 8601), the host's CPU model, core count and vector kernels, and whether the run
/// finished (`complete`: false for the summary of a run stopped early — interrupted or broken down).
///
/// The CLI sets `RunProvenance.current` once at start-up (`start(version:commit:)`); library callers get the defaults
/// (tool "nntheory (library)", commit "unknown") with the process's arguments.
public struct RunProvenance: Codable, Sendable, Equatable {
    public var tool: String
    public var version: String
    /// The git commit of the sources ("…-dirty" when tracked files differed from it, "unknown" outside a checkout).
    public var commit: String
    /// The full command line, argv[0] included.
    public var argv: [String]
    /// `--seed` as given (nil when the command line does not set it: the command's default, recorded in its settings).
    public var seed: UInt64?
    /// Worker threads: `--threads` as given, else all cores.
    public var threads: Int
    public var startedUTC: String
    public var finishedUTC: String?
    public var hostCPU: String
    public var cores: Int
    /// The ensemble sampler's vector kernels on this host (`VectorUnit.name`: "avx512", "avx2" or "baseline"); every
    /// choice gives the same bits. Optional so that summaries written before it existed still decode.
    public var vectorUnit: String?
    /// Whether the run finished (nil until `finished`).
    public var complete: Bool?

    enum CodingKeys: String, CodingKey {
        case tool, version, commit, argv, seed, threads, cores, complete
        case startedUTC = "started_utc", finishedUTC = "finished_utc", hostCPU = "host_cpu", vectorUnit = "vector_unit"
    }

    /// The provenance of a run started now with command line `argv`: seed and threads read from it (`--seed V`,
    /// `--seed=V`, `--threads N`, `--threads=N`).
    public init(tool: String, version: String, commit: String, argv: [String] = CommandLine.arguments, started: Date = Date()) {
        self.tool = tool; self.version = version; self.commit = commit; self.argv = argv
        func value(_ name: String) -> String? {
            for (i, a) in argv.enumerated() {
                if a == name, i + 1 < argv.count { return argv[i + 1] }
                if a.hasPrefix(name + "=") { return String(a.dropFirst(name.count + 1)) }
            }
            return nil
        }
        seed = value("--seed").flatMap { UInt64($0) }
        cores = ProcessInfo.processInfo.activeProcessorCount
        threads = value("--threads").flatMap { Int($0) } ?? cores
        startedUTC = Self.timestamp(started)
        finishedUTC = nil
        hostCPU = Self.cpuModel()
        vectorUnit = VectorUnit.name
    }

    /// UTC time as ISO 8601 with seconds, e.g. 2026-12-03T15:04:05Z.
    public static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    /// The CPU model name from /proc/cpuinfo (Linux), else "unknown".
    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return "unknown"
    }

    /// This provenance with the end time `date` and whether the run finished.
    public func finished(at date: Date = Date(), complete: Bool = true) -> RunProvenance {
        var p = self
        p.finishedUTC = Self.timestamp(date)
        p.complete = complete
        return p
    }

    /// The provenance of this process's run (set once by the CLI at start-up).
    public static var current: RunProvenance {
        lock.lock(); defer { lock.unlock() }
        return stored
    }

    /// Records the provenance of this process's run, started now (the CLI calls it before parsing).
    public static func start(tool: String = "nntheory", version: String, commit: String, argv: [String] = CommandLine.arguments) {
        lock.lock(); defer { lock.unlock() }
        stored = RunProvenance(tool: tool, version: version, commit: commit, argv: argv)
    }

    nonisolated(unsafe) static var stored = RunProvenance(tool: "nntheory (library)", version: "unknown", commit: "unknown")
    static let lock = NSLock()
}

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
        cores = activeCores
        threads = value("--threads").flatMap { Int($0) } ?? cores
        startedUTC = Self.timestamp(started)
        finishedUTC = nil
        hostCPU = Self.cpuModel()
        vectorUnit = VectorUnit.name
    }

    /// UTC time as ISO 8601 with seconds, e.g. 2026-12-03T15:04:05Z.
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var t = tm()
        gmtime_r(&seconds, &t)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday))T\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec))Z"
    }

    /// The CPU model name from /proc/cpuinfo (Linux), else "unknown".
    static func cpuModel() -> String {
        // The first "model name : …" line, read line by line with C stdio (Foundation's string reading and trimming
        // cost a millisecond of every start-up).
        guard let f = fopen("/proc/cpuinfo", "r") else { return "unknown" }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>? = nil, capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, f) > 0, let l = line {
            guard strncmp(l, "model name", 10) == 0, let colon = strchr(l, Int32(UInt8(ascii: ":"))) else { continue }
            let blank: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
            let bytes = Array(String(cString: colon + 1).utf8)
            guard let first = bytes.firstIndex(where: { !blank.contains($0) }),
                  let last = bytes.lastIndex(where: { !blank.contains($0) }) else { return "unknown" }
            return String(decoding: bytes[first...last], as: UTF8.self)
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

    /// The provenance of this process's run (set once by the CLI at start-up; waits for `start`'s host facts).
    public static var current: RunProvenance {
        lock.lock(); let reading = starting; lock.unlock()
        reading?.wait()
        lock.lock(); defer { lock.unlock() }
        if let p = stored { return p }
        let p = RunProvenance(tool: "nntheory (library)", version: "unknown", commit: "unknown")
        stored = p
        return p
    }

    /// Records the provenance of this process's run, started now (the CLI calls it before parsing). The host's facts —
    /// the core count (`activeCores`: the affinity mask and the cgroup's CPU quota, read from files) and the CPU
    /// model (/proc/cpuinfo) — are read on another core while the caller goes on (parsing its command line: ≈ 0.4 ms
    /// of every start); `current` waits for them.
    public static func start(tool: String = "nntheory", version: String, commit: String, argv: [String] = CommandLine.arguments) {
        let started = Date(), reading = DispatchGroup()
        reading.enter()
        lock.lock(); starting = reading; lock.unlock()
        DispatchQueue.global().async {
            let p = RunProvenance(tool: tool, version: version, commit: commit, argv: argv, started: started)
            // A later `start` supersedes this one (its reading sets `stored` instead).
            lock.lock(); if starting === reading { stored = p }; lock.unlock()
            reading.leave()
        }
    }

    /// Set by `start`; a library caller's default is made on first use.
    nonisolated(unsafe) static var stored: RunProvenance? = nil
    /// `start`'s reading of the host's facts, until it has set `stored`.
    nonisolated(unsafe) static var starting: DispatchGroup? = nil
    static let lock = NSLock()
}

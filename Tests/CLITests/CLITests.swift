import Foundation
import Testing

/// Runs the built `nntheory` executable (a dependency of this test target, so it sits beside the test bundle).
enum CLI {
    static var executable: URL {
        let candidates = [Bundle.main.executableURL?.deletingLastPathComponent(),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                          Bundle.main.bundleURL.deletingLastPathComponent()].compactMap { $0 }
        for dir in candidates {
            let u = dir.appendingPathComponent("nntheory")
            if FileManager.default.isExecutableFile(atPath: u.path) { return u }
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/nntheory")
    }

    struct Result { let status: Int32; let stdout: String; let stderr: String }

    /// Runs `nntheory args`; `environment` entries are added to (or replace) this process's environment.
    static func run(_ args: [String], environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Both pipes drained at once: a child filling stderr while stdout is read would block forever.
        let e = Collected()
        let reader = Thread { e.data = err.fileHandleForReading.readDataToEndOfFile(); e.done.signal() }
        reader.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        e.done.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e.data, as: UTF8.self))
    }

    /// Runs a Python script (numpy available); returns its exit status and combined output.
    static func python(_ script: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        p.standardOutput = pipe; p.standardError = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out, as: UTF8.self))
    }

    /// Starts `nntheory args`, waits until `file` exists (at most two minutes), sends SIGINT and waits for the exit:
    /// whether the process was still running when signalled, its status and its stderr.
    static func runInterrupted(_ args: [String], after file: String) throws -> (wasRunning: Bool, status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        // stderr is drained while the process runs: a child blocked on a full pipe would never see the signal.
        let collected = Collected()
        let reader = Thread { collected.data = err.fileHandleForReading.readDataToEndOfFile(); collected.done.signal() }
        try p.run()
        reader.start()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: file) && p.isRunning && Date() < deadline { usleep(20_000) }
        let running = p.isRunning
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        collected.done.wait()
        return (running, p.terminationStatus, String(decoding: collected.data, as: UTF8.self))
    }

    /// The interrupt-and-resume check of a checkpointing command: `args` run whole into one directory; into another
    /// it is stopped by SIGINT once `checkpoint` (relative to --out) exists, and must exit 130 with stderr naming
    /// `stopped` and "rerun with --resume"; `--resume` must then exit 0 with stderr containing `resumed`, and every
    /// file of `identical` must have the same bytes in both directories; the files of `absentAfterStop` must not
    /// exist after the stop. Returns the two directories for further checks.
    @discardableResult
    static func expectInterruptAndResume(_ args: [String], checkpoint: String, stopped: String, resumed: String,
                                         identical: [String], absentAfterStop: [String] = []) throws -> (whole: String, part: String) {
        let whole = tempDir(), part = tempDir()
        let w = try run(args + ["--out", whole])
        #expect(w.status == 0, "\(w.stderr)")
        let i = try runInterrupted(args + ["--out", part], after: part + "/" + checkpoint)
        #expect(i.wasRunning, "the run ended before it could be interrupted")
        #expect(i.status == 130 && i.stderr.contains(stopped) && i.stderr.contains("rerun with --resume"), "\(i.stderr)")
        for f in absentAfterStop { #expect(!FileManager.default.fileExists(atPath: part + "/" + f), "\(f) written by the stopped run") }
        let r = try run(args + ["--out", part, "--resume"])
        #expect(r.status == 0 && r.stderr.contains(resumed), "\(r.stderr)")
        for f in identical {
            let a = FileManager.default.contents(atPath: whole + "/" + f), b = FileManager.default.contents(atPath: part + "/" + f)
            #expect(a != nil && a == b, "\(f) differs from the uninterrupted run")
        }
        return (whole, part)
    }

    /// Runs `args` into a fresh --out and expects a failure with exactly one line on stderr containing `needle`.
    static func expectOneLineError(_ args: [String], _ needle: String) throws {
        let r = try run(args + ["--out", tempDir()])
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains(needle), "stderr: \(r.stderr)")
    }

    /// `base` with each option of `changes` (pairs: option, value) set to its value, appended when absent.
    static func replacing(_ base: [String], _ changes: [String]) -> [String] {
        var a = base
        for i in stride(from: 0, to: changes.count - 1, by: 2) {
            if let k = a.firstIndex(of: changes[i]) { a[k + 1] = changes[i + 1] } else { a += [changes[i], changes[i + 1]] }
        }
        return a
    }

    final class Collected: @unchecked Sendable { var data = Data(); let done = DispatchSemaphore(value: 0) }

    static func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("nnt-cli-\(UUID().uuidString)").path
    }
}

@Suite struct CLIErrorTests {
    /// Each bad input: non-zero exit, exactly one line on stderr naming the value, no crash trace.
    @Test(arguments: [
        (["--net", "tanhnet", "--widths", "2", "--x", "0.1"], "tanhnet"),
        (["--net", "erf", "--widths", "2,0", "--x", "0.1"], "width 0"),
        (["--net", "erf", "--widths", "2,x", "--x", "0.1"], "'x'"),
        (["--net", "erf", "--widths", "2", "--x", "1,2;3"], "row 1"),
        (["--net", "erf", "--widths", "2", "--d-in", "3", "--x", "1,2;3,4"], "dimension 2, expected 3"),
        (["--net", "erf", "--widths", "2", "--x", "0.1,nan"], "nan"),
        (["--net", "erf", "--widths", "2", "--x", "/nonexistent/points.npy"], "/nonexistent/points.npy"),
        (["--net", "erf", "--widths", "2", "--x", "0.1", "--orders", "2,5"], "order 5"),
        (["--net", "erf", "--widths", "2", "--x", "0.1", "--orders", "2,2"], "order 2 given twice"),
        (["--net", "erf", "--widths", "2,2", "--x", "0.1"], "width 2 given twice"),
        (["--net", "erf", "--widths", "2", "--x", "0.1", "--networks", "-3"], "-3"),
        (["--net", "cos", "--widths", "2", "--x", "0.1", "--mass", "-1"], "--mass -1"),
        (["--net", "erf", "--widths", "2", "--x", "0.1", "--shard", "4/3"], "4/3"),
    ] as [([String], String)])
    func badInputGivesOneLineError(args: [String], needle: String) throws {
        let r = try CLI.run(["correlators"] + args + ["--networks", args.contains("--networks") ? "-3" : "0", "--out", CLI.tempDir()])
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.lowercased().contains(needle.lowercased()), "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace"))
    }

    @Test(arguments: [["--help"], ["correlators", "--help"], ["demo", "--help"]])
    func helpIsAvailable(args: [String]) throws {
        let r = try CLI.run(args)
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE"))
    }
}

/// An unusable output directory is refused up front: one line naming the option and the path, non-zero exit, no work done.
@Suite struct OutputDirectoryCLITests {
    /// A regular file, so that FILE/out cannot be created.
    static func regularFile() throws -> String {
        let path = CLI.tempDir()
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [
        ["cy", "sample", "--points", "2000000"],
        ["cy", "donaldson", "--k", "1..4"],
        ["kernel", "--net", "Dense(8) Relu Dense(1)", "--x", "1,0;0,1"],
        ["correlators", "--net", "erf", "--widths", "2,10", "--networks", "5000000", "--x", "0.1,0.5"],
        ["ntk", "--net", "Dense(8) Relu Dense(1)", "--seed", "1", "--x", "1,0"],
        ["ntk", "convergence", "--net", "Dense(8) Relu Dense(1)", "--x", "1,0"],
        ["ntk", "drift", "--net", "Dense(8) Relu Dense(1)", "--x", "1,0"],
        ["ntk", "metric", "--net", "Dense(8) Relu Dense(3)", "--dim", "2", "--x", "1,0"],
        ["demo", "--sections", "cy"],
        ["freefield", "--d", "1", "--width", "10", "--networks", "2000000", "--x", "0,0.5"],
        ["train", "torus", "--steps", "100000"],
        ["phi4", "--d", "1", "--width", "10", "--networks", "2000000", "--x", "0,0.5"],
    ])
    func outputUnderARegularFileIsOneLineUpFront(args: [String]) throws {
        let file = try Self.regularFile()
        let out = file + "/results"
        let start = Date()
        let r = try CLI.run(args + ["--out", out])
        let seconds = Date().timeIntervalSince(start)
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("--out: cannot write '\(out)': '\(file)' is a file, not a directory"), "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("Backtrace"))
        #expect(seconds < 5, "took \(seconds) s: the directory must be checked before the work")
    }

    /// A Foundation write error met later (here summary.json is a directory) is one line naming the path and the reason.
    @Test func fileErrorsAreOneLineNamingThePath() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(atPath: dir + "/summary.json", withIntermediateDirectories: true)
        let r = try CLI.run(["cy", "sample", "--points", "20", "--out", dir, "--force"])
        #expect(r.status != 0)
        let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last == "error: cannot write '\(dir)/summary.json': it is a directory; expected a file name", "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain"))
    }

    static let kernelArgs = ["kernel", "--net", "Dense(4) Erf Dense(1)", "--x", "1,0;0,1"]

    /// Entries of a directory, hidden ones included, sorted.
    static func entries(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    /// A non-empty --out is refused before any work, naming what it holds and the two ways on, and nothing in it
    /// changes; --force removes the earlier run's files (an old file the new run does not write is gone too) and
    /// nothing else (a user's file stays); the manifest then names the new command.
    @Test func occupiedOutputIsRefusedUntilForced() throws {
        let dir = CLI.tempDir()
        #expect(try CLI.run(Self.kernelArgs + ["--out", dir]).status == 0)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/nngp.npy"))
        let r = try CLI.run(["ntk", "compute", "--net", "Dense(4) Erf Dense(1)", "--seed", "1", "--x", "1,0", "--out", dir])
        #expect(r.status == 2)
        #expect(r.stderr == "error: --out: '\(dir)' is not empty (it holds a `kernel` run); expected an empty or new directory, or --force to replace its files\n", "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/nngp.npy")) == before)
        #expect(Self.entries(dir) == [".nntheory-run.json", "nngp.npy", "notes.txt", "ntk.npy", "summary.json"], "\(Self.entries(dir))")
        // A directory nntheory never wrote into is left exactly as it was (no lock file, no manifest).
        let foreign = CLI.tempDir()
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: foreign + "/notes.txt"))
        #expect(try CLI.run(Self.kernelArgs + ["--out", foreign]).status == 2)
        #expect(Self.entries(foreign) == ["notes.txt"], "\(Self.entries(foreign))")
        let f = try CLI.run(["ntk", "compute", "--net", "Dense(4) Erf Dense(1)", "--seed", "1", "--x", "1,0", "--out", dir, "--force"])
        #expect(f.status == 0, "\(f.stderr)")
        let e = Self.entries(dir)
        #expect(e.contains("notes.txt") && e.contains("ntk.npy") && !e.contains("nngp.npy") && !e.contains(".nntheory.lock"), "\(e)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/.nntheory-run.json"))) as? [String: Any]
        #expect(manifest?["command"] as? String == "ntk compute")
        #expect((manifest?["files"] as? [String])?.contains("notes.txt") == false)
    }

    /// --resume into the directory of another command's run is refused, naming both commands.
    @Test func resumeOfAnotherCommandIsRefused() throws {
        let dir = CLI.tempDir()
        #expect(try CLI.run(Self.kernelArgs + ["--out", dir]).status == 0)
        let r = try CLI.run(["correlators", "--net", "erf", "--widths", "2", "--networks", "1000", "--x", "0.1", "--out", dir, "--resume"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--resume: '\(dir)' holds a `kernel` run, not a `correlators` run"), "\(r.stderr)")
    }

    /// While another process holds the directory's lock, a run into it is refused naming that process; once the
    /// lock is released the same run succeeds and leaves no lock file behind.
    @Test func secondConcurrentRunIsRefused() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fd = open(dir + "/.nntheory.lock", O_CREAT | O_RDWR, 0o644)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        let pid = Array("4242\n".utf8)
        _ = pwrite(fd, pid, pid.count, 0)
        let r = try CLI.run(Self.kernelArgs + ["--out", dir])
        #expect(r.status == 2)
        #expect(r.stderr.contains("is in use by another nntheory run (pid 4242)"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/nngp.npy"))
        flock(fd, LOCK_UN); close(fd)
        #expect(try CLI.run(Self.kernelArgs + ["--out", dir]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/.nntheory.lock"))
    }

    /// Temporaries a killed process left (ours and Foundation's) are swept when the directory is reused.
    @Test func staleTemporariesAreSwept() throws {
        let dir = CLI.tempDir()
        #expect(try CLI.run(Self.kernelArgs + ["--out", dir]).status == 0)
        for t in [".nngp.npy.partial-99-1", ".dat.nosyncab12", "checkpoints/.tmp-0001"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + (t as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("half".utf8).write(to: URL(fileURLWithPath: dir + "/" + t))
        }
        #expect(try CLI.run(Self.kernelArgs + ["--out", dir, "--force"]).status == 0)
        #expect(Self.entries(dir) == [".nntheory-run.json", "checkpoints", "nngp.npy", "ntk.npy", "summary.json"], "\(Self.entries(dir))")
        #expect(Self.entries(dir + "/checkpoints").isEmpty)
    }

    /// A run that does not stop by itself (cy donaldson), interrupted before it wrote anything: exit 130 with one
    /// line saying so, and the directory it created is gone (no lock, no temporaries, nothing half-written).
    @Test func interruptedRunLeavesNothingBehind() throws {
        let dir = CLI.tempDir()
        let r = try CLI.runInterrupted(["cy", "donaldson", "--k", "1..8", "--points", "200000", "--out", dir],
                                       after: dir + "/.nntheory.lock")
        #expect(r.wasRunning)
        #expect(r.status == 130, "\(r.stderr)")
        #expect(r.stderr.contains("error: stopped by SIGINT before the run finished; nothing to resume from"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir), "\(Self.entries(dir))")
    }
}

@Suite struct CLIRunTests {
    static let common = ["correlators", "--net", "relu", "--sigma-b", "0", "--widths", "2,5", "--networks", "3000",
                         "--chunks", "6", "--x", "0.2,0.6,1.0", "--lambda-cutoffs", "10,100", "--seed", "7"]

    static func summary(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("summary.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    @Test func runWritesSummaryTensorsAndPlot() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(Self.common + ["--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try Self.summary(dir)
        let widths = s["widths"] as! [[String: Any]]
        #expect(widths.map { $0["width"] as! Int } == [2, 5])
        for w in widths {
            for key in ["deviation", "exact_deviation", "background"] {
                let d = w[key] as! [String: Any]
                #expect(Set(d.keys) == ["2", "4", "6"])
            }
            // ReLU, d_in = 1, σ_b = 0: exact m4 = 5/N for every multiset (exact finite-N correlators of single-layer nets with i.i.d. neurons; arXiv 2008.08601).
            let ex4 = (w["exact_deviation"] as! [String: Any])["4"] as! Double
            #expect(abs(ex4 - 5.0 / Double(w["width"] as! Int)) < 1e-12)
        }
        for f in ["scaling.svg", "lambda.svg", "points.npy", "gp_kernel.npy", "width_2/G4.npy", "width_5/G6c_exact.npy"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f) missing")
        }
        let svg = try String(contentsOfFile: dir + "/scaling.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("polyline"))
    }

    /// An interrupted run resumed, and a run split into two shards and combined, give the same numbers
    /// as one uninterrupted run.
    /// Exact erf-net values only: the 2-point deviation m_2 is round-off (the exact G2 equals the GP's at every N),
    /// so no slope is fitted to it and the line says so; G4 − G4_GP is exactly c/N for a single hidden layer, so the
    /// exact m_4 slope is −1 to round-off.
    @Test func noSlopeIsFittedToRoundOff() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["correlators", "--net", "erf", "--widths", "2,5,20", "--networks", "0", "--x", "-1,0,1", "--out", dir])
        #expect(r.status == 0 && r.stdout.contains("exact: m2 = 0 to round-off at every N (no slope)"), "\(r.stdout)")
        let py = try CLI.python("""
        import json
        s = json.load(open('\(dir)/summary.json'))
        assert s['exact_slopes'].get('2') is None, s['exact_slopes']
        assert all(w['exact_deviation']['2'] < 1e-12 for w in s['widths'])
        assert abs(s['exact_slopes']['4']['slope'] + 1) < 1e-9, s['exact_slopes']['4']
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    @Test func shardsAndResumeReproduceOneRun() throws {
        let whole = CLI.tempDir(), sharded = CLI.tempDir()
        #expect(try CLI.run(Self.common + ["--out", whole]).status == 0)
        for s in ["1/2", "2/2"] {
            let r = try CLI.run(Self.common + ["--out", sharded, "--shard", s])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: sharded + "/summary.json"))
        #expect(try CLI.run(Self.common + ["--out", sharded, "--resume"]).status == 0)
        for n in [2, 4, 6] {
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(whole)/width_5/G\(n).npy"))
            let b = try Data(contentsOf: URL(fileURLWithPath: "\(sharded)/width_5/G\(n).npy"))
            #expect(a == b, "G\(n) differs between sharded and whole runs")
        }
        // A checkpoint from another configuration is refused with one line.
        let r = try CLI.run(Self.common.map { $0 == "7" ? "8" : $0 } + ["--out", sharded, "--resume"])
        #expect(r.status != 0 && r.stderr.contains("different configuration"))
    }

    /// A real run stopped by SIGINT saves its checkpoint and exits 130 naming where it stopped; --resume ends
    /// bit-identical to an uninterrupted run. Its newest checkpoint then garbled, a further --resume falls back to
    /// the generation before (width-2.json.prev) with a warning, and still ends with the same bits.
    @Test func interruptedRunResumesThroughACorruptCheckpoint() throws {
        let args = ["correlators", "--net", "erf", "--widths", "2", "--networks", "4000000", "--x", "0.1,0.5", "--seed", "3"]
        let whole = CLI.tempDir(), part = CLI.tempDir()
        #expect(try CLI.run(args + ["--out", whole]).status == 0)
        let g4 = { (dir: String) in FileManager.default.contents(atPath: dir + "/width_2/G4.npy") }
        let i = try CLI.runInterrupted(args + ["--out", part], after: part + "/.nntheory.lock")
        #expect(i.wasRunning && i.status == 130, "\(i.stderr)")
        #expect(i.stderr.contains("error: correlators: stopped by SIGINT at N = 2 after") && i.stderr.contains("rerun with --resume"), "\(i.stderr)")
        #expect(try CLI.run(args + ["--out", part, "--resume"]).status == 0)
        #expect(g4(whole) != nil && g4(part) == g4(whole))
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: part + "/checkpoints/width-2.json"))
        let r = try CLI.run(args + ["--out", part, "--resume"])
        #expect(r.status == 0 && r.stderr.contains("warning: checkpoint") && r.stderr.contains("previous one (width-2.json.prev)"), "\(r.stderr)")
        #expect(g4(part) == g4(whole))
    }

    /// The vector kernels change no bit: correlators of the Erf- and ReLU-nets under NNTHEORY_VECTOR=baseline (the
    /// portable Swift code), =avx2 and the host's best write identical arrays, and the summary names the path.
    @Test func vectorKernelsGiveThePortableBits() throws {
        for net in ["erf", "relu"] {
            let args = ["correlators", "--net", net, "--widths", "8,1003", "--networks", "3000", "--x", "-1,-0.2,0.6", "--seed", "12"]
            var files: [[String: Data]] = []
            for level in ["baseline", "avx2", "best"] {
                let dir = CLI.tempDir()
                let r = try CLI.run(args + ["--out", dir], environment: level == "best" ? [:] : ["NNTHEORY_VECTOR": level])
                #expect(r.status == 0, "\(r.stderr)")
                var arrays: [String: Data] = [:]
                for w in ["width_8", "width_1003"] {
                    for f in ["G2.npy", "G4.npy", "G6.npy", "G2_err.npy"] { arrays[w + "/" + f] = FileManager.default.contents(atPath: "\(dir)/\(w)/\(f)") }
                }
                #expect(arrays.count == 8 && arrays.values.allSatisfy { $0.count > 128 })
                let summary = try #require(FileManager.default.contents(atPath: dir + "/summary.json"))
                let run = try #require((try JSONSerialization.jsonObject(with: summary) as? [String: Any])?["run"] as? [String: Any])
                let unit = run["vector_unit"] as? String ?? ""
                #expect(level == "best" ? ["avx512", "avx2", "baseline"].contains(unit) : (unit == level || unit == "baseline"), "\(unit)")
                files.append(arrays)
            }
            #expect(files[0] == files[1] && files[0] == files[2], "\(net)")
        }
    }

    /// The same for the kernel maps (`nnt_abrelu_kernel_rows`, `nnt_erf_kernel_rows` and their angles, eight or four
    /// lanes, masked or scalar tails): the ReLU and ABReLU (arc-cosine) and Erf (arcsine, with a, b, c) kernels of 37
    /// points — repeated points (ρ = 1), antipodal ones (ρ = −1), orthogonal ones and a spread — are the same bytes
    /// under baseline, avx2 and the host's best.
    @Test func vectorAnglesGiveThePortableBits() throws {
        var points: [[Double]] = [[1, 0, 0], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, 0, 2], [0.6, 0.8, 0], [-0.6, -0.8, 0]]
        for k in points.count..<37 { points.append((1...3).map { j in sin(Double(k * j) * 1.7) * pow(10, cos(Double(k + j)) * 1.5) }) }
        let x = points.map { $0.map { "\($0)" }.joined(separator: ",") }.joined(separator: ";")
        for act in ["Relu", "Erf", "ABRelu(-0.4, 1.3)", "Erf(a=0.7, b=1.6, c=0.3)"] {
            var files: [Data] = []
            for level in ["baseline", "avx2", "best"] {
                let dir = CLI.tempDir()
                let r = try CLI.run(["kernel", "--net", "Dense(64, W_std=1.5, b_std=0.05) \(act) Dense(64, W_std=1.3, b_std=0.1) \(act) Dense(1)",
                                     "--x", x, "--out", dir], environment: level == "best" ? [:] : ["NNTHEORY_VECTOR": level])
                #expect(r.status == 0, "\(r.stderr)")
                for f in ["nngp.npy", "ntk.npy"] { files.append(FileManager.default.contents(atPath: "\(dir)/\(f)") ?? Data()) }
            }
            #expect(files.allSatisfy { $0.count == 128 + 37 * 37 * 8 }, "\(act)")
            #expect(files[0] == files[2] && files[1] == files[3] && files[0] == files[4] && files[1] == files[5], "\(act)")
        }
    }
}

@Suite struct KernelCLITests {
    @Test func kernelWritesNNGPAndNTK() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["kernel", "--net", "Dense(512, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5)",
                             "--x", "1,0;0,1;0.6,0.8", "--x2", "-1,0", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let script = """
        import numpy as np
        k = np.load('\(dir)/nngp.npy'); t = np.load('\(dir)/ntk.npy')
        assert k.shape == (3, 1) and t.shape == (3, 1), (k.shape, t.shape)
        # x = (1,0) against (−1,0): ρ = −1 after the first layer except for the bias: check K directly.
        k1 = 2.25 * 0.5 + 0.0025; k12 = -2.25 * 0.5 + 0.0025
        th = np.arccos(k12 / k1); T = k1 / (2 * np.pi) * (np.sin(th) + (np.pi - th) * np.cos(th))
        assert abs(k[0, 0] - 2.25 * T) < 1e-14, k[0, 0]
        print('ok')
        """
        let py = try CLI.python(script)
        #expect(py.status == 0, "\(py.output)")
    }

    /// A quadrature layer brings the error estimate: files of the kernels' shape, non-negative, bounding the actual
    /// error against deg=150, and the maximum on stderr; closed-form nets write none.
    @Test func kernelWritesQuadratureErrorEstimate() throws {
        let (lo, hi) = (CLI.tempDir(), CLI.tempDir())
        let common = ["--x", "1,0;0,1;0.6,0.8", "--x2", "-1,0.5;0.3,0.3"]
        let r = try CLI.run(["kernel", "--net", "Dense(16, W_std=1.4, b_std=0.1) Tanh(deg=20) Dense(1)"] + common + ["--out", lo])
        #expect(r.status == 0 && r.stderr.contains("quadrature error estimate: max |ΔK| ="), "\(r.stderr)")
        #expect(try CLI.run(["kernel", "--net", "Dense(16, W_std=1.4, b_std=0.1) Tanh(deg=150) Dense(1)"] + common + ["--out", hi]).status == 0)
        let script = """
        import numpy as np, os
        k, t = np.load('\(lo)/nngp.npy'), np.load('\(lo)/ntk.npy')
        ek, et = np.load('\(lo)/nngp_quadrature_error.npy'), np.load('\(lo)/ntk_quadrature_error.npy')
        rk, rt = np.load('\(hi)/nngp.npy'), np.load('\(hi)/ntk.npy')
        assert ek.shape == k.shape == (3, 2) and et.shape == t.shape and (ek >= 0).all() and (et >= 0).all()
        assert (np.abs(k - rk) <= ek + 1e-14).all() and (np.abs(t - rt) <= et + 1e-14).all(), (np.abs(k - rk), ek)
        assert ek.max() > 0
        import json
        s = json.load(open('\(lo)/summary.json'))
        assert s['shape'] == [3, 2] and abs(s['nngp_error_estimate'] - ek.max()) <= 1e-15 * max(1, ek.max()), s
        assert abs(s['ntk_error_estimate'] - et.max()) <= 1e-15 * max(1, et.max()) and s['run']['argv'][1] == 'kernel', s
        print('ok')
        """
        let py = try CLI.python(script)
        #expect(py.status == 0, "\(py.output)")
        let closed = CLI.tempDir()
        #expect(try CLI.run(["kernel", "--net", "Dense(8) Relu Dense(1)", "--x", "1,0", "--out", closed]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: closed + "/nngp_quadrature_error.npy"))
    }

    /// Command-line parse errors (missing option, a value of the wrong type, an unknown subcommand) are one line
    /// naming the option and where help is, with ArgumentParser's usage-error status.
    @Test(arguments: [
        (["kernel", "--x", "1,0", "--out", "/tmp/x"], "missing expected argument '--net <net>'"),
        (["ntk", "--net", "Dense(2) Relu Dense(1)", "--seed", "-1", "--x", "1", "--out", "/tmp/x"], "'-1' is invalid for '--seed <seed>'"),
        (["cy", "sample", "--points", "abc", "--out", "/tmp/x"], "'abc' is invalid for '--points <points>'"),
        (["frobnicate"], "unknown command 'frobnicate'"),
    ]) func parseErrorsAreOneLine(args: [String], needle: String) throws {
        let r = try CLI.run(args)
        #expect(r.status == 64 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(needle) && r.stderr.contains("--help"),
                "\(r.stderr)")
    }

    /// A run refused for bad input leaves no empty output directory behind.
    @Test func refusedRunLeavesNoOutputDirectory() throws {
        let dir = CLI.tempDir() + "/fresh"
        let r = try CLI.run(["kernel", "--net", "Dense(8) Foo Dense(1)", "--x", "1,0", "--out", dir])
        #expect(r.status != 0 && r.stderr.contains("Foo"))
        #expect(!FileManager.default.fileExists(atPath: dir))
    }

    @Test func kernelBadSpecIsOneLine() throws {
        let r = try CLI.run(["kernel", "--net", "Dense(8) Tanhh Dense(1)", "--x", "1,0", "--out", CLI.tempDir()])
        #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("Tanhh"))
    }
}

@Suite struct NTKCLITests {
    /// --seed saves the parameters; --params on them reproduces the kernel byte for byte.
    @Test func seedAndParamsGiveTheSameKernel() throws {
        let a = CLI.tempDir(), b = CLI.tempDir()
        let spec = "Dense(16, W_std=1.5, b_std=0.05) Relu Dense(2, W_std=1.5)"
        let r1 = try CLI.run(["ntk", "--net", spec, "--seed", "4", "--x", "1,0;0,1;-0.5,0.5", "--out", a])
        #expect(r1.status == 0, "\(r1.stderr)")
        let r2 = try CLI.run(["ntk", "--net", spec, "--params", a + "/params", "--x", "1,0;0,1;-0.5,0.5", "--out", b])
        #expect(r2.status == 0, "\(r2.stderr)")
        let k1 = try Data(contentsOf: URL(fileURLWithPath: a + "/ntk.npy")), k2 = try Data(contentsOf: URL(fileURLWithPath: b + "/ntk.npy"))
        #expect(k1 == k2 && k1.count == 128 + 3 * 3 * 2 * 2 * 8)
        let r3 = try CLI.run(["ntk", "--net", spec, "--x", "1,0", "--out", CLI.tempDir()])
        #expect(r3.status != 0 && r3.stderr.contains("--seed"))
    }
}

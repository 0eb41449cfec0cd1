import Foundation
import Testing
import TestSupport

/// Every summary.json records where it came from (`RunProvenance` under `run`), and `--version` names the commit.
@Suite struct ProvenanceCLITests {
    /// The git commit of this checkout as `git rev-parse HEAD` gives it (nil outside a checkout), for the comparison
    /// with what the build recorded.
    static func headCommit() -> String? {
        let p = Process(), pipe = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", URL(fileURLWithPath: #filePath).deletingLastPathComponent().path, "rev-parse", "HEAD"]
        p.standardOutput = pipe; p.standardError = Pipe()
        guard (try? p.run()) != nil else { return nil }
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    @Test func versionNamesTheCommit() throws {
        let r = try CLI.run(["--version"])
        #expect(r.status == 0)
        let line = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.hasPrefix("0.1.0 (commit "), "\(line)")
        if let head = Self.headCommit() { #expect(line.contains(head), "--version '\(line)' vs HEAD \(head)") }
    }

    /// The `run` block of a real summary: the command line as given, the seed and threads from it, UTC times in order,
    /// the host's cores, the build's commit.
    @Test func summaryRecordsTheRun() throws {
        let dir = temporaryDirectoryURL(prefix: "nntheory-provenance")
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["cy", "sample", "--points", "200", "--seed", "17", "--threads", "1", "--out", dir.path]
        let r = try CLI.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        let data = try Data(contentsOf: dir.appendingPathComponent("summary.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let run = try #require(json["run"] as? [String: Any], "summary.json has no run block")
        #expect(run["tool"] as? String == "nntheory")
        #expect((run["argv"] as? [String]).map { Array($0.dropFirst()) } == args)
        #expect((run["seed"] as? NSNumber)?.uint64Value == 17)
        #expect((run["threads"] as? NSNumber)?.intValue == 1)
        #expect(((run["cores"] as? NSNumber)?.intValue ?? 0) == ProcessInfo.processInfo.activeProcessorCount)
        #expect(!((run["host_cpu"] as? String) ?? "").isEmpty)
        #expect(run["complete"] as? Bool == true)
        let started = try #require(run["started_utc"] as? String), finished = try #require(run["finished_utc"] as? String)
        let f = ISO8601DateFormatter()
        let s = try #require(f.date(from: started)), e = try #require(f.date(from: finished))
        #expect(s <= e && abs(e.timeIntervalSinceNow) < 600, "\(started) → \(finished)")
        let commit = try #require(run["commit"] as? String)
        if let head = Self.headCommit() { #expect(commit.hasPrefix(head), "run.commit \(commit) vs HEAD \(head)") }
    }
}

/// The array commands' summary.json: the network, the main array's shape (as np.load gives it), every file it lists
/// written, and the run block.
@Suite struct ArraySummaryCLITests {
    @Test(arguments: [
        (["kernel", "--net", "Dense(8) Tanh Dense(1)", "--x", "1,0;0,1;0.6,0.8"], "nngp.npy"),
        (["ntk", "--net", "Dense(8) Relu Dense(1)", "--seed", "1", "--x", "1,0;0,1"], "ntk.npy"),
        (["ntk", "metric", "--net", "Dense(8) Relu Dense(3)", "--dim", "2", "--seed", "2", "--x", "1,0;0,1"], "metric_ntk.npy"),
    ]) func summariesListTheirArrays(args: [String], main: String) throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(args + ["--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try CLI.python("""
        import json, os, numpy as np
        s = json.load(open('\(dir)/summary.json'))
        assert list(np.load('\(dir)/\(main)').shape) == s['shape'], s
        assert '\(main)' in s['files'] and all(os.path.exists('\(dir)/' + f) for f in s['files']), s
        assert s['run']['argv'][1:] == \(args + ["--out", dir]) and s['net'].startswith('Dense('), s
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }
}

/// Mistyped subcommands and options get the likely intent, in one line, with a non-zero exit; valid command lines with
/// a bad value keep ArgumentParser's message.
@Suite struct SuggestionCLITests {
    @Test(arguments: [
        (["corelators"], "unknown command 'corelators' for 'nntheory'; did you mean 'correlators'?"),
        (["cy", "sampel", "--points", "10"], "unknown command 'sampel' for 'nntheory cy'; did you mean 'sample'?"),
        (["correlators", "--widht", "3"], "unknown option '--widht' for 'nntheory correlators'; did you mean '--widths'?"),
        (["cy", "train", "--ricci-wieght=0.1", "--out", "/tmp/x"], "unknown option '--ricci-wieght' for 'nntheory cy train'; did you mean '--ricci-weight'?"),
        (["ntk", "--nte", "Dense(2) Relu Dense(1)"], "unknown option '--nte' for 'nntheory ntk compute'; did you mean '--net'?"),
    ]) func typosGetSuggestions(args: [String], message: String) throws {
        let r = try CLI.run(args)
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("error: " + message), "\(r.stderr)")
    }

    @Test func farOffWordsAndBadValuesKeepTheirMessages() throws {
        let far = try CLI.run(["zzzzzz"])
        #expect(far.status != 0 && far.stderr.contains("unknown command 'zzzzzz'") && far.stderr.contains("expected one of") && far.stderr.contains("correlators"), "\(far.stderr)")
        let bad = try CLI.run(["cy", "sample", "--points", "abc", "--out", "/tmp/x"])
        #expect(bad.status != 0 && bad.stderr.contains("'abc' is invalid for '--points <points>'"), "\(bad.stderr)")
    }
}

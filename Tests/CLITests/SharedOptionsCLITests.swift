import Foundation
import Testing

/// The options every command shares (--out, --threads, --seed, --resume) read the same everywhere, and every help
/// that takes a network SPEC says once where its grammar is documented.
@Suite struct SharedOptionsCLITests {
    static let outHelp = "Output directory: new or empty (created if missing);"
    static let seedHelp = "Random seed (64-bit); the same seed gives the same"
    static let threadsHelp = "Worker threads, at least 1 (default: all cores;"
    static let resumeHelp = "Continue an interrupted run from its checkpoints in"

    /// Each command's help, with the shared options it takes.
    @Test(arguments: [
        (["correlators"], [outHelp, seedHelp, threadsHelp, resumeHelp]),
        (["kernel"], [outHelp]),
        (["ntk", "compute"], [outHelp]),
        (["ntk", "convergence"], [outHelp, seedHelp]),
        (["ntk", "drift"], [outHelp, seedHelp]),
        (["ntk", "metric"], [outHelp]),
        (["freefield"], [outHelp, seedHelp, resumeHelp]),
        (["phi4"], [outHelp, seedHelp, resumeHelp]),
        (["cy", "sample"], [outHelp, seedHelp, threadsHelp]),
        (["cy", "sigma"], [threadsHelp]),
        (["cy", "donaldson"], [outHelp, seedHelp]),
        (["cy", "train"], [outHelp, seedHelp, resumeHelp]),
        (["train", "torus"], [outHelp, seedHelp, resumeHelp]),
        (["demo"], [outHelp, seedHelp, threadsHelp]),
    ] as [([String], [String])])
    func sharedOptionsHaveOneWording(command: [String], texts: [String]) throws {
        let r = try CLI.run(command + ["--help"])
        #expect(r.status == 0)
        for t in texts { #expect(r.stdout.contains(t), "\(command): no '\(t)' in\n\(r.stdout)") }
    }

    /// The root, the groups and every command that takes a SPEC name docs/networks.md exactly once.
    @Test(arguments: [[], ["kernel"], ["ntk"], ["ntk", "compute"], ["ntk", "convergence"], ["ntk", "drift"], ["ntk", "metric"],
                      ["train"], ["train", "torus"], ["correlators"], ["cy", "train"]])
    func specGrammarIsNamedOnce(command: [String]) throws {
        let r = try CLI.run(command + ["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.components(separatedBy: "docs/networks.md").count == 2, "\(command):\n\(r.stdout)")
    }

    /// --threads below 1: one line naming the option and the value, before any work and without leaving --out behind.
    @Test(arguments: [
        ["correlators", "--net", "erf", "--widths", "2", "--x", "0.1"],
        ["cy", "sample", "--points", "20"],
        ["demo", "--sections", "cy"],
    ])
    func threadsBelowOneIsOneLine(args: [String]) throws {
        let out = CLI.tempDir()
        let r = try CLI.run(args + ["--threads", "0", "--out", out])
        #expect(r.status == 2)
        #expect(r.stderr == "error: --threads 0, expected at least 1\n", "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// The first example of each help is printed whole at 80 columns (continuation lines end in a backslash, none is
    /// wrapped by the help formatter), so that it can be copied and run as printed.
    @Test(arguments: [["correlators"], ["kernel"], ["ntk", "compute"], ["ntk", "convergence"], ["ntk", "drift"], ["ntk", "metric"],
                      ["freefield"], ["phi4"], ["cy"], ["cy", "sample"], ["cy", "volume"], ["cy", "sigma"], ["cy", "donaldson"],
                      ["cy", "train"], ["train", "torus"], ["flow", "torus"], ["flow", "cy"], ["cy", "ntk"], ["ntk", "predict"], ["ntk", "montecarlo"]])
    func firstExampleIsPrintedWhole(command: [String]) throws {
        let lines = try CLI.run(command + ["--help"]).stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("  nntheory ") }) else {
            Issue.record("\(command): no example"); return
        }
        var k = start
        while lines[k].hasSuffix("\\") {
            k += 1
            #expect(lines[k].hasPrefix("      "), "\(command): continuation line '\(lines[k])' is not indented (wrapped?)")
        }
        for line in lines[start...k] { #expect(line.count <= 80, "\(command): '\(line)' is wider than 80 columns") }
        // A line wrapped by the formatter shows as a following line that is neither blank nor the next example.
        if k + 1 < lines.count {
            let next = lines[k + 1]
            #expect(next.trimmingCharacters(in: .whitespaces).isEmpty || next.hasPrefix("  nntheory "),
                    "\(command): the example goes on in '\(next)' (wrapped by the help formatter?)")
        }
    }

    /// The first example of `kernel`, `ntk`, `ntk metric`, `ntk predict`, `ntk montecarlo`, `flow torus`, `cy train` and `flow cy`, run as printed (seconds each), writes its files.
    @Test(arguments: [(["kernel"], "ntk.npy"), (["ntk", "compute"], "ntk.npy"), (["ntk", "metric"], "metric_ntk.npy"),
                      (["flow", "torus"], "u.npy"), (["cy", "train"], "summary.json"), (["flow", "cy"], "ntk_drift.svg"),
                      (["ntk", "predict"], "ntk_covariance.npy"), (["ntk", "montecarlo"], "ntk_standard_error.npy")])
    func quickFirstExamplesRun(command: [String], file: String) throws {
        let help = try CLI.run(command + ["--help"]).stdout.split(separator: "\n").map(String.init)
        let start = try #require(help.firstIndex(where: { $0.hasPrefix("  nntheory ") }))
        var text = "", k = start
        while true {
            text += help[k].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\\", with: "") + " "
            if !help[k].hasSuffix("\\") { break }
            k += 1
        }
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = "cd '\(dir)' && '\(CLI.executable.path)'" + text.dropFirst("nntheory".count)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        let out = try #require(text.components(separatedBy: "--out ").last?.split(separator: " ").first.map(String.init))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/\(out)/\(file)"), "\(text)")
    }
}

import Foundation
import Testing

/// `nntheory flow cy`: the outputs numpy loads with the documented keys, every arm starts at Fubini–Study, bad input
/// is one line.
@Suite struct FlowCYCLITests {
    static let small = ["flow", "cy", "--widths", "8,16,32", "--points", "60", "--validation-points", "200", "--steps", "2",
                        "--record-every", "1", "--score-points", "5", "--probe-points", "8", "--krf-degrees", "1,2", "--krf-time", "0.05",
                        "--krf-steps", "2", "--krf-points", "300"]

    /// summary.json: per arm and width the records at t = 0, η, 2η (σ at t = 0 is Fubini–Study's on the validation
    /// sample to 1e-12: the models are centred), a drift exponent per arm (three widths), the Kähler–Ricci references
    /// with 3 states each starting at σ_FS too; the SVGs exist.
    @Test func writesTheDocumentedSummary() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(Self.small + ["--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try CLI.python("""
        import json
        s = json.load(open('\(dir)/summary.json'))
        assert s['provenance']['tool'] == 'nntheory flow cy' and len(s['times']) == 3
        for arm in ['full', 'linearized', 'last-layer']:
            for w in ['8', '16', '32']:
                for k in ['sigma', 'sigma_error', 'ricci', 'vol_k', 'ntk_drift', 'loss', 'krf_cosine', 'krf_speed']:
                    assert len(s[k][arm][w]) == 3, (k, arm, w)
                assert abs(s['sigma'][arm][w][0] - s['sigma_fs']) < 1e-12 and s['ntk_drift'][arm][w][0] == 0
            assert 'exponent' in s['drift_exponent'][arm]
        assert [k['degree'] for k in s['krf']] == [1, 2]
        for k in s['krf']:
            assert len(k['times']) == 3 and abs(k['sigma'][0] - s['sigma_fs']) < 1e-9, k
        assert open('\(dir)/sigma.svg').read().startswith('<svg') and open('\(dir)/ntk_drift.svg').read().startswith('<svg')
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// SIGINT after the first completed unit (arm and width): exit 130 with the resume hint, the checkpoint kept; the
    /// resumed run's summary equals an uninterrupted run's in every key but the seconds.
    @Test func interruptAndResumeGiveTheUninterruptedResult() throws {
        let a = CLI.tempDir(), b = CLI.tempDir()
        let base = ["flow", "cy", "--widths", "8,64,128", "--points", "60", "--validation-points", "200", "--steps", "6",
                    "--record-every", "3", "--score-points", "0", "--probe-points", "8", "--krf-degrees", "1", "--krf-time", "0.02",
                    "--krf-steps", "2", "--krf-points", "300"]
        #expect(try CLI.run(base + ["--out", a]).status == 0)
        let (wasRunning, status, stderr) = try CLI.runInterrupted(base + ["--out", b], after: b + "/checkpoints/flow_cy.json")
        #expect(wasRunning, "the run ended before it could be interrupted")
        #expect(status == 130 && stderr.contains("SIGINT") && stderr.contains("--resume"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: b + "/summary.json"))
        let r = try CLI.run(base + ["--out", b, "--resume"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("flow cy: resumed:") && r.stderr.contains("of 10 arm/width runs and references"), "\(r.stderr)")
        let py = try CLI.python("""
        import json
        x, y = json.load(open('\(a)/summary.json')), json.load(open('\(b)/summary.json'))
        x.pop('seconds'); y.pop('seconds'); x.pop('run'); y.pop('run')   # run: the command line and times differ
        assert x == y, [k for k in x if x[k] != y.get(k)]
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// Bad input: one line naming the value and what was expected, non-zero exit, nothing written.
    @Test(arguments: [
        (["--arms", "full,lazy"], "--arms"),
        (["--widths", "0"], "widths"),
        (["--krf-degrees", "7"], "--krf-degrees"),
        (["--variety", "bicubic"], "one projective space"),
        (["--lr", "-1"], "--lr"),
        (["--krf-time", "1e6", "--krf-steps", "1"], "smaller --krf-time"),
    ])
    func badInputIsOneLine(extra: [String], needle: String) throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(Self.small + extra + ["--out", dir])
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("flow cy:") }
        #expect(lines.count == 1 && r.stderr.contains(needle), "\(r.stderr)")
    }
}

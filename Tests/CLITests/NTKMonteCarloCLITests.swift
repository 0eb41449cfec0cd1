import Foundation
import Testing

/// `nntheory ntk montecarlo`: shards and resumes give the same bits, files numpy loads, one-line errors.
@Suite struct NTKMonteCarloCLITests {
    static let net = "Dense(64, W_std=1.5, b_std=0.05) Erf Dense(64, W_std=1.5, b_std=0.05) Relu Dense(2, W_std=1.5)"
    static let x = "1,0;0,1;0.6,0.8;-0.5,0.3"

    /// Three shards into one --out, then --resume without --shard, equal the whole run byte for byte; the summary's
    /// deviation from the analytic kernels is recomputed in numpy from `kernel`'s output.
    @Test func shardsCombineToTheWholeRun() throws {
        let whole = CLI.tempDir(), sharded = CLI.tempDir(), k = CLI.tempDir()
        let args = ["ntk", "montecarlo", "--net", Self.net, "--x", Self.x, "--samples", "90", "--seed", "4"]
        let r = try CLI.run(args + ["--out", whole])
        #expect(r.status == 0, "\(r.stderr)")
        for s in ["3/3", "1/3", "2/3"] {
            let p = try CLI.run(args + ["--shard", s, "--threads", "1", "--out", sharded])
            #expect(p.status == 0 && p.stderr.contains("shard \(s.prefix(1)) of 3 done"), "\(p.stderr)")
        }
        let c = try CLI.run(args + ["--resume", "--out", sharded])
        #expect(c.status == 0 && c.stderr.contains("90 networks taken from the checkpoints"), "\(c.stderr)")
        for f in ["nngp.npy", "ntk.npy", "nngp_standard_error.npy", "ntk_standard_error.npy"] {
            let a = FileManager.default.contents(atPath: "\(whole)/\(f)"), b = FileManager.default.contents(atPath: "\(sharded)/\(f)")
            #expect(a != nil && a == b, "\(f) differs")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(sharded)/checkpoints"), "checkpoints left after the combined run")
        #expect(try CLI.run(["kernel", "--net", Self.net, "--x", Self.x, "--out", k]).status == 0)
        let py = try CLI.python("""
        import numpy as np, json
        d = '\(whole)'
        s = json.load(open(d + '/summary.json'))
        assert s['samples'] == 90 and s['shape'] == [4, 4], s
        for g in ('nngp', 'ntk'):
            m, se, a = np.load(d + f'/{g}.npy'), np.load(d + f'/{g}_standard_error.npy'), np.load('\(k)/' + g + '.npy')
            assert np.array_equal(np.load(d + f'/{g}_analytic.npy'), a), 'the analytic kernel differs from the kernel command output'
            assert '<svg' in open(d + '/montecarlo.svg').read()
            assert m.shape == (4, 4) and np.all(se > 0), se
            z = np.abs(m - a) / se
            assert abs(z.max() - s[g + '_deviation_from_analytic']) < 1e-12, (z.max(), s)
            assert np.allclose(m, m.T, rtol=0, atol=1e-12), 'not symmetric'
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// Stopped by SIGINT after its first checkpoint: exit 130 with the resume advice; --resume ends with the same bits.
    @Test func interruptedAndResumedIsBitIdentical() throws {
        let args = ["ntk", "montecarlo", "--net", "Dense(64, W_std=1.5) Erf Dense(64, W_std=1.5) Erf Dense(1)",
                    "--x", "1,0;0,1;0.6,0.8;-0.5,0.3;0.2,0.2;1,1", "--samples", "4000", "--seed", "2"]
        try CLI.expectInterruptAndResume(args, checkpoint: "checkpoints/montecarlo.json", stopped: "error: ntk montecarlo: stopped by SIGINT after",
                                         resumed: "networks taken from the checkpoints", identical: ["nngp.npy", "ntk_standard_error.npy"])
    }

    @Test(arguments: [
        (["--samples", "0"], "--samples 0"),
        (["--shard", "4/3"], "4/3"),
        (["--x2", "1,2,3"], "--x2"),
        (["--net", "Relu"], "no parameters"),
    ] as [([String], String)])
    func badInputGivesOneLineError(args: [String], needle: String) throws {
        let a = CLI.replacing(["ntk", "montecarlo", "--net", Self.net, "--x", Self.x], args)
        try CLI.expectOneLineError(a, needle)
    }
}

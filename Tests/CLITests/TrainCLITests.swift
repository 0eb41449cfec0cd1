import Foundation
import Testing

/// `nntheory train torus`: output files numpy loads, bit-identical --resume, one-line errors.
@Suite struct TrainCLITests {
    static let base = ["train", "torus", "--dim", "2", "--metric", "conformal", "--net", "Dense(8, b_std=0) Tanh Dense(8, b_std=0) Tanh Dense(1, b_std=0)", "--parameterization", "standard",
                       "--loss", "scalar2", "--init", "u = 0.5*cos(x) + 0.2*sin(2*y)", "--init-steps", "10", "--points", "144",
                       "--lr", "0.01", "--optimizer", "adam", "--seed", "3", "--eval-grid", "16"]

    /// Files and shapes; t = η·step in the snapshot index; the summary's reduction is the ratio of the snapshot values,
    /// and each snapshot's ∫R² dV agrees with an FFT recomputation from the saved metric within its spectral error.
    @Test func writesOutputs() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(Self.base + ["--steps", "20", "--snapshot-every", "5", "--checkpoint-every", "10", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("step 30/30  (scalar2 20/20)"), "\(r.stderr)")
        let py = try CLI.python("""
        import numpy as np, json, os
        d = '\(dir)'
        L = np.load(d + '/loss.npy'); assert L.shape == (20,) and np.all(np.isfinite(L)), L.shape
        assert np.load(d + '/init_loss.npy').shape == (10,)
        idx = json.load(open(d + '/snapshots/index.json'))
        assert [s['step'] for s in idx] == [0, 5, 10, 15, 20], idx
        for s in idx:
            assert abs(s['t'] - 0.01 * s['step']) < 1e-15
            g = np.load(d + '/snapshots/' + s['file']); assert g.shape == (256, 2, 2)
            assert np.allclose(g, np.swapaxes(g, 1, 2)) and np.all(g[:, 0, 1] == 0) and np.all(g[:, 0, 0] > 0)
        assert np.load(d + '/snapshots/grid.npy').shape == (256, 2)
        th = np.load(d + '/params/theta.npy'); assert th.shape == (8 * 8 + 8 + 8 * 8 + 8 + 8 + 1,), th.shape
        assert np.load(d + '/params/p0_W.npy').shape == (8, 8) and np.load(d + '/params/p4_b.npy').shape == (1, 1)
        assert np.array_equal(np.concatenate([np.load(d + '/params/p%d_%s.npy' % (i, w)).ravel() for i in (0, 2, 4) for w in 'Wb']), th)
        s = json.load(open(d + '/summary.json'))
        assert abs(s['scalar2_reduction'] - idx[0]['scalar2'] / idx[-1]['scalar2']) < 1e-12 * s['scalar2_reduction']
        # ∫R² dV recomputed from the saved metric: g = e^u δ on T² = [0, 2π)², R = −e^{−u} Δu, dV = e^u d²x, so
        # ∫R² dV = ∫ e^{−u} (Δu)² d²x; Δu spectrally (FFT) on the 16² grid, the integral by the trapezoid rule
        # (spectral for periodic integrands). Error estimate: the same on the 8² subgrid (every other point).
        X = np.load(d + '/snapshots/grid.npy'); h = 2 * np.pi / 16
        ij = np.rint(X / h).astype(int); assert np.allclose(X, ij * h, atol=1e-12) and ij.min() == 0 and ij.max() == 15
        def calabi(u):
            m = u.shape[0]; k = np.fft.fftfreq(m, 1.0 / m)
            lap = np.real(np.fft.ifft2(-(k[:, None] ** 2 + k[None, :] ** 2) * np.fft.fft2(u)))
            return (np.exp(-u) * lap ** 2).mean() * (2 * np.pi) ** 2
        mine = []
        for rec in idx:
            g = np.load(d + '/snapshots/' + rec['file']); u = np.zeros((16, 16)); u[ij[:, 0], ij[:, 1]] = np.log(g[:, 0, 0])
            assert np.allclose(g[:, 1, 1], g[:, 0, 0], rtol=1e-14, atol=0)
            i16, i8 = calabi(u), calabi(u[::2, ::2]); err = abs(i16 - i8)
            print('step', rec['step'], 'scalar2', rec['scalar2'], 'FFT', i16, 'coarse', i8)
            assert err < 0.5 * i16, (i16, i8)  # power: rejects a factor-2 error (R = K vs 2K is a factor 4)
            assert abs(i16 - rec['scalar2']) <= err, (rec['scalar2'], i16, i8)
            mine.append((i16, err))
        (a, ea), (b, eb) = mine[0], mine[-1]
        assert abs(s['scalar2_reduction'] - a / b) <= (a / b) * (ea / a + eb / b), (s['scalar2_reduction'], a / b)
        assert s['final_loss'] < s['initial_loss'] and abs(s['volume_relative_change']) < 1e-3
        assert sorted(os.listdir(d + '/checkpoints')) == ['step_00000010', 'step_00000020', 'step_00000030']
        assert open(d + '/loss.svg').read().startswith('<svg')
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// A run stopped after its checkpoint at global step 20 (the step-25 checkpoint removed as if it never
    /// happened) and continued with --resume ends with the parameters, losses and snapshots of the uninterrupted
    /// run, byte for byte.
    @Test func resumeIsBitIdentical() throws {
        let a = CLI.tempDir(), b = CLI.tempDir()
        let extra = ["--batch", "64", "--checkpoint-every", "10", "--snapshot-every", "10"]
        let r1 = try CLI.run(Self.base + extra + ["--steps", "30", "--out", a])
        #expect(r1.status == 0, "\(r1.stderr)")
        let r2 = try CLI.run(Self.base + extra + ["--steps", "15", "--out", b])
        #expect(r2.status == 0, "\(r2.stderr)")
        try FileManager.default.removeItem(atPath: b + "/checkpoints/step_00000025")
        let r3 = try CLI.run(Self.base + extra + ["--steps", "30", "--out", b, "--resume"])
        #expect(r3.status == 0, "\(r3.stderr)")
        #expect(r3.stderr.contains("resuming after main step 10 of 30 (global step 20, after the 10 init-fit steps"), "\(r3.stderr)")
        for f in ["params/theta.npy", "params/p2_W.npy", "loss.npy", "init_loss.npy", "snapshots/g_00000030.npy", "snapshots/index.json"] {
            let da = try Data(contentsOf: URL(fileURLWithPath: a + "/" + f)), db = try Data(contentsOf: URL(fileURLWithPath: b + "/" + f))
            #expect(da == db, "\(f) differs")
        }
        // Continuing with another learning rate is refused; a longer run with the default snapshot cadence is not.
        var other = Self.base + extra + ["--steps", "40", "--out", b, "--resume"]
        other[other.firstIndex(of: "--lr")! + 1] = "0.02"
        let r4 = try CLI.run(other)
        #expect(r4.status != 0 && r4.stderr.contains("other settings (--lr)") && r4.stderr.split(separator: "\n").count == 1, "\(r4.stderr)")
        let r5 = try CLI.run(Self.base + ["--batch", "64", "--steps", "40", "--out", b, "--resume"])
        #expect(r5.status == 0, "\(r5.stderr)")
    }

    /// SIGINT after the first checkpoint: the run writes a checkpoint of the step it stopped at, says how to resume and
    /// exits with 130; --resume from there ends with the parameters and losses of an uninterrupted run, byte for byte
    /// (every random draw of step s comes from stream s).
    @Test func interruptAndResumeIsBitIdentical() throws {
        let a = CLI.tempDir(), b = CLI.tempDir()
        let args = Self.base + ["--batch", "64", "--checkpoint-every", "10", "--snapshot-every", "0", "--steps", "3000"]
        #expect(try CLI.run(args + ["--out", a]).status == 0)
        let (wasRunning, status, stderr) = try CLI.runInterrupted(args + ["--out", b], after: b + "/checkpoints/step_00000010/state.json")
        #expect(wasRunning, "the run ended before it could be interrupted")
        #expect(status == 130, "\(stderr)")
        #expect(stderr.contains("stopped by SIGINT after step ") && stderr.contains("(scalar2 step ") && stderr.contains("--resume"), "\(stderr)")
        let r = try CLI.run(args + ["--out", b, "--resume"])
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["params/theta.npy", "loss.npy", "init_loss.npy"] {
            let da = try Data(contentsOf: URL(fileURLWithPath: a + "/" + f)), db = try Data(contentsOf: URL(fileURLWithPath: b + "/" + f))
            #expect(da == db, "\(f) differs")
        }
    }

    /// Each bad input: non-zero exit, one line on stderr naming the value, no crash trace.
    @Test(arguments: [
        (["--init", "u = 0.5*cos(x) + 0.2*sinh(2*y)"], "'sinh'"),
        (["--init", "u = 0.5*cos(x"], "')'"),
        (["--lr", "-0.01"], "--lr -0.01"),
        (["--net", "Dense(0) Tanh Dense(1)"], "width 0"),
        (["--net", "Dense(8) Tanh Dense(2)"], "needs 1"),
        (["--dim", "4"], "--dim 4"),
        (["--loss", "ricci3"], "ricci3"),
        (["--points", "0"], "--points 0"),
        (["--metric", "additive", "--net", "Dense(8) Tanh Dense(3)", "--optimizer", "sgd", "--lr", "1000", "--init-steps", "0"], "step "),
        (["--resume"], "no checkpoint"),
        (["--metric", "additive", "--net", "Dense(8) Tanh Dense(3)", "--reference", "u = sin(x"], "--reference: '"),
        (["--reference", "u = sin(x)"], "needs the additive metric"),
    ] as [([String], String)])
    func badInputGivesOneLineError(args: [String], needle: String) throws {
        var a = Self.base + ["--steps", "20", "--out", CLI.tempDir()]
        var i = 0
        while i < args.count {
            if args[i].hasPrefix("--"), i + 1 < args.count, !args[i + 1].hasPrefix("--"), let k = a.firstIndex(of: args[i]) {
                a[k + 1] = args[i + 1]; i += 2
            } else {
                if let k = a.firstIndex(of: args[i]), args[i] != "--resume" { a.remove(at: k + 1); a.remove(at: k) }
                a.append(args[i])
                if i + 1 < args.count, !args[i + 1].hasPrefix("--") { a.append(args[i + 1]); i += 1 }
                i += 1
            }
        }
        let r = try CLI.run(a)
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("step ") }
        #expect(lines.count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains(needle), "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace"))
    }

    @Test func helpHasExamples() throws {
        let r = try CLI.run(["train", "torus", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE") && r.stdout.contains("nntheory train torus --dim 2"))
    }
}

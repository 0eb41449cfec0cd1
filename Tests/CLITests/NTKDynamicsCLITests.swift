import Foundation
import Testing

/// `nntheory ntk convergence | drift | metric`: files numpy loads, numbers checked by an independent route.
@Suite struct NTKDynamicsCLITests {
    /// ntk convergence stopped by SIGINT after its first width: exit 130 naming where it stopped and how to resume;
    /// --resume takes the saved networks and ends with every network's error bit-identical to an uninterrupted run.
    @Test func convergenceInterruptedAndResumedIsBitIdentical() throws {
        let args = ["ntk", "convergence", "--net", "Dense(1, W_std=1.5) Relu Dense(1, W_std=1.5) Relu Dense(1)",
                    "--x", "1,0;0,1;0.6,0.8", "--widths", "64,256,1024", "--networks", "12", "--seed", "3"]
        try CLI.expectInterruptAndResume(args, checkpoint: "checkpoints/convergence.json", stopped: "error: ntk convergence: stopped by SIGINT at width",
                                         resumed: "networks taken from the checkpoint", identical: ["errors.npy"])
    }

    /// ntk drift stopped by SIGINT once its first width is saved: exit 130 naming the step it stopped at and how to
    /// resume; --resume takes the finished networks (the one in training is redone) and every written array and the
    /// curves in drift.json are bit-identical to an uninterrupted run.
    @Test func driftInterruptedAndResumedIsBitIdentical() throws {
        let args = ["ntk", "drift", "--net", "Dense(1, W_std=1.5) Erf Dense(1, W_std=1.5) Erf Dense(1)",
                    "--x", "0,0;0.5,1;1,-0.5;-1,0.3", "--widths", "16,64,256", "--networks", "6", "--steps", "300",
                    "--record-every", "50", "--seed", "5"]
        let (whole, part) = try CLI.expectInterruptAndResume(
            args, checkpoint: "checkpoints/drift.json", stopped: "error: ntk drift: stopped by SIGINT at width",
            resumed: "networks taken from the checkpoint", identical: ["width_16/f_train.npy", "width_256/f_train.npy", "width_256/f_train_linear.npy"])
        let py = try CLI.python("""
        import json
        a = json.load(open('\(whole)/drift.json')); b = json.load(open('\(part)/drift.json'))
        assert a['widths'] == b['widths'] and a['drift_fit'] == b['drift_fit'], 'curves differ'
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    static let relu = "Dense(1, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5)"

    /// The analytic NTK written by `ntk convergence` equals `kernel`'s; the summary's means are the means of
    /// errors.npy; the summary's fit equals a weighted log–log least-squares refit in numpy (w = (mean/se)²,
    /// σ_b = 1/√S_xx,w) to 1e-12, and the exponent is the central-limit −1/2 within 4σ_b (16 networks per width; the
    /// relative O(1/N) correction tilts the slope by ≈ 1/32 ≈ 0.03, below 4σ_b).
    @Test func convergenceWritesConsistentFiles() throws {
        let a = CLI.tempDir(), b = CLI.tempDir()
        let x = "1,0,0;0,1,0;0.6,0.8,0;-0.3,0.2,0.9"
        let r = try CLI.run(["ntk", "convergence", "--net", Self.relu, "--x", x, "--widths", "32,128,512", "--networks", "16", "--out", a])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("width 512"))
        let k = try CLI.run(["kernel", "--net", Self.relu, "--x", x, "--out", b])
        #expect(k.status == 0, "\(k.stderr)")
        let py = try CLI.python("""
        import numpy as np, json
        s = json.load(open('\(a)/convergence.json'))
        e = np.load('\(a)/errors.npy'); w = np.load('\(a)/widths.npy')
        assert e.shape == (3, 16) and list(w) == [32, 128, 512], (e.shape, w)
        assert np.array_equal(np.load('\(a)/ntk.npy'), np.load('\(b)/ntk.npy'))
        means = [x['mean'] for x in s['widths']]
        assert np.allclose(means, e.mean(axis=1), rtol=1e-14, atol=0), means
        se = np.array([x['standard_error'] for x in s['widths']]); m = np.array(means)
        assert np.allclose(se, e.std(axis=1, ddof=1) / np.sqrt(16), rtol=1e-12, atol=0), se
        wt = (m / se) ** 2; lx = np.log(w.astype(float)); ly = np.log(m)
        mx = (wt * lx).sum() / wt.sum(); my = (wt * ly).sum() / wt.sum(); sxx = (wt * (lx - mx) ** 2).sum()
        b = (wt * (lx - mx) * (ly - my)).sum() / sxx; sb = 1 / np.sqrt(sxx)
        assert abs(s['fit']['exponent'] - b) < 1e-12 and abs(s['fit']['exponent_error'] - sb) < 1e-12, (s['fit'], b, sb)
        assert abs(b + 0.5) < 4 * sb, (b, sb)
        print('exponent', b, '+-', sb)
        assert open('\(a)/convergence.svg').read().startswith('<svg')
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// The default step is the documented η = n/λ_max(Θ_∞), n = P·O, checked against the analytic NTK of `kernel`
    /// (eigenvalues in numpy); with one network per width the recorded loss and gap are recomputed from the saved
    /// outputs and the documented default targets y_a(x) = sin(Σ_i x_i + a); the loss falls.
    @Test func driftWritesCurvesAndOutputs() throws {
        let dir = CLI.tempDir(), kdir = CLI.tempDir()
        let net = "Dense(1, W_std=1.5, b_std=0.1) Erf Dense(2, W_std=1.2)", x = "0,0;0.5,1;1,-0.5;-1,0.3"
        let r = try CLI.run(["ntk", "drift", "--net", net,
                             "--x", x, "--x-test", "0.2,0.2", "--widths", "64,256",
                             "--steps", "30", "--record-every", "10", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let k = try CLI.run(["kernel", "--net", net, "--x", x, "--out", kdir])
        #expect(k.status == 0, "\(k.stderr)")
        let py = try CLI.python("""
        import numpy as np, json
        s = json.load(open('\(dir)/drift.json'))
        K = np.load('\(kdir)/ntk.npy'); assert K.shape == (4, 4), K.shape
        eta = 4 * 2 / np.linalg.eigvalsh(K).max()
        assert abs(s['learning_rate'] - eta) < 1e-12 * eta, (s['learning_rate'], eta)
        X = np.array([[0, 0], [0.5, 1], [1, -0.5], [-1, 0.3]]); Y = np.sin(X.sum(axis=1)[:, None] + np.arange(2)[None, :])
        for w in s['widths']:
            assert w['steps'] == [0, 10, 20, 30] and w['loss'][-1] < w['loss'][0], w
            assert abs(w['time'][1] - 10 * s['learning_rate']) < 1e-12
            assert len(w['test_gap']) == 4
            f = np.load('\(dir)/width_%d/f_train.npy' % w['width']); fl = np.load('\(dir)/width_%d/f_train_linear.npy' % w['width'])
            assert f.shape == (4, 4, 2) and fl.shape == (4, 4, 2)
            loss = ((f - Y) ** 2).sum(axis=(1, 2)) / 16
            assert np.allclose(w['loss'], loss, rtol=1e-12, atol=0), (w['loss'], loss)
            gap = np.sqrt(((f - fl) ** 2).sum(axis=(1, 2))) / np.sqrt(((f[0] - Y) ** 2).sum())
            assert np.allclose(w['gap'], gap, rtol=1e-10, atol=1e-15), (w['gap'], gap)
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// For the component parametrisation the metric-NTK is the output NTK re-indexed, Θ_ijkl = Θ_u(ij),u(kl):
    /// checked against `ntk` on the same seed; the tensor is symmetric in (i, j) and in (k, l); the frozen form is
    /// `kernel`'s analytic NTK times the component tensor.
    @Test func metricNTKOfComponentsIsTheOutputNTK() throws {
        let a = CLI.tempDir(), b = CLI.tempDir()
        let net = "Dense(32, W_std=1.5, b_std=0.1) Tanh Dense(3)"
        let x = "0,0;0.5,1;1,-0.5"
        let r1 = try CLI.run(["ntk", "metric", "--net", net, "--dim", "2", "--metric", "components", "--seed", "3", "--x", x, "--out", a])
        #expect(r1.status == 0, "\(r1.stderr)")
        let r2 = try CLI.run(["ntk", "--net", net, "--seed", "3", "--x", x, "--out", b])
        #expect(r2.status == 0, "\(r2.stderr)")
        let c = CLI.tempDir()
        let r3 = try CLI.run(["kernel", "--net", net, "--x", x, "--out", c])
        #expect(r3.status == 0, "\(r3.stderr)")
        let py = try CLI.python("""
        import numpy as np
        m = np.load('\(a)/metric_ntk.npy'); t = np.load('\(b)/ntk.npy'); g = np.load('\(a)/g_x1.npy')
        assert m.shape == (3, 3, 2, 2, 2, 2) and g.shape == (3, 2, 2)
        u = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 2}
        for (i, j), a_ in u.items():
            for (k, l), b_ in u.items():
                assert np.allclose(m[:, :, i, j, k, l], t[:, :, a_, b_], rtol=1e-13, atol=1e-13)
        assert np.allclose(g, np.swapaxes(g, 1, 2))
        # Frozen limit (Sources/NTK/MetricNTK.swift, frozenComponentKernel): Θ_ijkl = (δ_ik δ_jl + δ_il δ_jk − δ_ij δ_kl δ_ik)·Θ∞(x, x'),
        # Θ∞ the analytic NTK of `kernel` on the same points, within its quadrature error estimate (Tanh: Mehler series).
        fz = np.load('\(a)/frozen_metric_ntk.npy'); K = np.load('\(c)/ntk.npy'); E = np.load('\(c)/ntk_quadrature_error.npy')
        assert fz.shape == m.shape and K.shape == (3, 3), (fz.shape, K.shape)
        d = np.eye(2); c = np.einsum('ik,jl->ijkl', d, d) + np.einsum('il,jk->ijkl', d, d) - np.einsum('ij,kl,ik->ijkl', d, d, d)
        ref = K[:, :, None, None, None, None] * c; tol = E[:, :, None, None, None, None] * abs(c) + 1e-14 * abs(ref)
        assert np.all(abs(fz - ref) <= tol), abs(fz - ref).max()
        assert np.count_nonzero(fz) == 9 * 6, np.count_nonzero(fz)
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    @Test(arguments: [
        (["ntk", "convergence", "--net", relu, "--x", "1,0", "--widths", "64,0"], "'0'"),
        (["ntk", "convergence", "--net", relu, "--x", "1,0", "--networks", "0"], "--networks 0"),
        (["ntk", "drift", "--net", relu, "--x", "1,0;0,1", "--lr", "-1"], "--lr -1"),
        (["ntk", "drift", "--net", relu, "--x", "1,0;0,1", "--y", "1;2;3"], "3 rows"),
        (["ntk", "drift", "--net", relu, "--x", "1,0;0,1", "--steps", "0"], "--steps 0"),
        (["ntk", "metric", "--net", "Dense(8) Relu Dense(3)", "--dim", "3", "--seed", "1", "--x", "1,0"], "6 network outputs"),
        (["ntk", "metric", "--net", "Dense(8) Relu Dense(3)", "--dim", "2", "--metric", "cholesky", "--seed", "1", "--x", "1,0"], "cholesky"),
    ] as [([String], String)])
    func badInputGivesOneLineError(args: [String], needle: String) throws {
        let r = try CLI.run(args + ["--out", CLI.tempDir()])
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains(needle), "stderr: \(r.stderr)")
    }
}

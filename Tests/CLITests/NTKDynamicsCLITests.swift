import Foundation
import Testing

/// `nntheory ntk convergence | drift | metric`: files numpy loads, numbers checked by an independent route.
@Suite struct NTKDynamicsCLITests {
    static let relu = "Dense(1, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5)"

    /// The analytic NTK written by `ntk convergence` equals `kernel`'s; the summary's means are the means of
    /// errors.npy, and the error at the widest network is below the narrowest.
    @Test func convergenceWritesConsistentFiles() throws {
        let a = CLI.tempDir(), b = CLI.tempDir()
        let x = "1,0,0;0,1,0;0.6,0.8,0;-0.3,0.2,0.9"
        let r = try CLI.run(["ntk", "convergence", "--net", Self.relu, "--x", x, "--widths", "32,128,512", "--networks", "4", "--out", a])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("width 512"))
        let k = try CLI.run(["kernel", "--net", Self.relu, "--x", x, "--out", b])
        #expect(k.status == 0, "\(k.stderr)")
        let py = try CLI.python("""
        import numpy as np, json
        s = json.load(open('\(a)/convergence.json'))
        e = np.load('\(a)/errors.npy'); w = np.load('\(a)/widths.npy')
        assert e.shape == (3, 4) and list(w) == [32, 128, 512], (e.shape, w)
        assert np.array_equal(np.load('\(a)/ntk.npy'), np.load('\(b)/ntk.npy'))
        means = [x['mean'] for x in s['widths']]
        assert np.allclose(means, e.mean(axis=1), rtol=1e-14, atol=0), means
        assert means[2] < means[0], means
        assert s['fit']['exponent'] < 0 and 'exponent_error' in s['fit']
        assert open('\(a)/convergence.svg').read().startswith('<svg')
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// Drift starts at zero, the loss falls, and outputs at step 0 of the actual and linearised runs coincide.
    @Test func driftWritesCurvesAndOutputs() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["ntk", "drift", "--net", "Dense(1, W_std=1.5, b_std=0.1) Erf Dense(2, W_std=1.2)",
                             "--x", "0,0;0.5,1;1,-0.5;-1,0.3", "--x-test", "0.2,0.2", "--widths", "64,256",
                             "--steps", "30", "--record-every", "10", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try CLI.python("""
        import numpy as np, json
        s = json.load(open('\(dir)/drift.json'))
        for w in s['widths']:
            assert w['steps'] == [0, 10, 20, 30] and w['drift'][0] == 0 and w['loss'][-1] < w['loss'][0], w
            assert abs(w['time'][1] - 10 * s['learning_rate']) < 1e-12
            assert len(w['test_gap']) == 4
            f = np.load('\(dir)/width_%d/f_train.npy' % w['width']); fl = np.load('\(dir)/width_%d/f_train_linear.npy' % w['width'])
            assert f.shape == (4, 4, 2) and fl.shape == (4, 4, 2)
            assert np.allclose(f[0], fl[0], rtol=0, atol=1e-12)
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// For the component parametrisation the metric-NTK is the output NTK re-indexed, Θ_ijkl = Θ_u(ij),u(kl):
    /// checked against `ntk` on the same seed; the tensor is symmetric in (i, j) and in (k, l).
    @Test func metricNTKOfComponentsIsTheOutputNTK() throws {
        let a = CLI.tempDir(), b = CLI.tempDir()
        let net = "Dense(32, W_std=1.5, b_std=0.1) Tanh Dense(3)"
        let x = "0,0;0.5,1;1,-0.5"
        let r1 = try CLI.run(["ntk", "metric", "--net", net, "--dim", "2", "--metric", "components", "--seed", "3", "--x", x, "--out", a])
        #expect(r1.status == 0, "\(r1.stderr)")
        let r2 = try CLI.run(["ntk", "--net", net, "--seed", "3", "--x", x, "--out", b])
        #expect(r2.status == 0, "\(r2.stderr)")
        let py = try CLI.python("""
        import numpy as np
        m = np.load('\(a)/metric_ntk.npy'); t = np.load('\(b)/ntk.npy'); g = np.load('\(a)/g_x1.npy')
        assert m.shape == (3, 3, 2, 2, 2, 2) and g.shape == (3, 2, 2)
        u = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 2}
        for (i, j), a_ in u.items():
            for (k, l), b_ in u.items():
                assert np.allclose(m[:, :, i, j, k, l], t[:, :, a_, b_], rtol=1e-13, atol=1e-13)
        assert np.allclose(g, np.swapaxes(g, 1, 2))
        assert np.load('\(a)/frozen_metric_ntk.npy').shape == m.shape
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

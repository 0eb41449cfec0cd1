import Foundation
import Testing

/// `nntheory ntk metric --from DIR` on the output directory of `nntheory train torus`.
@Suite struct NTKMetricFromCLITests {
    /// A short LDLᵀ run, then the metric-NTK of the trained network: shapes, g_x1 equal to the run's own metric
    /// at the same points (the trained network's last snapshot on its evaluation grid, through the curvature code),
    /// up to the constant volume normalisation (V₀/V)^{2/n} the snapshots carry, Θ symmetric under (p, ij) ↔ (q, kl),
    /// and Θ_iiii(x, x) > 0; refused combinations give one line.
    @Test func metricNTKOfATrainedRun() throws {
        let run = CLI.tempDir(), out = CLI.tempDir()
        let t = try CLI.run(["train", "torus", "--dim", "2", "--metric", "ldl", "--loss", "scalar2",
                             "--net", "Dense(8, W_std=1.2, b_std=0.1) Tanh Dense(3, W_std=0.2, b_std=0.05)",
                             "--points", "64", "--steps", "6", "--lr", "0.001", "--eval-grid", "4", "--snapshot-every", "6",
                             "--seed", "2", "--out", run])
        #expect(t.status == 0, "\(t.stderr)")
        // The evaluation grid's points, as the run saved them.
        let grid = "\(run)/snapshots/grid.npy"
        let r = try CLI.run(["ntk", "metric", "--from", run, "--x", grid, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try CLI.python("""
        import numpy as np, json
        k = np.load('\(out)/metric_ntk.npy'); g = np.load('\(out)/g_x1.npy')
        idx = json.load(open('\(run)/snapshots/index.json'))
        last = np.load('\(run)/snapshots/' + idx[-1]['file'])
        assert k.shape == (16, 16, 2, 2, 2, 2) and g.shape == (16, 2, 2), (k.shape, g.shape)
        c = (last * g).sum() / (g * g).sum()      # the snapshot's normalisation factor
        assert abs(c - 1) < 1e-2 and np.abs(c * g - last).max() < 1e-13 * np.abs(last).max(), (c, np.abs(c * g - last).max())
        assert np.abs(k - k.transpose(1, 0, 4, 5, 2, 3)).max() < 1e-12 * np.abs(k).max()
        d = np.einsum('ppiiii->pi', k); assert np.all(d > 0), d
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
        let bad = try CLI.run(["ntk", "metric", "--from", run, "--net", "Dense(3)", "--x", grid, "--out", CLI.tempDir()])
        #expect(bad.status != 0 && bad.stderr.contains("--from") && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
        let missing = try CLI.run(["ntk", "metric", "--from", run + "/nothing", "--x", grid, "--out", CLI.tempDir()])
        #expect(missing.status != 0 && missing.stderr.contains("does not exist") && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
    }
}

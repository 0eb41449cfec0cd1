import Foundation
import Testing

/// `nntheory flow torus`: output files numpy loads with the documented keys, the first --help example, one-line
/// errors for bad input.
@Suite struct FlowCLITests {
    /// Ricci flow from u = cos x: shapes, saved times exactly as asked, conserved area (Gauss–Bonnet) against
    /// 4π²I₀(1) computed by numpy, λ non-decreasing and ≤ 0, F(g, f_λ) = λ.
    /// flow torus stopped by SIGINT once its arm is checkpointed (in Perelman's λ or the reference flow): exit 130
    /// with the resume advice; --resume ends with arrays and summary numbers bit-identical to an uninterrupted run,
    /// and the checkpoint is removed once the run has finished.
    @Test func interruptedFlowResumesBitIdentical() throws {
        let args = ["flow", "torus", "--flow", "heat", "--init", "u = cos(x)", "--grid", "32", "--t-end", "4", "--compare"]
        let (whole, part) = try CLI.expectInterruptAndResume(
            args, checkpoint: "checkpoints/flow.json", stopped: "error: flow torus: stopped by SIGINT", resumed: "resuming: arm at t = 4",
            identical: ["times.npy", "u.npy", "metric.npy"])
        #expect(!FileManager.default.fileExists(atPath: part + "/checkpoints"))
        let py = try CLI.python("""
        import json
        a = json.load(open('\(whole)/summary.json')); b = json.load(open('\(part)/summary.json'))
        for k in ['lambda', 'F', 'area', 'velocity_cosine', 'matched_time', 'distance']:
            assert a[k] == b[k], k
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    @Test func ricciFlowWritesItsOutputs() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["flow", "torus", "--init", "u = cos(x)", "--grid", "32", "--times", "0,0.5,2,4", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try CLI.python("""
        import numpy as np, json
        d = '\(dir)'
        t = np.load(d + '/times.npy'); assert list(t) == [0, 0.5, 2, 4], t
        u = np.load(d + '/u.npy'); g = np.load(d + '/metric.npy')
        assert u.shape == (4, 32, 32) and g.shape == (4, 32, 32, 2, 2), (u.shape, g.shape)
        x = 2 * np.pi * np.arange(32) / 32
        assert np.allclose(u[0], np.cos(x)[:, None] + 0 * x[None, :], atol=1e-15)
        assert np.allclose(g[:, :, :, 0, 0], np.exp(u)) and np.all(g[:, :, :, 0, 1] == 0)
        s = json.load(open(d + '/summary.json'))
        for k in ['times', 'area', 'mean_u', 'lambda', 'F']: assert len(s[k]) == 4, k
        assert s['complete'] is True and s['provenance']['config']['flow'] == 'ricci'
        A = 4 * np.pi**2 * np.i0(1.0)
        assert max(abs(a / A - 1) for a in s['area']) < 1e-7, s['area']
        lam = np.array(s['lambda']); assert np.all(np.diff(lam) > 0) and np.all(lam < 0), lam
        # F at the λ-minimiser is λ (two discretisations: ∫(R + |∇f|²)e^{-f}dV with f = −2 ln w, and the eigenvalue);
        # they agree to round-off once the grid resolves g (32 points; on 16 they differ by 1e-6 at t = 0.5).
        assert np.allclose(s['F'], lam, rtol=0, atol=1e-12), np.array(s['F']) - lam
        for f in ['modes.svg', 'lambda.svg']: assert open(d + '/' + f).read().startswith('<svg')
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// The local kernel arm is Ricci flow: velocity cosine 1, matched time = t, distance at the Euler error.
    @Test func localArmComparesAsRicciFlow() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["flow", "torus", "--flow", "local", "--grid", "16", "--step", "0.001", "--times", "0,0.5,1", "--compare", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try CLI.python("""
        import json
        s = json.load(open('\(dir)/summary.json'))
        # Both velocities are Δu δ in the continuum; on 16² points −2 Ric is computed from e^u, resolved to ~1e-8, and the
        # cosine deviates from 1 at second order in that error.
        assert all(abs(c - 1) < 1e-8 for c in s['velocity_cosine']), s['velocity_cosine']
        assert all(abs(m - t) < 1e-2 for m, t in zip(s['matched_time'], s['times'])), s['matched_time']
        # The distance left is the explicit-Euler error, first order in η (FlowComparisonTests): 1.1e-4 at the default
        # η = 2.9e-3 on this grid, so ≈ 4e-5 at η = 1e-3.
        assert max(s['distance']) < 1e-4, s['distance']
        assert open('\(dir)/comparison.svg').read().startswith('<svg')
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// A metric given by its components flows by Ricci–DeTurck: metric.npy starts at the formulas (numpy evaluates
    /// them), no u.npy, the area is conserved (∫R dA = 4πχ = 0, dA/dt = −∫R dA) to the flow's tolerance and λ rises
    /// to 0 (Hamilton: flat limit on T²).
    @Test func componentMetricFlowsByDeTurck() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["flow", "torus", "--metric", "components", "--grid", "24", "--times", "0,1,8",
                             "--init", "g11 = 1 + 0.3*cos(y); g12 = 0.2*sin(x); g22 = exp(0.2*cos(x+y))", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try CLI.python("""
        import numpy as np, json, os
        d = '\(dir)'
        g = np.load(d + '/metric.npy'); assert g.shape == (3, 24, 24, 2, 2), g.shape
        assert not os.path.exists(d + '/u.npy')
        x = 2 * np.pi * np.arange(24) / 24; X, Y = np.meshgrid(x, x, indexing='ij')
        assert np.allclose(g[0, :, :, 0, 0], 1 + 0.3 * np.cos(Y), atol=1e-15)
        assert np.allclose(g[0, :, :, 0, 1], 0.2 * np.sin(X), atol=1e-15) and np.allclose(g[0, :, :, 1, 0], g[0, :, :, 0, 1])
        assert np.allclose(g[0, :, :, 1, 1], np.exp(0.2 * np.cos(X + Y)), atol=1e-15)
        s = json.load(open(d + '/summary.json'))
        assert s['complete'] is True and s['provenance']['config']['metric'] == 'components'
        a = np.array(s['area']); assert np.all(abs(a / a[0] - 1) < 1e-7), a
        lam = np.array(s['lambda']); assert np.all(np.diff(lam) > 0) and lam[-1] > -1e-6, lam
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// The network arm on Perelman's loss at fixed area: the saved metric keeps the starting area 4π²I₀(1) to
    /// round-off, λ rises along the flow (the loss is −λ), and the comparison keys are there.
    @Test func networkArmTakesPerelmansLoss() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["flow", "torus", "--flow", "network", "--loss", "perelman", "--grid", "16", "--widths", "32",
                             "--times", "0,50,100", "--compare", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try CLI.python("""
        import numpy as np, json
        s = json.load(open('\(dir)/summary.json'))
        assert s['complete'] is True and s['provenance']['config']['loss'] == 'perelman'
        A = 4 * np.pi**2 * np.i0(1.0)
        assert max(abs(a / A - 1) for a in s['area']) < 1e-12, s['area']
        lam = np.array(s['lambda']); assert np.all(np.diff(lam) > 0), lam
        assert len(s['velocity_cosine']) == 3 and all(0 < c <= 1 for c in s['velocity_cosine']), s['velocity_cosine']
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// Bad input: one line naming the value and what was expected, non-zero exit, no trace.
    @Test(arguments: [
        (["--dim", "4"], "--dim 4"),
        (["--init", "u = x"], "not periodic"),
        (["--init", "u = log(0*x)"], "-inf"),
        (["--flow", "heat", "--step", "1"], "stable bound"),
        (["--flow", "ricci", "--metric", "conformal", "--grid", "7"], "--grid 7"),
        (["--times", "0,2,1"], "increasing"),
        (["--times", "0,,1"], "--times"),
        (["--flow", "local", "--dim", "3"], "T^2"),
        (["--init", "u = 6*cos(x)", "--grid", "8"], "under-resolves"),
        (["--flow", "warp"], "--flow 'warp'"),
        (["--flow", "heat", "--loss", "vlogv"], "--loss 'vlogv'"),
        (["--flow", "network", "--loss", "scalar3"], "--loss 'scalar3'"),
        (["--metric", "components", "--init", "g11 = 1; g12 = 2*cos(x); g22 = 1"], "at t = 0 is not a positive-definite metric at x = (0, 0)"),
        (["--metric", "components", "--init", "g11 = 1 + 0.5*cos(x)"], "no g22"),
        (["--metric", "components", "--init", "g11 = 1; g22 = x"], "not periodic"),
        (["--init", "g11 = 1; g22 = 1"], "--metric conformal"),
        (["--flow", "network", "--metric", "components", "--init", "g11 = 1; g22 = 1"], "--flow network"),
    ])
    func badInputGivesOneLineError(args: [String], needle: String) throws {
        let r = try CLI.run(["flow", "torus"] + args + ["--out", CLI.tempDir()])
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.count == 1 && r.stderr.contains(needle), "\(r.stderr)")
    }
}

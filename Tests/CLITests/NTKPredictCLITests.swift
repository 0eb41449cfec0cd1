import Foundation
import Testing

/// `nntheory ntk predict`: files numpy loads, the predictions recomputed in numpy from `kernel`'s output, one-line errors.
@Suite struct NTKPredictCLITests {
    static let net = "Dense(256, W_std=1.5, b_std=0.05) Erf Dense(256, W_std=1.5, b_std=0.05) Relu Dense(2, W_std=1.5)"
    static let x = "-1,0.2;-0.3,0.5;0.4,-0.1;1,0.9;0.1,0.1"
    static let y = "0.5,1;-0.2,0;0.3,-0.4;0.8,0.1;0,0.2"
    static let xt = "-1.5,0;0,0;0.5,0.5;1,0.9"

    /// Shapes, the summary, prediction.svg; and every number against numpy from `kernel`'s NNGP/NTK at (X, X),
    /// (x*, X), (x*, x*): eigenbasis formulas of the regimes at t = 0.7 and a linear solve at t = ∞, with the
    /// relative regulariser ε·mean diag(G) — to 1e-10 relative (both are backward-stable routes; cond(G) < 10⁴).
    @Test func predictionsAgreeWithNumpyFromTheKernels() throws {
        let d = CLI.tempDir(), k1 = CLI.tempDir(), k2 = CLI.tempDir(), k3 = CLI.tempDir()
        let r = try CLI.run(["ntk", "predict", "--net", Self.net, "--x-train", Self.x, "--y-train", Self.y, "--x-test", Self.xt,
                             "--time", "0.7,inf", "--regime", "nngp,ntk,ntkgp", "--diag-reg", "1e-3", "--out", d])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("ntkgp at t = ∞"), "\(r.stdout)")
        for (dir, a, b) in [(k1, Self.x, nil), (k2, Self.xt, Self.x), (k3, Self.xt, nil)] as [(String, String, String?)] {
            #expect(try CLI.run(["kernel", "--net", Self.net, "--x", a] + (b.map { ["--x2", $0] } ?? []) + ["--out", dir]).status == 0)
        }
        let py = try CLI.python("""
        import numpy as np, json
        d = '\(d)'
        K = {k: np.load('\(k1)/' + k + '.npy') for k in ('nngp', 'ntk')}
        Ks = {k: np.load('\(k2)/' + k + '.npy') for k in ('nngp', 'ntk')}
        Kss = {k: np.load('\(k3)/' + k + '.npy') for k in ('nngp', 'ntk')}
        Y = np.array([[0.5, 1], [-0.2, 0], [0.3, -0.4], [0.8, 0.1], [0, 0.2]]); n = Y.size
        t = np.load(d + '/times.npy'); assert t[0] == 0.7 and np.isinf(t[1]), t
        s = json.load(open(d + '/summary.json'))
        assert s['regimes'] == ['nngp', 'ntk', 'ntkgp'] and s['times'] == [0.7, 'inf'] and s['test_points'] == 4, s
        for g in ('nngp', 'ntk', 'ntkgp'):
            k = 'nngp' if g == 'nngp' else 'ntk'
            G = K[k] + 1e-3 * np.trace(K[k]) / 5 * np.eye(5)
            assert abs(s[k + '_regularization'] - 1e-3 * np.trace(K[k]) / 5) < 1e-15, s
            lam, V = np.linalg.eigh(G)
            m = np.load(d + '/' + g + '_mean.npy'); C = np.load(d + '/' + g + '_covariance.npy')
            assert m.shape == (2, 4, 2) and C.shape == (2, 4, 4), (m.shape, C.shape)
            prior = Kss['ntk'] if g == 'ntkgp' else Kss['nngp']
            for i, tt in enumerate([0.7, np.inf]):
                if np.isinf(tt):
                    A = np.linalg.solve(G, np.eye(5)); A2 = A
                else:
                    A = V @ np.diag(-np.expm1(-lam * tt / n) / lam) @ V.T
                    A2 = V @ np.diag(-np.expm1(-2 * lam * tt / n) / lam) @ V.T
                mean = Ks[k] @ A @ Y
                if g == 'ntk':
                    T = Ks['ntk'] @ A; cr = T @ Ks['nngp'].T
                    cov = prior + T @ K['nngp'] @ T.T - cr - cr.T
                else:
                    cov = prior - Ks[k] @ A2 @ Ks[k].T
                em = np.abs(m[i] - mean).max() / np.abs(mean).max(); ec = np.abs(C[i] - cov).max() / np.abs(prior).max()
                assert em < 1e-10 and ec < 1e-10, (g, tt, em, ec)
            assert abs(s['largest_standard_deviation'][g][-1] - np.sqrt(np.clip(np.diag(C[-1]), 0, None)).max()) < 1e-12, s
        svg = open(d + '/prediction.svg').read()
        assert svg.count('nngp mean') >= 1 and 'ntkgp mean' in svg, svg[:200]
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    @Test(arguments: [
        (["--y-train", "1,2;3,4"], "targets of shape [2, 2], expected [5, O]"),
        (["--y-train", "1;2;3;4;5"], "expected 2 (the network's outputs)"),
        (["--x-test", "1,2,3"], "--x-test"),
        (["--time", "1,-2"], "--time"),
        (["--regime", "nngp,gp"], "'gp'"),
        (["--diag-reg", "-1"], "--diag-reg -1"),
    ] as [([String], String)])
    func badInputGivesOneLineError(args: [String], needle: String) throws {
        let a = CLI.replacing(["ntk", "predict", "--net", Self.net, "--x-train", Self.x, "--y-train", Self.y, "--x-test", Self.xt], args)
        try CLI.expectOneLineError(a, needle)
    }
}

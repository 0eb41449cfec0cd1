import Foundation
import Testing

/// `nntheory freefield` and `nntheory phi4`: files numpy loads, numbers against an independent route, one-line errors.
@Suite struct FieldTheoryCLITests {
    /// --networks 0 writes the exact values; the exact G2 at coincident points is G_Λ(0) in closed form
    /// (d = 1: arctan(Λ/m)/(πm)), G2 is symmetric and the four-point tensor has the points' order.
    @Test func freefieldExactValues() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["freefield", "--d", "1", "--mass", "1", "--cutoff", "10", "--width", "100", "--networks", "0",
                             "--x", "0,0.5,1", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try CLI.python("""
        import numpy as np, json, math
        s = json.load(open('\(dir)/summary.json'))
        g = np.array(s['exact_G2']); assert g.shape == (3, 3)
        assert abs(g[0, 0] - math.atan(10) / math.pi) < 1e-12, g[0, 0]
        assert np.allclose(g, g.T, rtol=0, atol=1e-15) and np.array_equal(np.load('\(dir)/exact_G2.npy'), g)
        g4 = np.load('\(dir)/exact_G4c.npy'); assert g4.shape == (3, 3, 3, 3)
        assert abs(g4[0, 1, 2, 2] - g4[2, 2, 1, 0]) < 1e-15
        assert 'G2' not in s or s['G2'] is None
        assert open('\(dir)/propagator.svg').read().startswith('<svg')
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// Monte Carlo G2 and G4c against the exact values within 4.5 jackknife σ at every entry (d = 2).
    @Test func freefieldMonteCarloAgreesWithExact() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["freefield", "--d", "2", "--mass", "1", "--cutoff", "4", "--width", "20", "--networks", "20000",
                             "--x", "0,0;0.5,0;0.2,0.7", "--seed", "3", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try CLI.python("""
        import numpy as np
        for a in ['G2', 'G4c']:
            mc, err, ex = np.load('\(dir)/%s.npy' % a), np.load('\(dir)/%s_error.npy' % a), np.load('\(dir)/exact_%s.npy' % a)
            pull = np.abs(mc - ex) / err
            assert pull.max() < 4.5, (a, pull.max())
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// phi4 --networks 0: the prediction is −λ times the vertex tensor, fully symmetric; the tadpole lowers G2.
    @Test func phi4PredictionOnly() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["phi4", "--d", "1", "--mass", "1", "--cutoff", "10", "--lambda", "0.5,1", "--box", "6",
                             "--networks", "0", "--x", "0,0.4", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try CLI.python("""
        import numpy as np, json
        s = json.load(open('\(dir)/summary.json'))
        v = np.load('\(dir)/vertex.npy'); p = np.load('\(dir)/prediction_G4c.npy')
        assert p.shape == (2, 2, 2, 2, 2) and np.allclose(p[1], -v, rtol=1e-15) and np.allclose(p[0], -0.5 * v, rtol=1e-15)
        assert np.allclose(np.array(s['prediction_G4c']), p, rtol=0, atol=0)
        assert abs(v[0, 0, 1, 1] - v[1, 0, 1, 0]) < 1e-15 and v[0, 0, 0, 0] > v[0, 0, 1, 1] > 0
        # Exact reference for V(i,j,k,l) = ∫_{-3}^{3} dz Π G_Λ(x_a − z), Λ = 10, m = 1, box ±3: G_Λ(r) =
        # (1/π)∫_0^Λ cos(kr)/(k² + m²) dk by Gauss–Legendre in k (50 panels × 20 nodes: ≤ 0.7 rad of cos(kr) per
        # panel), then z by Gauss–Legendre (400 panels × 16 nodes; the integrand is band-limited to 4Λ, ≤ 0.6 rad per
        # panel); doubling both rules changes V by < 10⁻¹⁵ relative. The CLI's vertex uses the propagator table,
        # ≲ h⁴Λ⁴/24 ≈ 8·10⁻⁹ relative per factor G (PropagatorTable), so ≤ 3.2·10⁻⁸ for four: tolerance 4·10⁻⁸.
        def gl(a, b, panels, n):
            u, w = np.polynomial.legendre.leggauss(n)
            e = np.linspace(a, b, panels + 1); c = (e[:-1] + e[1:]) / 2; h = (e[1:] - e[:-1]) / 2
            return (c[:, None] + h[:, None] * u).ravel(), (h[:, None] * w).ravel()
        k, wk = gl(0, 10, 50, 20); z, wz = gl(-3, 3, 400, 16)
        G = np.array([(np.cos(np.outer(np.abs(x - z), k)) / (k * k + 1)) @ wk / np.pi for x in (0.0, 0.4)])
        ref = np.einsum('n,in,jn,kn,ln->ijkl', wz, G, G, G, G)
        assert np.abs(v - ref).max() < 4e-8 * np.abs(ref).max(), (np.abs(v - ref).max(), v[0, 0, 0, 0], ref[0, 0, 0, 0])
        t = np.load('\(dir)/tadpole_G2.npy'); g = np.load('\(dir)/exact_G2.npy')
        assert t.shape == (2, 2, 2) and (t[1] < g).all() and np.allclose(t[1] - g, 2 * (t[0] - g))
        assert s['G4c'] is None if 'G4c' in s else True
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// phi4 with reweighting at two widths: λ-part, extrapolation and diagnostics are written with the documented
    /// shapes, with the effective sample sizes per cell; the 1/N extrapolation equals the two-width closed form.
    @Test func phi4ReweightingWritesAllOutputs() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["phi4", "--d", "1", "--mass", "1", "--cutoff", "6", "--lambda", "0.25", "--box", "3", "--sampler", "reweight",
                             "--width", "100,400", "--networks", "6000", "--x", "0,0.5", "--seed", "2", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        // stdout reports every width run and the extrapolation, the numbers those of the arrays checked below.
        for needle in ["N = 100, λ = 0.25: λ-part", "N = 400, λ = 0.25: λ-part", "N → ∞, λ = 0.25: λ-part"] {
            #expect(r.stdout.contains(needle), "\(needle) missing from: \(r.stdout)")
        }
        let py = try CLI.python("""
        import numpy as np, json
        s = json.load(open('\(dir)/summary.json'))
        d = np.load('\(dir)/G4c_lambda_part.npy'); e = np.load('\(dir)/G4c_lambda_part_error.npy')
        assert d.shape == (2, 1, 2, 2, 2, 2) and e.shape == d.shape and (e > 0).all()
        x = np.load('\(dir)/extrapolated_lambda_part.npy'); xe = np.load('\(dir)/extrapolated_lambda_part_error.npy')
        assert x.shape == (1, 2, 2, 2, 2) and xe.shape == x.shape
        # Two widths: the weighted fit y = a + b/N passes through both points, so a = (N₁y₁ − N₂y₂)/(N₁ − N₂) and
        # σ_a = √(N₁²e₁² + N₂²e₂²)/|N₂ − N₁| (a is linear in y); both to round-off, 10⁻¹² of the terms' scale.
        N1, N2 = 100.0, 400.0
        a = (N1 * d[0] - N2 * d[1]) / (N1 - N2); sa = np.sqrt(N1**2 * e[0]**2 + N2**2 * e[1]**2) / abs(N2 - N1)
        scale = (N1 * np.abs(d[0]) + N2 * np.abs(d[1])) / abs(N1 - N2)
        assert (np.abs(x - a) <= 1e-12 * scale).all(), np.abs(x - a).max()
        assert (np.abs(xe - sa) <= 1e-12 * sa).all(), np.abs(xe / sa - 1).max()
        assert np.load('\(dir)/G2.npy').shape == (2, 1, 2, 2)
        cells = s['cells']; assert len(cells) == 2 and all(c['effective_sample_size'] > 1000 for c in cells)
        assert open('\(dir)/extrapolation.svg').read().startswith('<svg') and open('\(dir)/g4c_vs_lambda.svg').read().startswith('<svg')
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// An interrupted run (stopped after its first slices, here by asking for fewer networks) resumed with --resume
    /// gives bit-identical outputs to one uninterrupted run; resuming under other settings is refused in one line.
    @Test(arguments: ["phi4", "freefield"]) func resumeReproducesAnUninterruptedRun(command: String) throws {
        let full = CLI.tempDir(), part = CLI.tempDir()
        let common = command == "phi4"
            ? ["phi4", "--d", "1", "--cutoff", "5", "--lambda", "0.5", "--box", "2", "--width", "20", "--x", "0,0.5", "--seed", "4"]
            : ["freefield", "--d", "1", "--cutoff", "5", "--width", "20", "--x", "0,0.5", "--seed", "4"]
        #expect(try CLI.run(common + ["--networks", "12000", "--out", full]).status == 0)
        #expect(try CLI.run(common + ["--networks", "5000", "--out", part]).status == 0)
        let r = try CLI.run(common + ["--networks", "12000", "--resume", "--out", part])
        #expect(r.status == 0 && r.stderr.contains("resuming after 5000"), "\(r.stderr)")
        let file = command == "phi4" ? "G4c.npy" : "G4c.npy"
        let a = FileManager.default.contents(atPath: full + "/" + file), b = FileManager.default.contents(atPath: part + "/" + file)
        #expect(a != nil && a == b)
        let other = try CLI.run(common.map { $0 == "4" ? "5" : $0 } + ["--networks", "12000", "--resume", "--out", part])
        #expect(other.status != 0 && other.stderr.split(separator: "\n").count == 1 && other.stderr.contains("other settings"), "\(other.stderr)")
    }

    /// A real process stopped by SIGINT after its first slice: exit 130 naming the networks done and how to resume,
    /// the checkpoint kept; --resume then ends with G2 and G4c bit-identical to an uninterrupted run.
    @Test func interruptedRunResumesBitIdentical() throws {
        let common = ["freefield", "--d", "1", "--cutoff", "5", "--width", "20", "--x", "0,0.5", "--seed", "4", "--networks", "400000"]
        try CLI.expectInterruptAndResume(common, checkpoint: "checkpoints/checkpoint.json", stopped: "error: freefield: stopped by SIGINT after",
                                         resumed: "resuming after", identical: ["G2.npy", "G4c.npy"], absentAfterStop: ["G2.npy"])
    }

    /// Markov chains stopped by SIGINT once one chain has finished: every chain saves its state at its next sweep and
    /// the run exits 130 with the resume advice; --resume continues the chains and ends with G4c bit-identical to an
    /// uninterrupted run.
    @Test func interruptedChainsResumeBitIdentical() throws {
        let args = ["phi4", "--d", "1", "--cutoff", "3", "--lambda", "0.5,1", "--box", "1", "--width", "6", "--x", "0,0.3",
                    "--sampler", "metropolis", "--networks", "300000", "--thermalization", "10", "--seed", "4"]
        try CLI.expectInterruptAndResume(args, checkpoint: "checkpoints/chain_N6_l0_c1.json", stopped: "error: phi4: stopped by SIGINT at N = 6, λ = ",
                                         resumed: "chain steps taken from the checkpoint", identical: ["G4c.npy", "G2.npy"], absentAfterStop: ["G4c.npy"])
    }

    /// Markov chains are checkpointed through the CLI: a finished run continued with --resume takes every chain
    /// from DIR/checkpoints (no step re-run) and writes the same files; other settings are refused in one line.
    @Test(arguments: ["metropolis", "hmc"]) func chainRunResumesFromItsCheckpoint(sampler: String) throws {
        let dir = CLI.tempDir()
        let common = ["phi4", "--d", "1", "--cutoff", "3", "--lambda", "1", "--box", "1", "--width", "6", "--x", "0,0.3",
                      "--sampler", sampler, "--networks", "64", "--thermalization", "10", "--seed", "4", "--out", dir]
        #expect(try CLI.run(common).status == 0)
        let first = FileManager.default.contents(atPath: dir + "/G4c.npy")
        let r = try CLI.run(common + ["--resume"])
        #expect(r.status == 0 && r.stderr.contains("84 of 84 chain steps taken from the checkpoint"), "\(r.stderr)")
        #expect(first != nil && FileManager.default.contents(atPath: dir + "/G4c.npy") == first)
        let other = try CLI.run(common.map { $0 == "4" ? "5" : $0 } + ["--resume"])
        #expect(other.status != 0 && other.stderr.split(separator: "\n").count == 1 && other.stderr.contains("other settings"), "\(other.stderr)")
    }

    @Test(arguments: [
        (["freefield", "--d", "4", "--x", "0", "--out", CLI.tempDir()], "--d 4"),
        (["freefield", "--cutoff", "0", "--x", "0", "--out", CLI.tempDir()], "--cutoff 0"),
        (["freefield", "--mass", "-1", "--x", "0", "--out", CLI.tempDir()], "--mass -1"),
        (["phi4", "--lambda", "-0.5", "--x", "0", "--out", CLI.tempDir()], "--lambda -0.5"),
        (["phi4", "--box", "1", "--x", "0,0.8", "--networks", "0", "--out", CLI.tempDir()], "outside the box"),
        (["phi4", "--sampler", "gibbs", "--x", "0", "--out", CLI.tempDir()], "--sampler 'gibbs'"),
        (["phi4", "--d", "2", "--x", "0,0.5,1", "--networks", "0", "--out", CLI.tempDir()], "dimension"),
        (["freefield", "--x", "0,zero", "--out", CLI.tempDir()], "'zero'"),
    ])
    func badInputGivesOneLineError(args: [String], needle: String) throws {
        let r = try CLI.run(args)
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && r.stderr.contains(needle), "\(r.stderr)")
    }

    /// A coupling so large that the reweighting's weights e^{−λ∫φ⁴} sit on one network: an error naming λ and the
    /// effective sample (the jackknife error would be 0/0), exit 2, no summary — not a "± nan" with exit 0.
    @Test func hugeCouplingIsAnErrorNotANaN() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["phi4", "--d", "1", "--cutoff", "5", "--lambda", "1e300", "--box", "2", "--width", "20", "--networks", "2000",
                             "--x", "0,0.5", "--out", dir])
        #expect(r.status == 2)
        let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("error: --lambda 1e+300: the reweighting leaves") && last.contains("effective networks"), "\(r.stderr)")
        #expect(!r.stdout.lowercased().contains("nan") && !FileManager.default.fileExists(atPath: dir + "/summary.json"))
    }
}

import Foundation
import Testing

/// Residual and convolutional networks through the CLI: images in, neural-tangents' kernels out, parameters in
/// neural-tangents' HWIO layout, one-line errors for shapes that do not fit.
@Suite struct ConvolutionCLITests {
    static let reference = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("NetworksTests/NeuralTangentsReference").path

    /// `kernel` on the reference images of neural-tangents' cases (a residual convolutional network with LayerNorm and
    /// GlobalAvgPool; a strided convolution with a Flatten readout): nngp.npy and ntk.npy equal neural-tangents'
    /// kernel_fn to 1e-10 of the largest entry; `--diagonal` is the diagonal of the full kernel.
    @Test(arguments: ["resconv", "conv2d_flat", "conv1d_gap"])
    func kernelOfImagesMatchesNeuralTangents(name: String) throws {
        let dir = "\(Self.reference)/\(name)", out = CLI.tempDir(), diag = CLI.tempDir()
        let spec = try String(contentsOfFile: "\(dir)/spec.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let r = try CLI.run(["kernel", "--net", spec, "--x", "\(dir)/x1.npy", "--x2", "\(dir)/x2.npy", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let d = try CLI.run(["kernel", "--net", spec, "--x", "\(dir)/x1.npy", "--diagonal", "--out", diag])
        #expect(d.status == 0, "\(d.stderr)")
        let full = CLI.tempDir()
        #expect(try CLI.run(["kernel", "--net", spec, "--x", "\(dir)/x1.npy", "--out", full]).status == 0)
        let py = try CLI.python("""
        import numpy as np
        for g in ('nngp', 'ntk'):
            a, b = np.load('\(out)/' + g + '.npy'), np.load('\(dir)/' + g + '.npy')
            assert a.shape == b.shape == (5, 3), (a.shape, b.shape)
            assert np.abs(a - b).max() <= 1e-10 * np.abs(b).max(), (g, np.abs(a - b).max())
            d, f = np.load('\(diag)/' + g + '.npy'), np.load('\(full)/' + g + '.npy')
            assert d.shape == (5,) and np.abs(d - np.diag(f)).max() <= 1e-12 * np.abs(f).max(), (g, d, np.diag(f))
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    /// `ntk --seed` on signals [P, L, C]: the empirical NTK [P, P, O, O] is symmetric and positive semi-definite, the
    /// Conv layers' parameters are saved as HWIO arrays [k, C_in, C_out], and `--params` reloads them to the same bits.
    @Test func empiricalNTKOfAConvolutionalNetworkRoundTripsItsParameters() throws {
        let a = CLI.tempDir(), b = CLI.tempDir(), x = CLI.tempDir()
        try FileManager.default.createDirectory(atPath: x, withIntermediateDirectories: true)
        let make = try CLI.python("import numpy as np; np.save('\(x)/x.npy', np.random.default_rng(3).standard_normal((4, 9, 2)))")
        #expect(make.status == 0, "\(make.output)")
        let net = "Conv(6, 3, padding=SAME, W_std=1.4, b_std=0.1) Relu FanOut(2) Parallel(Conv(6, 3, padding=SAME, W_std=1.4), Identity) FanInSum AvgPool(2, stride=2) Flatten Dense(2, W_std=1.5)"
        let r = try CLI.run(["ntk", "--net", net, "--x", "\(x)/x.npy", "--seed", "5", "--out", a])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try CLI.run(["ntk", "--net", net, "--x", "\(x)/x.npy", "--params", "\(a)/params", "--out", b])
        #expect(s.status == 0, "\(s.stderr)")
        #expect(FileManager.default.contents(atPath: "\(a)/ntk.npy") == FileManager.default.contents(atPath: "\(b)/ntk.npy"))
        let py = try CLI.python("""
        import numpy as np
        t = np.load('\(a)/ntk.npy')
        assert t.shape == (4, 4, 2, 2), t.shape
        m = t.transpose(0, 2, 1, 3).reshape(8, 8)
        assert np.allclose(m, m.T, rtol=0, atol=1e-12 * np.abs(m).max())
        assert np.linalg.eigvalsh(m).min() > -1e-10 * np.abs(m).max()
        assert np.load('\(a)/params/p0_W.npy').shape == (3, 2, 6)
        assert np.load('\(a)/params/p3_W.npy').shape == (3, 6, 6)   # leaves: Conv Relu FanOut Conv Identity FanInSum …
        assert np.load('\(a)/f_x1.npy').shape == (4, 2)
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
    }

    @Test(arguments: [
        (["--net", "Conv(8, 3) Relu Flatten Dense(1)"], "spatial dimensions"),
        (["--net", "Conv(8, 3) Relu Dense(1)", "--x", "IMAGES"], "end with Flatten or GlobalAvgPool"),
        (["--net", "Dense(8) Parallel(Relu, Identity) FanInSum Dense(1)"], "FanOut(2)"),
        (["--net", "Dense(8) FanOut(2) Parallel(Relu, Identity) FanInSum Dense(1)"], "branch 0 is not Gaussian"),
        (["--net", "Dense(8) FanOut(2) Relu Dense(1)"], "FanInSum or FanInConcat"),
        (["--net", "Conv(8, 3, padding=FULL) Relu Flatten Dense(1)", "--x", "IMAGES"], "padding=FULL"),
        (["--net", "Conv(8, 9) Relu Flatten Dense(1)", "--x", "IMAGES"], "larger than the input"),
        (["--net", "Conv(8, (3,3,3)) Relu Flatten Dense(1)", "--x", "IMAGES"], "window [3, 3, 3]"),
        (["--net", "FanOut(0) Dense(1)"], "FanOut"),
        (["--net", "Dense(8) FanOut(2) Parallel(Relu, ) FanInSum Dense(1)"], "empty branch"),
        (["--net", "Dense(8) LayerNorm(axis=1) Dense(1)"], "axis=1"),
        (["--net", "Conv(8, 3) Relu Flatten Dense(1)", "--x", "IMAGES", "--x2", "1,2,3"], "--x2"),
    ] as [([String], String)])
    func badInputGivesOneLineError(args: [String], needle: String) throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        #expect(try CLI.python("import numpy as np; np.save('\(dir)/x.npy', np.ones((3, 5, 2)))").status == 0)
        let a = CLI.replacing(["kernel", "--net", "Dense(1)", "--x", "1,0;0,1"], args.map { $0 == "IMAGES" ? "\(dir)/x.npy" : $0 })
        try CLI.expectOneLineError(a, needle)
    }
}

import Foundation
import Testing
@testable import NTK
@testable import Networks
@testable import NumericCore
import TestSupport

/// The empirical NTK of residual, LayerNorm, convolutional and pooling networks: the layers' pullbacks against
/// finite differences of the forward map, the generic Jacobian route against the fast Dense route, and the
/// convergence of the empirical NTK to the analytic kernel map with width.
@Suite struct GraphEmpiricalNTKTests {
    /// Smooth networks (Erf, Gelu: no kinks for the differences to straddle) through every structural layer.
    static let smooth: [(spec: String, shape: TensorShape)] = [
        ("Dense(6, W_std=1.5, b_std=0.1) FanOut(2) Parallel(Erf Dense(6, W_std=1.5, b_std=0.1), Identity) FanInSum LayerNorm Erf Dense(2, W_std=1.5, b_std=0.1)", .vector(3)),
        ("Dense(5, W_std=1.2) FanOut(3) Parallel(Erf, Gelu, Identity) FanInConcat Dense(1, b_std=0.2)", .vector(4)),
        ("Conv(4, 3, padding=SAME, W_std=1.4, b_std=0.1) Erf Conv(3, 2, stride=2, padding=VALID, W_std=1.2, b_std=0.1) Erf Flatten Dense(2, W_std=1.5, b_std=0.1)",
         TensorShape(spatial: [7], channels: 2)),
        ("Conv(3, (3,2), padding=CIRCULAR, W_std=1.3, b_std=0.1) Erf AvgPool(2, padding=SAME) Conv(4, (2,2), stride=(2,1), padding=SAME, W_std=1.3, parameterization=standard) LayerNorm Erf GlobalAvgPool Dense(1, W_std=1.5)",
         TensorShape(spatial: [5, 4], channels: 2)),
        ("Dense(4, W_std=1.5, b_std=0.1) Aggregate(pattern=PATTERN) Erf Conv(3, 2, padding=SAME, W_std=1.2) Aggregate(pattern=PATTERN) Gelu Flatten Dense(2, W_std=1.5)",
         TensorShape(spatial: [5], channels: 2)),
    ]

    /// An asymmetric pattern A [5, 5] in a file (a transposed A in the forward map or the pullback would show).
    static let pattern: String = {
        var rng = RandomStream(seed: 12, stream: 0)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("graph-pattern-\(UUID().uuidString).npy")
        try! NPY.write(Matrix(rows: 5, cols: 5, data: (0..<25).map { _ in rng.normal() * 0.6 }), to: url)
        return url.path
    }()

    /// ∂f_a(x_p)/∂θ_I from the pullbacks against Richardson-extrapolated central differences (4D(h/2) − D(h))/3,
    /// D(h) = (f(θ + h e_I) − f(θ − h e_I))/2h, h = 2·10⁻⁴, at every parameter: truncation O(h⁴|f⁽⁵⁾|) ≈ 10⁻¹⁵ and
    /// rounding ≈ ε|f|/h ≈ 10⁻¹², so 10⁻⁸·(1 + |J|) is generous and still catches a wrong factor, index or sign.
    @Test(arguments: smooth.indices)
    func pullbackJacobianMatchesFiniteDifferences(index: Int) throws {
        let (spec, shape) = (Self.smooth[index].spec.replacingOccurrences(of: "PATTERN", with: Self.pattern), Self.smooth[index].shape)
        let net = try Network(try NetworkSpec.parse(spec), inputShape: shape, seed: 7)
        var rng = RandomStream(seed: 3, stream: 1)
        let x = rng.normalMatrix(3, shape.size)
        let J = net.jacobian(x)
        let O = net.outputWidth
        #expect(J.rows == 3 * O && J.cols == net.parameterCount)
        let h = 2e-4
        func difference(_ I: Int, _ step: Double) -> [Double] {
            var plus = net, minus = net
            plus.parameters[I] += step; minus.parameters[I] -= step
            return zip(plus.outputs(x).data, minus.outputs(x).data).map { ($0 - $1) / (2 * step) }
        }
        var worst = 0.0
        for I in 0..<net.parameterCount {
            let coarse = difference(I, h), fine = difference(I, h / 2)
            for r in 0..<(3 * O) {
                let fd = (4 * fine[r] - coarse[r]) / 3
                let err = abs(J[r, I] - fd) / (1 + abs(fd))
                worst = max(worst, err)
                #expect(err < 1e-8, "\(spec): ∂f_\(r)/∂θ_\(I) \(J[r, I]) vs finite difference \(fd)")
            }
        }
        print("pullback vs finite differences, worst relative error \(worst): \(spec)")
    }

    /// A chain of Dense layers and nonlinearities: the generic route (pullbacks, Θ = JJᵀ) equals the fast route
    /// (per-layer Gram products) to round-off, Jacobians and kernels alike, for several outputs.
    @Test func genericRouteMatchesDenseRoute() throws {
        let net = try Network(try NetworkSpec.parse("Dense(7, W_std=1.4, b_std=0.1) Relu Dense(5, W_std=1.3) Erf Dense(3, W_std=1.2, b_std=0.2)"),
                              inputWidth: 4, seed: 11)
        var rng = RandomStream(seed: 5, stream: 0)
        let x1 = rng.normalMatrix(6, 4), x2 = rng.normalMatrix(4, 4)
        let e = EmpiricalNTK(net)
        let fast = e.jacobian(x1), generic = net.jacobian(x1)
        let scale = fast.data.map(abs).max()!
        for (a, b) in zip(fast.data, generic.data) { #expect(abs(a - b) <= 1e-14 * scale) }
        for (a, b) in [(try e.kernel(x1, x2), try e.kernelOfGraph(x1, x2, trace: false)),
                       (try e.kernel(x1, trace: true), try e.kernelOfGraph(x1, nil, trace: true))] {
            #expect(a.shape == b.shape)
            let s = a.data.map(abs).max()!
            for (u, v) in zip(a.data, b.data) { #expect(abs(u - v) <= 1e-13 * s) }
        }
    }

    /// The empirical NTK of finite residual and convolutional networks converges to the analytic kernel map as the
    /// width (channels) N grows, with the central-limit exponent: mean relative error ∝ N^b, b = −1/2 within 4σ of
    /// the fit (as for dense networks, Jacot et al. 1806.07572; for convolutions Arora et al. 1904.11955).
    @Test(arguments: [0, 1])
    func empiricalNTKConvergesToTheKernelMap(index: Int) throws {
        let (spec, shape, widths): (String, TensorShape, [Int]) = [
            ("Dense(N, W_std=1.5, b_std=0.1) FanOut(2) Parallel(Relu Dense(N, W_std=1.5, b_std=0.1), Identity) FanInSum LayerNorm Relu Dense(1, W_std=1.5)",
             .vector(3), [64, 128, 256, 512, 1024]),
            ("Conv(N, 3, padding=SAME, W_std=1.4, b_std=0.1) Relu AvgPool(2) Conv(N, 2, stride=2, W_std=1.4) Erf GlobalAvgPool Dense(1, W_std=1.5)",
             TensorShape(spatial: [6], channels: 2), [16, 32, 64, 128, 256]),
        ][index]
        var rng = RandomStream(seed: 21, stream: 0)
        let x = rng.normalMatrix(4, shape.size)
        let scan = try NTKConvergence(network: try NetworkSpec.parse(spec, width: 1), points: x, inputShape: shape,
                                      widths: widths, networks: 24, seed: 4)
        let r = try scan.run()
        let fit = try #require(r.fit)
        let se = try #require(fit.exponentError)
        print("empirical NTK error exponent \(fit.exponent) ± \(se): \(spec)")
        #expect(abs(fit.exponent + 0.5) < 4 * se, "exponent \(fit.exponent) ± \(se)")
        #expect(r.widths.last!.mean < r.widths.first!.mean / 2)
    }

    /// Networks initialised by neural-tangents 0.6.5 (`init_fn(PRNGKey(0))`, NTK parameterisation) and saved in its
    /// layout (Conv W as HWIO), with nt's `empirical_ntk_fn(trace_axes=())` and `apply_fn` on the same points
    /// (Benchmarks/ntk/nt_layers.py `empirical-graph`): a 1-D residual convolution with AvgPool (x1 against x2), a
    /// CIRCULAR strided 2-D convolution with LayerNorm and GlobalAvgPool, a FanInConcat of three branches. Loaded
    /// through `ParameterIO`, our empirical NTK and outputs equal nt's to 10⁻¹² of the largest entry (sums of at most
    /// a few thousand products; nt's own Jacobian check agrees to 2·10⁻¹⁶) — a transposed window, swapped channels,
    /// another branch order or padding offset moves them by 0.2–2 (measured).
    @Test(arguments: ["A", "B", "C"])
    func empiricalNTKMatchesNeuralTangentsWithItsParameters(name: String) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("NeuralTangentsEmpirical/\(name)")
        func array(_ f: String) throws -> NDArray<Double> { try NPY.readDoubles(dir.appendingPathComponent(f)) }
        let spec = try String(contentsOf: dir.appendingPathComponent("spec.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let a1 = try array("x1.npy")
        let shape = TensorShape(pointAxes: Array(a1.shape.dropFirst()))
        let x1 = Matrix(rows: a1.shape[0], cols: shape.size, data: a1.data)
        let x2 = FileManager.default.fileExists(atPath: dir.appendingPathComponent("x2.npy").path)
            ? try array("x2.npy").data : nil
        let net = try ParameterIO.load(for: try NetworkSpec.parse(spec), inputShape: shape, from: dir.appendingPathComponent("params"))
        let e = EmpiricalNTK(net)
        let ours = try e.kernel(x1, x2.map { Matrix(rows: $0.count / shape.size, cols: shape.size, data: $0) })
        for (mine, ref) in [(ours.data, try array("ntk.npy")), (e.outputs(x1).data, try array("f_x1.npy"))] {
            #expect(mine.count == ref.data.count)
            let scale = ref.data.map(abs).max()!
            for (u, v) in zip(mine, ref.data) { #expect(abs(u - v) <= 1e-12 * scale, "\(name): \(u) vs nt \(v)") }
        }
    }
}

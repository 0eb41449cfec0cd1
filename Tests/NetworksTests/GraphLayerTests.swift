import Foundation
import Testing
@testable import Networks
@testable import NumericCore
import TestSupport

/// Reference kernels of neural-tangents 0.6.5 (x64, CPU) for residual, LayerNorm, convolutional and pooling
/// networks, computed by Benchmarks/ntk/nt_layers.py (`cases --extra`): x1 [5, …] and x2 [3, …] standard normal
/// (numpy default_rng(1), (2)), kernel_fn(x1, x2) and kernel_fn(x1, None); each directory holds the SPEC (and for
/// the graph cases the pattern A [6, 6], passed to neural-tangents as pattern=(A broadcast to x1's points, … x2's)).
enum NeuralTangentsReference {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("NeuralTangentsReference")
    static func array(_ c: String, _ name: String) throws -> NDArray<Double> {
        try NPY.readDoubles(directory.appendingPathComponent(c).appendingPathComponent(name + ".npy"))
    }
    /// The case's SPEC, a pattern file (graph cases) named by its path in the case's directory.
    static func spec(_ c: String) throws -> String {
        let d = directory.appendingPathComponent(c)
        return try String(contentsOf: d.appendingPathComponent("spec.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "pattern=pattern.npy", with: "pattern=" + d.appendingPathComponent("pattern.npy").path)
    }
    /// x [P, S·C] and the shape of one point.
    static func points(_ c: String, _ name: String) throws -> (Matrix, TensorShape) {
        let a = try array(c, name)
        let shape = TensorShape(pointAxes: Array(a.shape.dropFirst()))
        return (Matrix(rows: a.shape[0], cols: shape.size, data: a.data), shape)
    }
}

@Suite struct GraphLayerTests {
    static let cases = ["res", "concat", "layernorm", "conv1d", "conv1d_gap", "conv2d", "conv2d_flat", "resconv", "conv_std",
                        "pool_same", "conv_circular", "aggregate", "aggregate_flat"]

    /// Our kernels against neural-tangents' for x1 against x2 and x1 against itself: 1e-10 relative to the largest
    /// entry. The diagonal of nt's Θ(x1, x1) is computed through θ = atan2(√(rounding), K) at ρ = 1 and carries
    /// ≈ 1e-9 relative noise (its ReLU derivative term (π − θ)/2π with θ ~ √ε·…); there the bound is 1e-8.
    @Test(arguments: cases)
    func kernelsMatchNeuralTangents(name: String) throws {
        let net = try NetworkSpec.parse(try NeuralTangentsReference.spec(name))
        let (x1, shape) = try NeuralTangentsReference.points(name, "x1")
        let (x2, _) = try NeuralTangentsReference.points(name, "x2")
        let k12 = try net.kernels(x1, x2, inputShape: shape)
        let k11 = try net.kernels(x1, nil, inputShape: shape)
        for (ours, ref, label, P) in [(k12.nngp, "nngp", "K(x1, x2)", 3), (k12.ntk, "ntk", "Θ(x1, x2)", 3),
                                      (k11.nngp, "nngp11", "K(x1, x1)", 5), (k11.ntk, "ntk11", "Θ(x1, x1)", 5)] {
            let r = try NeuralTangentsReference.array(name, ref).data
            try #require(ours.count == r.count, "\(name) \(label): \(ours.count) entries, nt \(r.count)")
            let scale = r.map(abs).max()!
            for e in r.indices {
                let diagonalOfNTK = ref == "ntk11" && e / P == e % P
                let bound = (diagonalOfNTK ? 1e-8 : 1e-10) * scale
                #expect(abs(ours[e] - r[e]) <= bound, "\(name) \(label)[\(e / P), \(e % P)]: \(ours[e]) vs nt \(r[e])")
            }
        }
    }

    /// Aggregate's forward map is neural-tangents' contraction of the pattern's first node axis, z[n] = Σ_m A[m, n]·h[m]
    /// (checked against the sum written out, with an asymmetric A so that a transposed pattern fails), and its kernel
    /// map is that of the aggregated points: with nothing before it, K(x, x') after `Aggregate` equals the input kernel
    /// of z(x), z(x') — the forward and kernel conventions agree.
    @Test func aggregateContractsThePatternsFirstAxis() throws {
        let S = 5, C = 3
        var rng = RandomStream(seed: 8, stream: 0)
        let a = Matrix(rows: S, cols: S, data: (0..<(S * S)).map { _ in rng.normal() })
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aggregate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("A.npy")
        try NPY.write(a, to: file)
        let shape = TensorShape(spatial: [S], channels: C)
        let x = Matrix(rows: 3, cols: S * C, data: (0..<(3 * S * C)).map { _ in rng.normal() })
        let net = try NetworkSpec.parse("Aggregate(pattern=\(file.path)) Flatten")
        let z = net.apply(net.leaves.map { _ in .none }, Activations(points: x, shape: shape)).values
        for p in 0..<3 { for n in 0..<S { for c in 0..<C {
            var expected = 0.0
            for m in 0..<S { expected += a[m, n] * x[p, m * C + c] }
            #expect(abs(z[p, n * C + c] - expected) <= 1e-14 * 10, "z[\(p), \(n), \(c)]")
        } } }
        let viaKernel = try net.kernels(x, inputShape: shape)
        let direct = try NetworkSpec.parse("Flatten").kernels(z, inputShape: TensorShape(spatial: [S], channels: C))
        for (u, v) in zip(viaKernel.nngp, direct.nngp) { #expect(abs(u - v) <= 1e-13 * max(1, abs(v))) }
    }

    /// The kernel of x against itself has on its diagonal exactly (bit for bit) the diagonal-only kernel: at equal
    /// points ρ = 1 in floating point through every layer (LayerNorm divides entries and diagonals alike; the full
    /// spatial covariance takes its diagonals from its entries), so a ReLU's NTK there carries no √ε error.
    @Test(arguments: [
        ("Dense(8, W_std=1.5, b_std=0.3) LayerNorm Relu Dense(8, W_std=1.2, b_std=0.1) LayerNorm Relu Dense(1)", [Int](), 3),
        ("Conv(4, 3, padding=SAME, W_std=1.4, b_std=0.1) LayerNorm Relu Conv(4, 3, stride=2, W_std=1.3) Relu Flatten Dense(1)", [7], 2),
        ("Conv(4, (3,3), padding=SAME, W_std=1.4, b_std=0.05) FanOut(2) Parallel(Relu Conv(4, (3,3), padding=SAME, W_std=1.4, b_std=0.05), Identity) FanInSum LayerNorm Relu AvgPool(2) GlobalAvgPool Dense(1)", [5, 4], 2),
    ] as [(String, [Int], Int)])
    func diagonalOfTheKernelIsTheDiagonalOnlyKernel(spec: String, spatial: [Int], channels: Int) throws {
        let shape = TensorShape(spatial: spatial, channels: channels)
        var rng = RandomStream(seed: 31, stream: 0)
        let x = Matrix(rows: 4, cols: shape.size, data: (0..<(4 * shape.size)).map { _ in rng.normal() })
        let net = try NetworkSpec.parse(spec)
        let full = try net.kernels(x, inputShape: shape), diagonal = try net.kernels(x, inputShape: shape, diagonalOnly: true)
        for i in 0..<4 {
            #expect(full.nngp[i * 4 + i] == diagonal.nngp[i], "\(spec): K[\(i), \(i)]")
            #expect(full.ntk[i * 4 + i] == diagonal.ntk[i], "\(spec): Θ[\(i), \(i)] \(full.ntk[i * 4 + i]) vs \(diagonal.ntk[i])")
        }
    }
}

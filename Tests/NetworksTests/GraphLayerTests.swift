import Foundation
import Testing
@testable import Networks
@testable import NumericCore
import TestSupport

/// Reference kernels of neural-tangents 0.6.5 (x64, CPU) for residual, LayerNorm, convolutional and pooling
/// networks, computed by Benchmarks/ntk/nt_layers.py (`cases --extra`): x1 [5, …] and x2 [3, …] standard normal
/// (numpy default_rng(1), (2)), kernel_fn(x1, x2) and kernel_fn(x1, None); each directory holds the SPEC.
enum NeuralTangentsReference {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("NeuralTangentsReference")
    static func array(_ c: String, _ name: String) throws -> NDArray<Double> {
        try NPY.readDoubles(directory.appendingPathComponent(c).appendingPathComponent(name + ".npy"))
    }
    static func spec(_ c: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(c).appendingPathComponent("spec.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
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
                        "pool_same", "conv_circular"]

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
            #expect(ours.count == r.count, "\(name) \(label): \(ours.count) entries, nt \(r.count)")
            let scale = r.map(abs).max()!
            for e in r.indices {
                let diagonalOfNTK = ref == "ntk11" && e / P == e % P
                let bound = (diagonalOfNTK ? 1e-8 : 1e-10) * scale
                #expect(abs(ours[e] - r[e]) <= bound, "\(name) \(label)[\(e / P), \(e % P)]: \(ours[e]) vs nt \(r[e])")
            }
        }
    }
}

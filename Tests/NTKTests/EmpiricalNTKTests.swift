import Foundation
import Testing
@testable import NTK
@testable import Networks
@testable import NumericCore
import TestSupport

@Suite struct EmpiricalNTKTests {
    static let specs = ["Dense(7, W_std=1.3, b_std=0.2) Tanh Dense(5, W_std=1.1, b_std=0.1) Gelu Dense(3, W_std=1.2, b_std=0.4)",
                        "Dense(6, W_std=1.5, b_std=None, parameterization=standard) Erf Dense(2, W_std=0.9, b_std=0.3, parameterization=standard)",
                        "Dense(4) Sin Dense(4, b_std=None) Relu Dense(1, W_std=2)"]

    static func setup(_ spec: String, seed: UInt64 = 3) throws -> (EmpiricalNTK, Matrix) {
        let net = try NetworkSpec.parse(spec)
        var rng = RandomStream(seed: seed, stream: 0)
        let x = rng.normalMatrix(4, 3)
        return (EmpiricalNTK(try Network(net, inputWidth: 3, using: &rng)), x)
    }

    /// The backpropagated Jacobian against central differences of the outputs in every stored parameter
    /// (step 10⁻⁶: truncation ~10⁻¹², round-off ~10⁻¹⁰).
    @Test(arguments: specs) func jacobianMatchesFiniteDifferences(spec: String) throws {
        let (e, x) = try Self.setup(spec)
        let J = e.jacobian(x)
        let O = e.outputWidth
        var col = 0
        for (l, p) in e.parameters.enumerated() {
            for isBias in [false, true] {
                let count = isBias ? (p.bias?.count ?? 0) : (p.weight?.data.count ?? 0)
                for k in 0..<count {
                    let fd = centralDifferences(step: 1e-6) { h in
                        var q = e.parameters
                        if isBias { q[l].bias![k] += h } else { q[l].weight!.data[k] += h }
                        return e.network.architecture.apply(q, x).data
                    }
                    for r in 0..<(x.rows * O) {
                        let v = fd[r]
                        #expect(abs(J[r, col] - v) < 1e-8 * max(1, abs(v)), "layer \(l) \(isBias ? "b" : "W")[\(k)] row \(r)")
                    }
                    col += 1
                }
            }
        }
        #expect(col == J.cols)
    }

    /// The per-layer Gram fast path and J Jᵀ agree to 10⁻¹⁰ (full [P1, P2, O, O] tensors, cross kernels and x against
    /// itself — the upper-triangle Grams, mirrored — in one block and in blocks of 3 of 4 points), and the traced
    /// kernel is the mean of the output diagonal.
    @Test(arguments: specs) func fastPathMatchesJacobianPath(spec: String) throws {
        let (e, x) = try Self.setup(spec)
        var rng = RandomStream(seed: 9, stream: 1)
        let y = rng.normalMatrix(5, 3)
        let fast = try e.kernel(x, y, blockSize: 3)
        let slow = e.kernelByJacobian(x, y)
        #expect(fast.shape == slow.shape)
        let scale = maxAbs(slow.data)
        for k in 0..<fast.count { #expect(abs(fast.data[k] - slow.data[k]) < 1e-10 * scale) }
        let traced = try e.kernel(x, y, trace: true)
        let O = e.outputWidth
        for p in 0..<4 { for q in 0..<5 {
            let mean = (0..<O).reduce(0.0) { $0 + fast[[p, q, $1, $1]] } / Double(O)
            #expect(abs(traced[[p, q]] - mean) < 1e-12 * scale)
        } }
        let slowSquare = e.kernelByJacobian(x)
        for block in [512, 3] {
            for trace in [false, true] {
                let square = try e.kernel(x, trace: trace, blockSize: block)
                for p in 0..<4 { for q in 0..<4 { for a in 0..<O { for b in 0..<O where !trace || a == b {
                    let want = trace ? (0..<O).reduce(0.0) { $0 + slowSquare[[p, q, $1, $1]] } / Double(O) : slowSquare[[p, q, a, b]]
                    let got = trace ? square[[p, q]] : square[[p, q, a, b]]
                    #expect(abs(got - want) < 1e-10 * scale, "x against itself, block \(block), trace \(trace): [\(p), \(q), \(a), \(b)]")
                } } } }
            }
        }
        // Symmetry Θ_ab(x, x') = Θ_ba(x', x) and PSD of the square kernel.
        let sq = try e.kernel(x)
        let n = 4 * O
        var m = Matrix(rows: n, cols: n)
        for p in 0..<4 { for q in 0..<4 { for a in 0..<O { for b in 0..<O { m[p * O + a, q * O + b] = sq[[p, q, a, b]] } } } }
        #expect((m - m.transposed).frobeniusNorm < 1e-12 * m.frobeniusNorm)
        #expect(try LinearAlgebra.symmetricEigen(m).values.first! > -1e-10 * scale)
    }

    /// The outputs that come with Θ (from the passes Θ is built from) are the network's own forward map — against
    /// `Network.outputs` (the jet forward, another route) to round-off, for x against itself (one pass) and against
    /// other points in blocks of 3 of 4 points (two passes, concatenated in order), and those other points' outputs
    /// from their own pass; Θ is `kernel`'s.
    @Test(arguments: specs) func outputsComeWithTheKernel(spec: String) throws {
        let (e, x) = try Self.setup(spec)
        var rng = RandomStream(seed: 9, stream: 1)
        let y = rng.normalMatrix(5, 3)
        let f = e.network.outputs(x), fy = e.network.outputs(y)
        for (x2, block) in [(nil, 512), (y, 3)] as [(Matrix?, Int)] {
            let (k, g, g2) = try e.kernelAndOutputs(x, x2, blockSize: block)
            #expect(g.rows == x.rows && g.cols == e.outputWidth)
            for i in f.data.indices { #expect(abs(g.data[i] - f.data[i]) <= 1e-13 * max(1, abs(f.data[i])), "output \(i)") }
            #expect((g2 == nil) == (x2 == nil))
            if let g2 {
                for i in fy.data.indices { #expect(abs(g2.data[i] - fy.data[i]) <= 1e-13 * max(1, abs(fy.data[i])), "output of x₂ \(i)") }
            }
            #expect(k.data == (try e.kernel(x, x2, blockSize: block)).data)
        }
    }

    /// One hidden layer: E[Θ̂_ab(x, x')] = δ_ab Θ(x, x') at every width (2000 networks of width 4, 3 outputs),
    /// within 5 standard errors — the empirical kernel against the analytic one.
    @Test func expectationIsTheAnalyticNTK() throws {
        let net = try NetworkSpec.parse("Dense(4, W_std=1.4, b_std=0.3) Relu Dense(3, W_std=1.2, b_std=0.5)")
        let x = Matrix([[0.5, -1], [1.2, 0.3]])
        let analytic = try net.kernels(x)
        var rng = RandomStream(seed: 17, stream: 0)
        let M = 2000
        var acc = MomentAccumulator(entries: 36)
        for _ in 0..<M {
            let e = EmpiricalNTK(try Network(net, inputWidth: 2, using: &rng))
            acc.add(try e.kernel(x).data)
        }
        for p in 0..<2 { for q in 0..<2 { for a in 0..<3 { for b in 0..<3 {
            let i = ((p * 2 + q) * 3 + a) * 3 + b
            let m = acc.mean(i), se = acc.standardError(i)
            let expected = a == b ? analytic.ntk[p * 2 + q] : 0
            #expect(abs(m - expected) < 5 * se + 1e-12, "Θ[\(p),\(q),\(a),\(b)] = \(m) ± \(se), expected \(expected)")
        } } } }
    }

    /// A chain without Dense layers has no parameters: Θ = 0 on both paths (the fast path writes Θ with its first
    /// Dense layer, so this case must clear it).
    @Test func chainWithoutParametersHasZeroKernel() throws {
        let network = try Network(NetworkSpec.parse("Relu"), inputWidth: 2, seed: 1)
        let x = Matrix([[0.5, -1], [1.2, 0.3], [-0.7, 0.2]])
        let e = EmpiricalNTK(network)
        let theta = try e.kernel(x)
        #expect(theta.shape == [3, 3, 2, 2] && theta.data.allSatisfy { $0 == 0 })
        #expect(e.kernelByJacobian(x).data == theta.data)
    }

    @Test func parametersRoundTripInNeuralTangentsLayout() throws {
        let (e, x) = try Self.setup(Self.specs[0])
        let dir = temporaryDirectoryURL(prefix: "nnt-params")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ParameterIO.save(e.network, to: dir)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("p2_W.npy").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("p1_W.npy").path))
        let loaded = try ParameterIO.load(for: e.network.architecture, inputWidth: 3, from: dir)
        #expect(loaded.parameters == e.network.parameters)
        // Wrong input width: a one-line error naming the file and both shapes.
        do { _ = try ParameterIO.load(for: e.network.architecture, inputWidth: 4, from: dir); Issue.record("accepted") } catch {
            #expect("\(error)".contains("p0_W.npy") && "\(error)".contains("[3, 7]") && "\(error)".contains("[4, 7]"))
        }
        // The same files under a SPEC without biases: the stray p0_b.npy is refused, naming it.
        let noBias = try NetworkSpec.parse("Dense(7, W_std=1.3) Tanh Dense(5, W_std=1.1) Gelu Dense(3, W_std=1.2)")
        do { _ = try ParameterIO.load(for: noBias, inputWidth: 3, from: dir); Issue.record("a stray bias file was ignored") } catch {
            #expect("\(error)".contains("p0_b.npy") && "\(error)".contains("b_std=None"), "\(error)")
        }
        _ = x
    }
}

import Foundation
import Testing
@testable import NumericCore
@testable import Networks
import TestSupport

/// Taylor jets through networks and the parameter gradient through them, against finite differences.
@Suite struct JetTests {
    static let activations: [Activation] = [.tanh(degree: 64), .gelu, .sin(a: 1, b: 1, c: 0), .softplus(degree: 64)]

    /// Every activation with closed-form derivatives, at parameters away from the defaults.
    static let closedForms: [Activation] = [
        .abRelu(a: 0.2, b: 1.3), .erf(a: 1.2, b: 0.7, c: 0.1), .sin(a: 0.8, b: 1.3, c: 0.4), .gaussian(a: 1.1, b: -0.6),
        .exp(a: 0.7, b: 0.5), .rbf(gamma: 0.8), .gelu, .sign, .identity, .polynomial(coefficients: [0.3, -1, 0.5, 0.2, -0.1]),
        .tanh(degree: 64), .sigmoid(degree: 64), .softplus(degree: 64), .swish(degree: 64), .elu(alpha: 0.8, degree: 64),
    ]

    /// A network of `depth` hidden layers of activation `act` (standard parameterisation, biases) with `outputs` outputs.
    static func net(_ act: Activation, depth: Int, inputs: Int = 2, outputs: Int = 2, seed: UInt64 = 7) throws -> Network {
        let hidden = (0..<depth).map { "Dense(\(4 + $0), W_std=1.3, b_std=0.4) \(act.name)" }.joined(separator: " ")
        let spec = try NetworkSpec.parse(hidden + " Dense(\(outputs), W_std=1.1, b_std=0.2)", defaultParameterization: .standard)
        return try Network(spec, inputWidth: inputs, seed: seed)
    }

    static func points(_ P: Int, _ n: Int, seed: UInt64 = 3) -> Matrix {
        var r = RandomStream(seed: seed, stream: 0)
        return r.uniformMatrix(P, n, -1.5, 1.5)
    }

    /// φ^{(k)} against the central difference of φ^{(k−1)} (h = 10⁻⁵: truncation h²/6·|φ^{(k+2)}| ≲ 10⁻⁹ for these
    /// parameters, round-off ε|φ|/h ≲ 10⁻¹⁰), for every closed-form activation; the grid avoids the kinks at 0.
    @Test(arguments: 0..<closedForms.count) func activationDerivatives(index: Int) {
        let act = Self.closedForms[index]
        let h = 1e-5
        for z in stride(from: -3.0, through: 3.0, by: 0.37) {
            let d = act.derivatives(z), fds = centralDifferences(step: h) { act.derivatives(z + $0) }
            for k in 1...4 {
                let fd = fds[k - 1]
                #expect(abs(fd - d[k]) < 1e-8, "\(act) σ^(\(k))(\(z)) = \(d[k]), FD \(fd)")
            }
        }
    }

    /// Every block of order k ≤ 4 of the jet against the fourth-order central difference
    /// [8(J(x+h) − J(x−h)) − (J(x+2h) − J(x−2h))]/(12h) of the block of order k − 1 along the last index
    /// (h = 10⁻³: truncation h⁴/30·|∂^{k+4}f| ≈ 3·10⁻¹⁴·C with C ≲ 10³ for these nets, round-off ≈ 10⁻¹³);
    /// inputs n = 2 and 3.
    @Test(arguments: [0, 1, 2, 3], [1, 2, 3]) func jetMatchesFiniteDifferences(a: Int, depth: Int) throws {
        let act = Self.activations[a]
        for n in [2, 3] {
            let f = try Self.net(act, depth: depth, inputs: n)
            let x = Self.points(3, n)
            let J = f.jet(x, order: 4)
            let h = 1e-3
            var shifted: [[Double: TaylorJet]] = []   // [i][displacement ±h, ±2h]
            for i in 0..<n {
                shifted.append(Dictionary(uniqueKeysWithValues: [h, -h, 2 * h, -2 * h].map { s in
                    var xs = x
                    for p in 0..<x.rows { xs[p, i] += s }
                    return (s, f.jet(xs, order: 3))
                }))
            }
            var worst = 0.0
            for alpha in J.indexSet.indices where !alpha.isEmpty {
                let i = alpha.last!, lower = Array(alpha.dropLast())
                for p in 0..<x.rows { for u in 0..<f.outputWidth {
                    let fd = fourthOrderCentralDifference(step: h) { shifted[i][$0]![lower, point: p, unit: u] }
                    let err = abs(fd - J[alpha, point: p, unit: u]) / (1 + abs(fd))
                    worst = max(worst, err)
                } }
            }
            #expect(worst < 1e-9, "\(act) depth \(depth) n \(n): worst relative error \(worst)")
        }
    }

    /// A nonlinear functional of the jet, L = Σ c·J + ½Σ J² over all blocks up to order K = 2 and 3; ∂L/∂θ from
    /// the reverse pass against central differences in every parameter (h = 10⁻⁶; truncation ≈ 10⁻¹²·C).
    @Test(arguments: [0, 1, 2, 3], [1, 2, 3]) func parameterGradientMatchesFiniteDifferences(a: Int, depth: Int) throws {
        let act = Self.activations[a]
        let n = 2
        let f = try Self.net(act, depth: depth, inputs: n)
        let x = Self.points(4, n)
        for K in [2, 3] {
            let input = TaylorJet(inputs: x, order: K)
            var r = RandomStream(seed: 11, stream: UInt64(K))
            let c = (0..<(input.indexSet.count * x.rows * f.outputWidth)).map { _ in r.normal() }
            func loss(_ m: Network) -> Double {
                let o = m.forward(inputJet: input.data, indexSet: input.indexSet, points: x.rows, keepTape: false).output
                return zip(o, c).reduce(0) { $0 + $1.0 * $1.1 + 0.5 * $1.0 * $1.0 }
            }
            let (o, tape) = f.forward(inputJet: input.data, indexSet: input.indexSet, points: x.rows, keepTape: true)
            let adj = zip(o, c).map { $0 + $1 }
            let g = f.parameterGradient(tape: tape!, outputAdjoint: adj)
            let scale = maxAbs(g)
            var worst = 0.0
            let fd = centralDifferenceGradient(at: f.parameters, step: 1e-6) { theta in
                var m = f
                m.parameters = theta
                return loss(m)
            }
            for k in 0..<f.parameterCount { worst = max(worst, abs(fd[k] - g[k]) / scale) }
            #expect(worst < 1e-7, "\(act) depth \(depth) K \(K): worst relative error \(worst)")
        }
    }

    /// The Laplacian against the five-point second difference Σ_i [−f(x+2h) + 16f(x+h) − 30f(x) + 16f(x−h) − f(x−2h)]/(12h²)
    /// of the values (h = 10⁻², error ≈ h⁴/90·|∂⁶f| ≲ 10⁻⁸).
    @Test func laplacianMatchesFiniteDifferences() throws {
        let f = try Self.net(.gelu, depth: 2, inputs: 3)
        let x = Self.points(4, 3)
        let lap = f.jet(x, order: 2).laplacian()
        let h = 1e-2
        var fd = Matrix(rows: x.rows, cols: f.outputWidth)
        for i in 0..<3 {
            let d2 = fivePointSecondDifferences(step: h) { s in
                var xs = x
                for p in 0..<x.rows { xs[p, i] += s }
                return f.outputs(xs).data
            }
            for k in 0..<fd.data.count { fd.data[k] += d2[k] }
        }
        for k in 0..<fd.data.count { #expect(abs(fd.data[k] - lap.data[k]) < 1e-7, "\(lap.data[k]) vs \(fd.data[k])") }
    }

    /// The Faà di Bruno table has Bell-number many partitions per multi-index: 1, 1, 2, 5, 15 for orders 0…4.
    @Test func faaDiBrunoTableCountsPartitions() {
        let ix = JetIndexSet(dimension: 3, order: 4)
        let bell = [1.0, 1, 2, 5, 15]
        for (a, terms) in zip(ix.indices, ix.terms) {
            #expect(terms.reduce(0) { $0 + $1.coefficient } == bell[a.count])
        }
        #expect(ix.count == 1 + 3 + 6 + 10 + 15)
    }

    @Test func specErrorsNameTheToken() {
        for (spec, needle) in [("Dense(0) Tanh Dense(1)", "width 0"), ("Dense(4) Bogus Dense(1)", "Bogus"), ("Dense(1e300)", "1e300"),
                               ("Dense(4, W_std=-1)", "W_std"), ("Dense(4, q=1)", "'q'"), ("Dense(4", "unbalanced"), ("Tanh(deg=1)", "deg")] {
            do { _ = try NetworkSpec.parse(spec); Issue.record("'\(spec)' parsed") } catch {
                #expect("\(error)".contains(needle), "\(error)")
            }
        }
    }
}

/// `TaylorJet.along`: the chain rule for an affine map x = x_p + Σ_k t_k d_{p,k}, checked two ways — restricting the
/// network's input jet commutes with restricting its output jet (the chain rule applied on either side of the
/// network), and the restricted output jet against central differences of the network along the directions.
@Suite struct JetAlongTests {
    @Test func restrictionCommutesWithTheNetworkAndMatchesDifferences() throws {
        let net = try JetTests.net(.gelu, depth: 2, inputs: 4, outputs: 2)
        let P = 3, R = 4, m = 3
        let x = JetTests.points(P, R, seed: 21)
        var rng = RandomStream(seed: 5, stream: 0)
        let d = (0..<(P * m * R)).map { _ in rng.normal() }
        let full = TaylorJet(inputs: x, order: 2)
        let outFull = net.forward(inputJet: full.data, indexSet: full.indexSet, points: P, keepTape: false).output
        let restrictedAfter = TaylorJet(indexSet: full.indexSet, points: P, width: 2, data: outFull).along(d, count: m)
        let inputAlong = full.along(d, count: m)
        #expect(inputAlong.indexSet.dimension == m && inputAlong.indexSet.count == 1 + m + m * (m + 1) / 2)
        let restrictedBefore = net.forward(inputJet: inputAlong.data, indexSet: inputAlong.indexSet, points: P, keepTape: false).output
        for k in 0..<restrictedAfter.data.count {
            #expect(abs(restrictedAfter.data[k] - restrictedBefore[k]) <= 1e-12 * max(1, abs(restrictedBefore[k])), "entry \(k)")
        }
        // Differences: f(t) = net(x_p + Σ t_k d_k); ∂_{t_k}∂_{t_l} f by the four-point stencil (h = 1e-4: truncation
        // ~h²·|f⁗| ≈ 1e-8, round-off ε/h² ≈ 2e-8).
        let ix = inputAlong.indexSet, h = 1e-4
        func f(_ p: Int, _ t: [Double]) -> [Double] {
            var row = Matrix(rows: 1, cols: R)
            for r in 0..<R { row.data[r] = x.data[p * R + r] + (0..<m).reduce(0) { $0 + t[$1] * d[(p * m + $1) * R + r] } }
            return net.outputs(row).data
        }
        for p in 0..<P { for k in 0..<m {
            var e = [Double](repeating: 0, count: m); e[k] = h
            let fp = f(p, e), fm = f(p, e.map { -$0 })
            for u in 0..<2 {
                let fd = (fp[u] - fm[u]) / (2 * h)
                #expect(abs(fd - restrictedBefore[(ix.index([k]) * P + p) * 2 + u]) <= 1e-7, "∂_t\(k) at point \(p)")
            }
            for l in k..<m {
                var a = [Double](repeating: 0, count: m), b = a
                a[k] += h; a[l] += h; b[k] += h; b[l] -= h
                let fpp = f(p, a), fpm = f(p, b), fmp = f(p, b.map { -$0 }), fmm = f(p, a.map { -$0 })
                for u in 0..<2 {
                    let fd = (fpp[u] - fpm[u] - fmp[u] + fmm[u]) / (4 * h * h)
                    #expect(abs(fd - restrictedBefore[(ix.index([k, l]) * P + p) * 2 + u]) <= 1e-6, "∂_t\(k)∂_t\(l) at point \(p): \(fd)")
                }
            }
        } }
    }

    /// The Wirtinger (1,1)-jet is closed under the network (`JetIndexSet.wirtinger`'s terms): pushing the Wirtinger jet
    /// of the inputs through the network equals the Wirtinger jet of the network's real second-order output jet, and
    /// the parameter gradient through it equals the gradient through the real jet of the same functional.
    @Test func wirtingerJetsCommuteWithTheNetwork() throws {
        let net = try JetTests.net(.tanh(degree: 64), depth: 2, inputs: 4, outputs: 2)
        let P = 3, R = 4, n = 2
        let x = JetTests.points(P, R, seed: 8)
        var rng = RandomStream(seed: 6, stream: 0)
        let d = (0..<(P * 2 * n * R)).map { _ in rng.normal() }
        let tangent = TaylorJet(inputs: x, order: 2).along(d, count: 2 * n)
        let realOut = net.forward(inputJet: tangent.data, indexSet: tangent.indexSet, points: P, keepTape: true)
        let after = TaylorJet(indexSet: tangent.indexSet, points: P, width: 2, data: realOut.output).wirtinger()
        let w = tangent.wirtinger()
        #expect(w.indexSet.count == 1 + 2 * n + n * n)
        let wOut = net.forward(inputJet: w.data, indexSet: w.indexSet, points: P, keepTape: true)
        for k in 0..<after.data.count { #expect(abs(after.data[k] - wOut.output[k]) <= 1e-12 * max(1, abs(after.data[k])), "entry \(k)") }
        // A functional of the Wirtinger outputs, L = Σ c_k W_k; through the real jet its adjoint is c mapped back by
        // the (linear) recasting, whose transpose we apply by differentiating `wirtinger()` entry by entry.
        let c = (0..<after.data.count).map { _ in rng.normal() }
        let gW = net.parameterGradient(tape: wOut.tape!, outputAdjoint: c)
        var realAdjoint = [Double](repeating: 0, count: realOut.output.count)
        for k in 0..<realAdjoint.count {
            var e = [Double](repeating: 0, count: realAdjoint.count); e[k] = 1
            let we = TaylorJet(indexSet: tangent.indexSet, points: P, width: 2, data: e).wirtinger().data
            realAdjoint[k] = zip(we, c).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let gR = net.parameterGradient(tape: realOut.tape!, outputAdjoint: realAdjoint)
        for k in 0..<gR.count { #expect(abs(gR[k] - gW[k]) <= 1e-11 * max(1, abs(gR[k])), "∂L/∂θ[\(k)] \(gW[k]) vs \(gR[k])") }
    }
}

import Foundation
import Testing
@testable import Ensembles
@testable import Networks
@testable import NumericCore

@Suite struct MonteCarloTests {
    static let pts = Matrix(rows: 3, cols: 1, data: [-0.6, 0.2, 1.0])

    /// Every multiset of orders 2, 4, 6: |G_MC − G_exact| within 5 standard errors (from 20 chunk means).
    /// 5σ per entry keeps the false-alarm rate over the 609 entries below 4·10⁻⁴.
    static func checkAgainstExact<E: NetworkEnsemble>(_ e: E, exact: ExactCorrelators, points: Matrix, networks: Int,
                                                      label: String) {
        let plan = EnsemblePlan(networks: networks, chunks: 20, seed: 2024)
        let acc = EnsembleRunner.accumulate(e, points: points, maxOrder: 6, plan: plan, threads: 2)
        let est = acc.estimates()
        #expect(est.networkCount == networks)
        var worst = 0.0
        for n in [2, 4, 6] {
            let ms = Multisets(pointCount: points.rows, order: n)
            for (k, idx) in ms.indices.enumerated() {
                let z = abs(est.mean[n]![k] - exact.correlator(idx)) / est.standardError[n]![k]
                worst = max(worst, z)
                #expect(z < 5, "\(label) G\(n)\(idx): MC \(est.mean[n]![k]) ± \(est.standardError[n]![k]) vs exact \(exact.correlator(idx))")
            }
        }
        // Odd orders vanish by the symmetry W1 → −W1, b1 → −b1 (a → −a for the cos-net).
        for (k, v) in est.mean[3]!.enumerated() { #expect(abs(v) < 5 * est.standardError[3]![k]) }
        // The test must have power: for some entry the exact finite-N shift from the GP value exceeds 5 error bars.
        let gpWorst = [4, 6].flatMap { n in
            Multisets(pointCount: points.rows, order: n).indices.enumerated().map { k, idx in
                abs(exact.correlator(idx) - exact.gpCorrelator(idx)) / est.standardError[n]![k]
            }
        }.max()!
        #expect(gpWorst > 5, "\(label): the error bars are too wide to resolve finite-N effects (max z \(gpWorst))")
    }

    @Test(arguments: SingleLayerNetKind.allCases) func singleLayerNetsAgreeWithExactFiniteN(a: SingleLayerNetKind) throws {
        // The Gauss-net's exp(z) is log-normal: its 6th moments are heavy-tailed unless Var z is small, so
        // that net is tested at σ_b = 0.1 and |x| ≤ 0.25 (Var z ≤ 0.073; the paper scales its inputs by 0.01) where chunk errors are trustworthy.
        let sb = [SingleLayerNetKind.relu: 0.0, .gauss: 0.1, .erf: 1.0][a]!
        let e = SingleLayerEnsemble(activation: a, width: 2, inputDimension: 1, sigmaW: 1, sigmaB: sb)
        let pts = a == .gauss ? Matrix(rows: 3, cols: 1, data: Self.pts.data.map { $0 * 0.25 }) : Self.pts
        Self.checkAgainstExact(e, exact: try e.exactCorrelators(points: pts), points: pts, networks: a == .relu ? 60_000 : 200_000, label: a.rawValue)
    }

    @Test func reluWithBiasIn2D() throws {
        let e = SingleLayerEnsemble(activation: .relu, width: 2, inputDimension: 2, sigmaW: 1, sigmaB: 0.5)
        let pts = Matrix(rows: 3, cols: 2, data: [0.5, 1, 1, -0.5, -0.3, 0.8])
        Self.checkAgainstExact(e, exact: try e.exactCorrelators(points: pts), points: pts, networks: 60_000, label: "relu-2d")
    }

    @Test func cosNetAgreesWithExactFiniteN() {
        let e = CosNetEnsemble(width: 2, dimension: 1, mass: 1, cutoff: 3)
        let pts = Matrix(rows: 3, cols: 1, data: [0, 0.4, 1.1])
        Self.checkAgainstExact(e, exact: e.exactCorrelators(points: pts), points: pts, networks: 60_000, label: "cos")
    }

    /// A deep ReLU net against its NNGP kernel (2-point function). Given the first hidden layer, the second layer's
    /// pre-activations are Gaussian with the random covariance K̂₂ = σ_b² + σ_w²/N₁ Σ_i φ(z_i(x))φ(z_i(y)), E K̂₂ = K₂;
    /// the output 2-point function is σ_b² + σ_w² E[κ(K̂₂)], κ the ReLU (arc-cosine) map, and N₂ drops out of the mean.
    /// On the diagonal κ(K)(x, x) = K(x, x)/2 is linear, so the diagonal is exact at every width (bias 0, < 5σ); off the
    /// diagonal κ is nonlinear and Var K̂₂ = O(1/N₁) gives an O(1/N₁) bias, removed by Richardson extrapolation in 1/N₁
    /// from N₁ = 64 and 32: 2G(64) − G(32) = G_∞ + O(1/N₁²), error √(4σ₆₄² + σ₃₂²), < 5σ.
    @Test func deepNetTwoPointFunctionMatchesNNGP() {
        let pts = Matrix(rows: 2, cols: 2, data: [1, 0, 0.6, 0.8])
        func run(_ widths: [Int], seed: UInt64) -> (DeepNetwork, [Double], [Double]) {
            let net = DeepNetwork(inputDimension: 2, hiddenWidths: widths, activation: .abRelu(a: 0, b: 1), sigmaW: 1.4, sigmaB: 0.3)
            let acc = EnsembleRunner.accumulate(DeepNetEnsemble(network: net), points: pts, maxOrder: 2,
                                                plan: EnsemblePlan(networks: 20_000, chunks: 10, seed: seed))
            let est = acc.estimates()
            return (net, est.mean[2]!, est.standardError[2]!)
        }
        let (net, a, sa) = run([64, 64], seed: 1)
        let (_, b, sb) = run([32, 64], seed: 2)   // independent of the first run, so the errors add in quadrature
        for (k, idx) in Multisets(pointCount: 2, order: 2).indices.enumerated() {
            let exact = net.gpKernel(pts.row(idx[0]), pts.row(idx[1]))
            if idx[0] == idx[1] {
                #expect(abs(a[k] - exact) < 5 * sa[k], "diagonal \(idx): \(a[k]) ± \(sa[k]) vs \(exact)")
                #expect(abs(b[k] - exact) < 5 * sb[k], "diagonal \(idx), N₁ = 32: \(b[k]) ± \(sb[k]) vs \(exact)")
            } else {
                let x = 2 * a[k] - b[k], s = (4 * sa[k] * sa[k] + sb[k] * sb[k]).squareRoot()
                print("deep-net G\(idx): N₁=64 \(a[k]) ± \(sa[k]), N₁=32 \(b[k]) ± \(sb[k]), extrapolated \(x) ± \(s), exact \(exact)")
                #expect(abs(x - exact) < 5 * s, "off-diagonal \(idx): extrapolated \(x) ± \(s) vs \(exact)")
            }
        }
    }

    /// The fused sampler consumes the generator exactly as density.sample and gives the same field.
    static func checkFused<E: NetworkEnsemble>(_ e: E, points: Matrix, stream: UInt64) {
        var r1 = RandomStream(seed: 3, stream: stream), r2 = r1
        let fused = e.sampleField(using: &r1, at: points)
        let θ = e.density.sample(using: &r2)
        var plain = [Double](repeating: 0, count: points.rows)
        plain.withUnsafeMutableBufferPointer { e.network.evaluate(θ, at: points, into: $0) }
        for p in 0..<points.rows { #expect(abs(fused[p] - plain[p]) < 1e-12 * max(1, abs(plain[p]))) }
        #expect(r1.position == r2.position)
    }

    @Test func fusedSamplingMatchesSampleThenEvaluate() {
        let pts = Matrix(rows: 4, cols: 2, data: [0.1, 0.2, -1, 0.5, 0.3, 0.3, 2, -1])
        for a in SingleLayerNetKind.allCases {
            for width in [3, 7, 8] {   // the SIMD groups of four and the scalar remainder
                Self.checkFused(SingleLayerEnsemble(activation: a, width: width, inputDimension: 2, sigmaW: 1.2, sigmaB: 0.4),
                                points: pts, stream: 11)
            }
        }
        Self.checkFused(CosNetEnsemble(width: 9, dimension: 2, mass: 0.5, cutoff: 4), points: pts, stream: 12)
    }

    /// The sampler on the vector kernels (VectorUnit) gives the portable path's bits and stream position, for every
    /// activation, d_in = 1 (the kernel's register path) and 3, widths with AVX-512 pairs, an AVX2 group and a
    /// scalar remainder.
    @Test(.enabled(if: VectorUnit.avx2, "the CPU has no AVX2: only the portable path runs"))
    func vectorSamplingIsThePortableSampling() {
        for d in [1, 3] {
            var s = RandomStream(seed: 4, stream: 0)
            let pts = Matrix(rows: 6, cols: d, data: (0..<(6 * d)).map { _ in 2 * s.uniform() - 1 })
            for a in SingleLayerNetKind.allCases {
                for width in [8, 13, 1000] {
                    let e = SingleLayerEnsemble(activation: a, width: width, inputDimension: d, sigmaW: 1.1, sigmaB: 0.9)
                    for stream in [UInt64(0), 77] {
                        var r1 = RandomStream(seed: 8, stream: stream), r2 = r1
                        var f1 = [Double](repeating: 0, count: 6), f2 = f1
                        f1.withUnsafeMutableBufferPointer { e.sampleField(using: &r1, at: pts, into: $0) }
                        f2.withUnsafeMutableBufferPointer { e.sampleField(using: &r2, at: pts, into: $0, vectorized: false) }
                        #expect(f1.map(\.bitPattern) == f2.map(\.bitPattern), "\(a) N = \(width) d = \(d)")
                        #expect(r1.position == r2.position)
                    }
                }
            }
        }
    }
}

@Suite struct DeterminismTests {
    static let e = SingleLayerEnsemble(activation: .erf, width: 3, inputDimension: 1, sigmaW: 1, sigmaB: 1)
    static let pts = Matrix(rows: 4, cols: 1, data: [-1, -0.2, 0.6, 1])
    static let plan = EnsemblePlan(networks: 5_003, chunks: 7, blockSize: 64, seed: 99)

    @Test func sameNumbersWithOneOrTwoThreads() {
        let a = EnsembleRunner.accumulate(Self.e, points: Self.pts, maxOrder: 6, plan: Self.plan, threads: 1)
        let b = EnsembleRunner.accumulate(Self.e, points: Self.pts, maxOrder: 6, plan: Self.plan, threads: 2)
        #expect(a.chunkTotals().map(\.sums) == b.chunkTotals().map(\.sums))
        #expect(a.estimates().mean == b.estimates().mean)
    }

    @Test func sameNumbersWithOneOrThreeShards() throws {
        let whole = EnsembleRunner.accumulate(Self.e, points: Self.pts, maxOrder: 6, plan: Self.plan, threads: 2)
        var merged: CorrelatorAccumulator?
        for s in [2, 0, 1] {   // shards merged out of order
            let part = EnsembleRunner.accumulate(Self.e, points: Self.pts, maxOrder: 6, plan: Self.plan,
                                                 items: Self.plan.workItems(shard: s, of: 3), threads: 2)
            // through JSON, as shards written to disk would be
            let decoded = try JSONDecoder().decode(CorrelatorAccumulator.self, from: JSONEncoder().encode(part))
            if merged == nil { merged = decoded } else { merged!.merge(decoded) }
        }
        #expect(merged!.chunkTotals().map(\.sums) == whole.chunkTotals().map(\.sums))
        #expect(merged!.estimates().mean == whole.estimates().mean)
        // A different seed gives different numbers.
        let other = EnsembleRunner.accumulate(Self.e, points: Self.pts, maxOrder: 6,
                                              plan: EnsemblePlan(networks: 5_003, chunks: 7, blockSize: 64, seed: 100))
        #expect(other.estimates().mean != whole.estimates().mean)
    }

    /// The checkpoint format of `CorrelatorAccumulator` is the one written before `BlockSumTree` existed: a file of
    /// that format (2 points, orders 1–2: 5 values; two blocks of chunk 0, one already combined into level 1 with
    /// block 2 pending at level 0) reads back with its sums, and a new accumulator writes the same top-level keys.
    @Test func checkpointFormatIsUnchanged() throws {
        let old = """
        {"pointCount":2,"maxOrder":2,"chunkCount":1,"valueCount":5,"orderOffsets":[0,2],
         "trees":[[{},{"0":{"count":6,"sums":[1,2,3,4,5]}}]],"blocksDone":[[0,1]]}
        """
        var a = try JSONDecoder().decode(CorrelatorAccumulator.self, from: Data(old.utf8))
        a.add(chunk: 0, block: 2, count: 2, sums: [1, 1, 1, 1, 1])
        let totals = a.chunkTotals()
        #expect(totals.map(\.count) == [8])
        #expect(totals[0].sums == [2, 3, 4, 5, 6])
        let second: [Double] = a.estimates().mean[2] ?? []
        #expect(second == [0.5, 0.625, 0.75])
        let keys = try JSONSerialization.jsonObject(with: JSONEncoder().encode(CorrelatorAccumulator(pointCount: 2, maxOrder: 2, chunkCount: 3))) as! [String: Any]
        #expect(Set(keys.keys) == ["pointCount", "maxOrder", "chunkCount", "valueCount", "orderOffsets", "trees", "blocksDone"])
    }

    @Test func blockSumsMatchDirectProducts() {
        let sums = EnsembleRunner.blockSums(Self.e, points: Self.pts, maxOrder: 4, seed: 5, start: 10, count: 3,
                                            valueCount: CorrelatorAccumulator(pointCount: 4, maxOrder: 4, chunkCount: 1).valueCount)
        var fields: [[Double]] = []
        for t in 0..<3 { var r = RandomStream(seed: 5, stream: UInt64(10 + t)); fields.append(Self.e.sampleField(using: &r, at: Self.pts)) }
        var offset = 0
        for n in 1...4 {
            let ms = Multisets(pointCount: 4, order: n)
            for (k, idx) in ms.indices.enumerated() {
                let direct = fields.reduce(0) { acc, f in acc + idx.reduce(1) { $0 * f[$1] } }
                #expect(abs(sums[offset + k] - direct) < 1e-13 * max(1, abs(direct)))
            }
            offset += ms.count
        }
    }
}

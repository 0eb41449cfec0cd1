import Ensembles
import Foundation
import Testing
@testable import NTK
@testable import Networks
@testable import NumericCore
import TestSupport

/// `MonteCarloKernel`: each network's kernels by an independent route, the mean and standard error against a direct
/// computation, unbiasedness against the analytic kernels where the finite-width mean is exact, and the same bits
/// for any threads, shards and resumes.
@Suite struct MonteCarloKernelTests {
    static let points = Matrix(rows: 4, cols: 2, data: [1, 0, 0, 1, 0.6, 0.8, -0.5, 0.3])
    static let others = Matrix(rows: 3, cols: 2, data: [0.2, -1, 1, 1, -0.7, 0])

    /// Network m's NNGP (1/O) Σ_a f_a f_aᵀ and traced NTK, here from the full Jacobian contraction
    /// (`kernelByJacobian`, not the per-layer Gram path the estimator uses) of a network built from stream m.
    @Test func eachSampleIsItsNetworksEmpiricalKernel() throws {
        let net = try NetworkSpec.parse("Dense(16, W_std=1.4, b_std=0.2) Tanh Dense(12, W_std=1.3, b_std=0.1) Relu Dense(3, W_std=1.2)")
        let mc = try MonteCarloKernel(architecture: net, x1: Self.points, x2: Self.others, samples: 5, seed: 7)
        for m in [0, 4] {
            var rng = RandomStream(seed: 7, stream: UInt64(m))
            let e = EmpiricalNTK(try Network(net, inputWidth: 2, using: &rng))
            let full = e.kernelByJacobian(Self.points, Self.others)      // [4, 3, 3, 3]
            let f1 = e.outputs(Self.points), f2 = e.outputs(Self.others)
            let (k, t) = try mc.empiricalKernels(m)
            for p in 0..<4 { for q in 0..<3 {
                let nngp = (0..<3).reduce(0.0) { $0 + f1[p, $1] * f2[q, $1] } / 3
                let ntk = (0..<3).reduce(0.0) { $0 + full.data[((p * 3 + q) * 3 + $1) * 3 + $1] } / 3
                #expect(abs(k[p * 3 + q] - nngp) <= 1e-14 * max(1, abs(nngp)))
                #expect(abs(t[p * 3 + q] - ntk) <= 1e-12 * max(1, abs(ntk)), "\(t[p * 3 + q]) vs \(ntk)")
            } }
        }
    }

    /// The estimate is the sample mean and √(s²/M) of the per-network kernels, computed here directly.
    @Test func meanAndStandardErrorAreTheSampleStatistics() throws {
        let net = try NetworkSpec.parse("Dense(8, W_std=1.5, b_std=0.1) Erf Dense(2)")
        let M = 37
        let mc = try MonteCarloKernel(architecture: net, x1: Self.points, samples: M, seed: 3, blockSize: 5)
        let e = mc.estimate(mc.accumulate(threads: 2))
        #expect(e.samples == M)
        let all = try (0..<M).map { try mc.empiricalKernels($0) }
        for i in 0..<16 {
            for (values, mean, se) in [(all.map { $0.nngp[i] }, e.nngp.data[i], e.nngpStandardError.data[i]),
                                       (all.map { $0.ntk[i] }, e.ntk.data[i], e.ntkStandardError.data[i])] {
                let m = values.reduce(0, +) / Double(M)
                let s = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(M - 1) / Double(M)).squareRoot()
                #expect(abs(mean - m) <= 1e-13 * max(1, abs(m)))
                #expect(abs(se - s) <= 1e-9 * s, "\(se) vs \(s)")
            }
        }
    }

    /// For one hidden layer the finite-width mean is the infinite-width kernel exactly (every term of K̂ and Θ̂ is an
    /// average over the N i.i.d. neurons of a quantity whose mean the kernel map gives), so the Monte Carlo
    /// estimate must agree within its standard errors: 4.5 s.e. over the 2 × 10 entries (p ≈ 10⁻⁴ for a false
    /// alarm), M = 3000 networks of width 32.
    @Test func oneHiddenLayerIsUnbiased() throws {
        let net = try NetworkSpec.parse("Dense(32, W_std=1.5, b_std=0.3) Erf Dense(1, W_std=1.2, b_std=0.2)")
        let mc = try MonteCarloKernel(architecture: net, x1: Self.points, samples: 3000, seed: 11, blockSize: 64)
        let e = mc.estimate(mc.accumulate())
        let k = try net.kernels(Self.points)
        for p in 0..<4 { for q in p..<4 {
            let i = p * 4 + q
            #expect(abs(e.nngp.data[i] - k.nngp[i]) < 4.5 * e.nngpStandardError.data[i], "NNGP (\(p),\(q)): \(e.nngp.data[i]) vs \(k.nngp[i]) ± \(e.nngpStandardError.data[i])")
            #expect(abs(e.ntk.data[i] - k.ntk[i]) < 4.5 * e.ntkStandardError.data[i], "NTK (\(p),\(q)): \(e.ntk.data[i]) vs \(k.ntk[i]) ± \(e.ntkStandardError.data[i])")
            #expect(e.ntkStandardError.data[i] < 0.05 * abs(k.ntk[i]) + 1e-3, "too noisy to test")
        } }
    }

    /// Threads, shards (merged in any order) and blocks added in pieces give the same bits as one pass.
    @Test func sameBitsForThreadsShardsAndPieces() throws {
        let net = try NetworkSpec.parse("Dense(24, W_std=1.4, b_std=0.1) Relu Dense(24, W_std=1.4) Relu Dense(2)")
        let mc = try MonteCarloKernel(architecture: net, x1: Self.points, x2: Self.others, samples: 45, seed: 5, blockSize: 4)
        let whole = mc.accumulate(threads: 1)
        #expect(mc.accumulate(threads: 3) == whole)
        var merged: BlockSumTree?
        for s in [2, 0, 1] {
            let t = mc.accumulate(items: mc.plan.workItems(shard: s, of: 3), threads: 2)
            if merged == nil { merged = t } else { merged!.merge(t) }
        }
        let a = mc.estimate(whole), b = mc.estimate(merged!)
        #expect(a.nngp.data == b.nngp.data && a.ntk.data == b.ntk.data && a.ntkStandardError.data == b.ntkStandardError.data)
        let items = mc.plan.workItems
        let half = mc.accumulate(items: items[..<5], threads: 2)
        let c = mc.estimate(mc.accumulate(into: half, threads: 2))
        #expect(c.ntk.data == a.ntk.data && c.nngpStandardError.data == a.nngpStandardError.data)
    }

    /// A combining run that saved the merged sums but died before deleting the shards' files: the next --resume
    /// passes over the covered shard files (no "overlap" error, nothing counted twice) and ends with the whole run's
    /// bits.
    @Test func resumeAfterAnInterruptedMergeCountsEachNetworkOnce() throws {
        let net = try NetworkSpec.parse("Dense(12, W_std=1.4, b_std=0.1) Erf Dense(1)")
        let mc = try MonteCarloKernel(architecture: net, x1: Self.points, samples: 30, seed: 8, blockSize: 3)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mc-\(UUID().uuidString)/checkpoints")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        var merged: BlockSumTree?
        for s in 0..<2 {
            var run = MonteCarloKernelRun(kernel: mc, checkpoints: dir)
            run.shard = (s, 2)
            #expect(try run.run() == nil)
            let t = try #require(try run.checkpoint(named: run.ownName).load())
            if merged == nil { merged = t } else { merged!.merge(t) }
        }
        try MonteCarloKernelRun(kernel: mc, checkpoints: dir).checkpoint(named: "montecarlo.json").save(merged!)
        var resumed = MonteCarloKernelRun(kernel: mc, checkpoints: dir)
        resumed.resume = true
        let e = try #require(try resumed.run())
        let whole = mc.estimate(mc.accumulate(threads: 1))
        #expect(e.samples == 30 && e.ntk.data == whole.ntk.data && e.nngpStandardError.data == whole.nngpStandardError.data)
        #expect(!FileManager.default.fileExists(atPath: dir.path), "checkpoints left behind")
    }

    /// Bad settings are one-line input errors.
    @Test func badSettingsAreRefused() throws {
        let net = try NetworkSpec.parse("Dense(8) Relu Dense(1)")
        #expect(throws: InputError.self) { try MonteCarloKernel(architecture: net, x1: Self.points, samples: 0, seed: 1) }
        #expect(throws: InputError.self) { try MonteCarloKernel(architecture: net, x1: Self.points, x2: Matrix(rows: 1, cols: 3), samples: 2, seed: 1) }
        #expect(throws: InputError.self) { try MonteCarloKernel(architecture: try NetworkSpec.parse("Relu"), x1: Self.points, samples: 2, seed: 1) }
    }
}

import Ensembles
import Foundation
import Networks
import NumericCore

/// Monte Carlo NNGP and NTK of a finite architecture: the average over M independently initialised networks of
/// their empirical kernels (neural-tangents' `monte_carlo_kernel_fn` with its default `trace_axes=(-1,)`),
///
///   K̂(x, x') = (1/M) Σ_m (1/O) Σ_a f_a(x; θ_m) f_a(x'; θ_m),
///   Θ̂(x, x') = (1/M) Σ_m (1/O) Σ_a Σ_I ∂_I f_a(x; θ_m) ∂_I f_a(x'; θ_m),
///
/// with the standard error of each entry from the sample variance over the M networks, √(s²/M). As M → ∞ and the
/// widths grow these tend to the analytic kernels (`Serial.kernels`); with one hidden layer both finite-width means
/// are the analytic kernels exactly, deeper networks differ by O(1/N).
///
/// Network m draws its parameters from `RandomStream(seed: seed, stream: m)` (`EnsemblePlan`): its kernels are the
/// same bits whichever thread, shard or resumed run evaluates it, and the sums combine through `BlockSumTree`.
public struct MonteCarloKernel: Sendable {
    /// The architecture, at the widths its SPEC gives.
    public let architecture: Serial
    /// x₁ [P₁, d] and x₂ [P₂, d] (x₂ = x₁ when nil), one flattened point per row.
    public let x1: Matrix
    public let x2: Matrix?
    /// The shape of one point (a vector of width d unless given).
    public let inputShape: TensorShape
    /// M networks in blocks; `plan.seed` keys the parameters.
    public let plan: EnsemblePlan
    /// Network 0's kernels: the sums are of the differences from them (a shifted sum of squares keeps the variance
    /// of entries whose spread is tiny against their mean free of cancellation).
    private(set) var reference: (nngp: [Double], ntk: [Double])

    /// - Parameters: samples M ≥ 1 networks, keyed by `seed`; blockSize networks per unit of work.
    public init(architecture: Serial, x1: Matrix, x2: Matrix? = nil, inputShape: TensorShape? = nil, samples: Int, seed: UInt64,
                blockSize: Int = 8) throws {
        guard samples >= 1 else { throw InputError("\(samples) samples, expected at least 1") }
        if let b = x2, b.cols != x1.cols { throw InputError("x2 of dimension \(b.cols), expected \(x1.cols) (x1's)") }
        let shape = inputShape ?? .vector(x1.cols)
        guard shape.size == x1.cols else { throw InputError("points of \(x1.cols) values, expected \(shape.size) for shape \(shape)") }
        guard try ParameterLayout(architecture, inputShape: shape).count > 0 else {
            throw InputError("'\(architecture.description)' has no parameters, expected at least one Dense or Conv layer")
        }
        self.architecture = architecture; self.x1 = x1; self.x2 = x2; self.inputShape = shape
        plan = EnsemblePlan(networks: samples, chunks: 1, blockSize: blockSize, seed: seed)
        reference = ([], [])
        // Network 0 builds on inputs of this width (then every network does); its kernels are the shift.
        reference = try empiricalKernels(0)
    }

    /// P₁·P₂ entries per kernel.
    public var entryCount: Int { x1.rows * (x2 ?? x1).rows }
    /// Values summed per network: with d = K̂ − K̂₀ and e = Θ̂ − Θ̂₀ (network 0's), d, e, d², e² entry by entry.
    public var valueCount: Int { 4 * entryCount }

    /// Network m of the ensemble.
    public func network(_ m: Int) throws -> Network {
        var rng = RandomStream(seed: plan.seed, stream: UInt64(m))
        return try Network(architecture, inputShape: inputShape, using: &rng)
    }

    /// The traced empirical NNGP and NTK of network m, each [P₁·P₂] row-major.
    public func empiricalKernels(_ m: Int) throws -> (nngp: [Double], ntk: [Double]) {
        let e = EmpiricalNTK(try network(m))
        let (ntk, f1, f2) = try e.kernelAndOutputs(x1, x2, trace: true)
        let nngp = Matrix.multiply(f1, f2 ?? f1, transposeB: true, alpha: 1 / Double(f1.cols))
        return (nngp.data, ntk.data)
    }

    /// Σ over the item's networks of (d, e, d², e²), in network order.
    func blockSums(_ item: EnsemblePlan.WorkItem) -> [Double] {
        let E = entryCount
        var s = [Double](repeating: 0, count: 4 * E)
        for m in item.start..<(item.start + item.count) {
            // The architecture and points were validated at init: a network always builds.
            let (k, t) = try! empiricalKernels(m)
            for e in 0..<E {
                let d = k[e] - reference.nngp[e], f = t[e] - reference.ntk[e]
                s[e] += d; s[E + e] += f
                s[2 * E + e] += d * d; s[3 * E + e] += f * f
            }
        }
        return s
    }

    /// Adds the work items (all, or one shard's: `EnsemblePlan.workItems(shard:of:)`) not yet in `existing`.
    public func accumulate(items: ArraySlice<EnsemblePlan.WorkItem>? = nil, into existing: BlockSumTree? = nil,
                           threads: Int = activeCores,
                           progress: (@Sendable (Int, Int) -> Void)? = nil) -> BlockSumTree {
        EnsembleRunner.accumulate(plan: plan, valueCount: valueCount, items: items, into: existing, threads: threads,
                                  progress: progress) { blockSums($0) }
    }

    /// Means and standard errors [P₁, P₂] from the sums of `tree` (all M networks, or as many as it holds).
    public struct Estimate: Sendable {
        public var samples: Int
        public var nngp: NDArray<Double>, ntk: NDArray<Double>
        /// √(s²/M) per entry, s² the unbiased sample variance (NaN for M = 1).
        public var nngpStandardError: NDArray<Double>, ntkStandardError: NDArray<Double>
    }

    /// The estimate of the networks summed in `tree`.
    public func estimate(_ tree: BlockSumTree) -> Estimate {
        let (count, s) = tree.chunkTotals().reduce((0, [Double](repeating: 0, count: valueCount))) { acc, t in
            (acc.0 + t.count, zip(acc.1, t.sums).map(+))
        }
        let E = entryCount, M = Double(count)
        let shape = [x1.rows, (x2 ?? x1).rows]
        // mean = r + Σd/M, s² = (Σd² − (Σd)²/M)/(M − 1) with d = x − r.
        func mean(_ o: Int, _ r: [Double]) -> [Double] { (0..<E).map { r[$0] + s[o + $0] / M } }
        func standardError(_ o: Int, _ sq: Int) -> [Double] {
            (0..<E).map { e in
                guard count > 1 else { return .nan }
                let variance = max(0, (s[sq + e] - s[o + e] * s[o + e] / M) / (M - 1))
                return (variance / M).squareRoot()
            }
        }
        return Estimate(samples: count, nngp: NDArray(shape: shape, data: mean(0, reference.nngp)),
                        ntk: NDArray(shape: shape, data: mean(E, reference.ntk)),
                        nngpStandardError: NDArray(shape: shape, data: standardError(0, 2 * E)),
                        ntkStandardError: NDArray(shape: shape, data: standardError(E, 3 * E)))
    }

    /// The settings the sums depend on (checkpoint fingerprint).
    public var fingerprint: String {
        "ntk montecarlo v2 \(architecture.description) samples=\(plan.networks) block=\(plan.blockSize) seed=\(plan.seed) "
            + "x1=\(x1.exactDescription) x2=\(x2?.exactDescription ?? "x1")" + (inputShape.spatial.isEmpty ? "" : " shape=\(inputShape)")
    }
}

/// Runs a `MonteCarloKernel` with checkpoints in a directory: all networks, or shard i of S (`--shard`), saved after
/// the first batch, then at most every `checkpointInterval` seconds, at a stop and at the end (a whole run's file
/// is removed once its outputs are written); `resume` continues from the saved sums — a
/// whole run from its own file and every shard's (merged, then kept as one file), a shard from its own.
public struct MonteCarloKernelRun {
    public let kernel: MonteCarloKernel
    /// DIR/checkpoints.
    public let checkpoints: URL
    public var resume = false
    /// 0-based shard index and count.
    public var shard: (index: Int, count: Int)? = nil
    public var threads = activeCores
    public var checkpointInterval = 10.0
    public var progress: (String) -> Void = { _ in }
    /// Polled after every batch of blocks: a signal number saves the sums and throws `StopRequest.Interrupted`.
    public var stop: () -> Int32? = { nil }

    public init(kernel: MonteCarloKernel, checkpoints: URL) { self.kernel = kernel; self.checkpoints = checkpoints }

    static let prefix = "montecarlo"
    func checkpoint(named name: String) -> RunCheckpoint<BlockSumTree> {
        RunCheckpoint(url: checkpoints.appendingPathComponent(name), fingerprint: kernel.fingerprint, command: "ntk montecarlo")
    }
    var ownName: String { shard.map { "\(Self.prefix).shard-\($0.index + 1)-of-\($0.count).json" } ?? "\(Self.prefix).json" }

    /// The saved sums to continue from: a shard its own file; a whole run its own and every shard's, merged.
    func load() throws -> (tree: BlockSumTree?, shardFiles: [String]) {
        if shard != nil { return (try checkpoint(named: ownName).load(warn: progress), []) }
        // Every checkpoint of the run (a file whose newest generation is lost still has NAME.prev), the whole run's
        // own first: a shard file that a merge saved into it but could not delete (a crash in between) is covered
        // by it and passed over.
        let names = Set(((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? [])
            .filter { $0.hasPrefix(Self.prefix + ".") }
            .map { $0.hasSuffix(".prev") ? String($0.dropLast(5)) : $0 }
            .filter { $0.hasSuffix(".json") })
        let ordered = names.sorted { ($0 == ownName ? 0 : 1, $0) < ($1 == ownName ? 0 : 1, $1) }
        var tree: BlockSumTree?
        for name in ordered {
            guard let t = try checkpoint(named: name).load(warn: progress) else { continue }
            if let m = tree, m.overlaps(t) {
                if t.isCovered(by: m) { continue }
                throw InputError("checkpoint \(checkpoints.path)/\(name) overlaps another one of this run, expected disjoint shards (remove the duplicate)")
            }
            tree = tree.map { var m = $0; m.merge(t); return m } ?? t
        }
        return (tree, ordered.filter { $0 != ownName })
    }

    /// The estimate over all M networks, or nil for a shard (its checkpoint written).
    public func run() throws -> MonteCarloKernel.Estimate? {
        let plan = kernel.plan
        var tree: BlockSumTree? = nil
        if resume {
            let (t, shardFiles) = try load()
            tree = t
            if let t {
                progress("ntk montecarlo: resuming, \(t.chunkTotals().reduce(0) { $0 + $1.count }) networks taken from the checkpoints")
                if !shardFiles.isEmpty {
                    // The merged sums replace the shards' files, so that a later resume cannot count them twice.
                    try checkpoint(named: ownName).save(t)
                    for f in shardFiles {
                        for u in [checkpoints.appendingPathComponent(f), AtomicFile.previousGeneration(of: checkpoints.appendingPathComponent(f))] {
                            try? FileManager.default.removeItem(at: u)
                        }
                    }
                }
            }
        }
        let items = shard.map { plan.workItems(shard: $0.index, of: $0.count) } ?? plan.workItems[...]
        let remaining = items.filter { tree?.contains($0) != true }
        let total = remaining.reduce(0) { $0 + $1.count }
        let start = Date()
        var lastSave = Date.distantPast, lastLog = Date.distantPast, done = 0     // the first batch is saved at once
        let batch = max(threads * 2, remaining.count / 50 + 1)
        for lo in stride(from: 0, to: remaining.count, by: batch) {
            let slice = remaining[lo..<min(lo + batch, remaining.count)]
            tree = kernel.accumulate(items: slice, into: tree ?? BlockSumTree(valueCount: kernel.valueCount, chunkCount: plan.chunks), threads: threads)
            done += slice.reduce(0) { $0 + $1.count }
            let now = Date()
            if now.timeIntervalSince(lastLog) > 1 || done == total {
                let t = now.timeIntervalSince(start)
                progress(String(format: "ntk montecarlo: %ld/%ld networks (%.0f%%), %.1f s elapsed, ETA %.1f s",
                                done, total, 100 * Double(done) / Double(max(total, 1)), t, t / Double(done) * Double(total - done)))
                lastLog = now
            }
            if done < total, let sig = stop() {
                try checkpoint(named: ownName).save(tree!)
                throw StopRequest.Interrupted(signal: sig, detail: "after \(done) of \(total) networks; the checkpoint is in \(checkpoints.path): rerun with --resume to continue")
            }
            if done < total, now.timeIntervalSince(lastSave) > checkpointInterval {
                try checkpoint(named: ownName).save(tree!)
                lastSave = now
            }
        }
        let final = tree ?? BlockSumTree(valueCount: kernel.valueCount, chunkCount: plan.chunks)
        if let s = shard {
            try checkpoint(named: ownName).save(final)
            progress("ntk montecarlo: shard \(s.index + 1) of \(s.count) done (\(checkpoints.path)/\(ownName)); when every shard is done, rerun with --resume and without --shard to combine them")
            return nil
        }
        let estimate = kernel.estimate(final)
        guard estimate.samples == plan.networks else {
            throw InputError("the checkpoints hold \(estimate.samples) of \(plan.networks) networks, expected all of them")
        }
        // Complete: the sums are in the outputs now.
        let own = checkpoints.appendingPathComponent(ownName)
        try? FileManager.default.removeItem(at: own)
        try? FileManager.default.removeItem(at: AtomicFile.previousGeneration(of: own))
        if (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path))?.isEmpty == true {
            try? FileManager.default.removeItem(at: checkpoints)
        }
        return estimate
    }
}

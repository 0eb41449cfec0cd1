import Foundation
import NumericCore

/// How an ensemble of M networks is laid out: K chunks of consecutive network indices (chunk k holds
/// M/K networks, the first M mod K chunks one more), each split into blocks of `blockSize` networks.
///
/// Network m draws its parameters from `RandomStream(seed: seed, stream: m)`, so network m is the same
/// whichever thread or shard evaluates it.
public struct EnsemblePlan: Sendable, Codable, Equatable {
    /// Networks M in the ensemble.
    public let networks: Int
    /// Chunks K.
    public let chunks: Int
    /// Networks per block.
    public let blockSize: Int
    /// Key of the generator; network m uses stream m.
    public let seed: UInt64

    /// A plan of M ≥ 0 networks in K ≥ 1 chunks of blocks of `blockSize` ≥ 1.
    public init(networks: Int, chunks: Int, blockSize: Int = 256, seed: UInt64) {
        precondition(networks >= 0 && chunks >= 1 && blockSize >= 1)
        self.networks = networks
        self.chunks = chunks
        self.blockSize = blockSize
        self.seed = seed
    }

    /// One unit of work: networks [start, start+count) forming block `block` of chunk `chunk`.
    public struct WorkItem: Sendable, Equatable {
        /// Chunk index k.
        public let chunk: Int
        /// Block index within the chunk.
        public let block: Int
        /// First network index.
        public let start: Int
        /// Number of networks in the block.
        public let count: Int
    }

    /// Network indices of chunk k: M/K each, the first M mod K chunks one more.
    public func chunkRange(_ k: Int) -> Range<Int> {
        let base = networks / chunks, extra = networks % chunks
        let lo = k * base + min(k, extra)
        return lo..<(lo + base + (k < extra ? 1 : 0))
    }

    /// All work items in canonical order (chunk, then block).
    public var workItems: [WorkItem] {
        var items: [WorkItem] = []
        for k in 0..<chunks {
            let r = chunkRange(k)
            var s = r.lowerBound, b = 0
            while s < r.upperBound {
                let n = min(blockSize, r.upperBound - s)
                items.append(WorkItem(chunk: k, block: b, start: s, count: n))
                s += n; b += 1
            }
        }
        return items
    }

    /// The work items of shard `index` of `count`: a contiguous slice of `workItems`.
    public func workItems(shard index: Int, of count: Int) -> ArraySlice<WorkItem> {
        precondition(count >= 1 && index >= 0 && index < count, "shard \(index) of \(count)")
        let all = workItems
        return all[(all.count * index / count)..<(all.count * (index + 1) / count)]
    }
}

/// Evaluates ensembles block by block and accumulates their correlator sums.
public enum EnsembleRunner {
    /// Sums of multiset products for networks [item.start, item.start+item.count), each field evaluated at
    /// the P points. Values are ordered by order n = 1…maxOrder, then lexicographic multiset.
    ///
    /// Products are formed depth-first over the multiset trie (prefix i₁ ≤ … ≤ i_k), vectorised over the
    /// block's networks, so each of the Σ_n C(P+n−1, n) products costs one multiply and one add per network.
    public static func blockSums<E: NetworkEnsemble>(_ ensemble: E, points: Matrix, maxOrder: Int, seed: UInt64,
                                                      start: Int, count: Int, valueCount: Int) -> [Double] {
        let P = points.rows, B = count
        var sums = [Double](repeating: 0, count: valueCount)
        // fields[p * B + t] = φ_t(x_p); prefix[k * B + t] = Π of the first k+1 factors.
        var fields = [Double](repeating: 0, count: P * B)
        var prefix = [Double](repeating: 0, count: max(maxOrder, 1) * B)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: P) { f in
            for t in 0..<B {
                var rng = RandomStream(seed: seed, stream: UInt64(start + t))
                ensemble.sampleField(using: &rng, at: points, into: f)
                for p in 0..<P { fields[p * B + t] = f[p] }
            }
        }
        var orderOffsets = [Int](repeating: 0, count: maxOrder + 1)
        var total = 0
        for n in 1...maxOrder { orderOffsets[n] = total; total += Multisets.count(pointCount: P, order: n) }
        var counters = [Int](repeating: 0, count: maxOrder + 1)
        fields.withUnsafeBufferPointer { F in
            prefix.withUnsafeMutableBufferPointer { Q in
                sums.withUnsafeMutableBufferPointer { S in
                    func visit(depth k: Int, from i0: Int) {
                        for i in i0..<P {
                            var s = 0.0
                            if k == 0 {
                                for t in 0..<B { let v = F[i * B + t]; Q[t] = v; s += v }
                            } else {
                                let prev = (k - 1) * B, cur = k * B
                                for t in 0..<B { let v = Q[prev + t] * F[i * B + t]; Q[cur + t] = v; s += v }
                            }
                            let n = k + 1
                            S[orderOffsets[n] + counters[n]] = s
                            counters[n] += 1
                            if n < maxOrder { visit(depth: k + 1, from: i) }
                        }
                    }
                    visit(depth: 0, from: 0)
                }
            }
        }
        return sums
    }

    /// Runs the work items (all of them, or one shard's) on `threads` threads and returns their accumulator.
    /// `progress(done, total)` is called after each block, from worker threads, serialised.
    public static func accumulate<E: NetworkEnsemble>(
        _ ensemble: E, points: Matrix, maxOrder: Int, plan: EnsemblePlan,
        items: ArraySlice<EnsemblePlan.WorkItem>? = nil, into existing: CorrelatorAccumulator? = nil,
        threads: Int = activeCores,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) -> CorrelatorAccumulator {
        let start = existing ?? CorrelatorAccumulator(pointCount: points.rows, maxOrder: maxOrder, chunkCount: plan.chunks)
        let valueCount = start.valueCount
        let tree = accumulate(plan: plan, valueCount: valueCount, items: items, into: start.tree, threads: threads, progress: progress) { item in
            blockSums(ensemble, points: points, maxOrder: maxOrder, seed: plan.seed, start: item.start, count: item.count, valueCount: valueCount)
        }
        return CorrelatorAccumulator(pointCount: points.rows, maxOrder: maxOrder, tree: tree)
    }
}

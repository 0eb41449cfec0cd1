import Foundation
import NumericCore

/// Streaming sums Σ_θ φ_θ(x_{i₁})…φ_θ(x_{iₙ}) over an ensemble, for every index multiset and every
/// order n = 1…maxOrder, kept separately for each of K chunks of the ensemble: a `BlockSumTree` of the
/// multiset products (deterministic whatever the threads or shards), with the multiset layout.
public struct CorrelatorAccumulator: Sendable, Codable, Equatable {
    /// Number P of points x_i.
    public let pointCount: Int
    /// Highest order n of the products accumulated (all orders 1…maxOrder are kept).
    public let maxOrder: Int
    /// Offsets of each order's multisets in the value vector (index n−1).
    public let orderOffsets: [Int]
    /// The sums, Σ_{n=1}^{maxOrder} C(P+n−1, n) values per network.
    public private(set) var tree: BlockSumTree

    /// Number K of chunks, each summed separately.
    public var chunkCount: Int { tree.chunkCount }
    /// Number of values per block: Σ_{n=1}^{maxOrder} C(P+n−1, n).
    public var valueCount: Int { tree.valueCount }
    /// Blocks added per chunk (for progress and checkpoints).
    public var blocksDone: [Set<Int>] { tree.blocksDone }

    /// An empty accumulator for P points, orders 1…maxOrder and K chunks.
    public init(pointCount: Int, maxOrder: Int, chunkCount: Int) {
        self.pointCount = pointCount
        self.maxOrder = maxOrder
        var offs: [Int] = [], total = 0
        for n in 1...max(1, maxOrder) { offs.append(total); total += Multisets.count(pointCount: pointCount, order: n) }
        orderOffsets = offs
        tree = BlockSumTree(valueCount: total, chunkCount: chunkCount)
    }

    /// The accumulator of P points and orders 1…maxOrder whose sums `tree` holds.
    init(pointCount: Int, maxOrder: Int, tree: BlockSumTree) {
        self.init(pointCount: pointCount, maxOrder: maxOrder, chunkCount: tree.chunkCount)
        precondition(tree.valueCount == valueCount, "CorrelatorAccumulator: \(tree.valueCount) sums, expected \(valueCount)")
        self.tree = tree
    }

    // The checkpoint format predates BlockSumTree: the tree's fields sit beside the multiset layout.
    enum CodingKeys: String, CodingKey { case pointCount, maxOrder, chunkCount, valueCount, orderOffsets, trees, blocksDone }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pointCount = try c.decode(Int.self, forKey: .pointCount)
        maxOrder = try c.decode(Int.self, forKey: .maxOrder)
        orderOffsets = try c.decode([Int].self, forKey: .orderOffsets)
        tree = BlockSumTree(valueCount: try c.decode(Int.self, forKey: .valueCount), chunkCount: try c.decode(Int.self, forKey: .chunkCount),
                            trees: try c.decode([[[Int: BlockSumTree.Node]]].self, forKey: .trees),
                            blocksDone: try c.decode([Set<Int>].self, forKey: .blocksDone))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pointCount, forKey: .pointCount); try c.encode(maxOrder, forKey: .maxOrder)
        try c.encode(chunkCount, forKey: .chunkCount); try c.encode(valueCount, forKey: .valueCount)
        try c.encode(orderOffsets, forKey: .orderOffsets); try c.encode(tree.trees, forKey: .trees)
        try c.encode(tree.blocksDone, forKey: .blocksDone)
    }

    /// Adds the sums of one block (`count` networks) at `block` within `chunk`.
    public mutating func add(chunk: Int, block: Int, count: Int, sums: [Double]) {
        tree.add(chunk: chunk, block: block, count: count, sums: sums)
    }

    /// Combines another accumulator over disjoint blocks of the same ensemble (a shard) into this one.
    public mutating func merge(_ other: CorrelatorAccumulator) {
        precondition(other.pointCount == pointCount && other.maxOrder == maxOrder, "CorrelatorAccumulator.merge: incompatible accumulators")
        tree.merge(other.tree)
    }

    /// Per-chunk totals (network count, sums) in the tree's canonical order.
    public func chunkTotals() -> [(count: Int, sums: [Double])] { tree.chunkTotals() }

    /// Ensemble estimates: per order n, the mean over all networks of each multiset product, its
    /// standard error (standard deviation of the K chunk means / √K; NaN for K = 1), and the chunk means.
    public func estimates() -> CorrelatorEstimates {
        let totals = chunkTotals()
        let n = totals.reduce(0) { $0 + $1.count }
        var mean = [Double](repeating: 0, count: valueCount)
        var chunkMeans: [[Double]] = []
        for t in totals {
            for k in 0..<valueCount { mean[k] += t.sums[k] }
            chunkMeans.append(t.sums.map { $0 / Double(max(t.count, 1)) })
        }
        mean = mean.map { $0 / Double(max(n, 1)) }
        var stderr = [Double](repeating: .nan, count: valueCount)
        let K = totals.filter { $0.count > 0 }.count
        if K > 1 {
            for k in 0..<valueCount {
                let used = zip(totals, chunkMeans).filter { $0.0.count > 0 }.map { $0.1[k] }
                let m = used.reduce(0, +) / Double(K)
                let v = used.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(K - 1)
                stderr[k] = (v / Double(K)).squareRoot()
            }
        }
        func split(_ v: [Double]) -> [Int: [Double]] {
            var out: [Int: [Double]] = [:]
            for order in 1...maxOrder {
                let lo = orderOffsets[order - 1]
                out[order] = Array(v[lo..<(lo + Multisets.count(pointCount: pointCount, order: order))])
            }
            return out
        }
        return CorrelatorEstimates(pointCount: pointCount, networkCount: n, mean: split(mean), standardError: split(stderr),
                                   chunkMeans: chunkMeans.map(split))
    }
}

/// Monte Carlo correlators G⁽ⁿ⁾ per multiset (lexicographic order of `Multisets`), keyed by order n.
public struct CorrelatorEstimates: Sendable {
    /// Number P of points.
    public let pointCount: Int
    /// Networks M summed over all chunks.
    public let networkCount: Int
    /// Per order n: (1/M) Σ_θ φ_θ(x_{i₁})…φ_θ(x_{iₙ}) for every multiset i₁ ≤ … ≤ iₙ.
    public let mean: [Int: [Double]]
    /// Per order n: the standard deviation of the K chunk means over √K (NaN for K = 1).
    public let standardError: [Int: [Double]]
    /// Per chunk, per order n: the chunk's mean of each multiset product.
    public let chunkMeans: [[Int: [Double]]]
}

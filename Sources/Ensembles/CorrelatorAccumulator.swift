import Foundation
import NumericCore

/// Streaming sums Σ_θ φ_θ(x_{i₁})…φ_θ(x_{iₙ}) over an ensemble, for every index multiset and every
/// order n = 1…maxOrder, kept separately for each of K chunks of the ensemble.
///
/// Determinism: networks are grouped into blocks of `blockSize` consecutive networks inside a chunk;
/// a block's sums are formed in network order; blocks combine by a fixed binary tree over their index
/// (a node at level ℓ covers blocks [j·2^ℓ, (j+1)·2^ℓ)). Addition of two floating-point numbers is
/// commutative, so the final sums do not depend on the order in which blocks arrive — nor on the
/// number of threads, nor on how blocks are split into shards whose accumulators are `merge`d.
public struct CorrelatorAccumulator: Sendable, Codable, Equatable {
    /// Number P of points x_i.
    public let pointCount: Int
    /// Highest order n of the products accumulated (all orders 1…maxOrder are kept).
    public let maxOrder: Int
    /// Number K of chunks, each summed separately.
    public let chunkCount: Int
    /// Number of values per block: Σ_{n=1}^{maxOrder} C(P+n−1, n).
    public let valueCount: Int
    /// Offsets of each order's multisets in the value vector (index n−1).
    public let orderOffsets: [Int]

    struct Node: Codable, Equatable, Sendable {
        var count: Int
        var sums: [Double]
    }
    /// Per chunk, per tree level, completed nodes keyed by their index at that level.
    var trees: [[[Int: Node]]]
    /// Blocks added per chunk (for progress and checkpoints).
    public private(set) var blocksDone: [Set<Int>]

    /// An empty accumulator for P points, orders 1…maxOrder and K chunks.
    public init(pointCount: Int, maxOrder: Int, chunkCount: Int) {
        self.pointCount = pointCount
        self.maxOrder = maxOrder
        self.chunkCount = chunkCount
        var offs: [Int] = [], total = 0
        for n in 1...max(1, maxOrder) { offs.append(total); total += Multisets.count(pointCount: pointCount, order: n) }
        orderOffsets = offs
        valueCount = total
        trees = Array(repeating: [], count: chunkCount)
        blocksDone = Array(repeating: [], count: chunkCount)
    }

    /// Adds the sums of one block (`count` networks) at `block` within `chunk`.
    public mutating func add(chunk: Int, block: Int, count: Int, sums: [Double]) {
        precondition(sums.count == valueCount, "CorrelatorAccumulator.add: \(sums.count) sums, expected \(valueCount)")
        precondition(!blocksDone[chunk].contains(block), "CorrelatorAccumulator.add: block \(block) of chunk \(chunk) added twice")
        blocksDone[chunk].insert(block)
        insert(chunk: chunk, level: 0, index: block, node: Node(count: count, sums: sums))
    }

    private mutating func insert(chunk: Int, level: Int, index: Int, node: Node) {
        var level = level, index = index, node = node
        while true {
            while trees[chunk].count <= level { trees[chunk].append([:]) }
            if let sibling = trees[chunk][level].removeValue(forKey: index ^ 1) {
                let (left, right) = index & 1 == 0 ? (node, sibling) : (sibling, node)
                var sums = left.sums
                for k in 0..<sums.count { sums[k] += right.sums[k] }
                node = Node(count: left.count + right.count, sums: sums)
                index >>= 1
                level += 1
            } else {
                trees[chunk][level][index] = node
                return
            }
        }
    }

    /// Combines another accumulator over disjoint blocks of the same ensemble (a shard) into this one.
    public mutating func merge(_ other: CorrelatorAccumulator) {
        precondition(other.pointCount == pointCount && other.maxOrder == maxOrder && other.chunkCount == chunkCount,
                     "CorrelatorAccumulator.merge: incompatible accumulators")
        for c in 0..<chunkCount {
            precondition(blocksDone[c].isDisjoint(with: other.blocksDone[c]), "CorrelatorAccumulator.merge: shards overlap")
            blocksDone[c].formUnion(other.blocksDone[c])
            for (level, nodes) in other.trees[c].enumerated() {
                for (index, node) in nodes.sorted(by: { $0.key < $1.key }) { insert(chunk: c, level: level, index: index, node: node) }
            }
        }
    }

    /// Per-chunk totals (network count, sums): remaining tree nodes combined from the highest level down,
    /// left to right — a canonical order.
    public func chunkTotals() -> [(count: Int, sums: [Double])] {
        (0..<chunkCount).map { c in
            var count = 0
            var sums = [Double](repeating: 0, count: valueCount)
            var nodes: [(start: Int, node: Node)] = []
            for (level, m) in trees[c].enumerated() { for (i, n) in m { nodes.append((i << level, n)) } }
            for (_, n) in nodes.sorted(by: { $0.start < $1.start }) {
                count += n.count
                for k in 0..<valueCount { sums[k] += n.sums[k] }
            }
            return (count, sums)
        }
    }

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

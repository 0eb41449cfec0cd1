import Foundation
import NumericCore

/// Streaming sums of a vector of values over the networks of an ensemble, kept separately for each of K chunks
/// (`EnsemblePlan`), combined in an order that does not depend on threads or shards.
///
/// Determinism: networks are grouped into blocks of `blockSize` consecutive networks inside a chunk; a block's sums
/// are formed in network order by whoever evaluates it; blocks combine by a fixed binary tree over their index
/// (a node at level ℓ covers blocks [j·2^ℓ, (j+1)·2^ℓ)). Addition of two floating-point numbers is commutative, so
/// the totals do not depend on the order in which blocks arrive — nor on the number of threads, nor on how blocks
/// are split into shards whose trees are `merge`d.
public struct BlockSumTree: Sendable, Codable, Equatable {
    /// Number of values summed per network.
    public let valueCount: Int
    /// Number K of chunks, each summed separately.
    public let chunkCount: Int

    struct Node: Codable, Equatable, Sendable {
        var count: Int
        var sums: [Double]
    }
    /// Per chunk, per tree level, completed nodes keyed by their index at that level.
    var trees: [[[Int: Node]]]
    /// Blocks added per chunk (for progress and checkpoints).
    public private(set) var blocksDone: [Set<Int>]

    /// An empty tree for `valueCount` values and K chunks.
    public init(valueCount: Int, chunkCount: Int) {
        self.valueCount = valueCount
        self.chunkCount = chunkCount
        trees = Array(repeating: [], count: chunkCount)
        blocksDone = Array(repeating: [], count: chunkCount)
    }

    init(valueCount: Int, chunkCount: Int, trees: [[[Int: Node]]], blocksDone: [Set<Int>]) {
        self.valueCount = valueCount; self.chunkCount = chunkCount; self.trees = trees; self.blocksDone = blocksDone
    }

    /// Blocks added over all chunks.
    public var blockCount: Int { blocksDone.reduce(0) { $0 + $1.count } }

    /// Whether the block `item` names has been added.
    public func contains(_ item: EnsemblePlan.WorkItem) -> Bool { blocksDone[item.chunk].contains(item.block) }

    /// Adds the sums of one block (`count` networks) at `block` within `chunk`.
    public mutating func add(chunk: Int, block: Int, count: Int, sums: [Double]) {
        precondition(sums.count == valueCount, "BlockSumTree.add: \(sums.count) sums, expected \(valueCount)")
        precondition(!blocksDone[chunk].contains(block), "BlockSumTree.add: block \(block) of chunk \(chunk) added twice")
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

    /// Whether `other` covers blocks this tree has too.
    public func overlaps(_ other: BlockSumTree) -> Bool {
        (0..<min(chunkCount, other.chunkCount)).contains { !blocksDone[$0].isDisjoint(with: other.blocksDone[$0]) }
    }

    /// Whether every block of this tree is in `other` too.
    public func isCovered(by other: BlockSumTree) -> Bool {
        chunkCount == other.chunkCount && (0..<chunkCount).allSatisfy { blocksDone[$0].isSubset(of: other.blocksDone[$0]) }
    }

    /// Combines another tree over disjoint blocks of the same ensemble (a shard) into this one.
    public mutating func merge(_ other: BlockSumTree) {
        precondition(other.valueCount == valueCount && other.chunkCount == chunkCount, "BlockSumTree.merge: incompatible trees")
        precondition(!overlaps(other), "BlockSumTree.merge: shards overlap")
        for c in 0..<chunkCount {
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
}

extension EnsembleRunner {
    /// Evaluates the work items (all of the plan's, or one shard's) on `threads` threads — `blockSums(item)` gives the
    /// summed values of the item's networks — and adds them to `existing` (blocks it holds are skipped).
    /// `progress(done, total)` is called after each block, from worker threads, serialised.
    public static func accumulate(plan: EnsemblePlan, valueCount: Int, items: ArraySlice<EnsemblePlan.WorkItem>? = nil,
                                  into existing: BlockSumTree? = nil,
                                  threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                  progress: (@Sendable (Int, Int) -> Void)? = nil,
                                  blockSums: @Sendable (EnsemblePlan.WorkItem) -> [Double]) -> BlockSumTree {
        let work = Array(items ?? plan.workItems[...])
        let state = LockedState(existing ?? BlockSumTree(valueCount: valueCount, chunkCount: plan.chunks))
        let pending = work.filter { !state.tree.contains($0) }
        let workers = max(1, min(threads, pending.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let item = state.next(pending) {
                let s = blockSums(item)
                let done = state.add(item, s)
                progress?(done, pending.count)
            }
        }
        return state.tree
    }
}

/// The shared state of a multithreaded run: a work cursor and the tree, behind one lock.
final class LockedState: @unchecked Sendable {
    private let lock = NSLock()
    private var cursor = 0
    private var done = 0
    private(set) var tree: BlockSumTree

    init(_ t: BlockSumTree) { tree = t }

    func next(_ items: [EnsemblePlan.WorkItem]) -> EnsemblePlan.WorkItem? {
        lock.lock(); defer { lock.unlock() }
        guard cursor < items.count else { return nil }
        cursor += 1
        return items[cursor - 1]
    }

    func add(_ item: EnsemblePlan.WorkItem, _ sums: [Double]) -> Int {
        lock.lock(); defer { lock.unlock() }
        tree.add(chunk: item.chunk, block: item.block, count: item.count, sums: sums)
        done += 1
        return done
    }
}

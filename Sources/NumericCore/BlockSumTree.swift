import Foundation

/// Streaming sums of a vector of values over the members of an ensemble (networks of an `EnsemblePlan`, blocks of points of
/// a T-operator), kept separately for each of K chunks, combined in an order that does not depend on threads or shards.
///
/// Determinism: members are grouped into blocks of consecutive members inside a chunk; a block's sums are formed in
/// member order by whoever evaluates it; blocks combine by a fixed binary tree over their index
/// (a node at level ℓ covers blocks [j·2^ℓ, (j+1)·2^ℓ)). Addition of two floating-point numbers is commutative, so
/// the totals do not depend on the order in which blocks arrive — nor on the number of threads, nor on how blocks
/// are split into shards or MPI ranks whose trees are `merge`d.
public struct BlockSumTree: Sendable, Codable, Equatable {
    /// Number of values summed per member.
    public let valueCount: Int
    /// Number K of chunks, each summed separately.
    public let chunkCount: Int

    public struct Node: Codable, Equatable, Sendable {
        public var count: Int
        public var sums: [Double]
    }
    /// Per chunk, per tree level, completed nodes keyed by their index at that level.
    public internal(set) var trees: [[[Int: Node]]]
    /// Blocks added per chunk (for progress and checkpoints).
    public private(set) var blocksDone: [Set<Int>]

    /// An empty tree for `valueCount` values and K chunks.
    public init(valueCount: Int, chunkCount: Int) {
        self.valueCount = valueCount
        self.chunkCount = chunkCount
        trees = Array(repeating: [], count: chunkCount)
        blocksDone = Array(repeating: [], count: chunkCount)
    }

    /// The tree of checkpointed nodes and blocks (as `trees` and `blocksDone` give them).
    public init(valueCount: Int, chunkCount: Int, trees: [[[Int: Node]]], blocksDone: [Set<Int>]) {
        self.valueCount = valueCount; self.chunkCount = chunkCount; self.trees = trees; self.blocksDone = blocksDone
    }

    /// Blocks added over all chunks.
    public var blockCount: Int { blocksDone.reduce(0) { $0 + $1.count } }

    /// Whether block `block` of chunk `chunk` has been added.
    public func contains(chunk: Int, block: Int) -> Bool { blocksDone[chunk].contains(block) }

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

extension BlockSumTree {
    /// The tree as the bytes ranks send each other (`ProcessGroup.mergeToRoot`): Int64 valueCount, chunkCount; per
    /// chunk its levels (count, then per level its nodes: count, then index, network count and the sums as raw Float64);
    /// per chunk its blocks done (count, indices). The sums keep their bits; far smaller and faster than JSON.
    public func packed() -> [UInt8] {
        var ints: [Int64] = [Int64(valueCount), Int64(chunkCount)]
        var out: [UInt8] = []
        func flush() { ints.withUnsafeBytes { out.append(contentsOf: $0) }; ints.removeAll(keepingCapacity: true) }
        for c in 0..<chunkCount {
            ints.append(Int64(trees[c].count))
            for level in trees[c] {
                ints.append(Int64(level.count))
                for (index, node) in level.sorted(by: { $0.key < $1.key }) {
                    ints += [Int64(index), Int64(node.count)]
                    flush()
                    node.sums.withUnsafeBytes { out.append(contentsOf: $0) }
                }
            }
        }
        for c in 0..<chunkCount { ints.append(Int64(blocksDone[c].count)); ints += blocksDone[c].sorted().map(Int64.init) }
        flush()
        return out
    }

    /// The tree `packed()` gave; nil when the bytes do not hold one.
    public init?(packed b: [UInt8]) {
        var at = 0
        func int() -> Int? {
            guard at + 8 <= b.count else { return nil }
            defer { at += 8 }
            return Int(b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: Int64.self) })
        }
        guard let values = int(), let chunks = int(), values >= 0, chunks >= 0, chunks < 1 << 32 else { return nil }
        var trees: [[[Int: Node]]] = [], done: [Set<Int>] = []
        for _ in 0..<chunks {
            guard let levels = int(), levels >= 0, levels <= 64 else { return nil }
            var chunk: [[Int: Node]] = []
            for _ in 0..<levels {
                guard let n = int(), n >= 0 else { return nil }
                var level: [Int: Node] = [:]
                for _ in 0..<n {
                    guard let index = int(), let count = int(), at + 8 * values <= b.count else { return nil }
                    let sums = [Double](unsafeUninitializedCapacity: values) { buf, k in
                        b.withUnsafeBytes { src in
                            UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[at..<(at + 8 * values)]))
                        }
                        k = values
                    }
                    at += 8 * values
                    level[index] = Node(count: count, sums: sums)
                }
                chunk.append(level)
            }
            trees.append(chunk)
        }
        for _ in 0..<chunks {
            guard let n = int(), n >= 0 else { return nil }
            var set = Set<Int>()
            for _ in 0..<n { guard let i = int() else { return nil }; set.insert(i) }
            done.append(set)
        }
        guard at == b.count else { return nil }
        self.init(valueCount: values, chunkCount: chunks, trees: trees, blocksDone: done)
    }
}


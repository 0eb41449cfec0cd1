import Foundation
import NumericCore

extension BlockSumTree {
    /// Whether the block `item` names has been added.
    public func contains(_ item: EnsemblePlan.WorkItem) -> Bool { contains(chunk: item.chunk, block: item.block) }
}

extension EnsembleRunner {
    /// Evaluates the work items (all of the plan's, or one shard's) on `threads` threads — `blockSums(item)` gives the
    /// summed values of the item's networks — and adds them to `existing` (blocks it holds are skipped).
    /// `progress(done, total)` is called after each block, from worker threads, serialised.
    public static func accumulate(plan: EnsemblePlan, valueCount: Int, items: ArraySlice<EnsemblePlan.WorkItem>? = nil,
                                  into existing: BlockSumTree? = nil,
                                  threads: Int = activeCores,
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

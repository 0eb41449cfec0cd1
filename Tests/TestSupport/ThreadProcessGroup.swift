import Foundation
import NumericCore

/// K ranks of a `ProcessGroup` played by K threads of one process, for testing the collectives and what is built on
/// them without MPI: `run(size:)` calls `body(rank)` on K threads and returns their results in rank order.
/// Messages go through one mailbox per (sender, receiver) pair, first in first out.
public final class ThreadProcessGroup: @unchecked Sendable {
    let size: Int
    let lock = NSCondition()
    var boxes: [[[[UInt8]]]]

    init(size: Int) {
        self.size = size
        boxes = Array(repeating: Array(repeating: [], count: size), count: size)
    }

    /// One rank's view of the group.
    public struct Rank: ProcessGroup {
        let shared: ThreadProcessGroup
        public let rank: Int
        public var size: Int { shared.size }
        public func send(_ bytes: [UInt8], to other: Int) {
            shared.lock.lock(); shared.boxes[rank][other].append(bytes); shared.lock.broadcast(); shared.lock.unlock()
        }
        public func receive(from other: Int) -> [UInt8] {
            shared.lock.lock(); defer { shared.lock.unlock() }
            while shared.boxes[other][rank].isEmpty { shared.lock.wait() }
            return shared.boxes[other][rank].removeFirst()
        }
        public func allGather(_ bytes: [UInt8]) -> [[UInt8]] {
            for r in 0..<size where r != rank { send(bytes, to: r) }
            return (0..<size).map { $0 == rank ? bytes : receive(from: $0) }
        }
        public func broadcast(_ bytes: [UInt8]) -> [UInt8] {
            if rank == 0 { for r in 1..<size { send(bytes, to: r) }; return bytes }
            return receive(from: 0)
        }
        public func abort(_ message: String, status: Int32) -> Never { fatalError("rank \(rank): \(message)") }
    }

    /// `body(rank)` on K threads, one per rank; the results in rank order.
    public static func run<T>(size: Int, _ body: @escaping @Sendable (Rank) -> T) -> [T] {
        let g = ThreadProcessGroup(size: size)
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: size)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        let done = DispatchGroup()
        for r in 0..<size {
            done.enter()
            let work = Thread { out[r] = body(Rank(shared: g, rank: r)); done.leave() }
            work.start()
        }
        done.wait()
        return results.map { $0! }
    }
}

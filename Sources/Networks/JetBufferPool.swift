import Foundation

/// Reusable large Float64 buffers for jet passes. A training step allocates arrays of the same sizes every time
/// (jets of every layer, their adjoints); taking them from this pool instead of the allocator avoids the page
/// faults and zero-filling of fresh large allocations, which otherwise cost as much as the arithmetic. Contents
/// of a taken buffer are unspecified. Holds at most `capacity` doubles in total; thread-safe.
public final class JetBufferPool: @unchecked Sendable {
    /// The process-wide pool.
    public static let shared = JetBufferPool(capacity: 1 << 26)

    private var free: [[Double]] = []
    private var held = 0
    private let capacity: Int
    private let lock = NSLock()

    init(capacity: Int) { self.capacity = capacity }

    /// An array of exactly `count` elements (recycled when one of that size is free).
    public func take(_ count: Int) -> [Double] {
        lock.lock()
        if let i = free.lastIndex(where: { $0.count == count }) {
            let a = free.remove(at: i)
            held -= count
            lock.unlock()
            return a
        }
        lock.unlock()
        return [Double](unsafeUninitializedCapacity: count) { _, n in n = count }
    }

    /// Returns an array to the pool (dropped when the pool is full or the array is small).
    public func give(_ a: [Double]) {
        guard a.count >= 4096 else { return }
        lock.lock()
        defer { lock.unlock() }
        if held + a.count > capacity {
            // Evict the oldest buffers to make room.
            while !free.isEmpty && held + a.count > capacity { held -= free.removeFirst().count }
            if held + a.count > capacity { return }
        }
        free.append(a)
        held += a.count
    }

    /// Returns several arrays to the pool.
    public func give(_ arrays: [[Double]]) { for a in arrays { give(a) } }
}

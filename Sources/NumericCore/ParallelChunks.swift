import Dispatch
import Foundation

/// The cores this process may use — Foundation's `activeProcessorCount` (CPU affinity and the cgroup's CPU quota),
/// read once per process (each read parses files under /sys): the default thread count of every parallel loop and
/// the `cores` of run summaries.
public let activeCores = ProcessInfo.processInfo.activeProcessorCount

/// Entries per chunk of an elementwise map over a large array run through `parallelChunks` (a nonlinearity, a bias):
/// a chunk is ≈ 30 µs of work against a few µs of thread hand-off, so below 2 × this one thread does the whole map.
public let elementwiseEntriesPerChunk = 1 << 15

/// Splits 0..<count into contiguous chunks of at least `minimum` elements — at most `threads` of them when given
/// (the caller's concurrency limit), else at most 4 per core — and runs `body` on them concurrently. The chunk
/// boundaries depend only on `count`, `minimum`, `threads` and the core count; callers whose results must not
/// depend on them write each element's result to its own place (no shared sums).
public func parallelChunks(_ count: Int, minimum: Int = 4096, threads: Int? = nil, _ body: (Range<Int>) -> Void) {
    let cores = activeCores
    let chunks = max(1, min(threads ?? 4 * cores, count / max(1, minimum)))
    if chunks == 1 { body(0..<count); return }
    nonisolated(unsafe) let work = body
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        work((c * count / chunks)..<((c + 1) * count / chunks))
    }
}

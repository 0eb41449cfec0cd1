import Dispatch
import Foundation

/// Splits 0..<count into contiguous chunks of at least `minimum` elements — at most `threads` of them when given
/// (the caller's concurrency limit), else at most 4 per core — and runs `body` on them concurrently. The chunk
/// boundaries depend only on `count`, `minimum`, `threads` and the core count; callers whose results must not
/// depend on them write each element's result to its own place (no shared sums).
public func parallelChunks(_ count: Int, minimum: Int = 4096, threads: Int? = nil, _ body: (Range<Int>) -> Void) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let chunks = max(1, min(threads ?? 4 * cores, count / max(1, minimum)))
    if chunks == 1 { body(0..<count); return }
    nonisolated(unsafe) let work = body
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        work((c * count / chunks)..<((c + 1) * count / chunks))
    }
}

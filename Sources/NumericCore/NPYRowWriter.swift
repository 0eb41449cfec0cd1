import Foundation

/// A float64 `.npy` array written row range by row range as its rows become final — in any order, from any
/// thread — and put in place atomically once every row is in (`AtomicFile.Pending`: a temporary beside the
/// destination, renamed over it). For arrays whose rows are ready before the whole array is (the row panels of a
/// kernel, `Serial.kernels(…, rowsReady:)`): writing overlaps the computation that fills the array, and each range
/// is scanned for non-finite values while it is still in cache.
///
/// A "row" is one index of the first axis: `shape[1…]` entries (one entry for a rank-1 array). As `NPY.write`, a
/// non-finite entry anywhere means nothing is put in place (`finish` throws `NonFiniteOutput` naming the first such
/// entry in C order and their number) unless `allowingNonFinite`.
public final class NPYRowWriter: @unchecked Sendable {
    /// The array's shape (outermost first).
    public let shape: [Int]
    /// The destination.
    public var url: URL { file.url }
    /// Entries per row: Π shape[1…].
    let rowLength: Int
    let file: AtomicFile.Pending
    let dataOffset: Int
    private let lock = NSLock()
    private var rowsWritten = 0
    private var firstNonFinite: (offset: Int, value: Double)? = nil
    private var nonFiniteCount = 0
    private var failure: Error? = nil

    /// Starts the file for an array of `shape` (rank ≥ 1) at `url`: its temporary, with the header written.
    public init(shape: [Int], url: URL) throws {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 >= 0 }, "NPYRowWriter: shape \(shape), expected rank ≥ 1")
        self.shape = shape
        rowLength = shape.dropFirst().reduce(1, *)
        do {
            let head = NPY.header(Double.self, shape: shape)
            file = try AtomicFile.Pending(url, size: head.count + shape.reduce(1, *) * 8)
            dataOffset = head.count
            try head.withUnsafeBytes { try file.write($0, at: 0) }
        } catch let e as NSError {
            throw NPYError("cannot write \(url.path): \(fileErrorReason(e))")
        }
    }

    /// Writes rows `rows` from `values` (their `rows.count · rowLength` entries, row after row); each row once. A
    /// failed write is reported by `finish`.
    public func write(rows: Range<Int>, from values: UnsafeBufferPointer<Double>) {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= shape[0] && values.count == rows.count * rowLength,
                     "NPYRowWriter: \(values.count) values for rows \(rows) of \(shape)")
        let bad = Double.firstNonFinite(in: values)
        var count = 0
        if let bad { for k in bad..<values.count where !values[k].isFinite { count += 1 } }
        var failed: Error? = nil
        do {
            try file.write(UnsafeRawBufferPointer(values), at: dataOffset + rows.lowerBound * rowLength * 8)
        } catch {
            failed = NPYError("cannot write \(url.path): \(fileErrorReason(error))")
        }
        lock.lock(); defer { lock.unlock() }
        rowsWritten += rows.count
        if let bad {
            let offset = rows.lowerBound * rowLength + bad
            if firstNonFinite.map({ offset < $0.offset }) ?? true { firstNonFinite = (offset, values[bad]) }
            nonFiniteCount += count
        }
        if failure == nil, let failed { failure = failed }
    }

    /// `NonFiniteOutput` for the first non-finite entry written, or the first failed write; nil when neither.
    func problem(allowingNonFinite: Bool) -> Error? {
        lock.lock(); defer { lock.unlock() }
        precondition(rowsWritten == shape[0], "NPYRowWriter: \(rowsWritten) of \(shape[0]) rows of \(url.path) written")
        if let failure { return failure }
        if !allowingNonFinite, let (offset, value) = firstNonFinite {
            return NonFiniteOutput(file: url.lastPathComponent, shape: shape, offset: offset,
                                   value: NonFiniteOutput.describing(value), count: nonFiniteCount)
        }
        return nil
    }

    /// Puts the file in place once every row is written (a programming error otherwise); throws, and removes the
    /// temporary, on a non-finite entry (unless `allowingNonFinite`) or a failed write.
    public func finish(allowingNonFinite: Bool = false) throws {
        try Self.finish([self], allowingNonFinite: allowingNonFinite)
    }

    /// Removes the temporary; nothing is put in place.
    public func discard() { file.discard() }

    /// Finishes several arrays as `NPY.write(_ files:)` writes them: every one is checked first, so that a non-finite
    /// entry or a failed write in any (the first in order is thrown) puts none of them in place.
    public static func finish(_ writers: [NPYRowWriter], allowingNonFinite: Bool = false) throws {
        if let e = writers.lazy.compactMap({ $0.problem(allowingNonFinite: allowingNonFinite) }).first {
            writers.forEach { $0.discard() }
            throw e
        }
        // Put in place one by one, reported together (the manifest is rewritten once); on a failure, those already in
        // place are reported and the rest discarded.
        var committed: [URL] = []
        defer { if !committed.isEmpty { AtomicFile.observer?(committed) } }
        for (i, w) in writers.enumerated() {
            do {
                try w.file.commit(observed: false)
                committed.append(w.url)
            } catch {
                writers[(i + 1)...].forEach { $0.discard() }
                throw NPYError("cannot write \(w.url.path): \(fileErrorReason(error))")
            }
        }
    }
}

import CFileBlocks
import Dispatch
import Foundation
import Testing
@testable import NumericCore
import TestSupport

/// `NPYRowWriter` against `NPY.write` of the whole array (the independent route: one buffer, one write): the same
/// bytes whatever the order and threads of the row ranges; nothing in place before `finish`; the same refusal of
/// non-finite entries, naming the same entry and count; a refused or discarded array leaves nothing behind.
@Suite struct NPYRowWriterTests {
    /// Rows of a [37, 5, 3] array written in ranges of 1–6 rows, in a shuffled order, from concurrent threads: the
    /// file is `NPY.encode`'s bytes; so is a rank-1 array written row by row and an empty one.
    @Test func rowsInAnyOrderGiveTheArraysBytes() throws {
        let dir = try makeTemporaryDirectory(prefix: "rows")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = NDArray<Double>(shape: [37, 5, 3], data: (0..<(37 * 15)).map { sin(Double($0)) * 1e3 })
        var ranges: [Range<Int>] = [], start = 0, width = 1
        while start < 37 { ranges.append(start..<min(37, start + width)); start += width; width = width % 6 + 1 }
        var r = RandomStream(seed: 5, stream: 0)
        for i in stride(from: ranges.count - 1, to: 0, by: -1) { ranges.swapAt(i, Int(r.nextUInt64() % UInt64(i + 1))) }
        let url = dir.appendingPathComponent("a.npy")
        let w = try NPYRowWriter(shape: a.shape, url: url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy { AtomicFile.isTemporaryName($0) })
        let order = ranges
        a.data.withUnsafeBufferPointer { p in
            nonisolated(unsafe) let p = p
            DispatchQueue.concurrentPerform(iterations: order.count) { i in
                let rows = order[i]
                w.write(rows: rows, from: UnsafeBufferPointer(rebasing: p[(rows.lowerBound * 15)..<(rows.upperBound * 15)]))
            }
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        try w.finish()
        #expect(try Data(contentsOf: url) == NPY.encode(a))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.npy"])

        let v = NDArray<Double>(shape: [4], data: [1, -2, 3.5, 0])
        let wv = try NPYRowWriter(shape: [4], url: dir.appendingPathComponent("v.npy"))
        v.data.withUnsafeBufferPointer { p in for i in [2, 0, 3, 1] { wv.write(rows: i..<(i + 1), from: UnsafeBufferPointer(rebasing: p[i...i])) } }
        try wv.finish()
        #expect(try Data(contentsOf: dir.appendingPathComponent("v.npy")) == NPY.encode(v))

        let empty = NDArray<Double>(shape: [0, 3], data: [])
        try NPYRowWriter(shape: [0, 3], url: dir.appendingPathComponent("e.npy")).finish()
        #expect(try Data(contentsOf: dir.appendingPathComponent("e.npy")) == NPY.encode(empty))
    }

    /// A pending file given its size reserves the blocks without changing the size: a file whose writes stop short of
    /// the size given (here 3 MB reserved, 1.5 MB written, out of order) holds exactly what was written; one with no
    /// size given likewise. The reservation itself leaves an empty file empty (or is not supported: EOPNOTSUPP).
    @Test func reservedBlocksDoNotChangeWhatIsWritten() throws {
        let dir = try makeTemporaryDirectory(prefix: "reserve")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = (0..<(3 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for size in [3 << 20, nil] as [Int?] {
            let url = dir.appendingPathComponent("f\(size ?? 0).bin")
            let f = try AtomicFile.Pending(url, size: size)
            try bytes.withUnsafeBytes { b in
                try f.write(UnsafeRawBufferPointer(rebasing: b[(1 << 19)...]), at: 1 << 19)
                try f.write(UnsafeRawBufferPointer(rebasing: b[..<(1 << 19)]), at: 0)
            }
            try f.commit(observed: false)
            #expect(try Data(contentsOf: url) == Data(bytes))
        }
        let path = dir.appendingPathComponent("empty").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let r = nnt_reserve_file_blocks(fd, 1 << 21)
        #expect(r == 0 || errno == EOPNOTSUPP)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 0)
    }

    /// Files put in place together are reported to `AtomicFile.observer` in one call (the run manifest is rewritten
    /// once for them): `NPY.write` of two arrays, `NPYRowWriter.finish` of two writers; a single write in a call of its
    /// own; a refused finish reports nothing. (Other tests may write files meanwhile: only this directory is counted.)
    @Test func filesPutInPlaceTogetherAreReportedOnce() throws {
        final class Calls: @unchecked Sendable {
            let lock = NSLock(); var names: [[String]] = []
            func add(_ n: [String]) { lock.lock(); names.append(n); lock.unlock() }
            var all: [[String]] { lock.lock(); defer { lock.unlock() }; return names }
        }
        let dir = try makeTemporaryDirectory(prefix: "observed"), calls = Calls(), root = dir.standardizedFileURL.path + "/"
        AtomicFile.observer = { urls in
            let mine = urls.filter { $0.standardizedFileURL.path.hasPrefix(root) }.map(\.lastPathComponent)
            if !mine.isEmpty { calls.add(mine) }
        }
        defer { AtomicFile.observer = nil; try? FileManager.default.removeItem(at: dir) }
        let a = NDArray<Double>(shape: [3, 2], data: [1, 2, 3, 4, 5, 6])
        try NPY.write([(a, dir.appendingPathComponent("x.npy")), (a, dir.appendingPathComponent("y.npy"))])
        #expect(calls.all.map { $0.sorted() } == [["x.npy", "y.npy"]])
        let writers = try ["p.npy", "q.npy"].map { try NPYRowWriter(shape: a.shape, url: dir.appendingPathComponent($0)) }
        a.data.withUnsafeBufferPointer { p in writers.forEach { $0.write(rows: 0..<3, from: p) } }
        try NPYRowWriter.finish(writers)
        try NPY.write(a, to: dir.appendingPathComponent("z.npy"))
        #expect(calls.all.map { $0.sorted() } == [["x.npy", "y.npy"], ["p.npy", "q.npy"], ["z.npy"]])
        let bad = NDArray<Double>(shape: [3, 2], data: [1, 2, .nan, 4, 5, 6])
        let refused = try NPYRowWriter(shape: bad.shape, url: dir.appendingPathComponent("r.npy"))
        bad.data.withUnsafeBufferPointer { refused.write(rows: 0..<3, from: $0) }
        #expect(throws: NonFiniteOutput.self) { try NPYRowWriter.finish([refused]) }
        #expect(calls.all.count == 3)
    }

    /// A non-finite entry: `finish` throws what `NPY.write` throws for the whole array (first entry in C order
    /// across ranges written in reverse, the count over all ranges) and puts neither of two arrays in place; with
    /// `allowingNonFinite` the bytes are written as they are. A discarded writer leaves nothing.
    @Test func nonFiniteEntriesAndDiscardLeaveNothing() throws {
        let dir = try makeTemporaryDirectory(prefix: "rows-nf")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = NDArray<Double>(shape: [4, 3], data: [0, 1, 2, 3, .infinity, 5, 6, 7, 8, .nan, 10, -.infinity])
        let good = NDArray<Double>(shape: [4, 3], data: (0..<12).map(Double.init))
        var expected: NonFiniteOutput? = nil
        do { try NPY.write(bad, to: dir.appendingPathComponent("bad.npy")) } catch let e as NonFiniteOutput { expected = e }
        #expect(expected?.index == [1, 1] && expected?.count == 3)
        func written(_ a: NDArray<Double>, _ name: String) throws -> NPYRowWriter {
            let w = try NPYRowWriter(shape: a.shape, url: dir.appendingPathComponent(name))
            a.data.withUnsafeBufferPointer { p in
                for i in stride(from: 3, through: 0, by: -1) { w.write(rows: i..<(i + 1), from: UnsafeBufferPointer(rebasing: p[(i * 3)..<(i * 3 + 3)])) }
            }
            return w
        }
        #expect {
            try NPYRowWriter.finish([try written(good, "good.npy"), try written(bad, "bad.npy")])
        } throws: { e in
            guard let e = e as? NonFiniteOutput, let expected else { return false }
            return "\(e)" == "\(expected)" && e.offset == expected.offset
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        try written(bad, "bad.npy").finish(allowingNonFinite: true)
        #expect(try Data(contentsOf: dir.appendingPathComponent("bad.npy")) == NPY.encode(bad))
        try written(good, "gone.npy").discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["bad.npy"])
        // A destination that cannot be created: one line naming it, at the start.
        let missing = dir.appendingPathComponent("no/such/a.npy")
        #expect { _ = try NPYRowWriter(shape: [1], url: missing) } throws: { "\($0)" == "cannot write \(missing.path): No such file or directory" }
    }
}

import Foundation
import Numerics
import Testing
@testable import NumericCore
import TestSupport

@Suite struct NPYTests {
    @Test func roundTripInMemory() throws {
        let a = NDArray<Double>(shape: [2, 3, 4], data: (0..<24).map { Double($0) * 0.37 - 1 })
        guard case .float64(let b) = try NPY.decode(NPY.encode(a)) else { Issue.record("wrong dtype"); return }
        #expect(a == b)
        let s = NDArray<Double>(shape: [], data: [3.5])
        guard case .float64(let s2) = try NPY.decode(NPY.encode(s)) else { Issue.record("wrong dtype"); return }
        #expect(s2 == s)
        let e = NDArray<Double>(shape: [0, 3], data: [])
        guard case .float64(let e2) = try NPY.decode(NPY.encode(e)) else { Issue.record("wrong dtype"); return }
        #expect(e2 == e)
    }

    /// The zip CRC-32 against its published check value (CRC-32/ISO-HDLC of "123456789" is 0xCBF43926), the empty
    /// input, and a 3 MB buffer against Python's zlib.crc32; an .npz written here reads back through numpy.
    @Test func npzCRCAndRoundTripThroughNumpy() throws {
        #expect(NPZ.crc32(Data("123456789".utf8)) == 0xCBF4_3926)
        #expect(NPZ.crc32(Data()) == 0)
        let big = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })
        let dir = try makeTemporaryDirectory(prefix: "nnt-npz")
        defer { try? FileManager.default.removeItem(at: dir) }
        try big.write(to: dir.appendingPathComponent("big.bin"))
        var z = NPZ()
        z.add("a", NDArray(shape: [3, 2], data: [1.0, 2, 3, 4, 5, 6]))
        try z.encoded().write(to: dir.appendingPathComponent("x.npz"))
        let (status, output) = try runPython("""
        import zlib, numpy as np
        print(zlib.crc32(open('\(dir.path)/big.bin', 'rb').read()))
        z = np.load('\(dir.path)/x.npz'); assert z['a'].tolist() == [[1, 2], [3, 4], [5, 6]], z['a']
        """)
        #expect(status == 0, "\(output)")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == String(NPZ.crc32(big)), "\(output)")
    }

    /// Swift writes, numpy checks values and writes its own arrays (C and Fortran order), Swift reads them back.
    @Test func roundTripThroughNumpy() throws {
        let dir = try makeTemporaryDirectory(prefix: "nnt-npy")
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = NDArray<Double>(shape: [3, 2, 2], data: (0..<12).map { Double($0) / 7 - 0.5 })
        let c = NDArray<Complex<Double>>(shape: [2, 3], data: (0..<6).map { Complex(Double($0), -2 * Double($0) + 0.25) })
        let i = NDArray<Int64>(shape: [5], data: [-3, 0, 7, Int64.max, Int64.min])
        let s = NDArray<Double>(shape: [], data: [2.75])
        try NPY.write(f, to: dir.appendingPathComponent("f.npy"))
        try NPY.write(c, to: dir.appendingPathComponent("c.npy"))
        try NPY.write(i, to: dir.appendingPathComponent("i.npy"))
        try NPY.write(s, to: dir.appendingPathComponent("s.npy"))
        let script = """
        import numpy as np, os
        d = '\(dir.path)'
        f = np.load(os.path.join(d, 'f.npy')); c = np.load(os.path.join(d, 'c.npy'))
        i = np.load(os.path.join(d, 'i.npy')); s = np.load(os.path.join(d, 's.npy'))
        assert f.dtype == np.float64 and f.shape == (3, 2, 2), (f.dtype, f.shape)
        assert np.array_equal(f.ravel(), np.arange(12) / 7 - 0.5)
        assert c.dtype == np.complex128 and c.shape == (2, 3)
        assert np.array_equal(c.ravel(), np.arange(6) + 1j * (-2 * np.arange(6) + 0.25))
        assert i.dtype == np.int64 and list(i) == [-3, 0, 7, 2**63 - 1, -2**63]
        assert s.shape == () and s == 2.75
        np.save(os.path.join(d, 'g.npy'), (f * 3).astype(np.float64))
        np.save(os.path.join(d, 'h.npy'), np.asfortranarray(np.arange(24, dtype=np.float64).reshape(2, 3, 4)))
        np.save(os.path.join(d, 'k.npy'), c.conj())
        np.save(os.path.join(d, 'j.npy'), np.arange(4, dtype=np.int32))
        np.save(os.path.join(d, 'bf.npy'), f.astype('>f8')); np.save(os.path.join(d, 'bc.npy'), c.astype('>c16'))
        np.save(os.path.join(d, 'bi.npy'), i.astype('>i8'))
        print('ok')
        """
        let (status, out) = try runPython(script)
        #expect(status == 0, "numpy side failed: \(out)")
        guard case .float64(let g) = try NPY.read(dir.appendingPathComponent("g.npy")) else { Issue.record("g dtype"); return }
        #expect(g.shape == [3, 2, 2] && g.data == f.data.map { $0 * 3 })
        guard case .float64(let h) = try NPY.read(dir.appendingPathComponent("h.npy")) else { Issue.record("h dtype"); return }
        #expect(h.shape == [2, 3, 4] && h.data == (0..<24).map(Double.init))
        guard case .complex128(let k) = try NPY.read(dir.appendingPathComponent("k.npy")) else { Issue.record("k dtype"); return }
        #expect(k.data == c.data.map { $0.conjugate })
        let j = try NPY.readDoubles(dir.appendingPathComponent("j.npy"))
        #expect(j.data == [0, 1, 2, 3])
        // Big-endian files (byte-swapped element by element) give the same values as the little-endian ones.
        guard case .float64(let bf) = try NPY.read(dir.appendingPathComponent("bf.npy")),
              case .complex128(let bc) = try NPY.read(dir.appendingPathComponent("bc.npy")),
              case .int64(let bi) = try NPY.read(dir.appendingPathComponent("bi.npy")) else { Issue.record("big-endian dtypes"); return }
        #expect(bf == f && bc == c && bi == i)
    }

    @Test func badFilesGiveOneLineErrors() throws {
        let dir = try makeTemporaryDirectory(prefix: "nnt-npy")
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.npy")
        #expect(throws: NPYError.self) { try NPY.read(missing) }
        let junk = dir.appendingPathComponent("junk.npy")
        try Data("hello world, not numpy".utf8).write(to: junk)
        do { _ = try NPY.read(junk); Issue.record("junk accepted") } catch let e as NPYError {
            #expect(e.description.contains("not a .npy file") && !e.description.contains("\n"))
        }
        // Writing under a regular file: the reason in words, not Foundation's error dump.
        do {
            try NPY.write([1.0], to: junk.appendingPathComponent("x.npy"))
            Issue.record("wrote under a file")
        } catch let e as NPYError {
            #expect(e.description.contains("junk.npy/x.npy") && !e.description.contains("NSCocoaErrorDomain") && !e.description.contains("\n"),
                    "\(e.description)")
        }
        var truncated = NPY.encode(NDArray<Double>(shape: [10], repeating: 1))
        truncated.removeLast(8)
        #expect(throws: NPYError.self) { try NPY.decode(truncated) }
    }

    /// A header may declare any shape: one whose element count overflows (2⁶² × 2), or whose byte count does
    /// (3037000499² elements of 8 bytes), is a one-line error naming the shape, before anything is allocated.
    /// A NaN or ±∞ in an array is refused before writing, naming the file, numpy's multi-index of the first one
    /// (C order: offset 5 in shape [2, 3] is [1, 2]) and the count; nothing is written. Arrays documented to carry
    /// NaN opt out.
    /// The bulk scan (an integer OR of exponent fields over blocks of 4096) against `isFinite` entry by entry: NaN
    /// (quiet, signalling, negative, with payloads), ±∞ at the first and last entry of a block, across block edges and
    /// in a short tail; the largest finite values, subnormals and ±0 are finite.
    @Test func nonFiniteScanFindsTheFirstEntryThatIsNotFinite() {
        let specials: [Double] = [.nan, -.nan, .signalingNaN, Double(bitPattern: 0x7FF0_0000_0000_0001),
                                  Double(bitPattern: 0xFFF8_0000_0000_1234), .infinity, -.infinity]
        let finite: [Double] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
                                -.leastNormalMagnitude, 0, -0.0, 1]
        for count in [1, 7, 4095, 4096, 4097, 3 * 4096 + 5] {
            var v = (0..<count).map { finite[$0 % finite.count] }
            #expect(Double.firstNonFinite(in: v) == nil)
            for at in Set([0, count / 2, count - 1, min(4095, count - 1), min(4096, count - 1)]) {
                for x in specials {
                    v[at] = x
                    #expect(Double.firstNonFinite(in: v) == at, "count \(count), at \(at), \(x.bitPattern)")
                    if at + 1 < count {   // a second one later does not move the first
                        v[count - 1] = .nan
                        #expect(Double.firstNonFinite(in: v) == at)
                        v[count - 1] = finite[(count - 1) % finite.count]
                    }
                    v[at] = finite[at % finite.count]
                }
            }
        }
        #expect(Double.firstNonFinite(in: []) == nil)
    }

    /// `NPY.write` sends the header and the array's storage as they are: the file's bytes are `NPY.encode`'s (which
    /// builds one buffer), numpy-compatible (the data starts at a multiple of 64), for every dtype and rank.
    @Test func writtenFilesAreTheEncodedBytes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-w-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.npy")
        let real = NDArray<Double>(shape: [3, 5, 2], data: (0..<30).map { Double($0) / 7 })
        try NPY.write(real, to: url)
        #expect(try Data(contentsOf: url) == NPY.encode(real))
        #expect((try Data(contentsOf: url).count - 30 * 8) % 64 == 0)
        let complex = NDArray<Complex<Double>>(shape: [4], data: (0..<4).map { Complex(Double($0), -1) })
        try NPY.write(complex, to: url)
        #expect(try Data(contentsOf: url) == NPY.encode(complex))
        let empty = NDArray<Int64>(shape: [0], data: [])
        try NPY.write(empty, to: url)
        #expect(try Data(contentsOf: url) == NPY.encode(empty))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.npy"])
        // Several at once: every file as written alone; a non-finite entry in any array writes none of them.
        let b = NDArray<Double>(shape: [2, 2], data: [1, 2, 3, 4]), bad = NDArray<Double>(shape: [3], data: [0, 1, .nan])
        let (u1, u2, u3) = (dir.appendingPathComponent("b.npy"), dir.appendingPathComponent("c.npy"), dir.appendingPathComponent("d.npy"))
        #expect {
            try NPY.write([(real, u1), (b, u2), (bad, u3)])
        } throws: { e in
            (e as? NonFiniteOutput).map { $0.file == "d.npy" && $0.index == [2] } ?? false
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.npy"])
        let alsoBad = NDArray<Double>(shape: [2, 2], data: [1, -.infinity, 3, 4])   // two bad arrays: the first in order
        #expect {
            try NPY.write([(real, u1), (alsoBad, u2), (bad, u3)])
        } throws: { e in
            (e as? NonFiniteOutput).map { $0.file == "c.npy" && $0.index == [0, 1] } ?? false
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.npy"])
        try NPY.write([(real, u1), (b, u2), (bad, u3)], allowingNonFinite: true)
        #expect(try Data(contentsOf: u1) == NPY.encode(real) && Data(contentsOf: u2) == NPY.encode(b) && Data(contentsOf: u3) == NPY.encode(bad))
        // A failed write among them is thrown (the first in order), the others written.
        let missing = dir.appendingPathComponent("none/e.npy")
        #expect(throws: NPYError.self) { try NPY.write([(b, dir.appendingPathComponent("f.npy")), (b, missing)]) }
        #expect(try Data(contentsOf: dir.appendingPathComponent("f.npy")) == NPY.encode(b))
    }

    /// Writes are durable (fsync before the rename) inside `AtomicFile.durably` and only there, nested scopes
    /// included; a write into a missing folder is an error naming the destination and its reason, leaving nothing.
    @Test func durableScopesAndFailedWrites() throws {
        #expect(!AtomicFile.isDurable)
        AtomicFile.durably {
            #expect(AtomicFile.isDurable)
            AtomicFile.durably { #expect(AtomicFile.isDurable) }
            #expect(AtomicFile.isDurable)
        }
        #expect(!AtomicFile.isDurable)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-d-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.json")
        try AtomicFile.durably { try AtomicFile.write(Data("{}".utf8), to: url) }
        #expect(try Data(contentsOf: url) == Data("{}".utf8))
        let missing = dir.appendingPathComponent("no/such/a.npy")
        #expect {
            try NPY.write(NDArray<Double>(shape: [1], data: [1]), to: missing)
        } throws: { e in
            "\(e)" == "cannot write \(missing.path): No such file or directory"
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["c.json"])
    }

    @Test func nonFiniteEntriesAreRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-nf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("a.npy")
        let a = NDArray<Double>(shape: [2, 3], data: [0, 1, 2, 3, 4, .nan])
        #expect {
            try NPY.write(a, to: url)
        } throws: { e in
            guard let e = e as? NonFiniteOutput else { return false }
            return e.index == [1, 2] && e.count == 1 && "\(e)".hasPrefix("a.npy[1, 2] is nan (1 of 6 entries not finite)")
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        let b = NDArray<Double>(shape: [3, 1, 2], data: [1, .infinity, 0, 0, -.infinity, 0])
        #expect(throws: NonFiniteOutput.self) { try NPY.write(b, to: url) }
        do { try NPY.write(b, to: url) } catch let e as NonFiniteOutput { #expect(e.index == [0, 0, 1] && e.count == 2) }
        try NPY.write(b, to: url, allowingNonFinite: true)
        guard case .float64(let back) = try NPY.read(url) else { Issue.record("not float64"); return }
        #expect(back.data[1] == .infinity && back.data[4] == -.infinity)
        #expect(MemoryBudget.format(7.3e12) == "7.3 TB" && MemoryBudget.format(512) == "512 B" && MemoryBudget.format(25e9) == "25 GB")
        #expect(throws: InputError.self) { try MemoryBudget.check(MemoryBudget.physicalBytes * 1.01, for: "x", option: "--n 1") }
        try MemoryBudget.check(MemoryBudget.physicalBytes / 2, for: "x", option: "--n 1")
    }

    @Test func hugeDeclaredShapesAreErrorsNotCrashes() throws {
        func file(shape: String) -> Data {
            var h = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }"
            h += String(repeating: " ", count: 118 - h.count) + "\n"
            var d = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.utf8.count & 0xff), UInt8(h.utf8.count >> 8)])
            d.append(contentsOf: Array(h.utf8)); d.append(contentsOf: [UInt8](repeating: 0, count: 32))
            return d
        }
        for (shape, needle) in [("(4611686018427387904, 2)", "more elements than any array can hold"),
                                ("(3037000499, 3037000499)", "needs more than"),
                                ("(1000000, 1000000)", "needs 8000000000000")] {
            do {
                _ = try NPY.decode(file(shape: shape), name: "huge.npy")
                Issue.record("shape \(shape) decoded")
            } catch let e as NPYError {
                #expect("\(e)".contains(needle) && "\(e)".contains("huge.npy") && !"\(e)".contains("\n"), "\(e)")
            }
        }
    }
}

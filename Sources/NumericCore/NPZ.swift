import CNumericLibs
import Foundation

/// numpy's `.npz` archive: a zip file of `.npy` members (`numpy.savez`), written uncompressed (zip method 0, "stored"),
/// which `numpy.load` reads like `savez_compressed`'s deflated members. Members are named `KEY.npy`; the archive is
/// written atomically. Limits: fewer than 65 535 members, each and the whole archive below 4 GiB (no zip64).
/// `read` takes archives of `numpy.savez` and `numpy.savez_compressed` (stored or deflated members, zip64 sizes).
public struct NPZ {
    /// The members in order: key and `.npy` bytes.
    public private(set) var members: [(key: String, data: Data)] = []

    /// An empty archive.
    public init() {}

    /// Adds `array` as member `key` (a key that is not a valid file name stem is refused by `write`).
    public mutating func add<S: NPYScalar>(_ key: String, _ array: NDArray<S>) {
        members.append((key, NPY.encode(array)))
    }

    /// The zip bytes: local headers with the members, the central directory, the end record (all little-endian).
    public func encoded() throws -> Data {
        var out = Data(), central = Data()
        func le16(_ v: Int, _ d: inout Data) { d.append(UInt8(v & 0xFF)); d.append(UInt8((v >> 8) & 0xFF)) }
        func le32(_ v: UInt32, _ d: inout Data) { for s in stride(from: 0, to: 32, by: 8) { d.append(UInt8((v >> UInt32(s)) & 0xFF)) } }
        guard members.count < 0xFFFF else { throw InputError("npz: \(members.count) members, expected fewer than 65535") }
        for (key, data) in members {
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw InputError("npz: member name '\(key)', expected letters, digits and _")
            }
            let name = Array((key + ".npy").utf8)
            guard data.count < 0xFFFF_FFFF, out.count + data.count + 30 + name.count < 0xFFFF_FFFF else {
                throw InputError("npz: member '\(key)' of \(data.count) bytes makes the archive reach 4 GiB, expected less (no zip64)")
            }
            let crc = Self.crc32(data), offset = UInt32(out.count), size = UInt32(data.count)
            // Local file header.
            le32(0x0403_4B50, &out); le16(20, &out); le16(0, &out); le16(0, &out)      // signature, version, flags, stored
            le16(0, &out); le16(0x21, &out)                                             // time 00:00, date 1980-01-01
            le32(crc, &out); le32(size, &out); le32(size, &out)
            le16(name.count, &out); le16(0, &out)
            out.append(contentsOf: name)
            out.append(data)
            // Central directory entry.
            le32(0x0201_4B50, &central); le16(20, &central); le16(20, &central); le16(0, &central); le16(0, &central)
            le16(0, &central); le16(0x21, &central)
            le32(crc, &central); le32(size, &central); le32(size, &central)
            le16(name.count, &central); le16(0, &central); le16(0, &central)           // name, extra, comment lengths
            le16(0, &central); le16(0, &central); le32(0, &central)                    // disk, internal, external attributes
            le32(offset, &central)
            central.append(contentsOf: name)
        }
        let centralOffset = UInt32(out.count)
        out.append(central)
        le32(0x0605_4B50, &out); le16(0, &out); le16(0, &out)
        le16(members.count, &out); le16(members.count, &out)
        le32(UInt32(central.count), &out); le32(centralOffset, &out); le16(0, &out)
        return out
    }

    /// Writes the archive to `url` atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(encoded(), to: url)
    }

    /// The members of the archive at `url` (stored or deflated, zip64 sizes and offsets; the CRC of each checked).
    /// - Throws: `InputError` naming the file and what is wrong (not a zip, a member compressed otherwise, a CRC
    ///   mismatch, a truncated archive).
    public static func read(_ url: URL) throws -> NPZ {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw InputError("\(url.path): cannot be read (\(error.localizedDescription)), expected a .npz archive") }
        return try decode(data, name: url.path)
    }

    /// The archive of the zip bytes `data` (`name` for errors).
    public static func decode(_ data: Data, name: String = "<data>") throws -> NPZ {
        let b = [UInt8](data)
        func bad(_ why: String) -> InputError { InputError("\(name): \(why), expected a numpy .npz (zip) archive") }
        func u16(_ o: Int) throws -> Int { guard o >= 0, o + 2 <= b.count else { throw bad("truncated at byte \(o)") }; return Int(b[o]) | Int(b[o + 1]) << 8 }
        func u32(_ o: Int) throws -> Int { guard o >= 0, o + 4 <= b.count else { throw bad("truncated at byte \(o)") }; return (0..<4).reduce(0) { $0 | Int(b[o + $1]) << (8 * $1) } }
        func u64(_ o: Int) throws -> Int {
            guard o >= 0, o + 8 <= b.count else { throw bad("truncated at byte \(o)") }
            let v = (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[o + $1]) << UInt64(8 * $1) }
            guard v < UInt64(Int.max) else { throw bad("a zip64 size \(v)") }
            return Int(v)
        }
        // The end-of-central-directory record: the last signature 0x06054b50 within 64 KiB + 22 bytes of the end.
        var eocd = -1
        var o = b.count - 22
        while o >= max(0, b.count - 22 - 0xFFFF) { if try u32(o) == 0x0605_4B50 { eocd = o; break }; o -= 1 }
        guard eocd >= 0 else { throw bad("no end-of-central-directory record") }
        var entries = try u16(eocd + 10), offset = try u32(eocd + 16)
        if entries == 0xFFFF || offset == 0xFFFF_FFFF {
            // zip64: the locator (0x07064b50) just before points to the zip64 end record.
            guard eocd >= 20, try u32(eocd - 20) == 0x0706_4B50 else { throw bad("a zip64 archive without its locator") }
            let z = try u64(eocd - 20 + 8)
            guard try u32(z) == 0x0606_4B50 else { throw bad("no zip64 end record at \(z)") }
            entries = try u64(z + 32); offset = try u64(z + 48)
        }
        var out = NPZ()
        var c = offset
        for _ in 0..<entries {
            guard try u32(c) == 0x0201_4B50 else { throw bad("no central directory entry at byte \(c)") }
            let method = try u16(c + 10), crc = UInt32(try u32(c + 16))
            var compressed = try u32(c + 20), size = try u32(c + 24), local = try u32(c + 42)
            let nameLength = try u16(c + 28), extraLength = try u16(c + 30), commentLength = try u16(c + 32)
            guard c + 46 + nameLength <= b.count else { throw bad("truncated central directory") }
            let member = String(decoding: b[(c + 46)..<(c + 46 + nameLength)], as: UTF8.self)
            // The zip64 extra field (0x0001) holds, in order, the fields that are 0xFFFFFFFF above.
            var e = c + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = try u16(e), len = try u16(e + 2)
                if id == 1 {
                    var f = e + 4
                    if size == 0xFFFF_FFFF { size = try u64(f); f += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = try u64(f); f += 8 }
                    if local == 0xFFFF_FFFF { local = try u64(f); f += 8 }
                }
                e += 4 + len
            }
            c = extraEnd + commentLength
            guard try u32(local) == 0x0403_4B50 else { throw bad("no local header for '\(member)' at byte \(local)") }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start >= 0, compressed >= 0, start + compressed <= b.count, size >= 0, size <= 1 << 40 else { throw bad("member '\(member)' runs past the end") }
            var bytes: [UInt8]
            switch method {
            case 0:
                guard size == compressed else { throw bad("stored member '\(member)' with sizes \(compressed) and \(size)") }
                bytes = Array(b[start..<(start + compressed)])
            case 8:
                bytes = [UInt8](repeating: 0, count: size)
                var z = z_stream()
                guard inflateInit2_(&z, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw bad("zlib would not start") }
                let status: Int32 = b.withUnsafeBufferPointer { src in bytes.withUnsafeMutableBufferPointer { dst in
                    z.next_in = UnsafeMutablePointer(mutating: src.baseAddress! + start)
                    z.avail_in = UInt32(compressed)
                    z.next_out = dst.baseAddress
                    z.avail_out = UInt32(size)
                    return inflate(&z, Z_FINISH)
                } }
                let produced = Int(z.total_out)
                inflateEnd(&z)
                guard status == Z_STREAM_END, produced == size else { throw bad("member '\(member)' does not inflate to its \(size) bytes (zlib status \(status))") }
            default:
                throw bad("member '\(member)' compressed by zip method \(method), expected stored (0) or deflate (8)")
            }
            let d = Data(bytes)
            guard Self.crc32(d) == crc else { throw bad("member '\(member)' fails its CRC-32") }
            let key = member.hasSuffix(".npy") ? String(member.dropLast(4)) : member
            out.members.append((key, d))
        }
        return out
    }

    /// The member `key` decoded (`NPY.decode`); nil when absent.
    public func array(_ key: String) throws -> NPYArray? {
        guard let d = members.first(where: { $0.key == key })?.data else { return nil }
        return try NPY.decode(d, name: key + ".npy")
    }

    /// The CRC-32 of zip (polynomial 0xEDB88320, reflected, initial and final XOR 0xFFFFFFFF), by zlib's `crc32`
    /// (word-at-a-time tables: GB/s, where a byte loop over `Data` ran at ≈ 0.1 GB/s and made checkpoint batches slow).
    public static func crc32(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { raw -> UInt32 in
            var c: uLong = 0
            var p = raw.bindMemory(to: Bytef.self).baseAddress, left = raw.count
            while left > 0 {     // zlib takes a 32-bit length
                let n = min(left, Int(UInt32.max))
                c = CNumericLibs.crc32(c, p, uInt(n))
                p = p.map { $0 + n }; left -= n
            }
            return UInt32(truncatingIfNeeded: c)
        }
    }
}

import Foundation

/// numpy's `.npz` archive: a zip file of `.npy` members (`numpy.savez`), written uncompressed (zip method 0, "stored"),
/// which `numpy.load` reads like `savez_compressed`'s deflated members. Members are named `KEY.npy`; the archive is
/// written atomically. Limits: fewer than 65 535 members, each and the whole archive below 4 GiB (no zip64).
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
        try encoded().write(to: url, options: .atomic)
    }

    /// The CRC-32 of zip (polynomial 0xEDB88320, reflected, initial and final XOR 0xFFFFFFFF).
    public static func crc32(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}

import Numerics
import Foundation

/// Errors of the `.npy` reader and writer; each description is one line naming the file and the problem.
public struct NPYError: Error, CustomStringConvertible, Sendable {
    /// The one-line message.
    public let description: String
    /// An error with message `description` (control characters escaped, as `InputError`'s).
    public init(_ description: String) { self.description = description.escapingControlCharacters }
}

/// An array read from a `.npy` file, typed by its dtype.
public enum NPYArray: Sendable {
    case float64(NDArray<Double>)
    case complex128(NDArray<Complex<Double>>)
    case int64(NDArray<Int64>)

    /// The array's shape, whatever its dtype.
    public var shape: [Int] {
        switch self {
        case .float64(let a): return a.shape
        case .complex128(let a): return a.shape
        case .int64(let a): return a.shape
        }
    }
}

/// Reading and writing numpy's `.npy` format (version 1.0 written; 1.0, 2.0 and 3.0 read).
///
/// Supported dtypes: float64 (`<f8`), complex128 (`<c16`), int64 (`<i8`), any rank, C order. When
/// reading, `>` (big-endian) variants, float32 and int32 are converted, and Fortran-ordered arrays are
/// reordered to C order. Writes are atomic: the file appears complete or not at all.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]   // \x93NUMPY

    /// Encodes an array as `.npy` bytes.
    public static func encode<S: NPYScalar>(_ array: NDArray<S>) -> Data {
        var out = Data(header(S.self, shape: array.shape))
        array.data.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// The `.npy` 1.0 header of a C-order array of `shape`: magic, version, header length (little-endian UInt16),
    /// then the dict text padded with spaces and ended by a newline so that the data starts at a multiple of 64.
    static func header<S: NPYScalar>(_: S.Type, shape: [Int]) -> [UInt8] {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var text = "{'descr': '\(S.npyDescr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // magic(6) + version(2) + header length(2) + header + '\n', padded to a multiple of 64.
        let unpadded = 10 + text.utf8.count + 1
        text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = UInt16(text.utf8.count)
        return magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(text.utf8)
    }

    /// Writes `array` to `url` atomically (temporary file, then rename). Every entry must be finite unless
    /// `allowingNonFinite` (an array documented to carry NaN as "not available"): otherwise `NonFiniteOutput`
    /// names the file, the first offending index and how many there are, and nothing is written.
    public static func write<S: NPYScalar>(_ array: NDArray<S>, to url: URL, allowingNonFinite: Bool = false) throws {
        if !allowingNonFinite { try checkFinite(array, url: url) }
        try writeUnobserved(array, to: url)
        AtomicFile.observer?([url])
    }

    /// `write` without the check and without telling `AtomicFile.observer` (the caller reports the file).
    static func writeUnobserved<S: NPYScalar>(_ array: NDArray<S>, to url: URL) throws {
        do {
            // The header and the array's own storage, written as they are (no copy of the data).
            let head = header(S.self, shape: array.shape)
            try head.withUnsafeBytes { h in
                try array.data.withUnsafeBytes { try AtomicFile.writeUnobserved(parts: [h, $0], to: url) }
            }
        } catch {
            throw NPYError("cannot write \(url.path): \(fileErrorReason(error))")
        }
    }

    /// Writes several arrays as `write` writes each, the files at once (a thread each: a kernel's two 8-MB arrays
    /// are written in the time of one). Every array is checked before anything is written, so that a non-finite
    /// entry (`NonFiniteOutput` for the first such array in order, unless `allowingNonFinite`) writes nothing at all;
    /// of failed writes, the first in order is thrown. Writes inside `AtomicFile.durably` stay durable. The files put in
    /// place are reported to `AtomicFile.observer` together.
    public static func write<S: NPYScalar>(_ files: [(array: NDArray<S>, url: URL)], allowingNonFinite: Bool = false) throws {
        if !allowingNonFinite {
            // The scans at once too (each reads a whole array); the first offending array in order is reported.
            nonisolated(unsafe) var offending = [Int?](repeating: nil, count: files.count)
            offending.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                DispatchQueue.concurrentPerform(iterations: files.count) { i in out[i] = S.firstNonFinite(in: files[i].array.data) }
            }
            if let i = offending.firstIndex(where: { $0 != nil }) { try checkFinite(files[i].array, url: files[i].url) }
        }
        nonisolated(unsafe) var failures = [Error?](repeating: nil, count: files.count)
        let durable = AtomicFile.isDurable   // the caller's scope, which the worker threads do not inherit
        failures.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: files.count) { i in
                AtomicFile.$isDurable.withValue(durable) {
                    do { try writeUnobserved(files[i].array, to: files[i].url) } catch { out[i] = error }
                }
            }
        }
        let written = zip(files, failures).filter { $1 == nil }.map { $0.0.url }
        if !written.isEmpty { AtomicFile.observer?(written) }
        if let e = failures.lazy.compactMap({ $0 }).first { throw e }
    }

    /// `NonFiniteOutput` for the first entry of `array` that is not finite (nothing when all are).
    static func checkFinite<S: NPYScalar>(_ array: NDArray<S>, url: URL) throws {
        guard let first = S.firstNonFinite(in: array.data) else { return }
        throw NonFiniteOutput(file: url.lastPathComponent, shape: array.shape, offset: first,
                              value: NonFiniteOutput.describing(array.data[first]), count: array.data.reduce(0) { $0 + ($1.isFiniteValue ? 0 : 1) })
    }

    /// Writes a vector as a rank-1 float64 array (finite entries unless `allowingNonFinite`, as `write`).
    public static func write(_ vector: [Double], to url: URL, allowingNonFinite: Bool = false) throws {
        try write(NDArray(shape: [vector.count], data: vector), to: url, allowingNonFinite: allowingNonFinite)
    }

    /// Writes a matrix as a rank-2 float64 array (finite entries unless `allowingNonFinite`, as `write`).
    public static func write(_ matrix: Matrix, to url: URL, allowingNonFinite: Bool = false) throws {
        try write(NDArray(matrix), to: url, allowingNonFinite: allowingNonFinite)
    }

    /// Reads a `.npy` file.
    public static func read(_ url: URL) throws -> NPYArray {
        // Mapped where the file can be (the data is then copied once, from the page cache into the array, instead of
        // first into fresh pages of a read buffer: `ntk --params` at P = 500 48.4 → 43.1 ms), read otherwise (a pipe).
        guard let data = (try? Data(contentsOf: url, options: .alwaysMapped)) ?? FileManager.default.contents(atPath: url.path) else {
            if !FileManager.default.fileExists(atPath: url.path) { throw NPYError("no such file: \(url.path)") }
            throw NPYError("cannot read \(url.path)")
        }
        return try decode(data, name: url.path)
    }

    /// Reads a `.npy` file as float64 (float32, int32 and int64 arrays are converted).
    public static func readDoubles(_ url: URL) throws -> NDArray<Double> {
        switch try read(url) {
        case .float64(let a): return a
        case .int64(let a): return NDArray(shape: a.shape, data: a.data.map(Double.init))
        case .complex128: throw NPYError("\(url.path): complex128 array where a real (float64) array was expected")
        }
    }

    /// Decodes `.npy` bytes; `name` is used in error messages.
    public static func decode(_ data: Data, name: String = "<data>") throws -> NPYArray {
        // Read in place (the data section is copied once, into the array).
        try data.withUnsafeBytes { try decode(bytes: $0.bindMemory(to: UInt8.self), name: name) }
    }

    static func decode(bytes: UnsafeBufferPointer<UInt8>, name: String) throws -> NPYArray {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw NPYError("\(name) is not a .npy file (missing \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | (Int(bytes[9]) << 8); headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw NPYError("\(name): truncated .npy header") }
            headerLength = Int(bytes[8]) | (Int(bytes[9]) << 8) | (Int(bytes[10]) << 16) | (Int(bytes[11]) << 24)
            headerStart = 12
        default:
            throw NPYError("\(name): unsupported .npy version \(major), expected 1, 2 or 3")
        }
        guard bytes.count >= headerStart + headerLength,
              let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1)
        else { throw NPYError("\(name): truncated .npy header") }
        let descr = try field("descr", in: header, name: name)
        let fortran = try field("fortran_order", in: header, name: name) == "True"
        let shapeText = try field("shape", in: header, name: name)
        let shape = try shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { (s: String) -> Int in
                guard let v = Int(s), v >= 0 else { throw NPYError("\(name): bad shape \(shapeText)") }
                return v
            }
        let body = headerStart + headerLength
        // The element count, checked for overflow: a header may declare any shape (e.g. 2⁶², or two factors whose
        // product wraps); the data it needs is compared with the file's bytes before anything is allocated.
        var count = 1
        for s in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: s)
            guard !overflow else {
                throw NPYError("\(name): shape \(shape) has more elements than any array can hold, expected one that fits the file's \(bytes.count - body) data bytes")
            }
            count = p
        }
        let descrClean = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        guard descrClean.count >= 3 else { throw NPYError("\(name): bad dtype \(descr)") }
        let order = descrClean.first!
        let kind = String(descrClean.dropFirst())
        let bigEndian = order == ">"
        guard order == "<" || order == ">" || order == "|" || order == "=" else {
            throw NPYError("\(name): bad dtype \(descrClean)")
        }
        func need(_ itemSize: Int) throws {
            let (needed, overflow) = count.multipliedReportingOverflow(by: itemSize)
            guard !overflow, bytes.count - body >= needed else {
                throw NPYError("\(name): file holds \(bytes.count - body) data bytes, shape \(shape) of \(descrClean) needs \(overflow ? "more than \(Int.max)" : String(needed))")
            }
        }
        func word64(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            let o = body + 8 * i
            for b in 0..<8 { v |= UInt64(bytes[o + b]) << (8 * UInt64(b)) }
            return bigEndian ? v.byteSwapped : v
        }
        func word32(_ i: Int) -> UInt32 {
            var v: UInt32 = 0
            let o = body + 4 * i
            for b in 0..<4 { v |= UInt32(bytes[o + b]) << (8 * UInt32(b)) }
            return bigEndian ? v.byteSwapped : v
        }
        // Little-endian data of a type with the file's layout (float64, complex128, int64 on this little-endian
        // host): one copy of the bytes, not an element at a time.
        func raw<T>(_: T.Type) -> [T] {
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[body..<(body + count * MemoryLayout<T>.stride)]))
                initialized = count
            }
        }
        let result: NPYArray
        switch kind {
        case "f8":
            try need(8)
            result = .float64(NDArray(shape: shape, data: bigEndian ? (0..<count).map { Double(bitPattern: word64($0)) } : raw(Double.self)))
        case "f4":
            try need(4)
            result = .float64(NDArray(shape: shape, data: (0..<count).map { Double(Float(bitPattern: word32($0))) }))
        case "c16":
            try need(16)
            result = .complex128(NDArray(shape: shape, data: bigEndian ? (0..<count).map {
                Complex(Double(bitPattern: word64(2 * $0)), Double(bitPattern: word64(2 * $0 + 1)))
            } : raw(Complex<Double>.self)))
        case "i8":
            try need(8)
            result = .int64(NDArray(shape: shape, data: bigEndian ? (0..<count).map { Int64(bitPattern: word64($0)) } : raw(Int64.self)))
        case "i4":
            try need(4)
            result = .int64(NDArray(shape: shape, data: (0..<count).map { Int64(Int32(bitPattern: word32($0))) }))
        default:
            throw NPYError("\(name): unsupported dtype \(descrClean), expected float64, complex128 or int64")
        }
        return fortran && shape.count > 1 ? reorderFortran(result) : result
    }

    private static func field(_ key: String, in header: String, name: String) throws -> String {
        guard let r = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else {
            throw NPYError("\(name): .npy header lacks '\(key)'")
        }
        var rest = header[r.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { throw NPYError("\(name): bad shape in .npy header") }
            return String(rest[rest.startIndex...close])
        }
        rest = rest.prefix { $0 != "," && $0 != "}" }
        return rest.trimmingCharacters(in: .whitespaces)
    }

    private static func reorderFortran(_ a: NPYArray) -> NPYArray {
        func perm<S: NPYScalar>(_ x: NDArray<S>) -> NDArray<S> {
            let shape = x.shape
            var out = NDArray<S>(shape: shape)
            let cStrides = out.strides
            var fStrides = [Int](repeating: 1, count: shape.count)
            for k in 1..<shape.count { fStrides[k] = fStrides[k - 1] * shape[k - 1] }
            for c in 0..<x.count {
                var rem = c, f = 0
                for k in 0..<shape.count { let i = rem / cStrides[k]; rem %= cStrides[k]; f += i * fStrides[k] }
                out.data[c] = x.data[f]
            }
            return out
        }
        switch a {
        case .float64(let x): return .float64(perm(x))
        case .complex128(let x): return .complex128(perm(x))
        case .int64(let x): return .int64(perm(x))
        }
    }
}

/// The reason of a Foundation file error in words: the POSIX error's text where there is one (Linux reports
/// `NSCocoaErrorDomain` 512 with the POSIX error underneath), else the error's own description.
func fileErrorReason(_ error: Error) -> String {
    posixErrorCode(of: error).map { String(cString: strerror($0)) } ?? (error as NSError).localizedDescription
}

/// The POSIX errno of a Foundation file error: its own code, or that of its underlying error (on Linux a Swift
/// `POSIXError`, reached through `as Error` then `as NSError`).
public func posixErrorCode(of error: Error) -> Int32? {
    let ns = error as NSError
    if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
    guard let u = (ns.userInfo[NSUnderlyingErrorKey] as? Error).map({ $0 as NSError }), u.domain == NSPOSIXErrorDomain else { return nil }
    return Int32(u.code)
}

/// An output array with a NaN or ±∞ entry, refused before it is written (docs/errors.md): one line naming the
/// file, the first offending index (numpy's multi-index), its value and how many entries are not finite.
public struct NonFiniteOutput: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let shape: [Int]
    /// The flat (C-order) offset of the first non-finite entry.
    public let offset: Int
    public let value: String
    public let count: Int
    /// The inputs the offending entry comes from, where the command knows them ("x row 0 = (1000, 0)").
    public var inputs: String? = nil

    /// `value` as the message prints it: "nan" for a NaN of either sign (Swift prints a negative one as "-nan").
    static func describing<T>(_ value: T) -> String { "\(value)".replacingOccurrences(of: "-nan", with: "nan") }

    /// The multi-index of `offset` in `shape`.
    public var index: [Int] {
        var r = offset, idx = [Int](repeating: 0, count: shape.count)
        for k in stride(from: shape.count - 1, through: 0, by: -1) where shape[k] > 0 { idx[k] = r % shape[k]; r /= shape[k] }
        return idx
    }

    public var description: String {
        let total = shape.reduce(1, *)
        return "\(file)[\(index.map(String.init).joined(separator: ", "))] is \(value) (\(count) of \(total) entries not finite)"
            + (inputs.map { ", from \($0)" } ?? "") + "; expected finite values: the inputs are outside the range where this computation is representable, so it was not written"
    }
}

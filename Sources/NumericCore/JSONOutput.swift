import Foundation

/// Summaries as JSON: pretty-printed, keys sorted, written atomically. Non-finite numbers (which JSON lacks)
/// are written as the strings "nan", "inf" and "-inf".
public enum JSONOutput {
    /// `value` as pretty-printed JSON with sorted keys and unescaped slashes; NaN and ±∞ as "nan", "inf", "-inf".
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try e.encode(value)
    }

    /// Writes `value` to `url` atomically, creating the parent directory.
    public static func write<T: Encodable>(_ value: T, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encode(value).write(to: url, options: .atomic)
    }
}

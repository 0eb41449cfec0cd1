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

    /// The top-level keys in which the JSON objects of `a` and `b` differ, sorted (e.g. the settings a resumed run
    /// changed); empty when either is not an object.
    public static func differingKeys<T: Encodable>(_ a: T, _ b: T) -> [String] {
        guard let ja = try? JSONSerialization.jsonObject(with: encode(a)) as? [String: Any],
              let jb = try? JSONSerialization.jsonObject(with: encode(b)) as? [String: Any] else { return [] }
        return Set(ja.keys).union(jb.keys).sorted().filter { k in ja[k].map { "\($0)" } != jb[k].map { "\($0)" } }
    }

    /// Reads JSON written by `encode` (the strings "nan", "inf", "-inf" back to non-finite numbers).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try d.decode(type, from: data)
    }

    /// Writes a run's summary: `value`'s keys plus `run`, the run's provenance (`RunProvenance.current`, finished
    /// now, with `complete`), atomically. `value` must encode as a JSON object.
    public static func writeSummary<T: Encodable>(_ value: T, to url: URL, complete: Bool = true) throws {
        try write(WithRun(value: value, run: RunProvenance.current.finished(complete: complete)), to: url)
    }

    /// A summary with the `run` key added at its top level.
    struct WithRun<T: Encodable>: Encodable {
        let value: T, run: RunProvenance
        enum Key: String, CodingKey { case run }
        func encode(to encoder: Encoder) throws {
            try value.encode(to: encoder)
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(run, forKey: .run)
        }
    }

    /// Writes `value` to `url` atomically, creating the parent directory.
    public static func write<T: Encodable>(_ value: T, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(encode(value), to: url)
    }
}

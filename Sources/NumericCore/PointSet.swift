import Foundation

/// An input error with a one-line description naming the offending value and what was expected.
public struct InputError: Error, CustomStringConvertible, Sendable {
    /// The one-line message.
    public let description: String
    /// An error with message `description`, made one line: control characters an echoed input may carry (a
    /// newline in a SPEC or formula) are written as escapes (`\n`, `\t`, `\u{1B}`).
    public init(_ description: String) { self.description = description.escapingControlCharacters }
}

extension String {
    /// The string with every control character written as an escape (`\n`, `\r`, `\t`, `\u{0}`), so that a
    /// message quoting user input stays one line (docs/errors.md).
    public var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return self }
        var out = ""
        for u in unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.properties.generalCategory == .control { out += "\\u{\(String(u.value, radix: 16, uppercase: true))}" }
                else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }
}

/// Input points x_p ∈ ℝ^d given on the command line: a `.npy` file of shape [P, d] (or [P] for d = 1),
/// or an inline list — `0.2,0.4,0.6` for d = 1, rows separated by `;` otherwise (`1,1;-1,1`).
public enum PointSet {
    /// Parses `spec` into a [P, d] matrix. With `inlineDimension` given, a flat inline list of d·P numbers
    /// without `;` is read as P rows of d values only when d == 1 (the list is a column). Rejects NaN/Inf,
    /// ragged rows, an empty set and, when `dimension` is given, points of another dimension.
    public static func parse(_ spec: String, dimension: Int? = nil) throws -> Matrix {
        let (m, axes) = try parseShaped(spec, dimension: dimension)
        guard axes.count <= 1 else {
            throw InputError("points file \(spec.trimmingCharacters(in: .whitespaces)) has shape \([m.rows] + axes), expected [P, d] or [P]")
        }
        return m
    }

    /// Points of any shape: a `.npy` array [P, …] (images [P, H, W, C], signals [P, L, C], vectors [P, d] or
    /// [P]) as one flattened point per row [P, Π…] (row-major, so channels stay innermost) with the shape of one
    /// point (`[d]` for vectors and inline lists). With `dimension`, the flattened length must equal it.
    public static func parseShaped(_ spec: String, dimension: Int? = nil) throws -> (points: Matrix, pointAxes: [Int]) {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw InputError("points: empty specification, expected a .npy file or a list like 0.2,0.4") }
        var m: Matrix
        var axes: [Int]? = nil
        if trimmed.hasSuffix(".npy") {
            let a = try NPY.readDoubles(URL(fileURLWithPath: trimmed))
            switch a.rank {
            case 1: m = Matrix(rows: a.shape[0], cols: 1, data: a.data)
            case 2: m = Matrix(rows: a.shape[0], cols: a.shape[1], data: a.data)
            case 3, 4, 5:
                m = Matrix(rows: a.shape[0], cols: a.shape.dropFirst().reduce(1, *), data: a.data)
                axes = Array(a.shape.dropFirst())
            default: throw InputError("points file \(trimmed) has shape \(a.shape), expected [P, d], [P], [P, L, C] or [P, H, W, C]")
            }
        } else {
            let rows = trimmed.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            var values: [[Double]] = []
            for r in rows {
                let items = r.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                values.append(try items.map { s in
                    guard let v = Double(s) else { throw InputError("points: '\(s)' in '\(spec)' is not a number") }
                    return v
                })
            }
            if rows.count == 1 {
                // A single row is a list of 1-D points unless a higher dimension was asked for.
                if let d = dimension, d > 1 {
                    m = Matrix(rows: 1, cols: values[0].count, data: values[0])
                } else {
                    m = Matrix(rows: values[0].count, cols: 1, data: values[0])
                }
            } else {
                let d = values[0].count
                if let bad = values.firstIndex(where: { $0.count != d }) {
                    throw InputError("points: row \(bad) '\(rows[bad])' has \(values[bad].count) coordinates, expected \(d) like row 0")
                }
                m = Matrix(rows: values.count, cols: d, data: values.flatMap { $0 })
            }
        }
        guard m.rows > 0 && m.cols > 0 else { throw InputError("points: '\(spec)' holds no points") }
        if let k = m.data.firstIndex(where: { !$0.isFinite }) {
            throw InputError("points: coordinate \(k % m.cols) of point \(k / m.cols) is \(m.data[k]), expected a finite number")
        }
        if let d = dimension, m.cols != d {
            throw InputError("points: dimension \(m.cols), expected \(d)")
        }
        return (m, axes ?? [m.cols])
    }
}

/// A run setting out of range: names the setting (the field of the library's configuration, e.g. `rate`), its
/// value and what was expected, in one line ("rate 0, expected a positive number"). Front ends that expose the
/// setting under another name (a command-line flag) print it under that name (`renamed`).
public struct SettingError: Error, CustomStringConvertible, Sendable {
    /// The configuration field.
    public let setting: String
    /// The rest of the line: the value and what was expected.
    public let detail: String
    /// The error of `setting` with `detail` ("0, expected a positive number").
    public init(_ setting: String, _ detail: String) { self.setting = setting; self.detail = detail.escapingControlCharacters }
    /// "setting detail", one line.
    public var description: String { renamed(setting) }
    /// The same line with the setting called `name` (a detail starting with ':' follows the name directly).
    public func renamed(_ name: String) -> String { name + (detail.hasPrefix(":") ? "" : " ") + detail }
}

import Foundation
import NumericCore

/// A Riemannian metric on Tⁿ written as formulas (`TorusExpression` grammar), in one of two forms:
///
/// - conformal: `u = EXPR` (or a bare `EXPR`), the metric g = e^{u}δ — the `train torus --init` syntax;
/// - components: `g11 = EXPR; g12 = EXPR; g22 = EXPR` — entries g_ij with 1-based indices i, j ≤ n separated by
///   `;`. Every diagonal entry g_ii must be given; an off-diagonal entry not given is 0; g_ji names the same entry
///   as g_ij (symmetric), and naming one twice is an error.
///
/// Parse errors are one line naming the item and what was expected.
public struct TorusMetricExpression: Sendable, CustomStringConvertible {
    /// The two forms.
    public enum Form: Sendable {
        /// g = e^{u}δ.
        case conformal(TorusExpression)
        /// g_ij for i ≤ j, row-major over the upper triangle ((0,0), (0,1), …); nil entries are 0.
        case components([TorusExpression?])
    }

    /// The parsed form.
    public let form: Form
    /// Torus dimension n.
    public let dimension: Int
    /// The text as given.
    public let text: String
    /// The text as given.
    public var description: String { text }

    /// The conformal factor's formula, nil for the component form.
    public var conformalFactor: TorusExpression? {
        if case .conformal(let u) = form { return u }
        return nil
    }

    /// Parses `text` on Tⁿ (see the forms above); throws a one-line `InputError`.
    public init(_ text: String, dimension n: Int) throws {
        self.text = text; dimension = n
        let items = text.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        func name(_ item: String) -> String? {
            guard let eq = item.firstIndex(of: "=") else { return nil }
            return item[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
        }
        let first = items.first.flatMap(name)
        if items.count == 1 && (first == nil || first == "u") {
            form = .conformal(try TorusExpression(text, dimension: n))
            return
        }
        var entries = [TorusExpression?](repeating: nil, count: n * (n + 1) / 2)
        func slot(_ i: Int, _ j: Int) -> Int { let (a, b) = (min(i, j), max(i, j)); return a * n - a * (a - 1) / 2 + (b - a) }
        let names = (0..<n).flatMap { i in (i..<n).map { j in "g\(i + 1)\(j + 1)" } }
        for item in items {
            guard !item.isEmpty else { throw InputError("empty item in the metric '\(text)', expected items 'gIJ = EXPR' separated by ';'") }
            guard let key = name(item), key.count == 3, key.hasPrefix("g"),
                  let i = Int(String(key[key.index(key.startIndex, offsetBy: 1)])), let j = Int(String(key.last!)),
                  (1...n).contains(i), (1...n).contains(j) else {
                throw InputError("'\(item)' in the metric '\(text)', expected an entry \(names.joined(separator: ", ")) as 'gIJ = EXPR' (or a single 'u = EXPR')")
            }
            let s = slot(i - 1, j - 1)
            guard entries[s] == nil else { throw InputError("g\(min(i, j))\(max(i, j)) is given twice in the metric '\(text)', expected each entry once") }
            entries[s] = try TorusExpression(item, dimension: n)
        }
        for i in 0..<n where entries[slot(i, i)] == nil {
            throw InputError("the metric '\(text)' has no g\(i + 1)\(i + 1), expected every diagonal entry g11…g\(n)\(n)")
        }
        form = .components(entries)
    }

    /// Throws unless every formula of the metric is finite on the uniform grid (`TorusExpression.checkFinite`).
    public func checkFinite(side: Int = 16) throws {
        switch form {
        case .conformal(let u): try u.checkFinite(side: side)
        case .components(let entries): for e in entries.compactMap({ $0 }) { try e.checkFinite(side: side) }
        }
    }

    /// g_ij(x), [n, n] row-major.
    public func callAsFunction(_ x: [Double]) -> [Double] {
        let n = dimension
        var g = [Double](repeating: 0, count: n * n)
        switch form {
        case .conformal(let u):
            let v = exp(u(x))
            for i in 0..<n { g[i * n + i] = v }
        case .components(let entries):
            var s = 0
            for i in 0..<n { for j in i..<n {
                let v = entries[s]?(x) ?? 0
                g[i * n + j] = v; g[j * n + i] = v
                s += 1
            } }
        }
        return g
    }
}

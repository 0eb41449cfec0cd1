import NumericCore
import Numerics

/// Parses polynomials written as text, e.g. `z0^5 + z1^5 + z2^5 + z3^5 + z4^5 - 5*psi*z0*z1*z2*z3*z4`.
///
/// Grammar (whitespace ignored): expr := term (('+'|'-') term)*; term := unary ('*' unary)*;
/// unary := ('+'|'-') unary | power; power := atom ('^' integer)?; atom := number (`2`, `0.5`, `1e-3`) |
/// `i` or `I` (imaginary unit) | `psi` (the value passed in) | `z<k>` (coordinate k ≥ 0) | `(` expr `)`.
/// Products and powers of sums are expanded. Several equations are separated by `;`.
/// Errors are one-line `InputError`s naming the text and the position.
public enum PolynomialParser {
    typealias Terms = [[Int]: ComplexDouble]

    /// Parses `text` (equations separated by `;`) into polynomials in `variables` coordinates (default: one more
    /// than the largest index used).
    public static func parse(_ text: String, variables: Int? = nil, psi: ComplexDouble = .zero) throws -> [Polynomial] {
        let parts = text.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        var parsed: [(Terms, String)] = []
        var maxVar = -1
        for p in parts {
            var parser = Parser(text: p, psi: psi)
            let t = try parser.parseAll()
            for e in t.keys { for (j, x) in e.enumerated() where x > 0 { maxVar = max(maxVar, j) } }
            parsed.append((t, p))
        }
        let d = variables ?? (maxVar + 1)
        guard d >= 2 else { throw InputError("polynomial '\(text)': uses \(maxVar + 1) coordinates, expected at least z0, z1") }
        guard maxVar < d else { throw InputError("polynomial '\(text)': uses z\(maxVar) but the ambient space has only \(d) coordinates z0..z\(d - 1)") }
        return try parsed.map { (terms, src) in
            let keys = terms.keys.filter { terms[$0]! != .zero }.sorted { $0.lexicographicallyPrecedes($1) }.reversed()
            guard !keys.isEmpty else { throw InputError("polynomial '\(src.trimmingCharacters(in: .whitespaces))' is identically zero") }
            let rows = keys.map { e -> [Int] in var r = [Int](repeating: 0, count: d); for (j, x) in e.enumerated() { r[j] = x }; return r }
            return try Polynomial(variableCount: d, exponents: rows, coefficients: keys.map { terms[$0]! })
        }
    }

    struct Parser {
        let chars: [Character]
        let text: String
        let psi: ComplexDouble
        var pos = 0

        init(text: String, psi: ComplexDouble) { self.text = text; chars = Array(text); self.psi = psi }

        func fail(_ what: String) -> InputError {
            let shown = text.trimmingCharacters(in: .whitespaces)
            if pos >= chars.count { return InputError("polynomial '\(shown)': unexpected end, expected \(what)") }
            return InputError("polynomial '\(shown)': unexpected '\(chars[pos])' at position \(pos + 1), expected \(what)")
        }

        mutating func skip() { while pos < chars.count && chars[pos].isWhitespace { pos += 1 } }
        mutating func peek() -> Character? { skip(); return pos < chars.count ? chars[pos] : nil }

        mutating func parseAll() throws -> Terms {
            let t = try expr()
            if peek() != nil { throw fail("an operator (+ - * ^) or the end") }
            return t
        }

        mutating func expr() throws -> Terms {
            var acc = try term()
            while let c = peek(), c == "+" || c == "-" {
                pos += 1
                let t = try term()
                acc = add(acc, t, sign: c == "+" ? 1 : -1)
            }
            return acc
        }

        mutating func term() throws -> Terms {
            var acc = try unary()
            while let c = peek(), c == "*" {
                pos += 1
                acc = multiply(acc, try unary())
            }
            return acc
        }

        /// The deepest nesting accepted (parentheses and signs): the parser recurses once per level.
        static let maxDepth = 200
        var depth = 0

        mutating func unary() throws -> Terms {
            // Every nesting passes here, so the recursion is bounded before it can exhaust the stack.
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { throw fail("an expression nested at most \(Self.maxDepth) levels deep (parentheses and signs)") }
            if let c = peek(), c == "-" || c == "+" {
                pos += 1
                let u = try unary()
                return c == "-" ? u.mapValues { -$0 } : u
            }
            return try power()
        }

        mutating func power() throws -> Terms {
            let a = try atom()
            if let c = peek(), c == "^" {
                pos += 1
                skip()
                let start = pos
                while pos < chars.count && chars[pos].isNumber { pos += 1 }
                guard pos > start, let k = Int(String(chars[start..<pos])), k <= 64 else { pos = start; throw fail("a non-negative integer exponent (≤ 64)") }
                var r: Terms = [[]: ComplexDouble(1, 0)]
                for _ in 0..<k { r = multiply(r, a) }
                return r
            }
            return a
        }

        mutating func atom() throws -> Terms {
            guard let c = peek() else { throw fail("z<k>, a number, i, psi or (") }
            if c == "(" {
                pos += 1
                let e = try expr()
                guard peek() == ")" else { throw fail(")") }
                pos += 1
                return e
            }
            if c.isNumber || c == "." {
                let start = pos
                while pos < chars.count && (chars[pos].isNumber || chars[pos] == ".") { pos += 1 }
                if pos < chars.count && (chars[pos] == "e" || chars[pos] == "E") {
                    var q = pos + 1
                    if q < chars.count && (chars[q] == "+" || chars[q] == "-") { q += 1 }
                    if q < chars.count && chars[q].isNumber {
                        pos = q
                        while pos < chars.count && chars[pos].isNumber { pos += 1 }
                    }
                }
                guard let x = Double(String(chars[start..<pos])), x.isFinite else { pos = start; throw fail("a number") }
                return [[]: ComplexDouble(x, 0)]
            }
            if c.isLetter {
                let start = pos
                while pos < chars.count && (chars[pos].isLetter || chars[pos].isNumber || chars[pos] == "_") { pos += 1 }
                let word = String(chars[start..<pos])
                if word == "i" || word == "I" { return [[]: ComplexDouble(0, 1)] }
                if word.lowercased() == "psi" { return [[]: psi] }
                if word.first == "z", let k = Int(word.dropFirst()), k >= 0, k < 1000 {
                    var e = [Int](repeating: 0, count: k + 1); e[k] = 1
                    return [e: ComplexDouble(1, 0)]
                }
                pos = start
                throw fail("z<k>, a number, i, psi or (")
            }
            throw fail("z<k>, a number, i, psi or (")
        }

        func normalise(_ e: [Int]) -> [Int] {
            var r = e
            while let l = r.last, l == 0 { r.removeLast() }
            return r
        }

        func add(_ a: Terms, _ b: Terms, sign: Double) -> Terms {
            var r = a
            for (e, c) in b { r[e, default: .zero] = r[e, default: .zero] + c * ComplexDouble(sign, 0) }
            return r
        }

        func multiply(_ a: Terms, _ b: Terms) -> Terms {
            var r: Terms = [:]
            for (ea, ca) in a {
                for (eb, cb) in b {
                    var e = [Int](repeating: 0, count: max(ea.count, eb.count))
                    for (j, x) in ea.enumerated() { e[j] += x }
                    for (j, x) in eb.enumerated() { e[j] += x }
                    let k = normalise(e)
                    r[k, default: .zero] = r[k, default: .zero] + ca * cb
                }
            }
            return r
        }
    }
}

extension Variety {
    /// A variety from text equations (`PolynomialParser`), in the ambient ∏ P^{n_r} given by `ambient`
    /// (default: P^{D−1} with D = number of coordinates used).
    public static func parse(_ text: String, ambient dims: [Int]? = nil, psi: ComplexDouble = .zero) throws -> Variety {
        let amb = try dims.map { try ProjectiveAmbient($0) }
        let eqs = try PolynomialParser.parse(text, variables: amb?.coordinateCount, psi: psi)
        let a = try amb ?? ProjectiveAmbient([eqs[0].variableCount - 1])
        return try Variety(name: text.trimmingCharacters(in: .whitespaces), ambient: a, equations: eqs)
    }
}

extension PolynomialParser {
    /// Parses a complex constant such as `0.5`, `-1e-2`, `0.5+0.1*i` or `(1-2*i)/…` (no variables; `psi` not allowed).
    public static func parseConstant(_ text: String) throws -> ComplexDouble {
        var p = Parser(text: text, psi: ComplexDouble(Double.nan, Double.nan))
        let t = try p.parseAll()
        guard t.keys.allSatisfy({ $0.isEmpty }) else { throw InputError("'\(text)': expected a complex number like 0.5 or 0.5+0.1*i, not a polynomial") }
        let c = t[[]] ?? .zero
        guard c.real.isFinite && c.imaginary.isFinite else { throw InputError("'\(text)': expected a finite complex number like 0.5+0.1*i") }
        return c
    }
}

import Foundation
import Networks
import NumericCore

/// A scalar function on Tⁿ written as a formula, e.g. `u = 0.5*cos(x) + 0.2*sin(2*y)`.
///
/// Grammar: numbers, the coordinates x, y, z (x₀, x₁, x₂), `pi`, + − * / ^ (right-associative, binds tighter than
/// unary minus: −x^2 = −(x²)), parentheses and the functions sin, cos, tan, exp, log, sqrt, tanh. An optional
/// leading `NAME =` is dropped. Parse errors are one line naming the offending token and its position.
public struct TorusExpression: Sendable, CustomStringConvertible {
    indirect enum Node: Sendable {
        case number(Double), variable(Int)
        case unary(Character, Node), binary(Character, Node, Node), call(String, Node)
    }
    let root: Node
    /// The formula as given (with its `NAME =`, if any).
    public let text: String
    /// Dimension n of the torus: the variables x, y, z available are the first n.
    public let dimension: Int
    /// The formula as given.
    public var description: String { text }

    static let functions = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh"]

    /// Parses `text` (see the grammar above) on Tⁿ; throws a one-line `InputError` naming the token and position.
    public init(_ text: String, dimension n: Int) throws {
        self.text = text; dimension = n
        var body = Substring(text)
        if let eq = body.firstIndex(of: "="),
           body[..<eq].trimmingCharacters(in: .whitespaces).allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
           !body[..<eq].trimmingCharacters(in: .whitespaces).isEmpty {
            body = body[body.index(after: eq)...]
        }
        var p = Parser(chars: Array(body), offset: text.count - body.count, text: text, dimension: n)
        let (r, _) = try p.expression()
        p.skip()
        if p.i < p.chars.count { throw p.error("unexpected '\(p.tokenText())'", "an operator or the end") }
        root = r
    }

    struct Parser {
        let chars: [Character]
        let offset: Int
        let text: String
        let dimension: Int
        var i = 0

        mutating func skip() { while i < chars.count && chars[i].isWhitespace { i += 1 } }
        func tokenText() -> String {
            guard i < chars.count else { return "end of input" }
            var j = i
            if chars[j].isLetter || chars[j].isNumber || chars[j] == "." { while j < chars.count && (chars[j].isLetter || chars[j].isNumber || chars[j] == "." || chars[j] == "_") { j += 1 } } else { j += 1 }
            return String(chars[i..<j])
        }
        func error(_ what: String, _ expected: String) -> InputError {
            InputError("\(what) at position \(offset + i + 1) in '\(text)', expected \(expected)")
        }
        /// The deepest expression tree accepted: evaluation, differentiation and deallocation of the tree recurse
        /// once per level, on worker threads with small stacks.
        static let maxHeight = 200
        var depth = 0

        /// Fails when a tree of height h would exceed `maxHeight`.
        func check(_ h: Int) throws {
            guard h <= Self.maxHeight else {
                throw error("expression nested more than \(Self.maxHeight) levels deep (parentheses, signs, powers or a chain of + − * /)", "a shallower formula")
            }
        }
        // Each returns the node and the height of its tree.
        mutating func expression() throws -> (Node, Int) {
            var (l, hl) = try term()
            while true {
                skip()
                guard i < chars.count, chars[i] == "+" || chars[i] == "-" else { return (l, hl) }
                let op = chars[i]; i += 1
                let (r, hr) = try term()
                hl = max(hl, hr) + 1
                try check(hl)
                l = .binary(op, l, r)
            }
        }
        mutating func term() throws -> (Node, Int) {
            var (l, hl) = try unary()
            while true {
                skip()
                guard i < chars.count, chars[i] == "*" || chars[i] == "/" else { return (l, hl) }
                let op = chars[i]; i += 1
                let (r, hr) = try unary()
                hl = max(hl, hr) + 1
                try check(hl)
                l = .binary(op, l, r)
            }
        }
        mutating func unary() throws -> (Node, Int) {
            // Every nesting (parentheses, calls, signs, powers) passes here: the parser's own recursion is bounded
            // before it can exhaust the stack.
            depth += 1
            defer { depth -= 1 }
            try check(depth)
            skip()
            if i < chars.count, chars[i] == "-" || chars[i] == "+" {
                let op = chars[i]; i += 1
                let (u, h) = try unary()
                try check(h + 1)
                return (.unary(op, u), h + 1)
            }
            return try power()
        }
        mutating func power() throws -> (Node, Int) {
            let (base, hb) = try primary()
            skip()
            if i < chars.count, chars[i] == "^" {
                i += 1
                let (e, he) = try unary()
                try check(max(hb, he) + 1)
                return (.binary("^", base, e), max(hb, he) + 1)
            }
            return (base, hb)
        }
        mutating func primary() throws -> (Node, Int) {
            skip()
            let expected = "a number, x, y\(dimension == 3 ? ", z" : ""), pi, (, or one of \(TorusExpression.functions.joined(separator: ", "))"
            guard i < chars.count else { throw error("unexpected end of input", expected) }
            let c = chars[i]
            if c == "(" {
                i += 1
                let e = try expression()
                skip()
                guard i < chars.count, chars[i] == ")" else { throw error("'\(tokenText())' where ')' belongs", "')'") }
                i += 1
                return e
            }
            if c.isNumber || c == "." {
                let start = i
                while i < chars.count && (chars[i].isNumber || chars[i] == ".") { i += 1 }
                if i < chars.count && (chars[i] == "e" || chars[i] == "E") {
                    var j = i + 1
                    if j < chars.count && (chars[j] == "+" || chars[j] == "-") { j += 1 }
                    if j < chars.count && chars[j].isNumber { i = j; while i < chars.count && chars[i].isNumber { i += 1 } }
                }
                let s = String(chars[start..<i])
                guard let v = Double(s) else { i = start; throw error("bad number '\(s)'", expected) }
                return (.number(v), 1)
            }
            if c.isLetter {
                let start = i
                let name = tokenText()
                i += name.count
                switch name.lowercased() {
                case "x": return (.variable(0), 1)
                case "y": return (.variable(1), 1)
                case "z":
                    if dimension < 3 { i = start; throw error("'z' is not a coordinate of T^\(dimension)", expected) }
                    return (.variable(2), 1)
                case "pi": return (.number(.pi), 1)
                default:
                    guard TorusExpression.functions.contains(name.lowercased()) else { i = start; throw error("unknown name '\(name)'", expected) }
                    skip()
                    guard i < chars.count, chars[i] == "(" else { throw error("'\(tokenText())' after \(name)", "'('") }
                    i += 1
                    let (arg, ha) = try expression()
                    skip()
                    guard i < chars.count, chars[i] == ")" else { throw error("'\(tokenText())' where ')' belongs", "')'") }
                    i += 1
                    try check(ha + 1)
                    return (.call(name.lowercased(), arg), ha + 1)
                }
            }
            throw error("unexpected '\(tokenText())'", expected)
        }
    }

    /// The value at the point x (n coordinates).
    public func callAsFunction(_ x: [Double]) -> Double { Self.eval(root, x) }

    /// Throws unless the formula is finite at every point of the uniform grid with `side` points per dimension on
    /// [0, 2π)ⁿ (the grids the torus commands evaluate it on are of this kind): one line naming the first point
    /// where it is not (`u = log(0)` is −inf everywhere).
    public func checkFinite(side: Int = 16) throws {
        let n = dimension, total = Int(pow(Double(side), Double(n)))
        var x = [Double](repeating: 0, count: n)
        for k in 0..<total {
            var r = k
            for j in 0..<n { x[j] = 2 * Double.pi * Double(r % side) / Double(side); r /= side }
            let v = self(x)
            if !v.isFinite {
                let at = x.map { String(format: "%.4g", $0) }.joined(separator: ", ")
                throw InputError("'\(text)' is \(v) at (\(at)); expected a formula finite everywhere on the torus")
            }
        }
    }

    static func eval(_ node: Node, _ x: [Double]) -> Double {
        switch node {
        case .number(let v): return v
        case .variable(let j): return x[j]
        case .unary(let op, let a): return op == "-" ? -eval(a, x) : eval(a, x)
        case .binary(let op, let a, let b):
            let u = eval(a, x), v = eval(b, x)
            switch op {
            case "+": return u + v
            case "-": return u - v
            case "*": return u * v
            case "/": return u / v
            default: return Foundation.pow(u, v)
            }
        case .call(let f, let a):
            let u = eval(a, x)
            switch f {
            case "sin": return Foundation.sin(u)
            case "cos": return Foundation.cos(u)
            case "tan": return Foundation.tan(u)
            case "exp": return Foundation.exp(u)
            case "log": return Foundation.log(u)
            case "sqrt": return u.squareRoot()
            default: return Foundation.tanh(u)
            }
        }
    }

    /// The second-order jet (value, gradient, Hessian in x) at the point x, exact by jet arithmetic through the
    /// formula (n ≤ 3).
    public func jet(_ x: [Double]) -> PointJet { Self.jet(root, x) }

    static func jet(_ node: Node, _ x: [Double]) -> PointJet {
        switch node {
        case .number(let v): return PointJet(constant: v)
        case .variable(let j): var J = PointJet(constant: x[j]); J.setD(j, 1); return J
        case .unary(let op, let a): return op == "-" ? -jet(a, x) : jet(a, x)
        case .binary(let op, let a, let b):
            let u = jet(a, x), v = jet(b, x)
            switch op {
            case "+": return u + v
            case "-": return u - v
            case "*": return u * v
            case "/": return u / v
            default:
                // u^v: a constant exponent by the power rule (any base sign), else exp(v·ln u).
                if v.s == PointJet(constant: v.v).s {
                    let p = v.v, b = u.v
                    return PointJet.compose(u, Foundation.pow(b, p), p * Foundation.pow(b, p - 1), p * (p - 1) * Foundation.pow(b, p - 2))
                }
                return PointJet.exp(v * PointJet.compose(u, Foundation.log(u.v), 1 / u.v, -1 / (u.v * u.v)))
            }
        case .call(let f, let a):
            let u = jet(a, x), z = u.v
            switch f {
            case "sin": return PointJet.compose(u, Foundation.sin(z), Foundation.cos(z), -Foundation.sin(z))
            case "cos": return PointJet.compose(u, Foundation.cos(z), -Foundation.sin(z), -Foundation.cos(z))
            case "tan": let t = Foundation.tan(z); return PointJet.compose(u, t, 1 + t * t, 2 * t * (1 + t * t))
            case "exp": return PointJet.exp(u)
            case "log": return PointJet.compose(u, Foundation.log(z), 1 / z, -1 / (z * z))
            case "sqrt": let r = z.squareRoot(); return PointJet.compose(u, r, 0.5 / r, -0.25 / (r * z))
            default: let t = Foundation.tanh(z); return PointJet.compose(u, t, 1 - t * t, -2 * t * (1 - t * t))
            }
        }
    }
}

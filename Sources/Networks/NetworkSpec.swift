import Foundation
import NumericCore

/// Parses a network description in neural-tangents' vocabulary, layers separated by spaces,
/// names case-insensitive:
///
///     Dense(512, W_std=1.5, b_std=0.05) Relu Dense(512, W_std=1.5, b_std=0.05) Erf Dense(1, W_std=1.5)
///
/// Layers: `Dense(width, W_std=1, b_std=None | value, parameterization=ntk|standard)` (as neural-tangents: no bias
/// unless `b_std` is given), `Relu`, `LeakyRelu(alpha)`,
/// `ABRelu(a, b)`, `Abs`, `Erf(a=1, b=1, c=0)`, `Sigmoid_like`, `Sin(a, b, c)`, `Cos(a, b, c)`,
/// `Gaussian(a=1, b=-1)`, `Exp(a=1, b=1)`, `Rbf(gamma=1)`, `Gelu`, `Sign`, `Identity`, `Monomial(degree)`,
/// `Polynomial(coef=[c0, c1, …])` (φ = Σ c_i xⁱ), and by quadrature
/// (`deg=` nodes per axis, default 64; tanh-like functions reach ~10⁻⁹ by 100): `Tanh`, `Sigmoid` (logistic), `Softplus`, `Swish`, `Elu(alpha=1)`.
/// Graph and spatial layers (docs/networks.md): `FanOut(n)`, `Parallel(A, B, …)` (each branch a space-separated
/// SPEC), `FanInSum`, `FanInConcat`, `LayerNorm(eps=1e-12)`, `Conv(out_chan, filter_shape, stride=1,
/// padding=VALID|SAME|CIRCULAR, W_std=1, b_std=None, parameterization=…)` (windows and strides an integer or a tuple
/// `(3,3)`), `AvgPool(window_shape, stride=1, padding=VALID)`, `GlobalAvgPool`, `Flatten`, `Aggregate(pattern=A.npy)`
/// (graph convolution by the adjacency A [S, S] of the positions, read from the file).
/// `defaultParameterization` applies to Dense layers that do not name one.
public enum NetworkSpec {
    /// `width` replaces the width placeholder `N` of Dense layers (`Dense(N) Tanh Dense(N) Tanh Dense(1)`: a family
    /// of networks over hidden widths, as `nntheory correlators` scans them); without it `N` is an error.
    public static func parse(_ text: String, defaultParameterization: Dense.Parameterization = .ntk, width: Int? = nil) throws -> Serial {
        var tokens: [String] = [], cur = "", depth = 0
        for ch in text {
            if ch == "(" {
                depth += 1
                if depth > 64 { throw InputError("network spec: parentheses nested more than 64 deep in '\(text.prefix(80))…'") }
            }
            if ch == ")" { depth -= 1; if depth < 0 { throw InputError("network spec: unbalanced ')' in '\(text)'") } }
            if (ch == " " || ch == "\t" || ch == "\n") && depth == 0 {
                if !cur.isEmpty { tokens.append(cur); cur = "" }
            } else { cur.append(ch) }
        }
        if depth != 0 { throw InputError("network spec: unbalanced '(' in '\(text)'") }
        if !cur.isEmpty { tokens.append(cur) }
        guard !tokens.isEmpty else { throw InputError("network spec is empty, expected layers like 'Dense(512) Relu Dense(1)'") }
        return Serial(try tokens.map { try layer($0, defaultParameterization, width: width) })
    }

    /// One activation in SPEC syntax (`Tanh`, `Erf(a=2)`, `relu`, …): the activation vocabulary of every command.
    public static func activation(_ text: String) throws -> Activation {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty, let nl = try layer(t, .ntk) as? Nonlinearity else {
            throw InputError("activation '\(text)', expected one of Relu, LeakyRelu(alpha), ABRelu(a, b), Abs, Erf, Sigmoid_like, Sin, Cos, Gaussian, Exp, Rbf, Gelu, Sign, Identity, Monomial(d), Polynomial(coef=[…]), Tanh, Sigmoid, Softplus, Swish, Elu")
        }
        return nl.activation
    }

    static func layer(_ token: String, _ defaultParameterization: Dense.Parameterization, width: Int? = nil) throws -> any Layer {
        let name: String, argText: String
        if let open = token.firstIndex(of: "(") {
            guard token.hasSuffix(")") else { throw InputError("network spec: '\(token)' has text after ')'") }
            name = String(token[..<open])
            argText = String(token[token.index(after: open)..<token.index(before: token.endIndex)])
        } else {
            name = token; argText = ""
        }
        var positional: [String] = [], named: [String: String] = [:]
        // Arguments split at commas outside brackets and parentheses (coef=[0.5, 0, 1], a window (3, 3) and a
        // branch 'Relu Dense(64, W_std=2)' of Parallel stay one argument each).
        var parts: [String] = [], piece = "", brackets = 0
        for ch in argText {
            if ch == "[" || ch == "(" { brackets += 1 } else if ch == "]" || ch == ")" { brackets -= 1 }
            if ch == "," && brackets == 0 { parts.append(piece); piece = "" } else { piece.append(ch) }
        }
        parts.append(piece)
        if name.lowercased() == "parallel" {
            let branches = parts.map { $0.trimmingCharacters(in: .whitespaces) }
            guard !branches.contains(where: \.isEmpty), !branches.isEmpty else {
                throw InputError("Parallel: an empty branch in '\(token)', expected Parallel(A, B) with A and B space-separated SPECs")
            }
            return Parallel(try branches.map { try parse($0, defaultParameterization: defaultParameterization, width: width) })
        }
        for part in parts.map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            if let eq = part.firstIndex(of: "="), !part[..<eq].contains("(") {
                named[part[..<eq].trimmingCharacters(in: .whitespaces).lowercased()] = part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            } else { positional.append(part) }
        }
        var used = Set<String>()
        var positionalAccepted = 0
        func number(_ key: String, _ index: Int?, _ def: Double?) throws -> Double {
            used.insert(key)
            if let i = index { positionalAccepted = max(positionalAccepted, i + 1) }
            let raw = named[key] ?? index.flatMap { $0 < positional.count ? positional[$0] : nil }
            guard let r = raw else {
                if let d = def { return d }
                throw InputError("\(name): missing parameter '\(key)'")
            }
            guard let v = Double(r), v.isFinite else { throw InputError("\(name): \(key)=\(r) is not a finite number") }
            return v
        }
        /// A window or stride: `3`, `(3, 3)` or `[3, 3]`, positive integers.
        func integers(_ key: String, _ index: Int?, _ def: [Int]?, alias: String? = nil) throws -> [Int] {
            used.insert(key)
            if let a = alias { used.insert(a) }
            if let i = index { positionalAccepted = max(positionalAccepted, i + 1) }
            let raw = named[key] ?? alias.flatMap { named[$0] } ?? index.flatMap { $0 < positional.count ? positional[$0] : nil }
            guard let r = raw else {
                if let d = def { return d }
                throw InputError("\(name): missing parameter '\(key)'")
            }
            var t = r.trimmingCharacters(in: .whitespaces)
            if (t.hasPrefix("(") && t.hasSuffix(")")) || (t.hasPrefix("[") && t.hasSuffix("]")) { t = String(t.dropFirst().dropLast()) }
            let v = t.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !v.isEmpty, v.count <= 3, v.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 4096 }) else {
                throw InputError("\(name): \(key)=\(r), expected a positive integer or a tuple like (3, 3) of one to three")
            }
            return v.map { $0! }
        }
        func paddingValue() throws -> Padding {
            used.insert("padding")
            guard let r = named["padding"] else { return .valid }
            guard let p = Padding(rawValue: r.trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")).uppercased()) else {
                throw InputError("\(name): padding=\(r), expected SAME, VALID or CIRCULAR")
            }
            return p
        }
        func channelAxis() throws {
            used.insert("axis")
            if let a = named["axis"], a.trimmingCharacters(in: .whitespaces) != "-1" {
                throw InputError("\(name): axis=\(a), expected -1 (the channel axis)")
            }
        }
        /// W_std (default 1), b_std (default None: no bias, as neural-tangents) and the parameterisation of a Dense or
        /// Conv layer; Dense also takes W_std and b_std as positional parameters 1 and 2.
        func affine(positionalFrom first: Int?) throws -> (Double, Double?, Dense.Parameterization) {
            let ws = try number("w_std", first, 1)
            guard ws >= 0 else { throw InputError("\(name): W_std=\(ws), expected ≥ 0") }
            used.insert("b_std")
            var bs: Double? = nil
            if let b = named["b_std"] ?? first.flatMap({ positional.count > $0 + 1 ? positional[$0 + 1] : nil }), b.lowercased() != "none" {
                guard let v = Double(b), v.isFinite, v >= 0 else { throw InputError("\(name): b_std=\(b), expected a number ≥ 0 or None") }
                bs = v
            }
            used.insert("parameterization")
            var par = defaultParameterization
            if let p = named["parameterization"] {
                guard let q = Dense.Parameterization(rawValue: p.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "'\""))) else {
                    throw InputError("\(name): parameterization=\(p), expected ntk or standard")
                }
                par = q
            }
            return (ws, bs, par)
        }
        let lower = name.lowercased()
        let l: any Layer
        switch lower {
        case "fanout":
            let n = try number("num", 0, nil)
            guard n >= 1, n <= 64, n == n.rounded() else { throw InputError("FanOut: \(positional.first ?? "?") branches, expected an integer 1…64") }
            l = FanOut(Int(n))
        case "faninsum": l = FanInSum()
        case "faninconcat": try channelAxis(); l = FanInConcat()
        case "flatten": l = Flatten()
        case "aggregate":
            used.insert("pattern")
            guard let path = named["pattern"], !path.isEmpty else {
                throw InputError("Aggregate: missing parameter 'pattern', expected pattern=FILE.npy (the adjacency [S, S] of the positions)")
            }
            let a = try NPY.readDoubles(URL(fileURLWithPath: path))
            guard a.rank == 2, a.shape[0] == a.shape[1], a.shape[0] >= 1 else {
                throw InputError("Aggregate: pattern \(path) has shape \(a.shape), expected a square [S, S]")
            }
            if let bad = a.data.first(where: { !$0.isFinite }) { throw InputError("Aggregate: pattern \(path) holds \(bad), expected finite weights") }
            l = Aggregate(pattern: Matrix(rows: a.shape[0], cols: a.shape[1], data: a.data), source: path)
        case "globalavgpool": l = GlobalAvgPool()
        case "layernorm":
            try channelAxis()
            let eps = try number("eps", nil, 1e-12)
            guard eps >= 0 else { throw InputError("LayerNorm: eps=\(eps), expected ≥ 0") }
            l = LayerNorm(epsilon: eps)
        case "avgpool":
            let window = try integers("window_shape", 0, nil)
            let strides = try integers("strides", nil, [1], alias: "stride")
            used.insert("normalize_edges")
            if let ne = named["normalize_edges"], ne.lowercased() != "false" {
                throw InputError("AvgPool: normalize_edges=\(ne), expected False (padding counts as zeros in the window mean)")
            }
            l = AvgPool(window: window, strides: strides, padding: try paddingValue())
        case "conv":
            if (named["out_chan"] ?? positional.first) == "N" {
                guard let width else { throw InputError("Conv: channels N is a placeholder, expected a number (N stands for the widths a scan substitutes)") }
                if named["out_chan"] != nil { named["out_chan"] = "\(width)" } else { positional[0] = "\(width)" }
            }
            let c = try number("out_chan", 0, nil)
            guard c >= 1, c == c.rounded(), c <= 1e6 else { throw InputError("Conv: channels \(named["out_chan"] ?? positional.first ?? "?"), expected a positive integer ≤ 10⁶") }
            let window = try integers("filter_shape", 1, nil)
            let strides = try integers("strides", nil, [1], alias: "stride")
            let (ws, bs, par) = try affine(positionalFrom: nil)
            l = Conv(Int(c), window: window, strides: strides, padding: try paddingValue(), wStd: ws, bStd: bs, parameterization: par)
        case "dense":
            if (named["out_dim"] ?? positional.first) == "N" {
                guard let width else { throw InputError("Dense: width N is a placeholder, expected a number (N stands for the widths a scan substitutes)") }
                if named["out_dim"] != nil { named["out_dim"] = "\(width)" } else { positional[0] = "\(width)" }
            }
            let w = try number("out_dim", 0, nil)
            guard w >= 1, w == w.rounded(), w <= 1e7 else {
                throw InputError("Dense: width \(named["out_dim"] ?? positional.first ?? "?"), expected a positive integer ≤ 10⁷")
            }
            let (ws, bs, par) = try affine(positionalFrom: 1)
            positionalAccepted = 3
            l = Dense(Int(w), wStd: ws, bStd: bs, parameterization: par)
        case "relu": l = Relu()
        case "leakyrelu": l = LeakyRelu(try number("alpha", 0, 0.01))
        case "abrelu": l = ABRelu(try number("a", 0, nil), try number("b", 1, nil))
        case "abs": l = Abs()
        case "erf": l = Erf(a: try number("a", 0, 1), b: try number("b", 1, 1), c: try number("c", 2, 0))
        case "sigmoid_like": l = SigmoidLike()
        case "sin": l = Sin(a: try number("a", 0, 1), b: try number("b", 1, 1), c: try number("c", 2, 0))
        case "cos": l = Cos(a: try number("a", 0, 1), b: try number("b", 1, 1), c: try number("c", 2, 0))
        case "gaussian": l = Gaussian(a: try number("a", 0, 1), b: try number("b", 1, -1))
        case "exp": l = Exp(a: try number("a", 0, 1), b: try number("b", 1, 1))
        case "rbf": l = Rbf(gamma: try number("gamma", 0, 1))
        case "gelu": l = Gelu()
        case "sign": l = Sign()
        case "identity": l = Identity()
        case "monomial":
            let d = try number("degree", 0, nil)
            guard d >= 0, d <= 16, d == d.rounded() else { throw InputError("Monomial: degree=\(d), expected an integer 0…16") }
            l = Monomial(Int(d))
        case "polynomial":
            used.insert("coef")
            positionalAccepted = 1
            guard let raw = named["coef"] ?? positional.first else { throw InputError("Polynomial: missing parameter 'coef', expected coef=[c0, c1, …]") }
            let inner = raw.hasPrefix("[") && raw.hasSuffix("]") ? String(raw.dropFirst().dropLast()) : raw
            let coef = try inner.split(separator: ",").map { part -> Double in
                let t = part.trimmingCharacters(in: .whitespaces)
                guard let v = Double(t), v.isFinite else { throw InputError("Polynomial: coefficient '\(t)' in coef=\(raw) is not a finite number") }
                return v
            }
            guard !coef.isEmpty, coef.count <= 17 else { throw InputError("Polynomial: coef=\(raw) has \(coef.count) coefficients, expected 1…17 (degree ≤ 16)") }
            l = Polynomial(coef)
        case "tanh", "sigmoid", "softplus", "swish", "elu":
            let deg = try number("deg", nil, 64)
            guard deg >= 2 && deg <= 150 && deg == deg.rounded() else { throw InputError("\(name): deg=\(deg), expected an integer 2…150") }
            let n = Int(deg)
            switch lower {
            case "tanh": l = Nonlinearity(.tanh(degree: n))
            case "sigmoid": l = Nonlinearity(.sigmoid(degree: n))
            case "softplus": l = Nonlinearity(.softplus(degree: n))
            case "swish": l = Nonlinearity(.swish(degree: n))
            default: l = Nonlinearity(.elu(alpha: try number("alpha", 0, 1), degree: n))
            }
        default:
            throw InputError("network spec: unknown layer '\(name)', expected Dense, Conv, Relu, LeakyRelu, ABRelu, Abs, Erf, Sigmoid_like, Sin, Cos, Gaussian, Exp, Rbf, Gelu, Sign, Identity, Monomial, Polynomial, Tanh, Sigmoid, Softplus, Swish, Elu, LayerNorm, Flatten, GlobalAvgPool, AvgPool, Aggregate, FanOut, Parallel, FanInSum or FanInConcat")
        }
        if positional.count > positionalAccepted {
            throw InputError("\(name): \(positional.count) positional parameters, expected at most \(positionalAccepted)")
        }
        if let bad = named.keys.sorted().first(where: { !used.contains($0) }) {
            throw InputError("\(name): unknown parameter '\(bad)'")
        }
        return l
    }
}

import Foundation
import NumericCore

/// A fully connected network description, layers separated by spaces, names case-insensitive:
///
///     Dense(64) Tanh Dense(64, W_std=1.5, b_std=0.1) Gelu Dense(3)
///
/// `Dense(width, W_std=1, b_std=0)` is z = h·W + b with W of shape [fan_in, width], initialised as
/// W = (W_std/√fan_in)·N(0, 1), b = b_std·N(0, 1) (standard parameterisation: the stored values are the weights).
/// Activations `Tanh`, `Gelu`, `Sin`, `Softplus`, `Identity` follow a Dense layer (at most one each);
/// a Dense layer without one is linear.
public struct MLPSpec: Sendable, Equatable, CustomStringConvertible {
    /// One Dense layer and the activation applied after it.
    public struct Layer: Sendable, Equatable {
        public var width: Int
        public var wStd: Double
        public var bStd: Double
        public var activation: MLPActivation
        public init(width: Int, wStd: Double = 1, bStd: Double = 0, activation: MLPActivation = .identity) {
            self.width = width; self.wStd = wStd; self.bStd = bStd; self.activation = activation
        }
    }

    public var layers: [Layer]

    public init(layers: [Layer]) { self.layers = layers }

    /// Width of the last layer.
    public var outputWidth: Int { layers.last?.width ?? 0 }

    public var description: String {
        layers.map { l in
            "Dense(\(l.width), W_std=\(l.wStd), b_std=\(l.bStd))" + (l.activation == .identity ? "" : " " + l.activation.rawValue.capitalized)
        }.joined(separator: " ")
    }

    /// Parses a SPEC string; errors are one line naming the offending token.
    public static func parse(_ text: String) throws -> MLPSpec {
        var tokens: [String] = [], cur = "", depth = 0
        for ch in text {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1; if depth < 0 { throw InputError("network spec: unbalanced ')' in '\(text)'") } }
            if ch.isWhitespace && depth == 0 {
                if !cur.isEmpty { tokens.append(cur); cur = "" }
            } else { cur.append(ch) }
        }
        if depth != 0 { throw InputError("network spec: unbalanced '(' in '\(text)'") }
        if !cur.isEmpty { tokens.append(cur) }
        guard !tokens.isEmpty else { throw InputError("network spec is empty, expected layers like 'Dense(64) Tanh Dense(1)'") }
        var layers: [Layer] = []
        var activated = false
        for token in tokens {
            let name: String, argText: String
            if let open = token.firstIndex(of: "(") {
                guard token.hasSuffix(")") else { throw InputError("network spec: '\(token)' has text after ')'") }
                name = String(token[..<open]).lowercased()
                argText = String(token[token.index(after: open)..<token.index(before: token.endIndex)])
            } else { name = token.lowercased(); argText = "" }
            if name == "dense" {
                var positional: [String] = [], named: [String: String] = [:]
                for part in argText.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
                    if let eq = part.firstIndex(of: "=") {
                        named[part[..<eq].trimmingCharacters(in: .whitespaces).lowercased()] = part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                    } else { positional.append(part) }
                }
                if let bad = named.keys.sorted().first(where: { !["width", "w_std", "b_std"].contains($0) }) {
                    throw InputError("\(token): unknown parameter '\(bad)', expected width, W_std or b_std")
                }
                guard positional.count <= 3 else { throw InputError("\(token): \(positional.count) positional parameters, expected at most 3") }
                func value(_ key: String, _ i: Int, _ def: Double?) throws -> Double {
                    guard let raw = named[key] ?? (i < positional.count ? positional[i] : nil) else {
                        if let d = def { return d }
                        throw InputError("\(token): missing \(key), expected Dense(width)")
                    }
                    guard let v = Double(raw), v.isFinite else { throw InputError("\(token): \(key) '\(raw)' is not a finite number") }
                    return v
                }
                let w = try value("width", 0, nil)
                guard w >= 1, w == w.rounded(), w < 1e7 else {
                    throw InputError("\(token): width \(named["width"] ?? positional.first ?? "?"), expected a positive integer")
                }
                let ws = try value("w_std", 1, 1), bs = try value("b_std", 2, 0)
                guard ws >= 0, bs >= 0 else { throw InputError("\(token): W_std and b_std must be ≥ 0") }
                layers.append(Layer(width: Int(w), wStd: ws, bStd: bs))
                activated = false
            } else if let a = MLPActivation(rawValue: name) {
                guard argText.isEmpty else { throw InputError("network spec: '\(token)' takes no parameters") }
                guard !layers.isEmpty, !activated else {
                    throw InputError("network spec: '\(token)' must directly follow a Dense layer")
                }
                layers[layers.count - 1].activation = a
                activated = true
            } else {
                throw InputError("network spec: unknown layer '\(token)', expected Dense, Tanh, Gelu, Sin, Softplus or Identity")
            }
        }
        return MLPSpec(layers: layers)
    }
}

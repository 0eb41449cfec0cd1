import CYBridge
import Foundation
import Networks
import NumericCore
import Testing
import Training

/// Every parser of user input (docs/errors.md) fed 3·10⁴ random and mutated inputs (extremes among them): each either parses or throws an
/// error whose message is one non-empty line — no crash (a trap or a stack overflow ends this process and fails
/// the run), no hang (the suite's time is bounded by CI). Inputs are drawn from a seeded generator, so a failure
/// names a reproducible input.
@Suite struct ParserFuzzTests {
    static let perParser = 30_000

    /// SplitMix64: a small seeded generator for the fuzz inputs alone.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
        mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
    }

    /// Tokens that matter to the grammars (numbers at the edges of Float64 and Int among them) and stray bytes.
    static let atoms = ["(", ")", ",", ";", "=", "+", "-", "*", "/", "^", ".", " ", "e", "E", "i", "x", "y", "z", "z0",
                        "z1", "z9", "psi", "pi", "0", "1", "2", "5", "99", "1e308", "1e400", "-0", "nan", "inf", "NaN",
                        "9223372036854775807", "9223372036854775808", "1e-400", "[", "]", "'", "\"", "\u{0}", "é", "∞",
                        "N", "None", "sin(", "exp(", "log(", "sqrt(", "Dense(", "Relu", "Erf(", "Tanh", "W_std=", "b_std=",
                        "a=", "deg=", "coef=[", "\n", "\t", "𝑥"]

    /// One mutation of `s`: delete, insert an atom, duplicate a piece, truncate, wrap in parentheses, or swap halves.
    static func mutate(_ s: String, _ g: inout Generator) -> String {
        var c = Array(s)
        switch g.below(6) {
        case 0: if !c.isEmpty { c.remove(at: g.below(c.count)) }
        case 1: c.insert(contentsOf: g.pick(atoms), at: g.below(c.count + 1))
        case 2:
            if !c.isEmpty {
                let a = g.below(c.count), b = min(c.count, a + 1 + g.below(8))
                c.insert(contentsOf: c[a..<b], at: g.below(c.count + 1))
            }
        case 3: c = Array(c.prefix(g.below(c.count + 1)))
        case 4: c = Array("(" + String(c) + ")")
        default: if c.count > 1 { let m = g.below(c.count); c = Array(c[m...] + c[..<m]) }
        }
        return String(c)
    }

    /// `count` inputs: half random strings of atoms, half chains of up to eight mutations of a valid seed.
    static func inputs(seeds: [String], count: Int, seed: UInt64) -> [String] {
        var g = Generator(state: seed)
        return (0..<count).map { k in
            if k % 500 == 1 {   // extremes: nesting up to 10⁵ deep (stack depth) and chains of 10⁵ terms
                let n = 1000 * (1 + g.below(100)), s = g.pick(seeds)
                return g.below(2) == 0 ? String(repeating: "(", count: n) + s + String(repeating: ")", count: n)
                    : Array(repeating: s, count: n / 10).joined(separator: g.pick(["+", ",", " ", ";", "*"]))
            }
            if k % 2 == 0 {
                return (0..<g.below(24)).map { _ in g.pick(atoms) }.joined()
            }
            var s = g.pick(seeds)
            for _ in 0...g.below(8) { s = mutate(s, &g) }
            return s
        }
    }

    /// Runs `parse` on every input; an error must be one non-empty line. Returns how many parsed.
    static func fuzz(_ inputs: [String], _ parse: (String) throws -> Void) -> Int {
        var parsed = 0
        for s in inputs {
            do { try parse(s); parsed += 1 } catch {
                let m = "\(error)"
                #expect(!m.isEmpty && !m.contains("\n"), "input \(s.debugDescription): \(m.debugDescription)")
            }
        }
        return parsed
    }

    @Test func networkSpecs() {
        let seeds = ["Dense(512) Relu Dense(1)", "Dense(512, W_std=1.5, b_std=0.05) Erf(a=2) Dense(1, W_std=1.5)",
                     "Dense(N) Tanh(deg=48) Dense(N) Sigmoid Dense(3)", "Dense(8, parameterization=standard) LeakyRelu(0.1) Dense(1)",
                     "Dense(4) Polynomial(coef=[0, 1, 0.5]) Monomial(3) Dense(1)", "Dense(2) Sin(1, 2, 0.5) Gaussian Dense(1)"]
        let n = Self.fuzz(Self.inputs(seeds: seeds, count: Self.perParser, seed: 1)) { _ = try NetworkSpec.parse($0, width: 16) }
        #expect(n > 0 && n < Self.perParser)   // the mutations reach both outcomes
    }

    /// Residual, convolutional and pooling SPECs, mutated: every one that parses also goes through the shape check
    /// and the kernel map on small signals [2, 6, 2], images [2, 4, 4, 2] and vectors [2, 3] — an error is one line, never
    /// a trap (a branch count, a window, a padding, a Gaussian input, a spatial output).
    @Test func graphNetworkSpecs() throws {
        let seeds = ["Dense(8) FanOut(2) Parallel(Relu Dense(8), Identity) FanInSum Relu Dense(1)",
                     "Dense(4) FanOut(3) Parallel(Erf, Relu, Identity) FanInConcat Dense(1, b_std=0.1)",
                     "Conv(4, 3, padding=SAME, W_std=1.4) Relu AvgPool(2) Conv(4, 2, stride=2) Erf GlobalAvgPool Dense(1)",
                     "Conv(4, (3,3), stride=(2,1), padding=CIRCULAR) LayerNorm Relu Flatten Dense(2)",
                     "Conv(4, (2,2)) FanOut(2) Parallel(Relu Conv(4, (2,2), padding=SAME), Identity) FanInSum GlobalAvgPool Dense(1)"]
        var g = RandomStream(seed: 9, stream: 0)
        let shapes: [TensorShape] = [TensorShape(spatial: [6], channels: 2), TensorShape(spatial: [4, 4], channels: 2), .vector(3)]
        // Besides mutated text, random compositions of valid layers: most parse, and reach the graph walk in every
        // order (FanIn without FanOut, Parallel after pooling, LayerNorm after Relu, …).
        let vocabulary = ["Dense(3)", "Dense(4, W_std=1.3, b_std=0.1)", "Relu", "Erf", "Identity", "LayerNorm", "FanOut(2)", "FanOut(3)",
                          "Parallel(Relu Dense(4), Identity)", "Parallel(Erf, Relu, Identity)", "FanInSum", "FanInConcat",
                          "Conv(3, 2)", "Conv(3, (3,3), padding=SAME)", "Conv(2, 3, stride=2, padding=CIRCULAR, parameterization=standard)",
                          "AvgPool(2)", "AvgPool((2,2), stride=2, padding=SAME)", "Flatten", "GlobalAvgPool"]
        var composed: [String] = []
        for _ in 0..<(Self.perParser / 10) {
            var layers: [String] = []
            let count = 1 + Int(g.nextUInt64() % 7)
            for _ in 0..<count { layers.append(vocabulary[Int(g.nextUInt64() % UInt64(vocabulary.count))]) }
            if g.nextUInt64() % 2 == 0 { layers.append("Dense(1)") }
            composed.append(layers.joined(separator: " "))
        }
        var kernelsComputed = 0
        let n = Self.fuzz(Self.inputs(seeds: seeds, count: Self.perParser / 10, seed: 3) + composed) { text in
            let net = try NetworkSpec.parse(text, width: 16)
            for shape in shapes {
                let x = Matrix(rows: 2, cols: shape.size, data: (0..<(2 * shape.size)).map { _ in g.normal() })
                do { _ = try net.kernels(x, inputShape: shape); kernelsComputed += 1 } catch {
                    let m = "\(error)"
                    #expect(!m.isEmpty && !m.contains("\n"), "\(text.debugDescription) on \(shape): \(m.debugDescription)")
                }
            }
        }
        // The composed networks (small widths) as finite networks: where the kernel exists, so do the outputs and the
        // parameter Jacobian of every layer's pullback, finite and of the layout's size.
        var jacobians = 0
        for text in composed {
            guard let net = try? NetworkSpec.parse(text) else { continue }
            for shape in shapes {
                let x = Matrix(rows: 2, cols: shape.size, data: (0..<(2 * shape.size)).map { _ in g.normal() })
                guard (try? net.kernels(x, inputShape: shape)) != nil, let network = try? Network(net, inputShape: shape, seed: 1) else { continue }
                let J = network.jacobian(x), f = network.outputs(x)
                #expect(J.rows == 2 * f.cols && J.cols == network.parameterCount && J.data.allSatisfy(\.isFinite), "\(text) on \(shape)")
                jacobians += 1
            }
        }
        print("graph SPECs: \(n) parsed, \(kernelsComputed) kernels, \(jacobians) Jacobians computed")
        #expect(n > 0 && kernelsComputed > 0 && jacobians > 0)
    }

    @Test func polynomials() {
        let seeds = ["z0^5 + z1^5 + z2^5 + z3^5 + z4^5 - 5*psi*z0*z1*z2*z3*z4", "(z0 + i*z1)^3 - 0.5e-1*z2^3",
                     "z0^3 + z1^3 + z2^3; z3^2 - z0*z1", "2*(z0 - z1)*(z0 + z1) + (1+2i)*z2^2"]
        let n = Self.fuzz(Self.inputs(seeds: seeds, count: Self.perParser, seed: 2)) {
            _ = try PolynomialParser.parse($0, variables: 10, psi: ComplexDouble(0.5, 0))
        }
        #expect(n > 0 && n < Self.perParser)
    }

    @Test func torusFormulas() {
        let seeds = ["u = 0.5*cos(x) + 0.2*sin(2*y)", "exp(-(x-pi)^2) * sqrt(1 + tanh(y)^2)", "log(2 + cos(x)) / (1 + 0.1*sin(z))"]
        let metrics = ["g11 = 1 + 0.1*cos(x); g12 = 0; g22 = 1", "u = 0.3*sin(x)*cos(y)"]
        let n = Self.fuzz(Self.inputs(seeds: seeds, count: Self.perParser, seed: 3)) { _ = try TorusExpression($0, dimension: 3) }
        let m = Self.fuzz(Self.inputs(seeds: metrics, count: Self.perParser, seed: 4)) { _ = try TorusMetricExpression($0, dimension: 2) }
        #expect(n > 0 && n < Self.perParser && m > 0 && m < Self.perParser)
    }

    @Test func pointLists() {
        let seeds = ["0.2,0.4,0.6", "1,0;0,1;0.6,0.8", "-1,-0.6,-0.2,0.2,0.6,1", "1e-3,2e3;3,4"]
        let n = Self.fuzz(Self.inputs(seeds: seeds, count: Self.perParser, seed: 5)) { _ = try PointSet.parse($0) }
        #expect(n > 0 && n < Self.perParser)
    }

    /// `.npy` bytes: valid files with mutated headers (text mutations of the header dictionary, random shapes and
    /// dtypes, lengths that disagree with the data) and random byte flips anywhere.
    @Test func npyHeaders() {
        var g = Generator(state: 6)
        let valid = NPY.encode(NDArray<Double>(shape: [3, 2], data: [1, 2, 3, 4, 5, 6]))
        let headerEnd = 10 + Int(valid[8]) + Int(valid[9]) << 8
        let header = String(decoding: valid[10..<headerEnd], as: UTF8.self)
        let shapes = ["()", "(3,)", "(3, 2)", "(2, 3, 1)", "(0,)", "(-1,)", "(9223372036854775807, 2)", "(4611686018427387904,)",
                      "(3, 2", "(,)", "(1e3,)", "((3,),)"]
        let descrs = ["<f8", ">f8", "<c16", "<i8", "<f4", "<i4", "|b1", "<U8", "O", ""]
        var parsed = 0
        for k in 0..<Self.perParser {
            var data: Data
            if k % 3 == 0 {
                var flipped = Array(valid)
                for _ in 0...g.below(4) { flipped[g.below(flipped.count)] = UInt8(g.below(256)) }
                data = Data(flipped)
            } else {
                var h = k % 3 == 1
                    ? "{'descr': '\(g.pick(descrs))', 'fortran_order': \(g.pick(["False", "True", "0"])), 'shape': \(g.pick(shapes)), }"
                    : header
                for _ in 0..<g.below(4) { h = Self.mutate(h, &g) }
                let bytes = Array(h.utf8)
                data = Data(valid[0..<8])
                data.append(contentsOf: [UInt8(bytes.count & 0xFF), UInt8((bytes.count >> 8) & 0xFF)])
                data.append(contentsOf: bytes)
                data.append(valid[headerEnd...].prefix(g.below(64)))
            }
            do { _ = try NPY.decode(data, name: "fuzz.npy"); parsed += 1 } catch {
                let m = "\(error)"
                #expect(!m.isEmpty && !m.contains("\n"), "case \(k): \(m.debugDescription)")
            }
        }
        #expect(parsed > 0 && parsed < Self.perParser)
    }
}

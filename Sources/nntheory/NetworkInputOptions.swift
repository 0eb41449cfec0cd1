import ArgumentParser
import Foundation
import NTK
import Networks
import NumericCore

/// The network SPEC and its default parameterisation, shared by the kernel and ntk commands.
struct NetworkOptions: ParsableArguments {
    @Option(help: "Network SPEC: layers separated by spaces, e.g. 'Dense(512) Relu Dense(1)' (grammar: docs/networks.md).")
    var net: String?

    @Option(help: "Default parameterisation of Dense layers: ntk | standard.")
    var parameterization: String = "ntk"

    /// The parsed network; a one-line error for a bad SPEC or parameterisation.
    func resolve() throws -> Serial {
        guard let net else { throw InputError("missing --net SPEC, expected layers like 'Dense(512) Relu Dense(1)'") }
        return try naming("--net") { try NetworkSpec.parse(net, defaultParameterization: try defaultParameterization()) }
    }

    /// The parameterisation of Dense layers that name none.
    func defaultParameterization() throws -> Dense.Parameterization { try parseParameterization(parameterization) }
}

/// A --parameterization value: ntk or standard (any case); a one-line error otherwise.
func parseParameterization(_ text: String) throws -> Dense.Parameterization {
    guard let par = Dense.Parameterization(rawValue: text.lowercased()) else {
        throw InputError("--parameterization '\(text)', expected ntk or standard")
    }
    return par
}

/// The two point sets of the kernel commands.
struct PointOptions: ParsableArguments {
    @Option(name: .customLong("x"), parsing: .unconditional, help: "First point set: .npy [P1, d] (images [P1, H, W, C], signals [P1, L, C]) or inline rows '1,0;0,1'.")
    var x1: String

    @Option(name: .customLong("x2"), parsing: .unconditional, help: "Second point set (default: the first).")
    var x2: String?

    /// The two point sets (the second nil when not given), one flattened point per row, and the shape of one
    /// point; one-line errors naming the option.
    func resolve() throws -> (x1: Matrix, x2: Matrix?, shape: TensorShape) {
        let (a, axes) = try naming("--x") { try PointSet.parseShaped(x1) }
        let b = try x2.map { spec in
            try naming("--x2") { () throws -> Matrix in
                let (m, other) = try PointSet.parseShaped(spec, dimension: a.cols)
                guard other == axes else { throw InputError("points of shape \(other), expected \(axes) like --x") }
                return m
            }
        }
        return (a, b, TensorShape(pointAxes: axes))
    }
}

/// The network SPEC and one point set, shared by `ntk convergence` and `ntk drift`.
struct NetworkPointSetOptions: ParsableArguments {
    @OptionGroup var network: NetworkOptions

    @Option(name: .customLong("x"), parsing: .unconditional, help: "Points: .npy [P, d] (images [P, H, W, C], signals [P, L, C]) or inline rows '1,0;0,1'.")
    var points: String

    /// The parsed network, the points (one flattened point per row) and the shape of one point; one-line errors
    /// for each bad value.
    func resolve() throws -> (network: Serial, points: Matrix, shape: TensorShape) {
        let net = try network.resolve()
        let (x, axes) = try naming("--x") { try PointSet.parseShaped(points) }
        return (net, x, TensorShape(pointAxes: axes))
    }
}

/// Options shared by the kernel commands: the network (required) and the two point sets.
struct NetworkInputOptions: ParsableArguments {
    @OptionGroup var network: NetworkOptions
    @OptionGroup var points: PointOptions

    func validate() throws {
        if network.net == nil { throw ValidationError("Missing expected argument '--net <net>'") }
    }

    /// The parsed network, point sets and the shape of one point; one-line errors for each bad value (the
    /// network's check against the shape included).
    func resolve() throws -> (network: Serial, x1: Matrix, x2: Matrix?, shape: TensorShape) {
        let serial = try network.resolve()
        let (a, b, shape) = try points.resolve()
        _ = try naming("--net") { try serial.outputShape(shape) }
        return (serial, a, b, shape)
    }
}

/// Parameters of a network: drawn from --seed (saved to DIR/params) or loaded from --params in
/// neural-tangents' layout.
struct ParameterSourceOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Seed for the parameters (Dense layer k from Philox stream k).")
    var seed: UInt64?

    @Option(help: "Directory of parameters in neural-tangents' layout (p{i}_W.npy [fan_in, fan_out], p{i}_b.npy [1, fan_out]).")
    var params: String?

    func resolve(_ serial: Serial, inputWidth: Int, saveTo dir: URL) throws -> Network {
        try resolve(serial, inputShape: .vector(inputWidth), saveTo: dir)
    }

    func resolve(_ serial: Serial, inputShape: TensorShape, saveTo dir: URL) throws -> Network {
        // The empirical NTK is a sum over parameters: a SPEC without any (a bare activation) has none to sum.
        guard try naming("--net", { try ParameterLayout(serial, inputShape: inputShape) }).count > 0 else {
            throw InputError("--net '\(serial.description)' has no parameters, expected at least one Dense or Conv layer (the NTK sums over parameters)")
        }
        switch (seed, params) {
        case (let s?, nil):
            let p = try Network(serial, inputShape: inputShape, seed: s)
            try ParameterIO.save(p, to: dir.appendingPathComponent("params"))
            return p
        case (nil, let p?):
            return try ParameterIO.load(for: serial, inputShape: inputShape, from: URL(fileURLWithPath: p))
        default:
            throw InputError("give exactly one of --seed and --params")
        }
    }
}

/// Parses a comma-separated list of positive widths.
func parseWidths(_ text: String, option: String = "--widths") throws -> [Int] {
    let w = try parseList(text, option: option, expected: "a positive integer") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
    guard !w.isEmpty else { throw InputError("\(option) is empty, expected widths such as 64,256,1024") }
    return w
}

/// Runs `body`, prefixing the option's name to an input error ("--x2: points: dimension 2, expected 3").
func naming<T>(_ option: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as InputError { throw InputError("\(option): \(e.description)") }
}

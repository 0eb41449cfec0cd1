import NumericCore

/// Errors in building or applying a network description; one line naming the layer and the problem.
public struct LayerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Trainable parameters of one layer: weights [fan_in, fan_out] and bias [fan_out] (neural-tangents'
/// `stax.Dense` layout), or nothing.
public struct LayerParameters: Sendable, Equatable {
    public var weight: Matrix?
    public var bias: [Double]?
    public static let none = LayerParameters(weight: nil, bias: nil)
}

/// A layer carries its forward map and its kernel map together (neural-tangents' `stax`):
/// `apply` maps the activations h [P, width] of a finite network; `kernel` maps the infinite-width
/// (NNGP, NTK) pair.
public protocol Layer: Sendable {
    /// A short description in SPEC syntax.
    var name: String { get }
    func outputWidth(inputWidth: Int) -> Int
    func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters
    func apply(_ parameters: LayerParameters, _ h: Matrix) -> Matrix
    func kernel(_ k: KernelState) throws -> KernelState
}

/// Builds a `Serial` network from layers listed one per line.
@resultBuilder
public enum NetworkBuilder {
    public static func buildExpression(_ l: any Layer) -> [any Layer] { [l] }
    public static func buildExpression(_ l: Serial) -> [any Layer] { l.layers }
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    public static func buildEither(first: [any Layer]) -> [any Layer] { first }
    public static func buildEither(second: [any Layer]) -> [any Layer] { second }
}

/// Layers composed in sequence: forward maps compose, kernel maps compose.
///
///     let net = Serial { Dense(512, wStd: 1.5, bStd: 0.05); Relu(); Dense(1, wStd: 1.5) }
public struct Serial: Sendable {
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }
    public init(@NetworkBuilder _ build: () -> [any Layer]) { self.layers = build() }

    /// The NNGP and NTK of x₁ against x₂ (x₁ against itself when x₂ is nil).
    public func kernels(_ x1: Matrix, _ x2: Matrix? = nil, diagonalOnly: Bool = false) throws -> KernelState {
        var k = KernelState(x1: x1, x2: x2, diagonalOnly: diagonalOnly)
        for l in layers { k = try l.kernel(k) }
        return k
    }

    /// Parameters of every layer, drawn in layer order from one stream.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> [LayerParameters] {
        var w = inputWidth
        return layers.map { l in
            defer { w = l.outputWidth(inputWidth: w) }
            return l.initialize(inputWidth: w, using: &rng)
        }
    }

    /// The finite network's outputs [P, width_out].
    public func apply(_ parameters: [LayerParameters], _ x: Matrix) -> Matrix {
        var h = x
        for (l, p) in zip(layers, parameters) { h = l.apply(p, h) }
        return h
    }

    public func outputWidth(inputWidth: Int) -> Int { layers.reduce(inputWidth) { $1.outputWidth(inputWidth: $0) } }

    public var description: String { layers.map(\.name).joined(separator: " ") }
}

import Foundation
import NumericCore

/// A network whose outputs build a Riemannian metric on an n-manifold: g(x) = G(h(φ(x))), with φ an input
/// embedding (the periodic `TorusEmbedding` on Tⁿ, or the coordinates themselves), h a `Network`, and G a
/// `MetricParametrization` (with the reference conformal factor r(x) = e^{u_ref(x)} of `additive`). Without an
/// embedding the network takes the points as they are (any number of coordinates). Outputs past the
/// metric's (`extraOutputs`, e.g. a dilaton) are carried but do not enter g.
///
/// This is what metric-NTKs (NTK's `MetricNTK`) and curvature (Training's `NeuralTorusMetric`) are computed from, so
/// a network trained by `nntheory train torus` is the same value that `nntheory ntk metric --from` differentiates.
public struct MetricNetwork: Sendable {
    /// Dimension n of the manifold (g is n × n).
    public let dimension: Int
    /// How the outputs build g (components, conformal, LDLᵀ or additive).
    public let parametrization: MetricParametrization
    /// The periodic embedding of Tⁿ (nil: the network sees x itself).
    public let embedding: TorusEmbedding?
    /// The network h; its parameters are the θ of the metric-NTK and of training.
    public var network: Network
    /// The jet (value, gradient, Hessian) of the reference conformal factor r(x) = e^{u_ref(x)} of `additive`
    /// (nil: r = 1, the flat metric δ).
    public let reference: (@Sendable ([Double]) -> PointJet)?
    /// Network outputs after the metric's that do not enter g.
    public let extraOutputs: Int

    /// A metric network; throws unless the network has exactly `outputCount(n) + extraOutputs` outputs, the
    /// embedding (if any) is of Tⁿ with the network's input width, and a reference is given only to `additive`.
    public init(dimension n: Int, parametrization: MetricParametrization, embedding: TorusEmbedding?, network: Network,
                reference: (@Sendable ([Double]) -> PointJet)? = nil, extraOutputs: Int = 0) throws {
        guard n >= 1 else { throw InputError("metric dimension \(n), expected ≥ 1") }
        try network.requireDenseChain(for: "a metric network")
        guard parametrization.supportsRealCoordinates else {
            throw InputError("metric parametrisation \(parametrization.rawValue) needs complex coordinates, expected components, conformal, ldl or additive")
        }
        if let e = embedding, e.dimension != n { throw InputError("embedding of T^\(e.dimension) for a metric on an \(n)-manifold") }
        if let e = embedding, network.inputWidth != e.width {
            throw InputError("network takes inputs of width \(network.inputWidth), the embedding of T^\(n) has \(e.width)")
        }
        let need = parametrization.outputCount(dimension: n) + extraOutputs
        guard network.outputWidth == need else {
            throw InputError("a \(parametrization.rawValue) metric on a \(n)-manifold\(extraOutputs > 0 ? " with \(extraOutputs) extra output(s)" : "") needs \(need) network outputs, the network '\(network.architecture.description)' has \(network.outputWidth)")
        }
        if reference != nil && parametrization != .additive {
            throw InputError("a reference metric belongs to the additive parametrisation, not \(parametrization.rawValue)")
        }
        dimension = n; self.parametrization = parametrization; self.embedding = embedding; self.network = network
        self.reference = reference; self.extraOutputs = extraOutputs
    }

    /// Outputs that build the metric.
    public var metricOutputs: Int { parametrization.outputCount(dimension: dimension) }

    /// The network's inputs at the rows of x [P, n]: φ(x) [P, embedding width], or x itself.
    public func networkInputs(_ x: Matrix) -> Matrix {
        guard let e = embedding else { return x }
        return e.jet(x, order: 0).block(0)
    }

    /// g(x) [n, n] and ∂g_ij/∂h_a [n², O] at every row of x (O = all network outputs).
    public func metricsAndJacobians(_ x: Matrix) -> [(g: Matrix, dg: Matrix)] {
        let h = network.outputs(networkInputs(x))
        return (0..<x.rows).map { p in
            parametrization.metric(outputs: h.row(p), dimension: dimension, reference: reference.map { $0(x.row(p)).v })
        }
    }

    /// g at the rows of x, [P, n, n].
    public func metrics(_ x: Matrix) -> NDArray<Double> {
        let m = metricsAndJacobians(x)
        return NDArray(shape: [x.rows, dimension, dimension], data: m.flatMap(\.g.data))
    }
}

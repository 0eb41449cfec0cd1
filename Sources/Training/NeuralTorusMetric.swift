import Foundation
import Networks
import NumericCore

/// A Riemannian metric on Tⁿ (n = 2, 3) given by a network: g(x) = G(h(φ(x))) with φ the periodic
/// embedding (`TorusEmbedding`), h a `Network` and G a `MetricParametrization` — a `MetricNetwork`, plus what
/// training needs: with `dilaton` the network has one more output, a scalar f(x) (Perelman's F), and the reference
/// of `additive` is a formula u_ref (`TorusExpression`, r = e^{u_ref}). Curvature comes from the network's
/// second-order jets in x.
public struct NeuralTorusMetric: Sendable {
    /// The metric network (embedding, network, parametrisation, reference); what `MetricNTK` differentiates.
    public var metricNetwork: MetricNetwork
    /// The reference metric e^{u_ref(x)}δ of the `additive` parametrisation (nil: flat δ), with exact jets.
    public let reference: TorusExpression?

    /// Dimension n of the torus (2 or 3).
    public var dimension: Int { metricNetwork.dimension }
    /// How the outputs build g (conformal, LDLᵀ, components or additive).
    public var parametrization: MetricParametrization { metricNetwork.parametrization }
    /// The periodic input embedding (cos k x_j, sin k x_j), k = 1…K.
    public var embedding: TorusEmbedding { metricNetwork.embedding! }
    /// Whether the network has the extra dilaton output f (Perelman's F).
    public var dilaton: Bool { metricNetwork.extraOutputs == 1 }
    /// The network h; its parameters are what training moves.
    public var network: Network {
        get { metricNetwork.network }
        set { metricNetwork.network = newValue }
    }

    /// Outputs that build the metric (the dilaton, if any, is the next one).
    public var metricOutputs: Int { parametrization.outputCount(dimension: dimension) }

    /// A torus metric whose network `architecture` (on the 2nK embedding features) draws its parameters from
    /// stream 0 of `seed`.
    public init(dimension n: Int, parametrization: MetricParametrization, architecture: Serial, harmonics: Int,
                dilaton: Bool = false, reference: TorusExpression? = nil, seed: UInt64) throws {
        guard n == 2 || n == 3 else { throw InputError("torus dimension \(n), expected 2 or 3") }
        let emb = try TorusEmbedding(dimension: n, harmonics: harmonics)
        if let r = reference, r.dimension != n { throw InputError("reference '\(r)' is a formula on T^\(r.dimension), expected T^\(n)") }
        let network = try Network(architecture, inputWidth: emb.width, seed: seed)
        var jet: (@Sendable ([Double]) -> PointJet)? = nil
        if let r = reference { jet = { (x: [Double]) -> PointJet in PointJet.exp(r.jet(x)) } }
        metricNetwork = try MetricNetwork(dimension: n, parametrization: parametrization, embedding: emb, network: network,
                                          reference: jet, extraOutputs: dilaton ? 1 : 0)
        self.reference = reference
    }

    /// Geometry at the rows of x [P, n]: g [P, n, n], Γ^k_ij [P, n, n, n] (k first), R_abcd [P, n⁴], Ric [P, n, n],
    /// R [P], √det g [P], dilaton f [P] (zeros without one). Non-positive det g gives NaN curvature at that point.
    public struct Evaluation: Sendable {
        /// g_ij [P, n, n], Γ^k_ij [P, n, n, n] (k first), R_abcd [P, n, n, n, n] and Ric_bd [P, n, n].
        public var metric, christoffel, riemann, ricci: NDArray<Double>
        /// R [P], √det g [P] and the dilaton f [P] (zeros without one).
        public var scalar, volumeForm, dilaton: [Double]
    }

    /// Jets of the reference conformal factor e^{u_ref} at the rows of x (nil without a reference).
    func referenceJets(_ x: Matrix) -> [PointJet]? {
        metricNetwork.reference.map { r in (0..<x.rows).map { r(x.row($0)) } }
    }

    /// Output jet of the network at x (order 2), [B·P, O].
    func outputJet(_ x: Matrix, keepTape: Bool) -> (TaylorJet, JetTape?) {
        let e = embedding.jet(x, order: 2)
        let (o, tape) = network.forward(inputJet: e.data, indexSet: e.indexSet, points: x.rows, keepTape: keepTape)
        return (TaylorJet(indexSet: e.indexSet, points: x.rows, width: network.outputWidth, data: o), tape)
    }

    /// Loads the O output jets of point p (full symmetric Hessians) from an order-2 output jet.
    @inline(__always)
    static func loadOutputs(_ out: UnsafePointer<Double>, P: Int, O: Int, n: Int, p: Int, into h: UnsafeMutablePointer<PointJet>) {
        for a in 0..<O {
            var J = PointJet()
            J.v = out[p * O + a]
            for k in 0..<n {
                J.setD(k, out[((1 + k) * P + p) * O + a])
                for l in k..<n {
                    let v = out[((1 + n + MetricParametrization.upperIndex(k, l, n)) * P + p) * O + a]
                    J.setH(k, l, v); J.setH(l, k, v)
                }
            }
            h[a] = J
        }
    }

    /// Writes the adjoints of the O output jets of point p into an order-2 jet adjoint (symmetric blocks get
    /// H̄_kl + H̄_lk).
    @inline(__always)
    static func storeOutputAdjoints(_ hbar: UnsafePointer<PointJet>, P: Int, O: Int, n: Int, p: Int, into out: UnsafeMutablePointer<Double>) {
        for a in 0..<O {
            let J = hbar[a]
            out[p * O + a] = J.v
            for k in 0..<n {
                out[((1 + k) * P + p) * O + a] = J.d(k)
                for l in k..<n {
                    out[((1 + n + MetricParametrization.upperIndex(k, l, n)) * P + p) * O + a] = k == l ? J.h(k, k) : J.h(k, l) + J.h(l, k)
                }
            }
        }
    }

    /// g, Γ, Riemann, Ricci, R, √det g and f at the rows of x [P, n] (the un-normalised metric; Landau–Lifshitz
    /// conventions of `PointCurvature`), from the network's order-2 jets.
    public func evaluate(_ x: Matrix) -> Evaluation {
        let n = dimension, P = x.rows, O = network.outputWidth, n2 = n * n
        let (jet, _) = outputJet(x, keepTape: false)
        var ev = Evaluation(metric: NDArray(shape: [P, n, n]), christoffel: NDArray(shape: [P, n, n, n]),
                            riemann: NDArray(shape: [P, n, n, n, n]), ricci: NDArray(shape: [P, n, n]),
                            scalar: [Double](repeating: 0, count: P), volumeForm: [Double](repeating: 0, count: P),
                            dilaton: [Double](repeating: 0, count: P))
        let ws = PointCurvature(dimension: n)
        let h = UnsafeMutablePointer<PointJet>.allocate(capacity: O), g = UnsafeMutablePointer<PointJet>.allocate(capacity: n2)
        defer { h.deallocate(); g.deallocate() }
        let ref = referenceJets(x)
        jet.data.withUnsafeBufferPointer { ob in
            for p in 0..<P {
                Self.loadOutputs(ob.baseAddress!, P: P, O: O, n: n, p: p, into: h)
                parametrization.metric(h, n: n, into: g, reference: ref?[p])
                ws.load(g)
                ws.compute()
                for k in 0..<n2 { ev.metric.data[p * n2 + k] = ws.g[k]; ev.ricci.data[p * n2 + k] = ws.ricci[k] }
                for k in 0..<(n2 * n) { ev.christoffel.data[p * n2 * n + k] = ws.gamma2[k] }
                for k in 0..<(n2 * n2) { ev.riemann.data[p * n2 * n2 + k] = ws.riemann[k] }
                ev.scalar[p] = ws.scalar; ev.volumeForm[p] = ws.sqrtDet
                if dilaton { ev.dilaton[p] = h[metricOutputs].v }
            }
        }
        return ev
    }
}

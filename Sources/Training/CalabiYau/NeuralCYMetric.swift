import CYBridge
import Foundation
import Networks
import NumericCore
import Numerics

/// A sample prepared for training and scoring neural CY metrics: the points (patch-normalised, `PointSample`), their
/// pullback Jacobians, the pulled-back reference metric (Fubini–Study at the Kähler moduli t, or an algebraic metric),
/// and κ.
public struct CYTrainingSample: Sendable {
    /// The points, weights and |Ω|².
    public let sample: PointSample
    /// Pullback Jacobians J = ∂z/∂x, [N, n, D].
    public let jacobians: [ComplexDouble]
    /// The pulled-back reference metric, [N, n, n]: g_FS,pb(t), or the algebraic metric's pullback.
    public let fubiniStudy: [ComplexDouble]
    /// Kähler moduli t.
    public let kahler: [Double]
    /// κ = Vol_K/Vol_CY of this sample (`PointSample.kappa`), so that det g = κ|Ω|² for the Ricci-flat metric.
    public let kappa: Double

    /// The pulled-back factor metrics g^{(r)} at t_r = 1, [N, F, n, n] (the volume loss's slopes).
    public let factorMetrics: [ComplexDouble]
    /// τ_a = ∂Vol_K/∂t_a, the targets of the volume loss (`VolumeLoss`).
    public let slopeTargets: [Double]
    /// ∂_c g^ref_ab̄ [N, n, n, n] in each point's chart, when prepared for the multiplicative model's Kähler loss
    /// (`KahlerLoss.referenceDerivatives`); else nil.
    public let referenceDerivatives: [ComplexDouble]?

    /// Prepares `sample` at Kähler moduli `t`, with the reference metric g_FS(t) or, given, the algebraic metric
    /// `reference` (which must lie in the class of t); with `derivatives` also ∂g_ref (for the multiplicative model's
    /// Kähler loss).
    public init(sample s: PointSample, kahler t: [Double], reference: AlgebraicMetric? = nil, derivatives: Bool = false, threads: Int? = nil) throws {
        sample = s; kahler = t
        let v = s.variety, n = v.dimension
        jacobians = PullbackJacobian.jacobians(of: s, threads: threads)
        factorMetrics = FubiniStudy.pullbackFactorMetrics(of: s, threads: threads)
        if let reference {
            fubiniStudy = try reference.pullbackMetric(points: s.points, jacobians: jacobians, dimension: n)
        } else {
            fubiniStudy = FubiniStudy.combine(factorMetrics, count: s.count, factors: v.ambient.factorCount, dimension: n, kahler: t)
        }
        kappa = s.kappa(kahler: t)
        slopeTargets = VolumeLoss.targets(variety: v, kahler: t)
        referenceDerivatives = derivatives
            ? KahlerLoss.referenceDerivatives(s, reference: NeuralCYMetric.referenceChartMetric(variety: v, kahler: t, reference: reference), threads: threads)
            : nil
    }

    /// Ambient factors F.
    public var factorCount: Int { sample.variety.ambient.factorCount }

    /// Number of points N.
    public var count: Int { sample.count }
}

/// A neural Kähler metric on a Calabi–Yau variety: a network (one `Network`, SPEC-described) on `CYNetworkInputs` of
/// the point and a `CYMetricModel` that turns its outputs into g_ab̄ on X.
public struct NeuralCYMetric: Sendable {
    /// The variety X.
    public let variety: Variety
    /// Kähler moduli t: the class of the metric (and of g_FS(t) when that is the reference).
    public let kahler: [Double]
    /// How the outputs become a metric.
    public let model: CYMetricModel
    /// What the network sees of a point.
    public let inputs: CYNetworkInputs
    /// The reference Kähler metric g_ref of g = g_ref + ∂∂̄φ: nil for g_FS(t), else an algebraic (e.g. Donaldson
    /// balanced) metric in the class of t; its pullback comes with the sample (`CYTrainingSample`), its ambient form
    /// here for single points.
    public let reference: AlgebraicMetric?
    /// The network (inputs `inputs.width`; outputs `model.outputWidth`).
    public var network: Network
    /// Centring: parameters θ₀ whose outputs are subtracted, f(x) = net(x; θ) − net(x; θ₀), so that the metric at θ₀
    /// is exactly the reference whatever the random draw (the usual centring of NTK studies; the θ-gradient is
    /// unchanged). nil: no centring.
    public var centering: [Double]? = nil

    /// The output jets of the network at `input` (minus those at `centering`), and the tape when asked for.
    public func forward(_ input: TaylorJet, keepTape: Bool) -> (output: [Double], tape: JetTape?) {
        var r = network.forward(inputJet: input.data, indexSet: input.indexSet, points: input.points, keepTape: keepTape)
        if let c = centering {
            var n0 = network
            n0.parameters = c
            let o0 = n0.forward(inputJet: input.data, indexSet: input.indexSet, points: input.points, keepTape: false).output
            for k in 0..<r.output.count { r.output[k] -= o0[k] }
        }
        return r
    }

    /// The default network: cymetric's φ-model network, three GELU layers of width 64 and a linear readout, standard
    /// parameterisation (W ~ N(0, 1/fan_in), close to Keras' Glorot 2/(fan_in + fan_out)), hidden biases starting
    /// at 0 (Keras' zeros) and trained; the readout drawn with W_std = 0.05, so that ∂∂̄φ starts small against g_FS
    /// and the metric starts positive definite at every point (with W_std = 1 the Hessian of φ is of the size of g_FS
    /// and g is not positive definite at about half the points of the quintic).
    public static let defaultNet = "Dense(64, b_std=0, parameterization=standard) Gelu Dense(64, b_std=0, parameterization=standard) Gelu Dense(64, b_std=0, parameterization=standard) Gelu Dense(1, W_std=0.05, parameterization=standard)"

    /// The default network of a model on a CY n-fold: `defaultNet` for φ; for the matrix models the same three GELU
    /// layers with a readout of n² outputs (cymetric's `nfold**2`), W_std = 0.05 and zero bias, so that H starts small
    /// and g starts at g_ref (additive, multiplicative) or at c·1 (free).
    public static func defaultNet(model: CYMetricModel, dimension n: Int) -> String {
        model == .phi ? defaultNet
            : defaultNet.replacingOccurrences(of: "Dense(1, W_std=0.05, parameterization=standard)", with: "Dense(\(n * n), W_std=0.05, b_std=0, parameterization=standard)")
    }

    /// A metric on `variety` at Kähler moduli `kahler` with network `architecture` drawn from `seed`; throws when the
    /// architecture's output width is not the model's (`CYMetricModel.outputWidth`), t does not match the ambient
    /// factors, or the activations cannot be differentiated as often as the model's losses need.
    public init(variety: Variety, kahler: [Double], model: CYMetricModel = .phi, inputs: CYNetworkInputs = .coordinates,
                reference: AlgebraicMetric? = nil, architecture: Serial, seed: UInt64) throws {
        guard kahler.count == variety.ambient.factorCount, kahler.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw SettingError("kahler", "\(kahler), expected \(variety.ambient.factorCount) positive Kähler moduli")
        }
        let net = try Network(architecture, inputWidth: inputs.width(variety.ambient), seed: seed)
        try net.requireDenseChain(for: "a neural CY metric")
        let want = model.outputWidth(dimension: variety.dimension)
        guard net.outputWidth == want else {
            let what = model == .phi ? "the potential φ" : "a Hermitian \(variety.dimension)×\(variety.dimension) matrix"
            throw SettingError("net", "has \(net.outputWidth) outputs, expected \(want) for the \(model.rawValue) model (\(what))")
        }
        guard net.maxJetOrder >= 2 else {
            throw SettingError("net", "has an activation without closed-form second derivatives, expected one the \(model.rawValue) model's losses can differentiate")
        }
        self.variety = variety; self.kahler = kahler; self.model = model; self.inputs = inputs; self.reference = reference; network = net
    }

    /// Sets the free model's readout bias so that g = c·1 at θ's readout weights zero: the diagonal outputs' biases
    /// to c. Throws when the readout has no bias.
    public mutating func setFreeStart(scale c: Double) throws {
        guard let bo = network.layout.slices.last(where: { $0.hasWeight })?.biasOffset else {
            throw SettingError("net", "has no readout bias, expected one for the free model (it starts at g = c·1)")
        }
        let n = variety.dimension
        for a in 0..<n { network.parameters[bo + a * n + a] = c }
    }

    /// The free model's starting scale c = (κ·median|Ω|²)^{1/n}: g = c·1 has det g = κ|Ω|² at the median point.
    public static func freeStartScale(_ s: CYTrainingSample) -> Double {
        let o = s.sample.omegaSquared.sorted()
        return pow(s.kappa * o[o.count / 2], 1 / Double(s.sample.variety.dimension))
    }

    /// Order of the input jets the φ-model needs (its Hessian).
    static let hessianOrder = 2

    /// The order of the jets one pass needs: 2 for φ (its Hessian), 1 for the matrix models when their Kähler loss is
    /// taken (∂_c g), else 0.
    func jetOrder(kahler: Bool) -> Int { model == .phi ? 2 : (kahler && !model.isKahlerByConstruction ? 1 : 0) }

    /// The rows `indices` of a row-major [N, D] array.
    static func gather(_ z: [ComplexDouble], _ indices: [Int], _ D: Int) -> [ComplexDouble] {
        var out = [ComplexDouble](); out.reserveCapacity(indices.count * D)
        for i in indices { out.append(contentsOf: z[(i * D)..<((i + 1) * D)]) }
        return out
    }

    /// The jet of the network's inputs at the points `indices` of a sample, in the tangent parameters of X at each
    /// point (`inputJet`).
    public func networkInputs(_ s: CYTrainingSample, indices: [Int], order: Int) -> TaylorJet {
        let D = variety.coordinateCount
        return inputJet(Self.gather(s.sample.points, indices, D)[...], jacobians: Self.gather(s.jacobians, indices, variety.dimension * D)[...],
                        count: indices.count, order: order)
    }

    /// The jet (order 0, 1 or 2) of the network's inputs at P points z of X (row-major [P, D]) in the 2n real tangent
    /// parameters of X at each point: z + Σ_a (s_a + i t_a) J_a with J_a = ∂z/∂x_a the rows of the pullback Jacobian
    /// ([P, n, D]), parameters ordered s_0 … s_{n−1}, t_0 … t_{n−1}. Along a complex line z + uJ_a the holomorphic and
    /// antiholomorphic derivatives are ∂_u = ½(∂_s − i∂_t), so the jet gives every chart quantity directly:
    /// ∂_a∂̄_b φ = ¼[(∂_{s_a}∂_{s_b} + ∂_{t_a}∂_{t_b})φ + i(∂_{s_a}∂_{t_b} − ∂_{t_a}∂_{s_b})φ] = (J ∂∂̄φ J†)_ab (the
    /// pulled-back Hessian: J is holomorphic, so the embedding's curvature does not enter), and ∂_c o = ½(∂_{s_c} −
    /// i∂_{t_c})o for the matrix models' Kähler loss. The ambient jet in the 2D reals (`CYNetworkInputs.jet`) is
    /// restricted to these directions (`TaylorJet.along`), and for order 2 recast as the Wirtinger (1,1)-jet
    /// (`TaylorJet.wirtinger`: value, ∂_a, ∂_a∂̄_b — all a Kähler potential's metric needs): 1 + 2n + n² blocks (16 for
    /// a threefold) instead of the 1 + 2D + D(2D + 1) (66 on the quintic) of the ambient Hessian, which every layer of
    /// the network then carries.
    public func inputJet(_ z: ArraySlice<ComplexDouble>, jacobians J: ArraySlice<ComplexDouble>, count P: Int, order K: Int) -> TaylorJet {
        let base = inputs.jet(z, count: P, ambient: variety.ambient, order: K)
        guard K > 0 else { return base }
        let n = variety.dimension, D = variety.coordinateCount, R = 2 * D
        var d = [Double](repeating: 0, count: P * 2 * n * R)
        let j0 = J.startIndex
        for p in 0..<P { for a in 0..<n { for k in 0..<D {
            let v = J[j0 + (p * n + a) * D + k]
            let sRow = (p * 2 * n + a) * R, tRow = (p * 2 * n + n + a) * R
            d[sRow + k] = v.real; d[sRow + D + k] = v.imaginary          // Δz = s J_a
            d[tRow + k] = -v.imaginary; d[tRow + D + k] = v.real         // Δz = i t J_a
        } } }
        let tangent = base.along(d, count: 2 * n)
        return K == 2 ? tangent.wirtinger() : tangent
    }

    /// The block layout of `inputJet` of order K: the Wirtinger (1,1)-jet for K = 2 (φ's ∂_a∂̄_b), else the real jet in
    /// the 2n tangent parameters.
    func jetIndexSet(order K: Int) -> JetIndexSet {
        K == 2 ? JetIndexSet.wirtinger(dimension: variety.dimension) : JetIndexSet.shared(dimension: 2 * variety.dimension, order: K)
    }

    /// The network's outputs (φ, or the n² packed entries) at the points `indices` of a sample, [B, W].
    public func outputs(_ s: CYTrainingSample, indices: [Int]) -> [Double] {
        let jet = networkInputs(s, indices: indices, order: 0)
        return forward(jet, keepTape: false).output
    }

    /// φ at the points `indices` of a sample (the φ-model's one output).
    public func potential(_ s: CYTrainingSample, indices: [Int]) -> [Double] { outputs(s, indices: indices) }

    /// ∂∂̄φ [D, D] from the second-order jet blocks of φ in D complex coordinates at point p (P points in the batch,
    /// stride P between blocks); with the tangent jets of `inputJet` (D = n) this is J ∂∂̄φ J†, the metric's correction.
    @inline(__always)
    static func complexHessian(_ jet: UnsafePointer<Double>, point p: Int, points P: Int, coordinates D: Int,
                               blocks: UnsafePointer<Int>, into a: UnsafeMutablePointer<ComplexDouble>) {
        // blocks[u·2D + v] = jet block of ∂_u∂_v (u, v real parameters: Re = i, Im = D + i).
        let R = 2 * D
        @inline(__always) func h(_ u: Int, _ v: Int) -> Double { jet[blocks[u * R + v] * P + p] }
        for i in 0..<D { for j in 0..<D {
            let re = 0.25 * (h(i, j) + h(D + i, D + j))
            let im = 0.25 * (h(i, D + j) - h(D + i, j))
            a[i * D + j] = ComplexDouble(re, im)
        } }
    }

    /// The jet block of ∂_u∂_v for every pair of real inputs (u, v < 2D), [2D·2D].
    static func hessianBlocks(_ ix: JetIndexSet) -> [Int] {
        let R = ix.dimension
        var b = [Int](repeating: 0, count: R * R)
        for u in 0..<R { for v in 0..<R { b[u * R + v] = ix.index([min(u, v), max(u, v)]) } }
        return b
    }

    /// Whether the Hermitian n×n matrix g is positive definite (its Cholesky factorisation exists with finite positive
    /// pivots); `scratch` holds n×n entries.
    @inline(__always)
    static func isPositiveDefinite(_ g: UnsafePointer<ComplexDouble>, _ n: Int, scratch l: UnsafeMutablePointer<ComplexDouble>) -> Bool {
        for j in 0..<n {
            var d = g[j * n + j].real
            for k in 0..<j { d -= l[j * n + k].lengthSquared }
            guard d > 0, d.isFinite else { return false }
            let r = d.squareRoot()
            l[j * n + j] = ComplexDouble(r, 0)
            for i in (j + 1)..<max(j + 1, n) {
                var s = g[i * n + j]
                for k in 0..<j { s = s - l[i * n + k] * l[j * n + k].conjugate }
                l[i * n + j] = ComplexDouble(s.real / r, s.imaginary / r)
            }
        }
        return true
    }

    /// For a Wirtinger jet (`JetIndexSet.wirtinger`): per entry (a, b) of the n×n Hermitian ∂∂̄, the block of its real
    /// part (of (min, max)) and of its imaginary part (−1 on the diagonal), [n·n·2].
    static func wirtingerBlocks(_ ix: JetIndexSet) -> [Int] {
        let n = ix.dimension
        var out = [Int](repeating: -1, count: 2 * n * n)
        for a in 0..<n { for b in 0..<n {
            let (lo, hi) = (min(a, b), max(a, b))
            out[2 * (a * n + b)] = ix.hermitian(lo, hi, imaginary: false)
            if a != b { out[2 * (a * n + b) + 1] = ix.hermitian(lo, hi, imaginary: true) }
        } }
        return out
    }

    /// ∂_a∂̄_b φ (n×n) from φ's Wirtinger jet at point p (P points, stride P between blocks; `wirtingerBlocks`): with the
    /// jets of `inputJet` this is J ∂∂̄φ J†, the φ-model's correction to g_ref. Entry (a, b) for a > b is the conjugate
    /// of (b, a).
    @inline(__always)
    static func wirtingerHessian(_ jet: UnsafePointer<Double>, point p: Int, points P: Int, n: Int, blocks: UnsafePointer<Int>,
                                 into a: UnsafeMutablePointer<ComplexDouble>) {
        for r in 0..<n { for c in 0..<n {
            let e = r * n + c, re = jet[blocks[2 * e] * P + p]
            let im = r == c ? 0 : (r < c ? 1.0 : -1.0) * jet[blocks[2 * e + 1] * P + p]
            a[e] = ComplexDouble(re, im)
        } }
    }

    /// Adds to the φ-model's output Wirtinger jet the adjoint of a functional of g at point p with dL = Re tr(G dg), G n×n:
    /// g = g_ref + A with A_ab = R_ab + iI_ab (a < b, stored), A_ba = R_ab − iI_ab, A_aa = R_aa, so
    /// dL = Re Σ_ab G_ba dA_ab gives R̄_aa = Re G_aa, R̄_ab = Re(G_ab + G_ba) and Ī_ab = Im(G_ab − G_ba).
    @inline(__always)
    static func addHessianAdjoint(_ G: UnsafePointer<ComplexDouble>, n: Int, blocks bp: UnsafePointer<Int>, point p: Int, points P: Int,
                                  into ap: UnsafeMutablePointer<Double>) {
        for a in 0..<n {
            ap[bp[2 * (a * n + a)] * P + p] += G[a * n + a].real
            for b in (a + 1)..<max(a + 1, n) {
                let gab = G[a * n + b], gba = G[b * n + a], e = 2 * (a * n + b)
                ap[bp[e] * P + p] += gab.real + gba.real
                ap[bp[e + 1] * P + p] += gab.imaginary - gba.imaginary
            }
        }
    }

    /// det g of the model at the points `range` of `s` (forward only; for σ and validation), in batches of `batch`.
    public func determinants(_ s: CYTrainingSample, range: Range<Int>? = nil, batch: Int = 4096) -> [Double] {
        metricsAndDeterminants(s, range: range, batch: batch).determinants
    }

    /// g [N, n, n] and det g of the model at the points `range` of `s` (forward only), in batches of `batch`.
    public func metricsAndDeterminants(_ s: CYTrainingSample, range: Range<Int>? = nil, batch: Int = 4096) -> (metrics: [ComplexDouble], determinants: [Double]) {
        let r = range ?? 0..<s.count, nn = variety.dimension * variety.dimension
        var det = [Double](repeating: 0, count: r.count), g = [ComplexDouble](repeating: .zero, count: r.count * nn)
        var lo = r.lowerBound
        while lo < r.upperBound {
            let hi = min(r.upperBound, lo + batch)
            let e = evaluate(s, indices: Array(lo..<hi), power: 1, wantGradient: false)
            for k in 0..<e.determinants.count { det[lo - r.lowerBound + k] = e.determinants[k] }
            for k in 0..<e.metrics.count { g[(lo - r.lowerBound) * nn + k] = e.metrics[k] }
            lo = hi
        }
        return (g, det)
    }

    /// The weights of the losses besides the Monge–Ampère loss (weight 1), cymetric's α: Kähler, transition, volume,
    /// Ricci; and the number of points of a batch the Ricci loss is taken on (`RicciLoss`; nil: all).
    public struct LossWeights: Sendable, Equatable {
        public var kahler: Double, transition: Double, volume: Double, ricci: Double
        public var ricciPoints: Int?
        public init(kahler: Double = 0, transition: Double = 0, volume: Double = 0, ricci: Double = 0, ricciPoints: Int? = nil) {
            self.kahler = kahler; self.transition = transition; self.volume = volume; self.ricci = ricci; self.ricciPoints = ricciPoints
        }
    }

    /// What one pass over a batch gives.
    public struct BatchEvaluation: Sendable {
        /// det g at each point of the batch.
        public var determinants: [Double]
        /// g at each point, [B, n, n].
        public var metrics: [ComplexDouble]
        /// The Monge–Ampère loss of the batch, mean over its points of |det g/(κ|Ω|²) − 1|^power.
        public var mongeAmpere: Double
        /// The transition loss of the batch (0 when its weight is 0): `transitionLoss`, `hermitianTransitionLoss`.
        public var transition: Double = 0
        /// The Kähler loss of the batch (`KahlerLoss`; 0 when its weight is 0 or the model is Kähler by construction).
        public var kahler: Double = 0
        /// The volume loss of the batch (`VolumeLoss`; 0 when its weight is 0).
        public var volume: Double = 0
        /// The Ricci loss (`RicciLoss`) on the batch's first `LossWeights.ricciPoints` points (0 when its weight is 0;
        /// NaN when g is not positive definite at a node of its stencils).
        public var ricci: Double = 0
        /// ∂(mongeAmpere + α_K kahler + α_T transition + α_V volume + α_R ricci)/∂θ (nil unless asked for).
        public var gradient: [Double]?
        /// Points where g is not positive definite (det g ≤ 0 or not finite).
        public var nonPositive: Int
        /// ∂(total)/∂(output jet) (nil unless asked for, or when g is not positive definite somewhere).
        public var outputAdjoint: [Double]? = nil
        /// The transition loss's gradient through the network at the rescaled points (matrix models and φ with
        /// coordinate inputs).
        var transitionGradient: [Double]? = nil
        /// The weighted total mongeAmpere + α_K kahler + α_T transition + α_V volume + α_R ricci.
        public func total(_ w: LossWeights) -> Double {
            mongeAmpere + w.kahler * kahler + w.transition * transition + w.volume * volume + (w.ricci > 0 ? w.ricci * ricci : 0)
        }
    }

    /// The losses of the batch `indices` of `s` and, when asked, their gradient in θ. Every loss is taken from the
    /// metric g of the model at the batch's points:
    ///
    /// - Monge–Ampère L_MA = (1/B) Σ_p |det g_p/(κ|Ω_p|²) − 1|^power (cymetric's `sigma_loss`, unweighted; power 1 is
    ///   cymetric's default). With `lossWeights` (one per sample point, e.g. the integration weights over their mean)
    ///   each term is multiplied by its weight: the batch mean then estimates the loss integrated with the
    ///   Calabi–Yau measure instead of the sampling measure.
    /// - Kähler L_K (`KahlerLoss`, exponent 2; matrix models only — φ is Kähler by construction), from the first-order
    ///   jets of the outputs.
    /// - transition L_T (`transitionLoss` for φ, `hermitianTransitionLoss` for the matrix models).
    /// - volume L_V (`VolumeLoss`, the batch's slopes).
    /// - Ricci L_R (`RicciLoss`, on the first `weights.ricciPoints` points of the batch; its own network passes at the
    ///   nodes of its difference stencils).
    ///
    /// Gradient: every loss is first differentiated in g, as the matrix G_p with dL = Re tr(G_p dg_p) — for L_MA
    /// d det g = det g · tr(g⁻¹ dg), G = ℓ′ det g · g⁻¹; for a slope term w det g tr(g⁻¹F)/|Ω|²,
    /// G = (w/|Ω|²) det g [tr(g⁻¹F) g⁻¹ − g⁻¹ F g⁻¹]. The model then carries G to its outputs: for φ, dg = J dA J†
    /// gives the adjoint M = J†GJ of A = ∂∂̄φ, and with A_ij = ¼[(H_{x_i x_j} + H_{y_i y_j}) + i(H_{x_i y_j} −
    /// H_{y_i x_j})] (H the real Hessian of φ) the adjoints ¼Re M_ji (xx and yy), −¼Im M_ji (x_i y_j), ¼Im M_ji (y_i x_j);
    /// for the matrix models dg = C ⊙ dH (C = 1, or g_ref for multiplicative) and the packing's adjoint
    /// (`CYMetricModel.packingAdjoint`) with X_ab = G_ba C_ab. The network's jet adjoint (`Network.parameterGradient`)
    /// carries the output adjoints to θ.
    public func evaluate(_ s: CYTrainingSample, indices: [Int], power: Double, weights: LossWeights = LossWeights(),
                         lossWeights: [Double]? = nil, wantGradient: Bool) -> BatchEvaluation {
        let order = jetOrder(kahler: weights.kahler > 0)
        let ix = jetIndexSet(order: order)
        // The jet of the network's inputs in the tangent parameters at the batch's points.
        let input = networkInputs(s, indices: indices, order: order)
        precondition(input.indexSet.count == ix.count && input.indexSet.isWirtinger == ix.isWirtinger)
        let (jet, tape) = forward(input, keepTape: wantGradient)
        var out = evaluate(s, indices: indices, outputJet: jet, power: power, weights: weights, lossWeights: lossWeights, wantAdjoint: wantGradient)
        if let tape {
            if let adjoint = out.outputAdjoint {
                var g = network.parameterGradient(tape: tape, outputAdjoint: adjoint)
                if let tg = out.transitionGradient { for k in 0..<g.count { g[k] += weights.transition * tg[k] } }
                out.gradient = g
            }
            tape.recycle()
        }
        if weights.ricci > 0 && out.nonPositive == 0 {
            let r = ricciLoss(s, indices: Array(indices.prefix(weights.ricciPoints ?? indices.count)), power: power, wantGradient: wantGradient)
            out.ricci = r.nonPositive > 0 ? .nan : r.loss
            if wantGradient {
                if let rg = r.gradient, var g = out.gradient { for k in 0..<g.count { g[k] += weights.ricci * rg[k] }; out.gradient = g } else { out.gradient = nil }
            }
        }
        return out
    }

    /// The losses of `evaluate` for given output jets of the network at the batch's points (layout of
    /// `Network.forward(inputJet:…)`, order `jetOrder(kahler: weights.kahler > 0)`), e.g. a linearised network's; with
    /// `wantAdjoint` the adjoint ∂L/∂(jet) in `outputAdjoint` (the transition loss, which evaluates the network at
    /// other points, adds its own parameter gradient in `transitionGradient`).
    public func evaluate(_ s: CYTrainingSample, indices: [Int], outputJet jet: [Double], power: Double, weights: LossWeights = LossWeights(),
                         lossWeights: [Double]? = nil, wantAdjoint wantGradient: Bool) -> BatchEvaluation {
        let P = indices.count, n = variety.dimension, R = 2 * n, nn = n * n, F = s.factorCount
        let W = network.outputWidth, isPhi = model == .phi
        let kahlerOn = weights.kahler > 0 && !model.isKahlerByConstruction
        let volumeOn = weights.volume > 0
        let order = jetOrder(kahler: kahlerOn)
        precondition(!(kahlerOn && model == .multiplicative) || s.referenceDerivatives != nil,
                     "evaluate: the multiplicative model's Kähler loss needs a sample prepared with derivatives: true")
        let ix = jetIndexSet(order: order)
        let blocks = isPhi ? Self.wirtingerBlocks(ix) : []
        let first: [Int] = order >= 1 && !isPhi ? (0..<R).map { ix.index([$0]) } : []
        var det = [Double](repeating: 0, count: P), terms = [Double](repeating: 0, count: P), dl = terms
        var metrics = [ComplexDouble](repeating: .zero, count: P * nn), inverses = metrics
        var slopeDensity = [Double](repeating: 0, count: volumeOn ? P * F : 0), traces = slopeDensity
        var kahlerTerms = [Double](repeating: 0, count: kahlerOn ? P : 0)
        var kahlerAdjoint = [ComplexDouble](repeating: .zero, count: kahlerOn && wantGradient ? P * nn * n : 0)
        var bad = [Int](repeating: 0, count: P)
        let kappa = s.kappa, invP = 1 / Double(P)
        let lw = lossWeights ?? []
        let weighted = lossWeights != nil
        precondition(!weighted || lw.count == s.count, "evaluate: \(lw.count) loss weights, expected \(s.count)")
        let model = self.model
        // Pass 1: g, det g, g⁻¹, the Monge–Ampère terms, the slope densities and the Kähler torsion at every point.
        jet.withUnsafeBufferPointer { jb in blocks.withUnsafeBufferPointer { bb in first.withUnsafeBufferPointer { fb in
        s.fubiniStudy.withUnsafeBufferPointer { fsb in s.factorMetrics.withUnsafeBufferPointer { fmb in
        s.sample.omegaSquared.withUnsafeBufferPointer { ob in s.sample.weights.withUnsafeBufferPointer { wb in
        (s.referenceDerivatives ?? []).withUnsafeBufferPointer { rdb in
        det.withUnsafeMutableBufferPointer { db in terms.withUnsafeMutableBufferPointer { tb in dl.withUnsafeMutableBufferPointer { dlb in
        metrics.withUnsafeMutableBufferPointer { mb in inverses.withUnsafeMutableBufferPointer { ib in
        slopeDensity.withUnsafeMutableBufferPointer { sdb in traces.withUnsafeMutableBufferPointer { trb in
        kahlerTerms.withUnsafeMutableBufferPointer { ktb in kahlerAdjoint.withUnsafeMutableBufferPointer { kab in
        bad.withUnsafeMutableBufferPointer { badb in
            // (An empty array's base address need not be nil: the optional pointers are set from the flags.)
            nonisolated(unsafe) let (jp, bp, fp, fsp, fmp, op, wp) = (jb.baseAddress!, isPhi ? bb.baseAddress : nil, first.isEmpty ? nil : fb.baseAddress, fsb.baseAddress!, fmb.baseAddress!, ob.baseAddress!, wb.baseAddress!)
            nonisolated(unsafe) let rdp = s.referenceDerivatives == nil ? nil : rdb.baseAddress
            nonisolated(unsafe) let (dp, tp, dlp, mp, ip, badp) = (db.baseAddress!, tb.baseAddress!, dlb.baseAddress!, mb.baseAddress!, ib.baseAddress!, badb.baseAddress!)
            nonisolated(unsafe) let (sdp, trp) = volumeOn ? (sdb.baseAddress, trb.baseAddress) : (nil, nil)
            nonisolated(unsafe) let (ktp, kap) = (kahlerOn ? ktb.baseAddress : nil, kahlerOn && wantGradient ? kab.baseAddress : nil)
            parallelChunks(P, minimum: 64) { range in
                let a = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: nn)
                let c = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: nn)
                let dh = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: nn * n + nn)
                let dco = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: max(1, W))
                defer { a.deallocate(); c.deallocate(); dh.deallocate(); dco.deallocate() }
                for p in range {
                    let i = indices[p]
                    let g = mp + p * nn, gi = ip + p * nn, ref = fsp + i * nn
                    if isPhi {
                        Self.wirtingerHessian(jp, point: p, points: P, n: n, blocks: bp!, into: a)
                        for e in 0..<nn { g[e] = ref[e] + a[e] }
                    } else {
                        CYMetricModel.hermitian(n, into: a) { m in ComplexDouble(jp[p * W + m], 0) }
                        model.assemble(n, packed: a, reference: ref, into: g)
                    }
                    guard Self.isPositiveDefinite(g, n, scratch: c) else { badp[p] = 1; dp[p] = .nan; tp[p] = .nan; continue }
                    for e in 0..<nn { c[e] = g[e]; gi[e] = e % (n + 1) == 0 ? ComplexDouble(1, 0) : .zero }
                    let d = SmallComplexLinearAlgebra.solve(c, n, gi, n).real
                    dp[p] = d
                    guard d > 0, d.isFinite else { badp[p] = 1; tp[p] = .nan; continue }
                    let m = d / (kappa * op[i]) - 1, am = abs(m)
                    let wi = weighted ? lw[i] : 1
                    tp[p] = wi * (power == 1 ? am : Foundation.pow(am, power))
                    // ∂ℓ/∂det with the point's weight and the 1/B of the mean.
                    dlp[p] = wi * (power == 1 ? (m >= 0 ? 1.0 : -1.0) : power * Foundation.pow(am, power - 1) * (m >= 0 ? 1 : -1)) / (kappa * op[i]) * invP
                    if let sdp, let trp {
                        for f in 0..<F {
                            let fa = fmp + (i * F + f) * nn
                            var tr = 0.0
                            for r in 0..<n { for q in 0..<n { tr += (gi[r * n + q] * fa[q * n + r]).real } }
                            trp[p * F + f] = tr
                            sdp[p * F + f] = wp[i] * d * tr / op[i]
                        }
                    }
                    if let ktp {
                        // d[c][a][b] = ∂_c g_ab̄ of g_ref ⊙ H (multiplicative) or H (additive, free; g_ref is closed);
                        // ∂_c o = ½(∂_{s_c} − i∂_{t_c}) o in the tangent parameters.
                        for q in 0..<n {
                            for mo in 0..<W {
                                let es = jp[(fp![q] * P + p) * W + mo], et = jp[(fp![n + q] * P + p) * W + mo]
                                dco[mo] = ComplexDouble(0.5 * es, -0.5 * et)
                            }
                            CYMetricModel.hermitian(n, into: dh + q * nn) { dco[$0] }
                            if model == .multiplicative {
                                let rd = rdp! + i * nn * n + q * nn
                                for e in 0..<nn { dh[q * nn + e] = rd[e] * a[e] + ref[e] * dh[q * nn + e] }
                            }
                        }
                        ktp[p] = KahlerLoss.torsionNorm(dh, n, adjoint: kap.map { $0 + p * nn * n })
                    }
                }
            }
        } } } } } } } } } } } } } } } } } }
        let nonPositive = bad.reduce(0, +)
        var out = BatchEvaluation(determinants: det, metrics: metrics, mongeAmpere: nonPositive > 0 ? .nan : terms.reduce(0, +) * invP,
                                  gradient: nil, nonPositive: nonPositive)
        var slopeAdjoint = [Double](repeating: 0, count: F)
        if volumeOn && nonPositive == 0 {
            var slopes = [Double](repeating: 0, count: F)
            for p in 0..<P { for f in 0..<F { slopes[f] += slopeDensity[p * F + f] * invP } }
            let v = VolumeLoss.loss(slopes: slopes, targets: s.slopeTargets, power: power)
            out.volume = v.loss
            slopeAdjoint = v.derivatives.map { $0 * weights.volume }
        }
        if kahlerOn { out.kahler = kahlerTerms.reduce(0, +) * invP }
        // The transition loss, with its adjoint on g (matrix models) or on φ's values (φ).
        var transitionMetricAdjoint: [ComplexDouble]? = nil, transitionGradient: [Double]? = nil
        var adjoint = wantGradient ? [Double](repeating: 0, count: jet.count) : []
        if weights.transition > 0 && nonPositive == 0 && (!isPhi || !inputs.isPatchInvariant) {
            if isPhi {
                let t = transitionLoss(s, indices: indices, values: Array(jet[0..<P]), power: power, wantGradient: wantGradient)
                out.transition = t.loss
                if let va = t.valueAdjoint { for p in 0..<P { adjoint[p] += weights.transition * va[p] } }
                transitionGradient = t.gradient
            } else {
                let t = hermitianTransitionLoss(s, indices: indices, metrics: metrics, power: power, wantGradient: wantGradient)
                out.transition = t.loss
                transitionMetricAdjoint = t.metricAdjoint
                transitionGradient = t.gradient
            }
        }
        guard wantGradient, nonPositive == 0 else { return out }
        // Pass 2: G_p, carried to the outputs' jet.
        let alphaK = weights.kahler * invP, alphaT = weights.transition
        jet.withUnsafeBufferPointer { jb in blocks.withUnsafeBufferPointer { bb in first.withUnsafeBufferPointer { fb in
        s.fubiniStudy.withUnsafeBufferPointer { fsb in s.factorMetrics.withUnsafeBufferPointer { fmb in
        s.sample.omegaSquared.withUnsafeBufferPointer { ob in s.sample.weights.withUnsafeBufferPointer { wb in
        (s.referenceDerivatives ?? []).withUnsafeBufferPointer { rdb in (transitionMetricAdjoint ?? []).withUnsafeBufferPointer { tab in
        det.withUnsafeBufferPointer { db in dl.withUnsafeBufferPointer { dlb in inverses.withUnsafeBufferPointer { ib in
        traces.withUnsafeBufferPointer { trb in kahlerAdjoint.withUnsafeBufferPointer { kab in
        adjoint.withUnsafeMutableBufferPointer { ab in
            nonisolated(unsafe) let (jp, bp, fp, fsp, fmp, op, wp) = (jb.baseAddress!, isPhi ? bb.baseAddress : nil, first.isEmpty ? nil : fb.baseAddress, fsb.baseAddress!, fmb.baseAddress!, ob.baseAddress!, wb.baseAddress!)
            nonisolated(unsafe) let rdp = s.referenceDerivatives == nil ? nil : rdb.baseAddress
            nonisolated(unsafe) let tap = transitionMetricAdjoint == nil ? nil : tab.baseAddress
            nonisolated(unsafe) let (dp, dlp, ip, ap) = (db.baseAddress!, dlb.baseAddress!, ib.baseAddress!, ab.baseAddress!)
            nonisolated(unsafe) let trp = volumeOn ? trb.baseAddress : nil
            nonisolated(unsafe) let kap = kahlerOn ? kab.baseAddress : nil
            _ = jp
            parallelChunks(P, minimum: 64) { range in
                let G = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: nn)
                let x = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: nn)
                let y = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: nn * max(1, n))
                defer { G.deallocate(); x.deallocate(); y.deallocate() }
                for p in range {
                    let i = indices[p]
                    let gi = ip + p * nn, ref = fsp + i * nn, d = dp[p]
                    for e in 0..<nn { G[e] = gi[e] * ComplexDouble(dlp[p] * d, 0) }
                    if let trp {
                        let cw = wp[i] / op[i] * invP * d
                        for f in 0..<F where slopeAdjoint[f] != 0 {
                            let fa = fmp + (i * F + f) * nn, k = slopeAdjoint[f] * cw
                            for r in 0..<n { for q in 0..<n {
                                // (g⁻¹ F g⁻¹)_rq
                                var s = ComplexDouble.zero
                                for u in 0..<n { for v in 0..<n { s = s + gi[r * n + u] * fa[u * n + v] * gi[v * n + q] } }
                                G[r * n + q] = G[r * n + q] + (gi[r * n + q] * ComplexDouble(trp[p * F + f], 0) - s) * ComplexDouble(k, 0)
                            } }
                        }
                    }
                    if let tap { for e in 0..<nn { G[e] = G[e] + tap[p * nn + e] * ComplexDouble(alphaT, 0) } }
                    if isPhi {
                        Self.addHessianAdjoint(G, n: n, blocks: bp!, point: p, points: P, into: ap)
                        continue
                    }
                    model.addOutputAdjoint(G, n: n, reference: ref, scratch: x, y, into: ap + p * W)
                    guard let kap else { continue }
                    let E = kap + p * nn * n
                    // Through ∂_c H: X^{(c)}_ab = 2 conj(E_cab) C_ab, Y^{(c)}; e_{s_c,m} gets ½Re Y^{(c)}_m, e_{t_c,m} ½Im Y^{(c)}_m.
                    for q in 0..<n {
                        for e in 0..<nn { x[e] = E[q * nn + e].conjugate * model.entryScale(e, reference: ref) * ComplexDouble(2 * alphaK, 0) }
                        CYMetricModel.packingAdjoint(n, x, into: y + q * nn)
                    }
                    for m in 0..<W { for q in 0..<n {
                        ap[(fp![q] * P + p) * W + m] += 0.5 * y[q * nn + m].real
                        ap[(fp![n + q] * P + p) * W + m] += 0.5 * y[q * nn + m].imaginary
                    } }
                    if model == .multiplicative {
                        // Through the ∂_c g_ref ⊙ H term: X_ab = 2 Σ_c conj(E_cab) ∂_c g_ref,ab.
                        let rd = rdp! + i * nn * n
                        for e in 0..<nn {
                            var s = ComplexDouble.zero
                            for q in 0..<n { s = s + E[q * nn + e].conjugate * rd[q * nn + e] }
                            x[e] = s * ComplexDouble(2 * alphaK, 0)
                        }
                        CYMetricModel.packingAdjoint(n, x, into: y)
                        for m in 0..<W { ap[p * W + m] += y[m].real }
                    }
                }
            }
        } } } } } } } } } } } } } } }
        out.outputAdjoint = adjoint
        out.transitionGradient = transitionGradient
        return out
    }

}

extension NeuralCYMetric {
    /// The pulled-back reference metric at one point in the chart of `jacobian`: J g_ref,amb J†.
    public func referenceMetric(at z: [ComplexDouble], jacobian J: [ComplexDouble]) -> [ComplexDouble] {
        let a = reference?.ambientMetric(points: z) ?? FubiniStudy.ambientMetric(point: z, ambient: variety.ambient, kahler: kahler)
        return Self.pullback(a, jacobian: J, n: variety.dimension, D: variety.coordinateCount)
    }

    /// J A J† (n×n) of an ambient D×D matrix A.
    static func pullback(_ a: [ComplexDouble], jacobian J: [ComplexDouble], n: Int, D: Int) -> [ComplexDouble] {
        var g = [ComplexDouble](repeating: .zero, count: n * n)
        for r in 0..<n { for c in 0..<n {
            var s = ComplexDouble.zero
            for i in 0..<D { for j in 0..<D { s = s + J[r * D + i] * a[i * D + j] * J[c * D + j].conjugate } }
            g[r * n + c] = s
        } }
        return g
    }

    /// The reference metric g_FS(t) or `reference` as a `ChartMetric`.
    static func referenceChartMetric(variety v: Variety, kahler t: [Double], reference: AlgebraicMetric?) -> ChartMetric {
        guard let reference else { return TransitionMeasure.fubiniStudy(variety: v, kahler: t) }
        let n = v.dimension
        return { z, patch, dep in
            let (jac, _) = PullbackJacobian.jacobian(variety: v, point: z, patch: patch, dependent: dep)
            return (try? reference.pullbackMetric(points: z, jacobians: jac, dimension: n)) ?? [ComplexDouble](repeating: ComplexDouble(.nan, .nan), count: n * n)
        }
    }

    /// g_ab̄ at one point z of X in the chart whose pullback Jacobian is `jacobian` [n, D] (z patch-normalised in
    /// that chart), n×n row-major: J (g_ref,amb + ∂∂̄φ) J† for φ, the assembled H and J g_ref,amb J† for the others.
    public func metric(at z: [ComplexDouble], jacobian J: [ComplexDouble]) -> [ComplexDouble] {
        let D = variety.coordinateCount, n = variety.dimension
        if model != .phi {
            let input = inputs.jet(z[...], count: 1, ambient: variety.ambient, order: 0)
            let o = forward(input, keepTape: false).output
            var h = [ComplexDouble](repeating: .zero, count: n * n), g = h
            let r = model.usesReference ? referenceMetric(at: z, jacobian: J) : h
            h.withUnsafeMutableBufferPointer { hb in CYMetricModel.hermitian(n, into: hb.baseAddress!) { ComplexDouble(o[$0], 0) } }
            h.withUnsafeBufferPointer { hb in r.withUnsafeBufferPointer { rb in g.withUnsafeMutableBufferPointer { gb in
                model.assemble(n, packed: hb.baseAddress!, reference: rb.baseAddress!, into: gb.baseAddress!)
            } } }
            return g
        }
        let input = inputs.jet(z[...], count: 1, ambient: variety.ambient, order: Self.hessianOrder)
        let ix = input.indexSet
        let jet = forward(input, keepTape: false).output
        let blocks = Self.hessianBlocks(ix)
        var a = [ComplexDouble](repeating: .zero, count: D * D)
        jet.withUnsafeBufferPointer { jb in blocks.withUnsafeBufferPointer { bb in a.withUnsafeMutableBufferPointer { ab in
            Self.complexHessian(jb.baseAddress!, point: 0, points: 1, coordinates: D, blocks: bb.baseAddress!, into: ab.baseAddress!)
        } } }
        let fs = reference?.ambientMetric(points: z) ?? FubiniStudy.ambientMetric(point: z, ambient: variety.ambient, kahler: kahler)
        for e in 0..<(D * D) { a[e] = a[e] + fs[e] }
        return Self.pullback(a, jacobian: J, n: n, D: D)
    }

    /// The metric as CYBridge's `RicciMeasure.MetricFunction` (for the Ricci scalar by finite differences).
    public var metricFunction: RicciMeasure.MetricFunction {
        let m = self
        return { z, jac in m.metric(at: z, jacobian: jac) }
    }

    /// The metric chart by chart, CYBridge's `ChartMetric` (for the Kähler and transition measures).
    public var chartMetric: ChartMetric {
        let m = self
        return { z, patch, dep in
            let (jac, _) = PullbackJacobian.jacobian(variety: m.variety, point: z, patch: patch, dependent: dep)
            return m.metric(at: z, jacobian: jac)
        }
    }
}

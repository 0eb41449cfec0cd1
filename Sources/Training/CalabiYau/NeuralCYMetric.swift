import CYBridge
import Foundation
import Networks
import NumericCore
import Numerics

/// How a network builds a Kähler metric on a Calabi–Yau X (cymetric's models, Larfors–Lukas–Ruehle–Schneider,
/// arXiv 2205.13408, and 2111.01436).
public enum CYMetricModel: String, Sendable, Codable, CaseIterable {
    /// g = g_ref + ∂∂̄φ with φ the network's one real output and g_ref = g_FS(t) or an algebraic metric of the same
    /// class: Kähler by construction, and in the class of t — so Vol_K is fixed — when φ is one function on X
    /// (patch-invariant inputs; with cymetric's coordinates only as far as the transition loss makes it so).
    /// ∂_i∂̄_j φ is taken in the ambient homogeneous coordinates z_i = x_i + i y_i of the patch-normalised point and
    /// pulled back, ∂_i∂̄_j φ = ¼[(∂_{x_i}∂_{x_j} + ∂_{y_i}∂_{y_j})φ + i(∂_{x_i}∂_{y_j} − ∂_{y_i}∂_{x_j})φ],
    /// g_ab̄ = g^ref_ab̄ + J_a^i (∂_i∂̄_j φ) conj(J_b^j) with the pullback Jacobian J (`PullbackJacobian`).
    case phi
}

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

    /// Prepares `sample` at Kähler moduli `t`, with the reference metric g_FS(t) or, given, the algebraic metric
    /// `reference` (which must lie in the class of t).
    public init(sample s: PointSample, kahler t: [Double], reference: AlgebraicMetric? = nil, threads: Int? = nil) throws {
        sample = s; kahler = t
        jacobians = PullbackJacobian.jacobians(of: s, threads: threads)
        if let reference {
            fubiniStudy = try reference.pullbackMetric(points: s.points, jacobians: jacobians, dimension: s.variety.dimension)
        } else {
            fubiniStudy = FubiniStudy.pullbackMetrics(of: s, kahler: t, threads: threads)
        }
        kappa = s.kappa(kahler: t)
    }

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
    /// The network (inputs `inputs.width`, one output for `phi`).
    public var network: Network

    /// The default network: cymetric's φ-model network, three GELU layers of width 64 and a linear readout, standard
    /// parameterisation (W ~ N(0, 1/fan_in), close to Keras' Glorot 2/(fan_in + fan_out)), hidden biases starting
    /// at 0 (Keras' zeros) and trained; the readout drawn with W_std = 0.05, so that ∂∂̄φ starts small against g_FS
    /// and the metric starts positive definite at every point (with W_std = 1 the Hessian of φ is of the size of g_FS
    /// and g is not positive definite at about half the points of the quintic).
    public static let defaultNet = "Dense(64, b_std=0, parameterization=standard) Gelu Dense(64, b_std=0, parameterization=standard) Gelu Dense(64, b_std=0, parameterization=standard) Gelu Dense(1, W_std=0.05, parameterization=standard)"

    /// A metric on `variety` at Kähler moduli `kahler` with network `architecture` drawn from `seed`; throws when the
    /// architecture's output width is not the model's (1 for `phi`) or t does not match the ambient factors.
    public init(variety: Variety, kahler: [Double], model: CYMetricModel = .phi, inputs: CYNetworkInputs = .coordinates,
                reference: AlgebraicMetric? = nil, architecture: Serial, seed: UInt64) throws {
        guard kahler.count == variety.ambient.factorCount, kahler.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw SettingError("kahler", "\(kahler), expected \(variety.ambient.factorCount) positive Kähler moduli")
        }
        let net = try Network(architecture, inputWidth: inputs.width(variety.ambient), seed: seed)
        guard net.outputWidth == 1 else {
            throw SettingError("net", "has \(net.outputWidth) outputs, expected 1 for the \(model.rawValue) model (the potential φ)")
        }
        guard net.maxJetOrder >= 2 else {
            throw SettingError("net", "has an activation without closed-form second derivatives, expected one the φ-model can differentiate twice")
        }
        self.variety = variety; self.kahler = kahler; self.model = model; self.inputs = inputs; self.reference = reference; network = net
    }

    /// Order of the input jets the φ-model needs (its Hessian).
    static let hessianOrder = 2

    /// The rows `indices` of a row-major [N, D] array.
    static func gather(_ z: [ComplexDouble], _ indices: [Int], _ D: Int) -> [ComplexDouble] {
        var out = [ComplexDouble](); out.reserveCapacity(indices.count * D)
        for i in indices { out.append(contentsOf: z[(i * D)..<((i + 1) * D)]) }
        return out
    }

    /// φ at the points `indices` of a sample.
    public func potential(_ s: CYTrainingSample, indices: [Int]) -> [Double] {
        let D = variety.coordinateCount
        let jet = inputs.jet(Self.gather(s.sample.points, indices, D)[...], count: indices.count, ambient: variety.ambient, order: 0)
        return network.forward(inputJet: jet.data, indexSet: jet.indexSet, points: indices.count, keepTape: false).output
    }

    /// ∂∂̄φ [D, D] from the second-order jet blocks of φ at point p (P points in the batch, stride P between blocks).
    @inline(__always)
    static func complexHessian(_ jet: UnsafePointer<Double>, point p: Int, points P: Int, coordinates D: Int,
                               blocks: UnsafePointer<Int>, into a: UnsafeMutablePointer<ComplexDouble>) {
        // blocks[u·2D + v] = jet block of ∂_u∂_v (u, v real input indices: x_i = i, y_i = D + i).
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

    /// g = g_ref,pb + J A J† at one point (n×n), A = ∂∂̄φ [D, D], J [n, D].
    @inline(__always)
    static func pulledBack(fs: UnsafePointer<ComplexDouble>, jacobian J: UnsafePointer<ComplexDouble>, a: UnsafePointer<ComplexDouble>,
                           n: Int, D: Int, scratch t: UnsafeMutablePointer<ComplexDouble>, into g: UnsafeMutablePointer<ComplexDouble>) {
        // t = J A [n, D]
        for r in 0..<n { for j in 0..<D {
            var s = ComplexDouble.zero
            for i in 0..<D { s = s + J[r * D + i] * a[i * D + j] }
            t[r * D + j] = s
        } }
        for r in 0..<n { for c in 0..<n {
            var s = fs[r * n + c]
            for j in 0..<D { s = s + t[r * D + j] * J[c * D + j].conjugate }
            g[r * n + c] = s
        } }
    }

    /// det g of the model at the points `range` of `s` (forward only; for σ and validation), in batches of `batch`.
    public func determinants(_ s: CYTrainingSample, range: Range<Int>? = nil, batch: Int = 4096) -> [Double] {
        let r = range ?? 0..<s.count
        var out = [Double](repeating: 0, count: r.count)
        var lo = r.lowerBound
        while lo < r.upperBound {
            let hi = min(r.upperBound, lo + batch)
            let d = evaluate(s, indices: Array(lo..<hi), power: 1, wantGradient: false).determinants
            for k in 0..<d.count { out[lo - r.lowerBound + k] = d[k] }
            lo = hi
        }
        return out
    }

    /// What one pass over a batch gives.
    public struct BatchEvaluation: Sendable {
        /// det g at each point of the batch.
        public var determinants: [Double]
        /// The Monge–Ampère loss of the batch, mean over its points of |det g/(κ|Ω|²) − 1|^power.
        public var mongeAmpere: Double
        /// The transition loss of the batch (0 when its weight is 0): `transitionLoss`.
        public var transition: Double = 0
        /// ∂(mongeAmpere + transitionWeight·transition)/∂θ (nil unless asked for).
        public var gradient: [Double]?
        /// Points where g is not positive definite (det g ≤ 0 or not finite).
        public var nonPositive: Int
    }

    /// The Monge–Ampère loss L_MA = (1/B) Σ_p |det g_p/(κ|Ω_p|²) − 1|^power over the points `indices` of `s` (cymetric's
    /// `sigma_loss`, unweighted; power 1 is cymetric's default), det g and, when asked, ∂L_MA/∂θ.
    ///
    /// Gradient: d det g = det g · tr(g⁻¹ dg) and dg = J dA J†, so ∂det/∂A_ij = det · M_ji with M = J† g⁻¹ J [D, D];
    /// with A_ij = ¼[(H_{x_i x_j} + H_{y_i y_j}) + i(H_{x_i y_j} − H_{y_i x_j})] (H the real Hessian of φ) the
    /// adjoints of the Hessian entries are ¼det·Re M_ji (xx and yy), −¼det·Im M_ji (x_i y_j) and ¼det·Im M_ji
    /// (y_i x_j); the network's jet adjoint (`Network.parameterGradient`) carries them to θ.
    ///
    /// With `transitionWeight` α > 0 the batch's transition loss (`transitionLoss`) is added, α·L_T, sharing the
    /// values φ(z) of the Hessian pass (its value block).
    ///
    /// With `lossWeights` (one per sample point, e.g. the integration weights over their mean) each point's term is
    /// multiplied by its weight: the batch mean is then a Monte Carlo estimate of the loss integrated over X with the
    /// Calabi–Yau measure instead of the sampling measure.
    public func evaluate(_ s: CYTrainingSample, indices: [Int], power: Double, transitionWeight alpha: Double = 0,
                         lossWeights: [Double]? = nil, wantGradient: Bool) -> BatchEvaluation {
        let P = indices.count, D = variety.coordinateCount, n = variety.dimension, R = 2 * D
        let ix = JetIndexSet.shared(dimension: R, order: Self.hessianOrder)
        // The jet of the network's inputs in x at the batch's points.
        let input = inputs.jet(Self.gather(s.sample.points, indices, D)[...], count: P, ambient: variety.ambient, order: Self.hessianOrder)
        let (jet, tape) = network.forward(inputJet: input.data, indexSet: ix, points: P, keepTape: wantGradient)
        let blocks = Self.hessianBlocks(ix)
        var det = [Double](repeating: 0, count: P), terms = [Double](repeating: 0, count: P)
        var adjoint = wantGradient ? [Double](repeating: 0, count: jet.count) : []
        var bad = [Int](repeating: 0, count: P)
        let kappa = s.kappa
        let lw = lossWeights ?? []
        let weighted = lossWeights != nil
        precondition(!weighted || lw.count == s.count, "evaluate: \(lw.count) loss weights, expected \(s.count)")
        jet.withUnsafeBufferPointer { jb in blocks.withUnsafeBufferPointer { bb in
            s.jacobians.withUnsafeBufferPointer { jacb in s.fubiniStudy.withUnsafeBufferPointer { fsb in
                s.sample.omegaSquared.withUnsafeBufferPointer { ob in
                    det.withUnsafeMutableBufferPointer { db in terms.withUnsafeMutableBufferPointer { tb in
                        adjoint.withUnsafeMutableBufferPointer { ab in bad.withUnsafeMutableBufferPointer { badb in
                            nonisolated(unsafe) let (jp, bp, jacp, fsp, op, dp, tp, ap, badp) =
                                (jb.baseAddress!, bb.baseAddress!, jacb.baseAddress!, fsb.baseAddress!, ob.baseAddress!, db.baseAddress!, tb.baseAddress!, wantGradient ? ab.baseAddress : nil, badb.baseAddress!)
                            parallelChunks(P, minimum: 64) { range in
                                let a = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: D * D)
                                let t = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: n * D)
                                let g = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: n * n)
                                let xj = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: n * D)
                                let c = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: n * n)
                                defer { a.deallocate(); t.deallocate(); g.deallocate(); xj.deallocate(); c.deallocate() }
                                for p in range {
                                    let i = indices[p]
                                    let J = jacp + i * n * D
                                    Self.complexHessian(jp, point: p, points: P, coordinates: D, blocks: bp, into: a)
                                    Self.pulledBack(fs: fsp + i * n * n, jacobian: J, a: a, n: n, D: D, scratch: t, into: g)
                                    guard Self.isPositiveDefinite(g, n, scratch: c) else { badp[p] = 1; dp[p] = .nan; tp[p] = .nan; continue }
                                    // Solve g X = J (X = g⁻¹J), det g from the same elimination.
                                    for e in 0..<(n * D) { xj[e] = J[e] }
                                    let d = SmallComplexLinearAlgebra.solve(g, n, xj, D).real
                                    dp[p] = d
                                    guard d > 0, d.isFinite else { badp[p] = 1; tp[p] = .nan; continue }
                                    let m = d / (kappa * op[i]) - 1
                                    let am = abs(m)
                                    let wi = weighted ? lw[i] : 1
                                    tp[p] = wi * (power == 1 ? am : Foundation.pow(am, power))
                                    guard let ap else { continue }
                                    // ∂ℓ/∂det, with the point's weight and the 1/B of the mean.
                                    let dl = wi * (power == 1 ? (m >= 0 ? 1.0 : -1.0) : power * Foundation.pow(am, power - 1) * (m >= 0 ? 1 : -1))
                                        / (kappa * op[i]) / Double(P)
                                    let c = 0.25 * d * dl
                                    for ii in 0..<D { for jj in 0..<D {
                                        // M_ji = Σ_r conj(J_r j) X_r i
                                        var mji = ComplexDouble.zero
                                        for r in 0..<n { mji = mji + J[r * D + jj].conjugate * xj[r * D + ii] }
                                        let re = c * mji.real, im = c * mji.imaginary
                                        // H entries (u, v) of the full symmetric Hessian; the jet stores u ≤ v once.
                                        ap[bp[ii * R + jj] * P + p] += re                  // x_i x_j
                                        ap[bp[(D + ii) * R + D + jj] * P + p] += re        // y_i y_j
                                        ap[bp[ii * R + D + jj] * P + p] -= im              // x_i y_j
                                        ap[bp[(D + ii) * R + jj] * P + p] += im            // y_i x_j
                                    } }
                                }
                            }
                        } }
                    } }
                }
            } }
        } }
        let nonPositive = bad.reduce(0, +)
        let loss = nonPositive > 0 ? .nan : terms.reduce(0, +) / Double(P)
        var transition = 0.0
        var transitionGradient: [Double]? = nil
        if alpha > 0 && !inputs.isPatchInvariant {
            // φ(z) is the jet's value block (block 0: rows 0..<P).
            let t = transitionLoss(s, indices: indices, values: Array(jet[0..<P]), power: power, wantGradient: wantGradient && nonPositive == 0)
            transition = t.loss
            if let va = t.valueAdjoint { for p in 0..<P { adjoint[p] += alpha * va[p] } }
            transitionGradient = t.gradient
        }
        var gradient: [Double]? = nil
        if wantGradient, let tape {
            if nonPositive == 0 {
                var g = network.parameterGradient(tape: tape, outputAdjoint: adjoint)
                if let tg = transitionGradient { for k in 0..<g.count { g[k] += alpha * tg[k] } }
                gradient = g
            }
            tape.recycle()
        }
        var out = BatchEvaluation(determinants: det, mongeAmpere: loss, gradient: gradient, nonPositive: nonPositive)
        out.transition = transition
        return out
    }

    /// The φ-model's transition loss (cymetric's `PhiFSModel.compute_transition_loss`): φ must be one function on X,
    /// whichever patch normalises its inputs. For every point and every other admissible patch of one factor r (a
    /// coordinate j of r that is not the current patch, not a dependent coordinate and not zero) the point is
    /// rescaled, z'^{(r)} = z^{(r)}/z_j, and
    ///
    ///     L_T = mean over points and transitions of |φ(z') − φ(z)|^power
    ///
    /// (cymetric normalises by the transitions and n² and includes the identity transition; here the mean is over
    /// the transitions actually taken). `values` are φ(z) at the batch's points. Returns L_T and, when asked, the
    /// adjoint of the values φ(z) and the gradient through the rescaled points.
    func transitionLoss(_ s: CYTrainingSample, indices: [Int], values: [Double], power: Double, wantGradient: Bool)
        -> (loss: Double, valueAdjoint: [Double]?, gradient: [Double]?) {
        let v = variety, D = v.coordinateCount, f = v.ambient.factorCount, k = v.equationCount
        let sample = s.sample
        var rows: [ComplexDouble] = [], owner: [Int] = []
        for (p, i) in indices.enumerated() {
            let z = sample.points[(i * D)..<((i + 1) * D)]
            let patch = sample.patch[(i * f)..<((i + 1) * f)], dep = sample.dependent[(i * k)..<((i + 1) * k)]
            for r in 0..<f {
                for j in v.ambient.range(ofFactor: r) where j != patch[patch.startIndex + r] && !dep.contains(j) && z[z.startIndex + j].lengthSquared > 1e-24 {
                    var w = Array(z)
                    let inv = ComplexDouble(1, 0) / z[z.startIndex + j]
                    for c in v.ambient.range(ofFactor: r) { w[c] = w[c] * inv }
                    w[j] = ComplexDouble(1, 0)
                    rows.append(contentsOf: w)
                    owner.append(p)
                }
            }
        }
        let T = owner.count
        guard T > 0 else { return (0, wantGradient ? [Double](repeating: 0, count: indices.count) : nil, wantGradient ? [Double](repeating: 0, count: network.parameterCount) : nil) }
        let input = inputs.jet(rows[...], count: T, ambient: v.ambient, order: 0)
        let (phi, tape) = network.forward(inputJet: input.data, indexSet: input.indexSet, points: T, keepTape: wantGradient)
        var loss = 0.0
        var adjoint = [Double](repeating: 0, count: wantGradient ? T : 0), valueAdjoint = [Double](repeating: 0, count: wantGradient ? indices.count : 0)
        for t in 0..<T {
            let d = phi[t] - values[owner[t]], a = abs(d)
            loss += power == 1 ? a : Foundation.pow(a, power)
            if wantGradient {
                let g = (power == 1 ? 1 : power * Foundation.pow(a, power - 1)) * (d >= 0 ? 1 : -1) / Double(T)
                adjoint[t] = g; valueAdjoint[owner[t]] -= g
            }
        }
        var gradient: [Double]? = nil
        if let tape {
            gradient = network.parameterGradient(tape: tape, outputAdjoint: adjoint)
            tape.recycle()
        }
        return (loss / Double(T), wantGradient ? valueAdjoint : nil, gradient)
    }
}

extension NeuralCYMetric {
    /// g_ab̄ at one point z of X in the chart whose pullback Jacobian is `jacobian` [n, D] (z patch-normalised in
    /// that chart), n×n row-major: g = J (g_ref,amb + ∂∂̄φ) J† with g_ref the reference metric (g_FS(t) by default).
    public func metric(at z: [ComplexDouble], jacobian J: [ComplexDouble]) -> [ComplexDouble] {
        let D = variety.coordinateCount, n = variety.dimension, R = 2 * D
        let input = inputs.jet(z[...], count: 1, ambient: variety.ambient, order: Self.hessianOrder)
        let ix = input.indexSet
        let jet = network.forward(inputJet: input.data, indexSet: ix, points: 1, keepTape: false).output
        let blocks = Self.hessianBlocks(ix)
        var a = [ComplexDouble](repeating: .zero, count: D * D)
        jet.withUnsafeBufferPointer { jb in blocks.withUnsafeBufferPointer { bb in a.withUnsafeMutableBufferPointer { ab in
            Self.complexHessian(jb.baseAddress!, point: 0, points: 1, coordinates: D, blocks: bb.baseAddress!, into: ab.baseAddress!)
        } } }
        let fs = reference?.ambientMetric(points: z) ?? FubiniStudy.ambientMetric(point: z, ambient: variety.ambient, kahler: kahler)
        for e in 0..<(D * D) { a[e] = a[e] + fs[e] }
        var g = [ComplexDouble](repeating: .zero, count: n * n)
        for r in 0..<n { for c in 0..<n {
            var s = ComplexDouble.zero
            for i in 0..<D { for j in 0..<D { s = s + J[r * D + i] * a[i * D + j] * J[c * D + j].conjugate } }
            g[r * n + c] = s
        } }
        return g
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

import CYBridge
import Foundation
import Networks
import NumericCore
import Numerics

/// How a network builds a Kähler metric on a Calabi–Yau X (cymetric's models, Larfors–Lukas–Ruehle–Schneider,
/// arXiv 2205.13408, and 2111.01436).
public enum CYMetricModel: String, Sendable, Codable, CaseIterable {
    /// g = g_FS + ∂∂̄φ with φ the network's one real output: Kähler by construction and in the Kähler class of
    /// g_FS(t), so Vol_K is fixed (no Kähler or volume loss is needed). ∂_i∂̄_j φ is taken in the ambient
    /// homogeneous coordinates z_i = x_i + i y_i of the network's inputs and pulled back,
    /// ∂_i∂̄_j φ = ¼[(∂_{x_i}∂_{x_j} + ∂_{y_i}∂_{y_j})φ + i(∂_{x_i}∂_{y_j} − ∂_{y_i}∂_{x_j})φ],
    /// g_ab̄ = g^FS_ab̄ + J_a^i (∂_i∂̄_j φ) conj(J_b^j) with the pullback Jacobian J (`PullbackJacobian`).
    case phi
}

/// A sample prepared for training and scoring neural CY metrics: the points, their network inputs, pullback
/// Jacobians and pulled-back Fubini–Study metric at the Kähler moduli t, and κ.
///
/// Network inputs follow cymetric: the patch-normalised homogeneous coordinates z (`PointSample`, the largest
/// coordinate of each factor is 1), as [Re z₀ … Re z_{D−1}, Im z₀ … Im z_{D−1}].
public struct CYTrainingSample: Sendable {
    /// The points, weights and |Ω|².
    public let sample: PointSample
    /// Network inputs [N, 2D].
    public let inputs: Matrix
    /// Pullback Jacobians J = ∂z/∂x, [N, n, D].
    public let jacobians: [ComplexDouble]
    /// g_FS,pb(t), [N, n, n].
    public let fubiniStudy: [ComplexDouble]
    /// Kähler moduli t.
    public let kahler: [Double]
    /// κ = Vol_K/Vol_CY of this sample (`PointSample.kappa`), so that det g = κ|Ω|² for the Ricci-flat metric.
    public let kappa: Double

    /// Prepares `sample` at Kähler moduli `t`.
    public init(sample s: PointSample, kahler t: [Double], threads: Int? = nil) {
        sample = s; kahler = t
        let D = s.variety.coordinateCount
        inputs = Self.inputs(s.points, count: s.count, coordinates: D)
        jacobians = PullbackJacobian.jacobians(of: s, threads: threads)
        fubiniStudy = FubiniStudy.pullbackMetrics(of: s, kahler: t, threads: threads)
        kappa = s.kappa(kahler: t)
    }

    /// [Re z, Im z] rows for `count` points of D coordinates each.
    public static func inputs(_ z: [ComplexDouble], count: Int, coordinates D: Int) -> Matrix {
        var x = Matrix(rows: count, cols: 2 * D)
        for p in 0..<count { for i in 0..<D {
            x.data[p * 2 * D + i] = z[p * D + i].real
            x.data[p * 2 * D + D + i] = z[p * D + i].imaginary
        } }
        return x
    }

    /// Number of points N.
    public var count: Int { sample.count }
}

/// A neural Kähler metric on a Calabi–Yau variety: a network (one `Network`, SPEC-described) on cymetric's inputs and a
/// `CYMetricModel` that turns its outputs into g_ab̄ on X.
public struct NeuralCYMetric: Sendable {
    /// The variety X.
    public let variety: Variety
    /// Kähler moduli t of the reference Fubini–Study metric.
    public let kahler: [Double]
    /// How the outputs become a metric.
    public let model: CYMetricModel
    /// The network (inputs 2D, outputs `model`'s count).
    public var network: Network

    /// The default network: cymetric's φ-model network, three GELU layers of width 64 and a linear readout, standard
    /// parameterisation (W ~ N(0, 1/fan_in), close to Keras' Glorot 2/(fan_in + fan_out)), hidden biases starting
    /// at 0 (Keras' zeros) and trained; the readout drawn with W_std = 0.05, so that ∂∂̄φ starts small against g_FS
    /// and the metric starts positive definite at every point (with W_std = 1 the Hessian of φ is of the size of g_FS
    /// and g is not positive definite at about half the points of the quintic).
    public static let defaultNet = "Dense(64, b_std=0, parameterization=standard) Gelu Dense(64, b_std=0, parameterization=standard) Gelu Dense(64, b_std=0, parameterization=standard) Gelu Dense(1, W_std=0.05, parameterization=standard)"

    /// A metric on `variety` at Kähler moduli `kahler` with network `architecture` drawn from `seed`; throws when the
    /// architecture's output width is not the model's (1 for `phi`) or t does not match the ambient factors.
    public init(variety: Variety, kahler: [Double], model: CYMetricModel = .phi, architecture: Serial, seed: UInt64) throws {
        guard kahler.count == variety.ambient.factorCount, kahler.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw SettingError("kahler", "\(kahler), expected \(variety.ambient.factorCount) positive Kähler moduli")
        }
        let net = try Network(architecture, inputWidth: 2 * variety.coordinateCount, seed: seed)
        guard net.outputWidth == 1 else {
            throw SettingError("net", "has \(net.outputWidth) outputs, expected 1 for the \(model.rawValue) model (the potential φ)")
        }
        guard net.maxJetOrder >= 2 else {
            throw SettingError("net", "has an activation without closed-form second derivatives, expected one the φ-model can differentiate twice")
        }
        self.variety = variety; self.kahler = kahler; self.model = model; network = net
    }

    /// Order of the input jets the φ-model needs (its Hessian).
    static let hessianOrder = 2

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

    /// g = g_FS + J A J† at one point (n×n), A = ∂∂̄φ [D, D], J [n, D].
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
        /// ∂(mongeAmpere)/∂θ (nil unless asked for).
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
    public func evaluate(_ s: CYTrainingSample, indices: [Int], power: Double, wantGradient: Bool) -> BatchEvaluation {
        let P = indices.count, D = variety.coordinateCount, n = variety.dimension, R = 2 * D
        let ix = JetIndexSet(dimension: R, order: Self.hessianOrder)
        // Input jet of the identity map at the batch's inputs.
        var x = Matrix(rows: P, cols: R)
        for (k, i) in indices.enumerated() { for c in 0..<R { x.data[k * R + c] = s.inputs.data[i * R + c] } }
        let input = TaylorJet(inputs: x, order: Self.hessianOrder)
        let (jet, tape) = network.forward(inputJet: input.data, indexSet: ix, points: P, keepTape: wantGradient)
        let blocks = Self.hessianBlocks(ix)
        var det = [Double](repeating: 0, count: P), terms = [Double](repeating: 0, count: P)
        var adjoint = wantGradient ? [Double](repeating: 0, count: jet.count) : []
        var bad = [Int](repeating: 0, count: P)
        let kappa = s.kappa
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
                                    tp[p] = power == 1 ? am : Foundation.pow(am, power)
                                    guard let ap else { continue }
                                    // ∂ℓ/∂det, with the 1/B of the mean.
                                    let dl = (power == 1 ? (m >= 0 ? 1.0 : -1.0) : power * Foundation.pow(am, power - 1) * (m >= 0 ? 1 : -1))
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
        var gradient: [Double]? = nil
        if wantGradient, let tape {
            gradient = nonPositive > 0 ? nil : network.parameterGradient(tape: tape, outputAdjoint: adjoint)
            tape.recycle()
        }
        return BatchEvaluation(determinants: det, mongeAmpere: loss, gradient: gradient, nonPositive: nonPositive)
    }
}

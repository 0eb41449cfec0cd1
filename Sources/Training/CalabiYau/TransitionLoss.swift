import CYBridge
import Foundation
import Networks
import NumericCore
import Numerics

/// The transition losses: a metric on X is one tensor, so on the overlap of two charts its components must agree,
/// and the network's outputs — computed from the point normalised in one patch — must describe it in every patch.
extension NeuralCYMetric {
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
        let (phi, tape) = forward(input, keepTape: wantGradient)
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

    /// The matrix models' transition loss (cymetric's `FreeModel.compute_transition_loss`; CYBridge's
    /// `TransitionMeasure` with exponent `power`): for every point and every other admissible patch
    /// (`TransitionMeasure.alternativePatches`: in each factor any coordinate that is not dependent and not zero,
    /// at least one factor changed, the dependent coordinates kept) the point is rescaled into the new patch, z', and
    ///
    ///     L_T = mean over points and transitions of (1/n²) Σ_ab |g_ab̄(z) − (T g(z') T†)_ab̄|^power,
    ///
    /// T_ac = ∂x'_c/∂x_a (`TransitionMeasure.transitionMatrix`), g(z') the model in the new chart (its reference
    /// pulled back with that chart's Jacobian). `metrics` are g at the batch's points [B, n, n]. Returns L_T and, when
    /// asked, its adjoint on those metrics (dL = Re Σ_p tr(G_p dg_p): G = c ⊙ Δ with Δ = g − T g' T† and
    /// c_ab = power·|Δ_ab|^{power−2}/(n²·transitions)) and its gradient through the rescaled points (G' = −T†GT carried
    /// through the packing).
    func hermitianTransitionLoss(_ s: CYTrainingSample, indices: [Int], metrics: [ComplexDouble], power: Double, wantGradient: Bool)
        -> (loss: Double, metricAdjoint: [ComplexDouble]?, gradient: [Double]?) {
        let v = variety, D = v.coordinateCount, n = v.dimension, nn = n * n, f = v.ambient.factorCount, k = v.equationCount
        let W = network.outputWidth, P = indices.count
        let sample = s.sample
        // The transitions of every point, in a fixed order (point, then patch list order).
        let patches: [[[Int]]] = indices.map { i in
            TransitionMeasure.alternativePatches(variety: v, point: sample.point(i), patch: Array(sample.patch[(i * f)..<((i + 1) * f)]),
                                                        dependent: Array(sample.dependent[(i * k)..<((i + 1) * k)]))
        }
        var offset = [Int](repeating: 0, count: P + 1)
        for p in 0..<P { offset[p + 1] = offset[p] + patches[p].count }
        let T = offset[P]
        guard T > 0 else {
            return (0, wantGradient ? [ComplexDouble](repeating: .zero, count: P * nn) : nil, wantGradient ? [Double](repeating: 0, count: network.parameterCount) : nil)
        }
        var rows = [ComplexDouble](repeating: .zero, count: T * D), tm = [ComplexDouble](repeating: .zero, count: T * nn)
        var jacobians = [ComplexDouble](repeating: .zero, count: T * n * D)
        rows.withUnsafeMutableBufferPointer { rb in tm.withUnsafeMutableBufferPointer { tb in jacobians.withUnsafeMutableBufferPointer { jb in
            nonisolated(unsafe) let (rp, tp, jp) = (rb.baseAddress!, tb.baseAddress!, jb.baseAddress!)
            parallelChunks(P, minimum: 16) { range in
                for p in range {
                    let i = indices[p]
                    let z = sample.point(i)
                    let patch = Array(sample.patch[(i * f)..<((i + 1) * f)]), dep = Array(sample.dependent[(i * k)..<((i + 1) * k)])
                    for (q, np) in patches[p].enumerated() {
                        let t = offset[p] + q
                        var z2 = z
                        for r in 0..<f {
                            let inv = ComplexDouble(1, 0) / z[np[r]]
                            for j in v.ambient.range(ofFactor: r) { z2[j] = z[j] * inv }
                            z2[np[r]] = ComplexDouble(1, 0)
                        }
                        for j in 0..<D { rp[t * D + j] = z2[j] }
                        let m = TransitionMeasure.transitionMatrix(variety: v, point: z, patch: patch, dependent: dep, newPatch: np)
                        for e in 0..<nn { tp[t * nn + e] = m[e] }
                        let (jac, _) = PullbackJacobian.jacobian(variety: v, point: z2, patch: np, dependent: dep)
                        for e in 0..<(n * D) { jp[t * n * D + e] = jac[e] }
                    }
                }
            }
        } } }
        // The reference metric at the rescaled points, in their new charts.
        var refs = [ComplexDouble](repeating: .zero, count: model.usesReference ? T * nn : 0)
        if model.usesReference {
            if let reference, let r = try? reference.pullbackMetric(points: rows, jacobians: jacobians, dimension: n) {
                refs = r
            } else {
                for t in 0..<T {
                    let r = referenceMetric(at: Array(rows[(t * D)..<((t + 1) * D)]), jacobian: Array(jacobians[(t * n * D)..<((t + 1) * n * D)]))
                    for e in 0..<nn { refs[t * nn + e] = r[e] }
                }
            }
        }
        let input = inputs.jet(rows[...], count: T, ambient: v.ambient, order: 0)
        let (o, tape) = forward(input, keepTape: wantGradient)
        var loss = 0.0
        var metricAdjoint = [ComplexDouble](repeating: .zero, count: wantGradient ? P * nn : 0)
        var outputAdjoint = [Double](repeating: 0, count: wantGradient ? T * W : 0)
        let scale = 1 / (Double(nn) * Double(T))
        var h = [ComplexDouble](repeating: .zero, count: nn), g2 = h, a = h, delta = h, G = h, x = h, y = h
        for p in 0..<P { for t in offset[p]..<offset[p + 1] {
            h.withUnsafeMutableBufferPointer { hb in CYMetricModel.hermitian(n, into: hb.baseAddress!) { ComplexDouble(o[t * W + $0], 0) } }
            refs.withUnsafeBufferPointer { rb in h.withUnsafeBufferPointer { hb in g2.withUnsafeMutableBufferPointer { gb in
                model.assemble(n, packed: hb.baseAddress!, reference: model.usesReference ? rb.baseAddress! + t * nn : nil, into: gb.baseAddress!)
            } } }
            // a = T g' T†
            for r in 0..<n { for c in 0..<n {
                var acc = ComplexDouble.zero
                for u in 0..<n { for w in 0..<n { acc = acc + tm[t * nn + r * n + u] * g2[u * n + w] * tm[t * nn + c * n + w].conjugate } }
                a[r * n + c] = acc
            } }
            for e in 0..<nn {
                delta[e] = metrics[p * nn + e] - a[e]
                let m = delta[e].length
                loss += (power == 1 ? m : Foundation.pow(m, power)) * scale
                let c = m > 0 ? power * Foundation.pow(m, power - 2) * scale : 0
                G[e] = delta[e] * ComplexDouble(c, 0)
            }
            guard wantGradient else { continue }
            for e in 0..<nn { metricAdjoint[p * nn + e] = metricAdjoint[p * nn + e] + G[e] }
            // G' = −T† G T; X_ab = G'_ba C'_ab.
            for r in 0..<n { for c in 0..<n {
                var acc = ComplexDouble.zero
                for u in 0..<n { for w in 0..<n { acc = acc + tm[t * nn + u * n + r].conjugate * G[u * n + w] * tm[t * nn + w * n + c] } }
                a[r * n + c] = ComplexDouble.zero - acc
            } }
            refs.withUnsafeBufferPointer { rb in
                for r in 0..<n { for c in 0..<n {
                    x[r * n + c] = a[c * n + r] * model.entryScale(r * n + c, reference: model.usesReference ? rb.baseAddress! + t * nn : nil)
                } }
            }
            x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { CYMetricModel.packingAdjoint(n, xb.baseAddress!, into: $0.baseAddress!) } }
            for m in 0..<W { outputAdjoint[t * W + m] = y[m].real }
        } }
        var gradient: [Double]? = nil
        if let tape {
            gradient = network.parameterGradient(tape: tape, outputAdjoint: outputAdjoint)
            tape.recycle()
        }
        return (loss, wantGradient ? metricAdjoint : nil, gradient)
    }

    /// The transition loss of the model on the points `range` of `s` (φ: `transitionLoss` of the potential; matrix
    /// models: `hermitianTransitionLoss`), in batches of 4096: the validation figure.
    public func transitionLoss(_ s: CYTrainingSample, power: Double, range: Range<Int>? = nil) -> Double {
        let r = range ?? 0..<s.count
        var total = 0.0, lo = r.lowerBound
        while lo < r.upperBound {
            let idx = Array(lo..<min(r.upperBound, lo + 4096))
            let l: Double
            if model == .phi {
                l = transitionLoss(s, indices: idx, values: potential(s, indices: idx), power: power, wantGradient: false).loss
            } else {
                l = hermitianTransitionLoss(s, indices: idx, metrics: evaluate(s, indices: idx, power: power, wantGradient: false).metrics,
                                            power: power, wantGradient: false).loss
            }
            total += l * Double(idx.count)
            lo += idx.count
        }
        return total / Double(max(1, r.count))
    }
}

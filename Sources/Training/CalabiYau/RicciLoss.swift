import CYBridge
import Foundation
import Networks
import NumericCore
import Numerics

/// The Ricci loss (cymetric's `compute_ricci_loss`, weight α_Ricci): L_R = (1/K) Σ_p |R_p|^power over K points, with
/// R the standard Ricci scalar of the model's metric g,
///
///     R = −g^{ab̄} ∂_a∂̄_b log det g      (`RicciMeasure`: the round metric has R > 0; cymetric's sign is −R),
///
/// taken exactly as CYBridge's Ricci measure takes it: ∂_a∂̄_b log det g by the Richardson-extrapolated central
/// differences of `RicciMeasure.Stencil` in the point's local chart (145 nodes for a threefold), the nodes mapped to X
/// by `LocalChart.point(at:)` and the metric evaluated there through the network. So R_p is the Ricci measure's R_p
/// (tested), and L_R vanishes exactly when the metric is Ricci-flat at the K points (up to the differences' O(h⁴)).
///
/// Gradient: R is a linear function of the nodes' F_s = log det g_s, D = Σ_s C_s F_s, and of g₀⁻¹ at the centre, so
/// with ℓ′ = ∂|R|^power/∂R and dL = Re tr(G dg) at every node,
///
///     G_s = −ℓ′ Re tr(g₀⁻¹ C_s) g_s⁻¹     (d log det g = tr(g⁻¹ dg)),      G₀ += ℓ′ g₀⁻¹ D g₀⁻¹     (d g⁻¹ = −g⁻¹ dg g⁻¹),
///
/// which the model carries to the network's outputs at the nodes as for every other loss (`NeuralCYMetric.evaluate`)
/// and the network's jet adjoint to θ. The Ricci scalar needs the metric's second derivatives — fourth derivatives of
/// φ — which the network's jets do not reach with a θ-gradient; the stencil needs only g itself (second-order jets
/// for φ, values for the matrix models). Cost: 145 metric evaluations per point for n = 3, hence the K-point subsample
/// (`CYTrainingConfig.ricciPoints`).
public enum RicciLoss {
    /// What the Ricci loss of a set of points gives.
    public struct Evaluation: Sendable {
        /// L_R = mean_p |R_p|^power over the points whose stencil was evaluated.
        public var loss: Double
        /// R_p at every point asked for (NaN where a node left the chart or g was not positive definite there).
        public var scalars: [Double]
        /// Nodes at which g was not positive definite.
        public var nonPositive: Int
        /// ∂L_R/∂θ (nil unless asked for, or when g was not positive definite at a node).
        public var gradient: [Double]?
    }
}

extension NeuralCYMetric {
    /// The Ricci loss (`RicciLoss`) at the points `indices` of `s`, and with `wantGradient` its θ-gradient.
    public func ricciLoss(_ s: CYTrainingSample, indices: [Int], power: Double, wantGradient: Bool) -> RicciLoss.Evaluation {
        let v = variety, n = v.dimension, D = v.coordinateCount, nn = n * n, W = network.outputWidth, isPhi = model == .phi
        // The stencils and their nodes on X: points, Jacobians in the centre's chart, reference metrics — each point's
        // nodes in their own slots (filled in parallel; a point whose node leaves the chart keeps its centre there and
        // is left out of the loss).
        let charts = indices.map { LocalChart(sample: s.sample, index: $0) }
        var stencils: [RicciMeasure.Stencil?] = charts.map { RicciMeasure.Stencil(chart: $0) }
        var firstNode = [Int](), total0 = 0
        for st in stencils { firstNode.append(total0); total0 += st!.nodes.count }
        var z = [ComplexDouble](repeating: .zero, count: total0 * D), jac = [ComplexDouble](repeating: .zero, count: total0 * n * D)
        var ref = [ComplexDouble](repeating: .zero, count: total0 * nn)
        var failed = [Bool](repeating: false, count: indices.count)
        let needsReference = model.usesReference || isPhi
        z.withUnsafeMutableBufferPointer { zb in jac.withUnsafeMutableBufferPointer { jb in ref.withUnsafeMutableBufferPointer { rb in failed.withUnsafeMutableBufferPointer { fb in
            nonisolated(unsafe) let (zp, jp, rp, fp) = (zb.baseAddress!, jb.baseAddress!, rb.baseAddress!, fb.baseAddress!)
            let sts = stencils, first = firstNode
            parallelChunks(indices.count, minimum: 1) { range in
                for k in range {
                    let chart = charts[k], st = sts[k]!
                    for (sIdx, x) in st.nodes.enumerated() {
                        let m = first[k] + sIdx
                        let q = chart.point(at: x)
                        if q == nil { fp[k] = true }
                        let p = q ?? chart.center
                        let (j, _) = PullbackJacobian.jacobian(variety: v, point: p, patch: chart.patch, dependent: chart.dependent)
                        for e in 0..<D { zp[m * D + e] = p[e] }
                        for e in 0..<(n * D) { jp[m * n * D + e] = j[e] }
                        if needsReference { let r = referenceMetric(at: p, jacobian: j); for e in 0..<nn { rp[m * nn + e] = r[e] } }
                    }
                }
            }
        } } } }
        for k in 0..<indices.count where failed[k] { stencils[k] = nil }
        let M = z.count / D
        var out = RicciLoss.Evaluation(loss: 0, scalars: [Double](repeating: .nan, count: indices.count), nonPositive: 0, gradient: nil)
        guard M > 0 else { return out }
        // The network at every node: φ's Hessian jet, or the n² outputs.
        let order = isPhi ? Self.hessianOrder : 0
        let input = inputJet(z[...], jacobians: jac[...], count: M, order: order)
        let (jet, tape) = forward(input, keepTape: wantGradient)
        defer { tape?.recycle() }
        let blocks = isPhi ? Self.wirtingerBlocks(input.indexSet) : []
        // g, log det g and g⁻¹ at every node.
        var metrics = [ComplexDouble](repeating: .zero, count: M * nn), inverses = metrics
        var logDet = [Double](repeating: .nan, count: M)
        jet.withUnsafeBufferPointer { jb in blocks.withUnsafeBufferPointer { bb in ref.withUnsafeBufferPointer { rb in
        metrics.withUnsafeMutableBufferPointer { mb in inverses.withUnsafeMutableBufferPointer { ib in logDet.withUnsafeMutableBufferPointer { lb in
            nonisolated(unsafe) let (jp, bp, rp, mp, ip, lp) = (jb.baseAddress!, isPhi ? bb.baseAddress : nil, rb.baseAddress!, mb.baseAddress!, ib.baseAddress!, lb.baseAddress!)
            let model = self.model
            parallelChunks(M, minimum: 64) { range in
                let a = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: nn)
                let c = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: nn)
                defer { a.deallocate(); c.deallocate() }
                for m in range {
                    let g = mp + m * nn, gi = ip + m * nn
                    if isPhi {
                        Self.wirtingerHessian(jp, point: m, points: M, n: n, blocks: bp!, into: a)
                        for e in 0..<nn { g[e] = rp[m * nn + e] + a[e] }
                    } else {
                        CYMetricModel.hermitian(n, into: a) { ComplexDouble(jp[m * W + $0], 0) }
                        model.assemble(n, packed: a, reference: rp + m * nn, into: g)
                    }
                    guard Self.isPositiveDefinite(g, n, scratch: c) else { continue }
                    for e in 0..<nn { c[e] = g[e]; gi[e] = e % (n + 1) == 0 ? ComplexDouble(1, 0) : .zero }
                    let d = SmallComplexLinearAlgebra.solve(c, n, gi, n).real
                    if d > 0, d.isFinite { lp[m] = Foundation.log(d) }
                }
            }
        } } } } } }
        out.nonPositive = logDet.filter { !$0.isFinite }.count
        // R_p, the loss and ℓ′_p.
        var used = 0, total = 0.0
        var slopes = [Double](repeating: 0, count: indices.count), hessians = [[ComplexDouble]](repeating: [], count: indices.count)
        for (k, st) in stencils.enumerated() {
            guard let st, out.nonPositive == 0 else { continue }
            let m0 = firstNode[k]
            let ddF = st.contract(Array(logDet[m0..<(m0 + st.nodes.count)]))
            guard let r = RicciMeasure.scalar(metric: Array(metrics[(m0 * nn)..<((m0 + 1) * nn)]), logDetHessian: ddF, dimension: n) else { continue }
            out.scalars[k] = r
            let ar = abs(r)
            total += power == 1 ? ar : Foundation.pow(ar, power)
            slopes[k] = (power == 1 ? 1 : power * Foundation.pow(ar, power - 1)) * (r >= 0 ? 1 : -1)
            hessians[k] = ddF
            used += 1
        }
        guard used > 0 else { return out }
        out.loss = total / Double(used)
        guard wantGradient, let tape, out.nonPositive == 0 else { return out }
        // G at every node, carried to the output jet.
        var adjoint = [Double](repeating: 0, count: jet.count)
        var G = [ComplexDouble](repeating: .zero, count: nn)
        let x = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: nn), y = UnsafeMutablePointer<ComplexDouble>.allocate(capacity: nn)
        defer { x.deallocate(); y.deallocate() }
        for (k, st) in stencils.enumerated() {
            guard let st, out.scalars[k].isFinite else { continue }
            let m0 = firstNode[k], lp = slopes[k] / Double(used)
            let g0i = Array(inverses[(m0 * nn)..<((m0 + 1) * nn)])
            // g₀⁻¹ D g₀⁻¹
            let dd = hessians[k]
            var centre = [ComplexDouble](repeating: .zero, count: nn)
            for a in 0..<n { for b in 0..<n {
                var acc = ComplexDouble.zero
                for u in 0..<n { for w in 0..<n { acc = acc + g0i[a * n + u] * dd[u * n + w] * g0i[w * n + b] } }
                centre[a * n + b] = acc
            } }
            for sIdx in 0..<st.nodes.count {
                let m = m0 + sIdx
                // Re tr(g₀⁻¹ C_s) = Re Σ_ab (g₀⁻¹)_ab (C_s)_ba
                var tr = 0.0
                for a in 0..<n { for b in 0..<n { tr += (g0i[a * n + b] * st.weights[sIdx * nn + b * n + a]).real } }
                let f = ComplexDouble(-lp * tr, 0)
                for e in 0..<nn { G[e] = inverses[m * nn + e] * f }
                if sIdx == 0 { for e in 0..<nn { G[e] = G[e] + centre[e] * ComplexDouble(lp, 0) } }
                G.withUnsafeBufferPointer { Gb in ref.withUnsafeBufferPointer { rb in blocks.withUnsafeBufferPointer { bb in
                adjoint.withUnsafeMutableBufferPointer { ab in
                    if isPhi {
                        Self.addHessianAdjoint(Gb.baseAddress!, n: n, blocks: bb.baseAddress!, point: m, points: M, into: ab.baseAddress!)
                    } else {
                        model.addOutputAdjoint(Gb.baseAddress!, n: n, reference: rb.baseAddress! + m * nn, scratch: x, y, into: ab.baseAddress! + m * W)
                    }
                } } } }
            }
        }
        out.gradient = network.parameterGradient(tape: tape, outputAdjoint: adjoint)
        return out
    }
}

import CNumericLibs
import CYBridge
import Foundation
import Networks
import NumericCore
import Numerics

/// The metric-NTK of a neural CY metric: the neural tangent kernel of the map θ ↦ g(θ), the same object as NTK's
/// `MetricNTK` of a torus metric network — Θ_{(p,α),(q,β)} = Σ_k ∂g_α(x_p)/∂θ_k ∂g_β(x_q)/∂θ_k — for the Hermitian
/// n×n metric in each point's local chart, taken through its n² real components
///
///     g_α, α = (a, b) in row-major order over a ≤ b:  Re g_aa;  Re g_ab, Im g_ab (a < b).
///
/// For the φ-model g = g_ref + J ∂∂̄φ J† is linear in φ, so Θ is the scalar NTK of φ seen through the operator
/// φ ↦ J ∂∂̄φ J† at both points (it is frozen exactly when the scalar NTK is). Each row of the Jacobian is one
/// reverse pass of the network on one point with the adjoint of the component (`addHessianAdjoint`, or the
/// packing's adjoint for the matrix models); Θ = 𝒥𝒥ᵀ by BLAS.
extension NeuralCYMetric {
    /// The n² real components of a Hermitian n×n g in the metric-NTK's order.
    public static func realComponents(_ g: ArraySlice<ComplexDouble>, n: Int) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(n * n)
        let b0 = g.startIndex
        for a in 0..<n { for b in a..<n {
            out.append(g[b0 + a * n + b].real)
            if b > a { out.append(g[b0 + a * n + b].imaginary) }
        } }
        return out
    }

    /// 𝒥 = ∂g_α(x_p)/∂θ at the points `indices` of `s`, rows p·n² + α, [P·n², parameters].
    public func metricJacobian(_ s: CYTrainingSample, indices: [Int]) -> Matrix {
        let n = variety.dimension, nn = n * n, K = network.parameterCount
        var out = Matrix(rows: indices.count * nn, cols: K)
        let order = model == .phi ? Self.hessianOrder : 0
        // The component α's G, with Re tr(G dg) = dg_α for Hermitian dg (tr(G dg) = Σ G_cr dg_rc): Re g_aa ↔ G_aa = 1;
        // Re g_ab ↔ G_ba = G_ab = ½ (Re(dg_ab + dg_ba)/2 = Re dg_ab); Im g_ab ↔ G_ba = −i/2, G_ab = i/2.
        var components: [[ComplexDouble]] = []
        for a in 0..<n { for b in a..<n {
            var G = [ComplexDouble](repeating: .zero, count: nn)
            if a == b { G[a * n + a] = ComplexDouble(1, 0); components.append(G); continue }
            G[b * n + a] = ComplexDouble(0.5, 0); G[a * n + b] = ComplexDouble(0.5, 0); components.append(G)
            var H = [ComplexDouble](repeating: .zero, count: nn)
            H[b * n + a] = ComplexDouble(0, -0.5); H[a * n + b] = ComplexDouble(0, 0.5); components.append(H)
        } }
        let blocks = model == .phi ? Self.wirtingerBlocks(jetIndexSet(order: order)) : []
        for (row, i) in indices.enumerated() {
            let input = networkInputs(s, indices: [i], order: order)
            let (jet, tape) = forward(input, keepTape: true)
            let ref = Array(s.fubiniStudy[(i * nn)..<((i + 1) * nn)])
            for (alpha, G) in components.enumerated() {
                var adjoint = [Double](repeating: 0, count: jet.count)
                G.withUnsafeBufferPointer { gb in adjoint.withUnsafeMutableBufferPointer { ab in
                    if model == .phi {
                        blocks.withUnsafeBufferPointer { bb in
                            Self.addHessianAdjoint(gb.baseAddress!, n: n, blocks: bb.baseAddress!, point: 0, points: 1, into: ab.baseAddress!)
                        }
                    } else {
                        var x = [ComplexDouble](repeating: .zero, count: nn), y = x
                        ref.withUnsafeBufferPointer { rb in x.withUnsafeMutableBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
                            model.addOutputAdjoint(gb.baseAddress!, n: n, reference: rb.baseAddress!, scratch: xb.baseAddress!, yb.baseAddress!, into: ab.baseAddress!)
                        } } }
                    }
                } }
                let g = network.parameterGradient(tape: tape!, outputAdjoint: adjoint)
                let r = (row * nn + alpha) * K
                for k in 0..<K { out.data[r + k] = g[k] }
            }
            tape!.recycle()
        }
        return out
    }

    /// Θ = 𝒥𝒥ᵀ [P·n², P·n²] at the points `indices` (`metricJacobian`).
    public func metricNTK(_ s: CYTrainingSample, indices: [Int]) -> Matrix {
        let j = metricJacobian(s, indices: indices)
        var out = Matrix(rows: j.rows, cols: j.rows)
        j.data.withUnsafeBufferPointer { jb in out.data.withUnsafeMutableBufferPointer { ob in
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(j.rows), Int32(j.cols), 1, jb.baseAddress!, Int32(j.cols), 0, ob.baseAddress!, Int32(j.rows))
        } }
        for r in 0..<out.rows { for c in 0..<r { out.data[r * out.cols + c] = out.data[c * out.cols + r] } }
        return out
    }
}

import CNumericLibs
import Foundation
import Networks
import NumericCore

/// The empirical neural tangent kernel of a finite network f_θ: ℝ^d → ℝ^O,
/// Θ_ab(x, x') = Σ_I ∂f_a(x)/∂θ_I · ∂f_b(x')/∂θ_I, with θ the *stored* parameters (the raw N(0,1) draws
/// under NTK parameterisation, as in neural-tangents).
///
/// Fast path (never forms the P × #params Jacobian): for a Dense layer l, z = s_w·h·W + s_b·b, the
/// parameter gradients are ∂f_a/∂W_ij = s_w h_i δ_{a j}, ∂f_a/∂b_j = s_b δ_{a j} with δ = ∂f/∂z, so
/// Θ_ab(x, x') = Σ_l [s_w² h_l(x)·h_l(x') + s_b²]·[δ_{l,a}(x)·δ_{l,b}(x')] — two Gram matrices per layer,
/// each one BLAS product. The generic path forms J and returns J Jᵀ; the two agree to round-off.
public struct EmpiricalNTK {
    /// The finite network (architecture, input width, flat parameters θ).
    public let network: Network
    /// θ split per layer (the passes go layer by layer).
    let parameters: [LayerParameters]
    /// Width d of the inputs x.
    public var inputWidth: Int { network.inputWidth }
    var layers: [any Layer] { network.architecture.layers }

    /// The empirical NTK of `network` at its current parameters θ (split per layer once, here).
    public init(_ network: Network) {
        self.network = network
        self.parameters = network.layerParameters
    }

    /// Number O of outputs f_a.
    public var outputWidth: Int { network.outputWidth }

    /// Per Dense layer: its input h [P, n_in] and δ = ∂f/∂z [P·O, n_out] (row p·O + a), and the outputs f.
    struct Pass {
        var inputs: [Matrix] = []
        var deltas: [Matrix] = []
        var scales: [(w: Double, b: Double, hasBias: Bool)] = []
        var outputs = Matrix(rows: 0, cols: 0)
        /// The storage of pre-activations whose φ' was applied and that no δ took (dead), for the Gram products.
        var spares: [[Double]] = []
    }

    func pass(_ x: Matrix) -> Pass {
        var p = Pass()
        var h = x
        var pre: [Matrix?] = []          // pre-activation of each layer (nonlinearities), for φ'
        var denseIndex: [Int] = []
        for (l, par) in zip(layers, parameters) {
            if let d = l as? Dense {
                p.inputs.append(h)
                let s = d.scales(inputWidth: h.cols)
                p.scales.append((s.w, s.b, d.bStd != nil))
                denseIndex.append(pre.count)
                pre.append(nil)
            } else {
                pre.append(h)
            }
            h = l.apply(par, h)
        }
        p.outputs = h
        let P = x.rows, O = h.cols
        // Backward: δ at the output z is the identity over outputs.
        var delta = Matrix(rows: P * O, cols: O)
        for q in 0..<P { for a in 0..<O { delta[q * O + a, a] = 1 } }
        var deltas = [Matrix](repeating: Matrix(rows: 0, cols: 0), count: p.inputs.count)
        var di = p.inputs.count - 1
        // The storage of pre-activations whose φ' has been applied: the next δ is written into one (no fresh pages).
        var spares: [[Double]] = []
        for k in stride(from: layers.count - 1, through: 0, by: -1) {
            let l = layers[k]
            if let d = l as? Dense {
                deltas[di] = delta
                if k > 0 {
                    // δ_h = s_w·δ_z·Wᵀ
                    delta = Matrix.multiply(delta, parameters[k].weight!, transposeB: true,
                                            alpha: d.scales(inputWidth: p.inputs[di].cols).w, reusing: &spares)
                }
                di -= 1
            } else if let nl = l as? Nonlinearity, let z = pre[k] {
                z.data.withUnsafeBufferPointer { zb in
                    delta.data.withUnsafeMutableBufferPointer { nl.multiplyByDerivative(at: zb, block: z.cols, rowsPerPoint: O, $0) }
                }
                pre[k] = nil
                spares.append(z.data)
            }
        }
        p.deltas = deltas
        p.spares = spares
        return p
    }

    /// Outputs f(x) [P, O].
    public func outputs(_ x: Matrix) -> Matrix { network.outputs(x) }

    /// Any architecture (convolutions, residual branches, pooling): Θ = J(x₁)J(x₂)ᵀ with the Jacobians of the layers'
    /// pullbacks (`Network.jacobian`), in blocks of points so that a block's Jacobian stays within 256 MiB; refused
    /// before allocating when one point's Jacobian rows or the result do not fit in memory.
    func kernelOfGraph(_ x1: Matrix, _ x2: Matrix?, trace: Bool) throws -> NDArray<Double> {
        let y = x2 ?? x1, O = outputWidth, P1 = x1.rows, P2 = y.rows, n = network.parameterCount
        let E = trace ? 1 : O * O
        try MemoryBudget.check(8 * (Double(P2 * O) * Double(n) + Double(P1 * P2 * E) + Double(min(P1, 64) * O) * Double(n)),
                               for: "the Jacobians of \(P2) points × \(n) parameters", option: "--x")
        let right = network.jacobian(y)
        let block = max(1, min(P1, (1 << 25) / max(1, O * n)))
        var out = [Double](repeating: 0, count: P1 * P2 * E)
        var start = 0
        while start < P1 {
            let rows = min(block, P1 - start)
            let left = x2 == nil && rows == P1 ? right
                : network.jacobian(Matrix(rows: rows, cols: x1.cols, data: Array(x1.data[(start * x1.cols)..<((start + rows) * x1.cols)])))
            let prod = Matrix.multiply(left, right, transposeB: true)   // [rows·O, P2·O]
            for p in 0..<rows { for q in 0..<P2 {
                let o = ((start + p) * P2 + q) * E
                if trace {
                    var t = 0.0
                    for a in 0..<O { t += prod.data[(p * O + a) * P2 * O + q * O + a] }
                    out[o] = t / Double(O)
                } else {
                    for a in 0..<O { for b in 0..<O { out[o + a * O + b] = prod.data[(p * O + a) * P2 * O + q * O + b] } }
                }
            } }
            start += rows
        }
        return NDArray(shape: trace ? [P1, P2] : [P1, P2, O, O], data: out)
    }

    /// Θ of x₁ against x₂ as [P₁, P₂, O, O] (Θ[p, q, a, b] = Θ_ab(x₁ₚ, x₂_q)); with `trace`, [P₁, P₂] holding
    /// (1/O) Σ_a Θ_aa (neural-tangents' default averaging). Rows of x₁ are processed in blocks of `blockSize`
    /// so that temporaries stay O(blockSize·P₂·O²). For x₁ against itself the forward/backward pass is done
    /// once, only the entries with q ≥ p are computed (Θ[q, p, a, b] = Θ[p, q, b, a] fills the rest), and the
    /// Gram products of a block are BLAS products on row ranges of that pass (no copies).
    public func kernel(_ x1: Matrix, _ x2: Matrix? = nil, trace: Bool = false, blockSize: Int = 512) throws -> NDArray<Double> {
        try kernelAndOutputs(x1, x2, trace: trace, blockSize: blockSize).ntk
    }

    /// Θ as `kernel`, and the outputs f(x₁) [P₁, O] and f(x₂) [P₂, O] (nil without x₂) of the forward passes Θ is
    /// built from (for a Dense chain: no pass of their own; for x₁ against itself the one pass; otherwise x₂'s pass
    /// and the passes of x₁'s blocks, in order).
    public func kernelAndOutputs(_ x1: Matrix, _ x2: Matrix? = nil, trace: Bool = false, blockSize: Int = 512) throws
        -> (ntk: NDArray<Double>, outputs: Matrix, outputs2: Matrix?) {
        let y = x2 ?? x1
        guard x1.cols == inputWidth, y.cols == inputWidth else {
            throw InputError("points of dimension \(x1.cols) and \(y.cols), the network takes \(inputWidth)")
        }
        let O = outputWidth, P1 = x1.rows, P2 = y.rows, same = x2 == nil
        let E = trace ? 1 : O * O
        guard network.architecture.isDenseChain && network.inputShape.spatial.isEmpty else {
            return (try kernelOfGraph(x1, x2, trace: trace), outputs(x1), x2.map(outputs))
        }
        var right = pass(y)
        var f = same ? right.outputs : Matrix(rows: P1, cols: O)
        // Every entry that is read is written by the first layer (`=`) before the others add to it: for the same points
        // the entries with q ≥ p, the rest by the mirror at the end.
        // (A chain without Dense layers has no parameters: Θ = 0.)
        var out = right.inputs.isEmpty ? HugePages.zeroedArray(P1 * P2 * E) : HugePages.uninitializedArray(P1 * P2 * E)
        let B = max(1, blockSize)
        // The Gram products of a block, written by BLAS (β = 0) where the block reads them: storage for the largest
        // block, shared by the blocks and layers.
        var g = HugePages.uninitializedArray(min(B, P1) * P2, reusing: &right.spares)
        var d = HugePages.uninitializedArray(min(B, P1) * O * P2 * O)
        var start = 0
        while start < P1 {
            let rows = min(B, P1 - start)
            // The block's rows: a row range of the same pass, or a pass of its own.
            let left = same ? right : pass(Matrix(rows: rows, cols: x1.cols, data: Array(x1.data[(start * x1.cols)..<((start + rows) * x1.cols)])))
            if !same { f.data.replaceSubrange((start * O)..<((start + rows) * O), with: left.outputs.data) }
            let r0 = same ? start : 0          // first row of the block in `left`
            let c0 = same ? start : 0          // first column computed (q ≥ p for the same points)
            let cols = P2 - c0
            for l in 0..<left.inputs.count {
                let s = left.scales[l]
                let hl = left.inputs[l], hr = right.inputs[l], dl = left.deltas[l], dr = right.deltas[l]
                let nIn = hl.cols, nOut = dl.cols
                // g = s_w² h(x₁ block)·h(x₂[c0...])ᵀ [rows, cols]; d = δ(x₁ block)·δ(x₂[c0...])ᵀ [rows·O, cols·O]. For the
                // same points only q ≥ p is read: the square on the diagonal is the upper triangle of one symmetric
                // rank-k update each (dsyrk), the rectangle right of it one product each.
                func products(_ colFrom: Int, _ colCount: Int) {
                    hl.data.withUnsafeBufferPointer { a in hr.data.withUnsafeBufferPointer { b in g.withUnsafeMutableBufferPointer { c in
                        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(colCount), Int32(nIn), s.w * s.w,
                                    a.baseAddress! + r0 * nIn, Int32(nIn), b.baseAddress! + (c0 + colFrom) * nIn, Int32(nIn),
                                    0, c.baseAddress! + colFrom, Int32(cols))
                    } } }
                    dl.data.withUnsafeBufferPointer { a in dr.data.withUnsafeBufferPointer { b in d.withUnsafeMutableBufferPointer { c in
                        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows * O), Int32(colCount * O), Int32(nOut), 1,
                                    a.baseAddress! + r0 * O * nOut, Int32(nOut), b.baseAddress! + (c0 + colFrom) * O * nOut, Int32(nOut),
                                    0, c.baseAddress! + colFrom * O, Int32(cols * O))
                    } } }
                }
                if same {
                    hl.data.withUnsafeBufferPointer { a in g.withUnsafeMutableBufferPointer { c in
                        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(rows), Int32(nIn), s.w * s.w,
                                    a.baseAddress! + r0 * nIn, Int32(nIn), 0, c.baseAddress!, Int32(cols))
                    } }
                    d.withUnsafeMutableBufferPointer { c in
                        dl.data.withUnsafeBufferPointer { a in
                            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(rows * O), Int32(nOut), 1,
                                        a.baseAddress! + r0 * O * nOut, Int32(nOut), 0, c.baseAddress!, Int32(cols * O))
                        }
                        // The triangle holds (p, a) ≤ (q, b) in row order; the O × O block of a point with itself is
                        // read whole, so its lower part (a > b) is filled from the upper (δδᵀ is symmetric).
                        let ld = cols * O
                        for p in 0..<rows { for a in 1..<max(1, O) { for b in 0..<a {
                            c[(p * O + a) * ld + p * O + b] = c[(p * O + b) * ld + p * O + a]
                        } } }
                    }
                    if cols > rows { products(rows, cols - rows) }
                } else {
                    products(0, cols)
                }
                let bias = s.hasBias ? s.b * s.b : 0, first = l == 0
                g.withUnsafeBufferPointer { gb in d.withUnsafeBufferPointer { db in out.withUnsafeMutableBufferPointer { ob in
                    nonisolated(unsafe) let (gp, dp, op) = (gb.baseAddress!, db.baseAddress!, ob.baseAddress!)
                    let chunk = 16, firstRow = start
                    DispatchQueue.concurrentPerform(iterations: (rows + chunk - 1) / chunk) { t in
                        for p in (t * chunk)..<min(rows, (t + 1) * chunk) {
                            let q0 = same ? p : 0          // the same points: q ≥ p only (the rest is mirrored)
                            let grow = gp + p * cols
                            let orow = op + ((firstRow + p) * P2 + c0) * E
                            if O == 1 {
                                let drow = dp + p * cols
                                // trace: (g + b)·Σ_a d_aa / O with O = 1, the same arithmetic.
                                if first {
                                    for q in q0..<cols { orow[q] = (grow[q] + bias) * drow[q] }
                                } else {
                                    for q in q0..<cols { orow[q] += (grow[q] + bias) * drow[q] }
                                }
                            } else {
                                for q in q0..<cols {
                                    let gpq = grow[q] + bias
                                    if trace {
                                        var t = 0.0
                                        for a in 0..<O { t += dp[(p * O + a) * cols * O + q * O + a] }
                                        orow[q] = (first ? 0 : orow[q]) + gpq * t / Double(O)
                                    } else {
                                        for a in 0..<O {
                                            let drow = dp + (p * O + a) * cols * O + q * O
                                            let o = orow + (q * O + a) * O
                                            for b in 0..<O { o[b] = (first ? 0 : o[b]) + gpq * drow[b] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } } }
            }
            start += rows
        }
        if same {
            // Θ[q, p, a, b] = Θ[p, q, b, a] for q < p, in 32 × 32 tiles.
            out.withUnsafeMutableBufferPointer { ob in
                nonisolated(unsafe) let op = ob.baseAddress!
                let T = 32
                DispatchQueue.concurrentPerform(iterations: (P1 + T - 1) / T) { J in
                    for I in 0...J {
                        for p in (J * T)..<min(P1, (J + 1) * T) {
                            for q in (I * T)..<min(p, (I + 1) * T) {
                                let dst = op + (p * P2 + q) * E, src = op + (q * P2 + p) * E
                                if E == 1 { dst[0] = src[0] } else {
                                    for a in 0..<O { for b in 0..<O { dst[a * O + b] = src[b * O + a] } }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (NDArray(shape: trace ? [P1, P2] : [P1, P2, O, O], data: out), f, same ? nil : right.outputs)
    }

    /// The Jacobian ∂f_a(x_p)/∂θ_I as [P·O, #params] (row p·O + a), parameters ordered layer by layer, W in
    /// row-major [n_in, n_out] order, then b.
    public func jacobian(_ x: Matrix) -> Matrix {
        guard network.architecture.isDenseChain && network.inputShape.spatial.isEmpty else { return network.jacobian(x) }
        let ps = pass(x)
        let O = outputWidth, P = x.rows
        let count = zip(ps.inputs, ps.deltas).enumerated().reduce(0) { acc, e in
            acc + e.element.0.cols * e.element.1.cols + (ps.scales[e.offset].hasBias ? e.element.1.cols : 0)
        }
        var J = Matrix(rows: P * O, cols: count)
        var col = 0
        for l in 0..<ps.inputs.count {
            let h = ps.inputs[l], d = ps.deltas[l], s = ps.scales[l]
            let nIn = h.cols, nOut = d.cols
            for r in 0..<(P * O) {
                let q = r / O
                for i in 0..<nIn { for j in 0..<nOut { J[r, col + i * nOut + j] = s.w * h[q, i] * d[r, j] } }
                if s.hasBias { for j in 0..<nOut { J[r, col + nIn * nOut + j] = s.b * d[r, j] } }
            }
            col += nIn * nOut + (s.hasBias ? nOut : 0)
        }
        return J
    }

    /// The generic route: Θ = J(x₁) J(x₂)ᵀ as [P₁, P₂, O, O].
    public func kernelByJacobian(_ x1: Matrix, _ x2: Matrix? = nil) -> NDArray<Double> {
        let y = x2 ?? x1
        let O = outputWidth
        let prod = Matrix.multiply(jacobian(x1), jacobian(y), transposeB: true)   // [P1·O, P2·O]
        var out = [Double](repeating: 0, count: x1.rows * y.rows * O * O)
        for p in 0..<x1.rows { for q in 0..<y.rows { for a in 0..<O { for b in 0..<O {
            out[((p * y.rows + q) * O + a) * O + b] = prod[p * O + a, q * O + b]
        } } } }
        return NDArray(shape: [x1.rows, y.rows, O, O], data: out)
    }
}

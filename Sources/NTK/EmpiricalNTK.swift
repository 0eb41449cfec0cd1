import Foundation
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
    public let network: Serial
    public let parameters: [LayerParameters]
    public let inputWidth: Int

    public init(network: Serial, parameters: [LayerParameters], inputWidth: Int) throws {
        guard parameters.count == network.layers.count else {
            throw LayerError("parameters for \(parameters.count) layers, the network has \(network.layers.count)")
        }
        var w = inputWidth
        for (k, (l, p)) in zip(network.layers, parameters).enumerated() {
            if let d = l as? Dense {
                guard let W = p.weight, W.rows == w, W.cols == d.width else {
                    throw LayerError("layer \(k) \(d.name): weight of shape \(p.weight.map { "[\($0.rows), \($0.cols)]" } ?? "none"), expected [\(w), \(d.width)]")
                }
                if d.bStd != nil {
                    guard let b = p.bias, b.count == d.width else {
                        throw LayerError("layer \(k) \(d.name): bias of length \(p.bias?.count ?? 0), expected \(d.width)")
                    }
                }
            } else if !(l is Nonlinearity) {
                throw LayerError("layer \(k) \(l.name): the empirical NTK supports Dense layers and elementwise nonlinearities")
            }
            w = l.outputWidth(inputWidth: w)
        }
        self.network = network
        self.parameters = parameters
        self.inputWidth = inputWidth
    }

    public var outputWidth: Int { network.outputWidth(inputWidth: inputWidth) }

    /// Per Dense layer: its input h [P, n_in] and δ = ∂f/∂z [P·O, n_out] (row p·O + a), and the outputs f.
    struct Pass {
        var inputs: [Matrix] = []
        var deltas: [Matrix] = []
        var scales: [(w: Double, b: Double, hasBias: Bool)] = []
        var outputs = Matrix(rows: 0, cols: 0)
    }

    func pass(_ x: Matrix) -> Pass {
        var p = Pass()
        var h = x
        var pre: [Matrix?] = []          // pre-activation of each layer (nonlinearities), for φ'
        var denseIndex: [Int] = []
        for (l, par) in zip(network.layers, parameters) {
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
        for k in stride(from: network.layers.count - 1, through: 0, by: -1) {
            let l = network.layers[k]
            if let d = l as? Dense {
                deltas[di] = delta
                if k > 0 {
                    // δ_h = s_w·δ_z·Wᵀ
                    delta = Matrix.multiply(delta, parameters[k].weight!, transposeB: true, alpha: d.scales(inputWidth: p.inputs[di].cols).w)
                }
                di -= 1
            } else if let nl = l as? Nonlinearity, let z = pre[k] {
                let n = z.cols
                delta.data.withUnsafeMutableBufferPointer { dp in
                    for q in 0..<P {
                        for j in 0..<n {
                            let g = nl.derivative(z[q, j])
                            for a in 0..<O { dp[(q * O + a) * n + j] *= g }
                        }
                    }
                }
            }
        }
        p.deltas = deltas
        return p
    }

    /// Outputs f(x) [P, O].
    public func outputs(_ x: Matrix) -> Matrix { network.apply(parameters, x) }

    /// Θ of x₁ against x₂ as [P₁, P₂, O, O] (Θ[p, q, a, b] = Θ_ab(x₁ₚ, x₂_q)); with `trace`, [P₁, P₂] holding
    /// (1/O) Σ_a Θ_aa (neural-tangents' default averaging). Rows of x₁ are processed in blocks of `blockSize`
    /// so that temporaries stay O(blockSize·P₂·O²).
    public func kernel(_ x1: Matrix, _ x2: Matrix? = nil, trace: Bool = false, blockSize: Int = 512) throws -> NDArray<Double> {
        let y = x2 ?? x1
        guard x1.cols == inputWidth, y.cols == inputWidth else {
            throw LayerError("points of dimension \(x1.cols) and \(y.cols), the network takes \(inputWidth)")
        }
        let O = outputWidth, P1 = x1.rows, P2 = y.rows
        let right = pass(y)
        var out = [Double](repeating: 0, count: trace ? P1 * P2 : P1 * P2 * O * O)
        var start = 0
        while start < P1 {
            let B = min(blockSize, P1 - start)
            let xb = Matrix(rows: B, cols: x1.cols, data: Array(x1.data[(start * x1.cols)..<((start + B) * x1.cols)]))
            let left = pass(xb)
            for l in 0..<left.inputs.count {
                let s = left.scales[l]
                let g = Matrix.multiply(left.inputs[l], right.inputs[l], transposeB: true, alpha: s.w * s.w)   // [B, P2]
                let d = Matrix.multiply(left.deltas[l], right.deltas[l], transposeB: true)                    // [B·O, P2·O]
                let bias = s.hasBias ? s.b * s.b : 0
                out.withUnsafeMutableBufferPointer { o in
                    for p in 0..<B {
                        for q in 0..<P2 {
                            let gpq = g[p, q] + bias
                            if trace {
                                var t = 0.0
                                for a in 0..<O { t += d[p * O + a, q * O + a] }
                                o[(start + p) * P2 + q] += gpq * t / Double(O)
                            } else {
                                for a in 0..<O {
                                    for b in 0..<O { o[(((start + p) * P2 + q) * O + a) * O + b] += gpq * d[p * O + a, q * O + b] }
                                }
                            }
                        }
                    }
                }
            }
            start += B
        }
        return NDArray(shape: trace ? [P1, P2] : [P1, P2, O, O], data: out)
    }

    /// The Jacobian ∂f_a(x_p)/∂θ_I as [P·O, #params] (row p·O + a), parameters ordered layer by layer, W in
    /// row-major [n_in, n_out] order, then b.
    public func jacobian(_ x: Matrix) -> Matrix {
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

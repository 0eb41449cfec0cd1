import Foundation
import Networks
import NumericCore
import Optimization

/// Full-batch gradient descent of a finite network on the mean squared error
/// L(θ) = (1/2n) Σ_{p,a} (f_a(x_p) − y_pa)², n = P·O (neural-tangents' `gradient_descent_mse` convention),
/// θ ← θ − η ∇_θ L, with θ the stored parameters (raw N(0, 1) draws under NTK parameterisation).
///
/// The gradient is backpropagated layer by layer through BLAS: for a Dense layer z = s_w·h·W + s_b·b with
/// δ_a = ∂f_a/∂z, ∇_W L = (s_w/n) hᵀ D and ∇_b L = (s_b/n) Σ_p D_p, where D_p = Σ_a r_pa δ_a(x_p) and
/// r = f(X) − Y. The parameter-space step of size η moves the outputs by −(η/n) Θ r + O(η²), Θ the empirical NTK.
public struct MSEGradientDescent: Sendable {
    /// The network being trained; its θ moves with every `step`.
    public private(set) var network: Network

    /// Gradient descent starting from the parameters θ₀ of `network`.
    public init(_ network: Network) { self.network = network }

    /// The empirical NTK of the current parameters.
    public var ntk: EmpiricalNTK { EmpiricalNTK(network) }

    /// L(θ) and ∇_θ L (θ's flat layout) on the batch (x [P, d], y [P, O]).
    public func lossAndGradient(_ x: Matrix, _ y: Matrix) throws -> (loss: Double, gradient: [Double]) {
        let e = ntk
        guard x.cols == network.inputWidth else { throw InputError("training points of dimension \(x.cols), the network takes \(network.inputWidth)") }
        guard y.rows == x.rows, y.cols == e.outputWidth else {
            throw InputError("targets of shape [\(y.rows), \(y.cols)], expected [\(x.rows), \(e.outputWidth)]")
        }
        let pass = e.pass(x)
        let P = x.rows, O = y.cols
        let n = Double(P * O)
        let r = zip(pass.outputs.data, y.data).map { $0 - $1 }
        let loss = r.reduce(0) { $0 + $1 * $1 } / (2 * n)
        var gradient = [Double](repeating: 0, count: network.parameterCount)
        var dense = 0
        for (k, layer) in network.architecture.layers.enumerated() where layer is Dense {
            let h = pass.inputs[dense], delta = pass.deltas[dense], s = pass.scales[dense], slice = network.layout.slices[k]
            let nOut = delta.cols
            // D_p = Σ_a r_pa δ_a(x_p): [P, n_out].
            var d = Matrix(rows: P, cols: nOut)
            for p in 0..<P { for a in 0..<O {
                let rpa = r[p * O + a]
                if rpa == 0 { continue }
                for j in 0..<nOut { d.data[p * nOut + j] += rpa * delta.data[(p * O + a) * nOut + j] }
            } }
            let gw = Matrix.multiply(h, d, transposeA: true, alpha: s.w / n)
            for i in 0..<gw.data.count { gradient[slice.weightOffset + i] = gw.data[i] }
            if let bo = slice.biasOffset {
                var col = [Double](repeating: 0, count: nOut)
                for p in 0..<P { for j in 0..<nOut { col[j] += d.data[p * nOut + j] } }
                for j in 0..<nOut { gradient[bo + j] = col[j] * s.b / n }
            }
            dense += 1
        }
        return (loss, gradient)
    }

    /// One step θ ← θ − η ∇L; returns the loss before the step. A non-finite loss is an error naming it.
    @discardableResult
    public mutating func step(_ x: Matrix, _ y: Matrix, learningRate η: Double) throws -> Double {
        let (loss, g) = try lossAndGradient(x, y)
        guard loss.isFinite else { throw InputError("MSE loss became \(loss); expected a finite loss (lower the learning rate \(η))") }
        var gd = OptimizerState(kind: .gd, parameters: g.count)
        gd.update(&network.parameters, gradient: g, rate: η)
        return loss
    }
}

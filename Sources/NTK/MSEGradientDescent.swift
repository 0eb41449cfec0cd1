import Foundation
import NumericCore

/// Full-batch gradient descent of a finite network on the mean squared error
/// L(θ) = (1/2n) Σ_{p,a} (f_a(x_p) − y_pa)², n = P·O (neural-tangents' `gradient_descent_mse` convention),
/// θ ← θ − η ∇_θ L, with θ the stored parameters (raw N(0, 1) draws under NTK parameterisation).
///
/// The gradient is backpropagated layer by layer through BLAS: for a Dense layer z = s_w·h·W + s_b·b with
/// δ_a = ∂f_a/∂z, ∇_W L = (s_w/n) hᵀ D and ∇_b L = (s_b/n) Σ_p D_p, where D_p = Σ_a r_pa δ_a(x_p) and
/// r = f(X) − Y. The parameter-space step of size η moves the outputs by −(η/n) Θ r + O(η²), Θ the empirical NTK.
public struct MSEGradientDescent: Sendable {
    public let network: Serial
    public private(set) var parameters: [LayerParameters]
    public let inputWidth: Int

    public init(network: Serial, parameters: [LayerParameters], inputWidth: Int) throws {
        _ = try EmpiricalNTK(network: network, parameters: parameters, inputWidth: inputWidth)
        self.network = network
        self.parameters = parameters
        self.inputWidth = inputWidth
    }

    /// The empirical NTK of the current parameters.
    public var ntk: EmpiricalNTK {
        // The initialiser validated network, parameters and input width.
        try! EmpiricalNTK(network: network, parameters: parameters, inputWidth: inputWidth)
    }

    /// L(θ) and ∇_θ L (same layout as the parameters: nil where a layer has none) on the batch (x [P, d], y [P, O]).
    public func lossAndGradient(_ x: Matrix, _ y: Matrix) throws -> (loss: Double, gradient: [LayerParameters]) {
        let e = ntk
        guard x.cols == inputWidth else { throw LayerError("training points of dimension \(x.cols), the network takes \(inputWidth)") }
        guard y.rows == x.rows, y.cols == e.outputWidth else {
            throw LayerError("targets of shape [\(y.rows), \(y.cols)], expected [\(x.rows), \(e.outputWidth)]")
        }
        let pass = e.pass(x)
        let P = x.rows, O = y.cols
        let n = Double(P * O)
        let r = zip(pass.outputs.data, y.data).map { $0 - $1 }
        let loss = r.reduce(0) { $0 + $1 * $1 } / (2 * n)
        var gradient = [LayerParameters](repeating: .none, count: parameters.count)
        var dense = 0
        for (k, layer) in network.layers.enumerated() where layer is Dense {
            let h = pass.inputs[dense], delta = pass.deltas[dense], s = pass.scales[dense]
            let nOut = delta.cols
            // D_p = Σ_a r_pa δ_a(x_p): [P, n_out].
            var d = Matrix(rows: P, cols: nOut)
            for p in 0..<P { for a in 0..<O {
                let rpa = r[p * O + a]
                if rpa == 0 { continue }
                for j in 0..<nOut { d.data[p * nOut + j] += rpa * delta.data[(p * O + a) * nOut + j] }
            } }
            let gw = Matrix.multiply(h, d, transposeA: true, alpha: s.w / n)
            var gb: [Double]? = nil
            if s.hasBias {
                var col = [Double](repeating: 0, count: nOut)
                for p in 0..<P { for j in 0..<nOut { col[j] += d.data[p * nOut + j] } }
                gb = col.map { $0 * s.b / n }
            }
            gradient[k] = LayerParameters(weight: gw, bias: gb)
            dense += 1
        }
        return (loss, gradient)
    }

    /// One step θ ← θ − η ∇L; returns the loss before the step. A non-finite loss or gradient is an error naming it.
    @discardableResult
    public mutating func step(_ x: Matrix, _ y: Matrix, learningRate η: Double) throws -> Double {
        let (loss, g) = try lossAndGradient(x, y)
        guard loss.isFinite else { throw LayerError("MSE loss became \(loss); lower the learning rate (\(η))") }
        for k in parameters.indices {
            if let gw = g[k].weight { parameters[k].weight!.addScaled(gw, alpha: -η) }
            if let gb = g[k].bias {
                parameters[k].bias!.withUnsafeMutableBufferPointer { b in
                    for i in b.indices { b[i] -= η * gb[i] }
                }
            }
        }
        return loss
    }
}

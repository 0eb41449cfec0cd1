import Foundation
import Networks
import NumericCore

/// The metric-NTK Θ_ijkl(x, x') = Σ_I ∂g_ij(x)/∂θ_I · ∂g_kl(x')/∂θ_I of any metric network g(x) = G(h(φ(x)))
/// (`MetricNetwork`: input embedding φ, network h, metric parameterisation G), by the chain rule from the output
/// NTK of the network at the embedded points: Θ^g = (∂g/∂h)(x) · Θ^h(φ(x), φ(x')) · (∂g/∂h)(x')ᵀ (2310.19870).
/// θ are the stored parameters (raw N(0, 1) draws under NTK parameterisation, the weights under standard).
public struct MetricNTK {
    /// The metric network g = G(h(φ(x))) whose parameters θ the kernel differentiates.
    public let metricNetwork: MetricNetwork

    /// The metric-NTK of `metricNetwork` at its current parameters.
    public init(_ metricNetwork: MetricNetwork) { self.metricNetwork = metricNetwork }

    /// Dimension n of the manifold (the kernel has n⁴ components per pair of points).
    public var dimension: Int { metricNetwork.dimension }
    /// The output NTK of the underlying network.
    public var empirical: EmpiricalNTK { EmpiricalNTK(metricNetwork.network) }

    /// Metrics at the points, [P, n, n].
    public func metrics(_ x: Matrix) -> NDArray<Double> { metricNetwork.metrics(x) }

    /// Θ_ijkl(x₁ₚ, x₂_q) as [P₁, P₂, n, n, n, n].
    public func kernel(_ x1: Matrix, _ x2: Matrix? = nil) throws -> NDArray<Double> {
        let y = x2 ?? x1
        let n = dimension, n2 = n * n, O = metricNetwork.network.outputWidth
        let d = metricNetwork.embedding?.dimension ?? metricNetwork.network.inputWidth
        guard x1.cols == d, y.cols == d else {
            throw InputError("points of dimension \(x1.cols) and \(y.cols), expected \(d)")
        }
        let e = empirical
        let th = x2 == nil ? try e.kernel(metricNetwork.networkInputs(x1))
                           : try e.kernel(metricNetwork.networkInputs(x1), metricNetwork.networkInputs(y))
        let d1 = metricNetwork.metricsAndJacobians(x1).map(\.dg)
        let d2 = x2 == nil ? d1 : metricNetwork.metricsAndJacobians(y).map(\.dg)
        var out = [Double](repeating: 0, count: x1.rows * y.rows * n2 * n2)
        for p in 0..<x1.rows {
            for q in 0..<y.rows {
                let t = Matrix(rows: O, cols: O, data: Array(th.data[((p * y.rows + q) * O * O)..<((p * y.rows + q + 1) * O * O)]))
                let m = Matrix.multiply(Matrix.multiply(d1[p], t), d2[q], transposeB: true)   // [n², n²]
                let base = (p * y.rows + q) * n2 * n2
                for k in 0..<(n2 * n2) { out[base + k] = m.data[k] }
            }
        }
        return NDArray(shape: [x1.rows, y.rows, n, n, n, n], data: out)
    }

    /// The frozen infinite-width metric-NTK of the component parametrisations at the points (see
    /// `frozenComponentKernel`), with Θ the analytic NTK of the network's architecture at the network's inputs,
    /// [P₁, P₂, n, n, n, n]; nil for conformal and LDLᵀ metrics, whose Jacobian ∂g/∂h depends on the outputs.
    public func frozenKernel(_ x1: Matrix, _ x2: Matrix? = nil) throws -> NDArray<Double>? {
        let mn = metricNetwork, n = dimension
        guard mn.parametrization == .components || mn.parametrization == .additive, mn.network.outputWidth == mn.metricOutputs else { return nil }
        let th = try mn.network.architecture.kernels(mn.networkInputs(x1), x2.map { mn.networkInputs($0) }).ntk
        return NDArray(shape: [x1.rows, (x2 ?? x1).rows, n, n, n, n], data: th.flatMap { Self.frozenComponentKernel(dimension: n, ntk: $0) })
    }

    /// The frozen infinite-width metric-NTK of the component parametrisations (independent outputs with a
    /// common scalar NTK Θ): Θ_ijkl = (δ_ik δ_jl + δ_il δ_jk − δ_ij δ_kl δ_ik)·Θ(x, x'). The LDLᵀ form has no
    /// frozen limit: its Jacobian ∂g/∂h depends on the network outputs (2310.19870).
    public static func frozenComponentKernel(dimension n: Int, ntk: Double) -> [Double] {
        var out = [Double](repeating: 0, count: n * n * n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { for l in 0..<n {
            let v = (i == k && j == l ? 1.0 : 0) + (i == l && j == k ? 1 : 0) - (i == j && k == l && i == k ? 1 : 0)
            out[((i * n + j) * n + k) * n + l] = v * ntk
        } } } }
        return out
    }
}

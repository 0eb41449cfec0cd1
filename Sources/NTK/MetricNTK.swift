import Foundation
import NumericCore

/// How network outputs h ∈ ℝ^O build a symmetric n × n metric g(x) (2310.19870; seeds 001).
public enum MetricParametrization: Sendable {
    /// g_ij = h_{u(i,j)} for i ≤ j, the upper triangle in row-major order; O = n(n+1)/2.
    case components
    /// g = L D Lᵀ with L unit lower triangular (strict lower entries from h, row-major) and D = diag(e^{h_d})
    /// (the last n outputs): positive definite by construction; O = n(n+1)/2.
    case ldl
    /// g = g_ref(x) + (symmetric components of h): the network learns a correction to a reference metric.
    case additive(reference: @Sendable ([Double]) -> [Double])

    /// Number of network outputs for dimension n.
    public static func outputCount(dimension n: Int) -> Int { n * (n + 1) / 2 }
}

/// The metric-NTK Θ_ijkl(x, x') = Σ_I ∂g_ij(x)/∂θ_I · ∂g_kl(x')/∂θ_I of a network that outputs a metric,
/// by the chain rule from the output NTK: Θ^g = (∂g/∂h)(x) · Θ^h(x, x') · (∂g/∂h)(x')ᵀ (nn-theory.md §4.1).
public struct MetricNTK {
    public let empirical: EmpiricalNTK
    public let dimension: Int
    public let parametrization: MetricParametrization

    public init(empirical: EmpiricalNTK, dimension n: Int, parametrization: MetricParametrization) throws {
        guard empirical.outputWidth == MetricParametrization.outputCount(dimension: n) else {
            throw LayerError("a metric on an \(n)-manifold needs \(MetricParametrization.outputCount(dimension: n)) network outputs, the network has \(empirical.outputWidth)")
        }
        self.empirical = empirical
        self.dimension = n
        self.parametrization = parametrization
    }

    /// Index of the upper-triangle entry (i ≤ j) in row-major order.
    static func upperIndex(_ i: Int, _ j: Int, _ n: Int) -> Int {
        let (a, b) = (min(i, j), max(i, j))
        return a * n - a * (a - 1) / 2 + (b - a)
    }

    /// g(x) [n, n] from the outputs h and the point x, with the Jacobian ∂g_ij/∂h_a as [n·n, O].
    public func metric(outputs h: [Double], at x: [Double]) -> (g: Matrix, dg: Matrix) {
        let n = dimension, O = h.count
        var g = Matrix(rows: n, cols: n), dg = Matrix(rows: n * n, cols: O)
        switch parametrization {
        case .components, .additive:
            let ref: [Double]
            if case .additive(let r) = parametrization { ref = r(x) } else { ref = [Double](repeating: 0, count: n * n) }
            for i in 0..<n { for j in 0..<n {
                let u = Self.upperIndex(i, j, n)
                g[i, j] = h[u] + ref[i * n + j]
                dg[i * n + j, u] = 1
            } }
        case .ldl:
            // Outputs: strict lower entries of L row-major (n(n−1)/2), then log D (n).
            let nl = n * (n - 1) / 2
            var L = Matrix.identity(n)
            var lIndex = [[Int]](repeating: [Int](repeating: -1, count: n), count: n)
            var c = 0
            for i in 0..<n { for j in 0..<i { L[i, j] = h[c]; lIndex[i][j] = c; c += 1 } }
            let D = (0..<n).map { Foundation.exp(h[nl + $0]) }
            // g_ij = Σ_k L_ik D_k L_jk
            for i in 0..<n { for j in 0..<n {
                var s = 0.0
                for k in 0..<n {
                    s += L[i, k] * D[k] * L[j, k]
                    // ∂/∂D-log: L_ik L_jk D_k
                    dg[i * n + j, nl + k] += L[i, k] * L[j, k] * D[k]
                    // ∂/∂L_ik (k < i) and ∂/∂L_jk (k < j)
                    if k < i { dg[i * n + j, lIndex[i][k]] += D[k] * L[j, k] }
                    if k < j { dg[i * n + j, lIndex[j][k]] += L[i, k] * D[k] }
                }
                g[i, j] = s
            } }
        }
        return (g, dg)
    }

    /// Metrics at the points, [P, n, n].
    public func metrics(_ x: Matrix) -> NDArray<Double> {
        let f = empirical.outputs(x)
        var out: [Double] = []
        for p in 0..<x.rows { out += metric(outputs: f.row(p), at: x.row(p)).g.data }
        return NDArray(shape: [x.rows, dimension, dimension], data: out)
    }

    /// Θ_ijkl(x₁ₚ, x₂_q) as [P₁, P₂, n, n, n, n].
    public func kernel(_ x1: Matrix, _ x2: Matrix? = nil) throws -> NDArray<Double> {
        let y = x2 ?? x1
        let n = dimension, n2 = n * n, O = empirical.outputWidth
        let th = try empirical.kernel(x1, y)
        let f1 = empirical.outputs(x1), f2 = empirical.outputs(y)
        let d1 = (0..<x1.rows).map { metric(outputs: f1.row($0), at: x1.row($0)).dg }
        let d2 = (0..<y.rows).map { metric(outputs: f2.row($0), at: y.row($0)).dg }
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

    /// The frozen infinite-width metric-NTK of the component parametrisations (independent outputs with a
    /// common scalar NTK Θ): Θ_ijkl = (δ_ik δ_jl + δ_il δ_jk − δ_ij δ_kl δ_ik)·Θ(x, x'). The LDLᵀ form has no
    /// frozen limit: its Jacobian ∂g/∂h depends on the network outputs (nn-theory.md §4.1).
    public static func frozenComponentKernel(dimension n: Int, ntk: Double) -> [Double] {
        var out = [Double](repeating: 0, count: n * n * n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { for l in 0..<n {
            let v = (i == k && j == l ? 1.0 : 0) + (i == l && j == k ? 1 : 0) - (i == j && k == l && i == k ? 1 : 0)
            out[((i * n + j) * n + k) * n + l] = v * ntk
        } } } }
        return out
    }
}

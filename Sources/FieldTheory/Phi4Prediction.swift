import CNumericLibs
import Ensembles
import Foundation
import Numerics
import NumericCore

/// G_Λ(r) tabulated on a uniform radial grid (spacing h) with 4-point Lagrange interpolation: relative error
/// ≲ h⁴Λ⁴/24 (G_Λ is band-limited to |p| < Λ), below 10⁻⁸ for h = 0.02/Λ.
public struct PropagatorTable: Sendable {
    /// The free theory whose G_Λ is used.
    public let exact: FreeScalarExact
    /// The grid spacing h = 2π/(Λ · pointsPerWavelength).
    public let spacing: Double
    /// G_Λ(k h), k = 0, 1, ….
    public let values: [Double]

    /// The table of G_Λ on [0, maxDistance] with `pointsPerWavelength` nodes per 2π/Λ.
    public init(_ exact: FreeScalarExact, maxDistance: Double, pointsPerWavelength: Double = 300) {
        self.exact = exact
        let h = 2 * Double.pi / exact.cutoff / pointsPerWavelength
        spacing = h
        let n = Int((maxDistance / h).rounded(.up)) + 4
        var v = [Double](repeating: 0, count: n)
        // Computed on all cores into a buffer (disjoint elements per worker).
        let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
        defer { buffer.deallocate() }
        let base = buffer.baseAddress!
        let ptr = SendablePointer(base)
        DispatchQueue.concurrentPerform(iterations: 8) { part in
            for k in stride(from: part, to: n, by: 8) { ptr.pointer[k] = exact.propagator(Double(k) * h) }
        }
        for k in 0..<n { v[k] = buffer[k] }
        values = v
    }

    /// G_Λ(r), r within the table (beyond it: the last value's continuation is not defined — precondition).
    public func callAsFunction(_ r: Double) -> Double {
        let t = abs(r) / spacing
        var i = Int(t) - 1
        i = max(0, min(i, values.count - 4))
        let u = t - Double(i)   // position relative to node i, in [0, 3]
        let (f0, f1, f2, f3) = (values[i], values[i + 1], values[i + 2], values[i + 3])
        // Lagrange basis on nodes 0, 1, 2, 3.
        let l0 = -(u - 1) * (u - 2) * (u - 3) / 6, l1 = u * (u - 2) * (u - 3) / 2
        let l2 = -u * (u - 1) * (u - 3) / 2, l3 = u * (u - 1) * (u - 2) / 6
        return f0 * l0 + f1 * l1 + f2 * l2 + f3 * l3
    }
}


/// Leading-order φ⁴ predictions of cutoff perturbation theory for the deformed cos-net, which at N = ∞ is ordinary
/// φ⁴ theory with momentum cutoff Λ (Demirtas–Halverson–Maiti–Schwartz–Stoner, arXiv 2307.03223):
///   G_c⁽⁴⁾(x₁..x₄) = −λ ∫ dᵈy Π_{i=1}^4 G_Λ(x_i − y) + O(λ²),
///   δG⁽²⁾(x, y) = −(λ/2) G_Λ(0) ∫ dᵈz G_Λ(x − z) G_Λ(z − y) = −(λ/2) G_Λ(0) ∫_{|p|<Λ} dᵈp/(2π)ᵈ e^{ip·(x−y)}/(p² + m²)²
/// (the tadpole, a mass shift δm² = (λ/2)G_Λ(0)).
public struct LeadingOrderPhi4: Sendable {
    /// The free theory whose G_Λ enters.
    public let exact: FreeScalarExact
    /// G_Λ tabulated for the vertex integrals.
    public let table: PropagatorTable

    /// The predictions for the free theory `exact`, with G_Λ tabulated up to |x − y| = maxDistance.
    public init(_ exact: FreeScalarExact, maxDistance: Double) {
        self.exact = exact
        self.table = PropagatorTable(exact, maxDistance: maxDistance)
    }

    /// ∫_V dᵈy Π_i G_Λ(x_i − y) over the box by tensor Gauss–Legendre: panels of a quarter wavelength 2π/Λ with 16
    /// nodes each along every axis (G_Λ is band-limited to Λ, so the integrand to 4Λ: about 10 nodes per
    /// oscillation of the integrand, converged to round-off in d = 1; in d = 2, 3 the panel count is capped at
    /// `maxPanels` per axis and the rule's error is checked by halving it in the tests).
    public func vertexIntegral(_ x: [[Double]], box: Box, maxPanels: Int = 400) -> Double {
        let d = exact.dimension
        let rules: [(nodes: [Double], weights: [Double])] = (0..<d).map { j in
            let L = box.upper[j] - box.lower[j]
            let panels = min(maxPanels, max(8, Int((L / (0.25 * 2 * Double.pi / exact.cutoff)).rounded(.up))))
            let r = QuadratureRule.gaussLegendre(16)
            var nodes: [Double] = [], weights: [Double] = []
            let h = L / Double(panels)
            for p in 0..<panels {
                let c = box.lower[j] + (Double(p) + 0.5) * h
                for k in 0..<16 { nodes.append(c + h / 2 * r.nodes[k]); weights.append(h / 2 * r.weights[k]) }
            }
            return (nodes, weights)
        }
        let counts = rules.map { $0.nodes.count }
        let total = counts.reduce(1, *)
        let parts = 16
        var partial = [Double](repeating: 0, count: parts)
        partial.withUnsafeMutableBufferPointer { acc in
            let out = SendablePointer(acc.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                var s = 0.0
                var y = [Double](repeating: 0, count: d)
                for p in stride(from: part, to: total, by: parts) {
                    var rest = p, w = 1.0
                    for j in stride(from: d - 1, through: 0, by: -1) {
                        let k = rest % counts[j]; rest /= counts[j]
                        y[j] = rules[j].nodes[k]; w *= rules[j].weights[k]
                    }
                    var prod = w
                    for xi in x {
                        var r2 = 0.0
                        for j in 0..<d { r2 += (xi[j] - y[j]) * (xi[j] - y[j]) }
                        prod *= table(r2.squareRoot())
                    }
                    s += prod
                }
                out.pointer[part] = s
            }
        }
        return partial.reduce(0, +)
    }

    /// The vertex integrals V(i, j, k, l) = ∫_V dᵈy G_Λ(x_i − y)G_Λ(x_j − y)G_Λ(x_k − y)G_Λ(x_l − y) for all
    /// quadruples of the P points at once, [P, P, P, P]: with the pair products a_(ij)(y_n) = G(x_i − y_n)G(x_j − y_n)
    /// on a tensor Gauss–Legendre grid of weights w_n, V = A W Aᵀ over the P(P+1)/2 pairs — one symmetric BLAS
    /// product (dsyrk) per chunk of nodes. The integrand is entire and band-limited to 4Λ, so n_j = 1.5ΛL_j + 30
    /// Legendre nodes per side L_j (the rule of `InteractionGrid`) converge to round-off; what remains is the
    /// propagator table's interpolation error (≲ 10⁻⁸ relative). The prediction is G_c⁽⁴⁾ = −λV.
    public func vertexTensor(points x: Matrix, box: Box) -> NDArray<Double> {
        let P = x.rows, d = exact.dimension
        let grid = QuadratureGrid(box: box, counts: box.sides.map { Int((1.5 * exact.cutoff * $0 + 30).rounded(.up)) })
        var pairs: [(Int, Int)] = []
        for i in 0..<P { for j in i..<P { pairs.append((i, j)) } }
        let Q = pairs.count, G = grid.weights.count
        let chunk = max(1, min(G, 1 << 16))
        var gram = [Double](repeating: 0, count: Q * Q)
        var a = [Double](repeating: 0, count: Q * chunk)
        var g = [Double](repeating: 0, count: P * chunk)
        for start in stride(from: 0, to: G, by: chunk) {
            let n = min(chunk, G - start)
            // G(x_i − y_n) for the chunk, then the pair products times √w_n.
            g.withUnsafeMutableBufferPointer { gb in
                let gp = SendablePointer(gb.baseAddress!)
                let table = self.table
                DispatchQueue.concurrentPerform(iterations: P) { i in
                    for k in 0..<n {
                        var r2 = 0.0
                        for j in 0..<d { let t = x[i, j] - grid.nodes[start + k, j]; r2 += t * t }
                        gp.pointer[i * chunk + k] = table(r2.squareRoot())
                    }
                }
            }
            for (q, (i, j)) in pairs.enumerated() {
                for k in 0..<n { a[q * chunk + k] = g[i * chunk + k] * g[j * chunk + k] * grid.weights[start + k].squareRoot() }
                for k in n..<chunk { a[q * chunk + k] = 0 }
            }
            a.withUnsafeBufferPointer { ab in gram.withUnsafeMutableBufferPointer { cb in
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(Q), Int32(chunk), 1, ab.baseAddress!, Int32(chunk),
                            1, cb.baseAddress!, Int32(Q))
            } }
        }
        var index = [Int](repeating: 0, count: P * P)
        for (q, (i, j)) in pairs.enumerated() { index[i * P + j] = q; index[j * P + i] = q }
        var out = [Double](repeating: 0, count: P * P * P * P)
        for i in 0..<P { for j in 0..<P { for k in 0..<P { for l in 0..<P {
            let u = index[i * P + j], v = index[k * P + l]
            out[((i * P + j) * P + k) * P + l] = gram[min(u, v) * Q + max(u, v)]
        } } } }
        return NDArray(shape: [P, P, P, P], data: out)
    }

    /// G_c⁽⁴⁾ at leading order, −λ × `vertexIntegral`.
    public func connectedFourPoint(_ x: [[Double]], coupling λ: Double, box: Box) -> Double { -λ * vertexIntegral(x, box: box) }

    /// The tadpole correction δG⁽²⁾(x, y) in infinite volume.
    public func tadpole(_ x: [Double], _ y: [Double], coupling λ: Double) -> Double {
        let r = zip(x, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let d = exact.dimension
        let bubble = CutoffPropagator.ballIntegral(dimension: d, separation: r, power: 2, mass: exact.mass, cutoff: exact.cutoff)
            / pow(2 * Double.pi, Double(d))
        return -0.5 * λ * exact.propagatorAtZero * bubble
    }

    /// The FFT route: for the configurations x₁ = z, x₂ = z + δ₁, x₃ = z + u, x₄ = z + u + δ₂, the vertex integral
    /// ∫dᵈw A(w) B(w + u) with A(w) = G(w)G(w + δ₁), B(v) = G(v)G(v + δ₂) — a cross-correlation — for every grid
    /// displacement u at once: A and B are sampled on a uniform grid of `points` nodes per axis and spacing
    /// `spacing`, zero-padded to twice the extent (no wrap-around), and correlated by FFTW. The integrand is
    /// band-limited to 4Λ, so the trapezoid sum is exact up to aliasing when spacing < π/(2Λ); the remaining
    /// error is the truncation of the integral to the grid's extent (the integrand decays like e^{−4m|w|}).
    /// Returns the values for u = (k₁h, …, k_d h), k_j ∈ [−points/2, points/2), as a flat row-major array with
    /// extents `points` per axis, index k_j + points/2.
    public func vertexIntegralsByFFT(delta1: [Double], delta2: [Double], points n: Int, spacing h: Double) -> NDArray<Double> {
        let d = exact.dimension
        let M = 2 * n
        let shape = [Int](repeating: M, count: d)
        let total = shape.reduce(1, *)
        var a = [Complex<Double>](repeating: .zero, count: total), b = a
        // Grid node w = (i_j − n/2)·h for i_j ∈ [0, n); the padded region [n, 2n) stays zero.
        for flat in 0..<total {
            var rest = flat, inside = true
            var w = [Double](repeating: 0, count: d)
            for j in stride(from: d - 1, through: 0, by: -1) {
                let i = rest % M; rest /= M
                if i >= n { inside = false }
                w[j] = Double(i - n / 2) * h
            }
            guard inside else { continue }
            func g(_ shift: [Double]) -> Double {
                var r2 = 0.0
                for j in 0..<d { r2 += (w[j] + shift[j]) * (w[j] + shift[j]) }
                return table(r2.squareRoot())
            }
            let zero = [Double](repeating: 0, count: d)
            a[flat] = Complex(g(zero) * g(delta1), 0)
            b[flat] = Complex(g(zero) * g(delta2), 0)
        }
        let fa = FFT.forward(NDArray(shape: shape, data: a)), fb = FFT.forward(NDArray(shape: shape, data: b))
        var prod = fa
        for k in 0..<total { prod.data[k] = fa.data[k].conjugate * fb.data[k] }
        let corr = FFT.inverse(prod)   // corr[u] = Σ_w A(w) B(w + u), u periodic mod M
        let cell = pow(h, Double(d))
        let outShape = [Int](repeating: n, count: d)
        var out = [Double](repeating: 0, count: outShape.reduce(1, *))
        for flat in out.indices {
            var rest = flat, src = 0, stridePad = 1
            var idx = [Int](repeating: 0, count: d)
            for j in stride(from: d - 1, through: 0, by: -1) { idx[j] = rest % n; rest /= n }
            for j in stride(from: d - 1, through: 0, by: -1) {
                let k = idx[j] - n / 2
                src += ((k % M + M) % M) * stridePad
                stridePad *= M
            }
            out[flat] = corr.data[src].real * cell
        }
        return NDArray(shape: outShape, data: out)
    }
}

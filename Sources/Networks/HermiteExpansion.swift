import Foundation
import NumericCore

/// Kernels of a smooth activation without a closed form by its Hermite expansion (Mehler's formula).
///
/// For (u, v) ~ N(0, [[q₁, c], [c, q₂]]) and ρ = c/√(q₁q₂), with h_n = He_n/√n! the orthonormal (probabilists')
/// Hermite polynomials,
///
///     T = E[φ(u)φ(v)]   = Σ_n A_n(q₁) A_n(q₂) ρⁿ,   A_n(q) = E[φ(√q z) h_n(z)],
///     Ṫ = E[φ′(u)φ′(v)] = Σ_n B_n(q₁) B_n(q₂) ρⁿ,   B_n(q) = E[φ′(√q z) h_n(z)],   z ~ N(0, 1)
///
/// (Mehler: E[h_m(z₁)h_n(z₂)] = δ_mn ρⁿ for standard normals of correlation ρ). The coefficients are one 1-D
/// Gauss–Hermite quadrature per diagonal value q (`nodes` points; exact for φ·h_n when φ is a polynomial of degree
/// ≤ 2·nodes − 1 − n), so a kernel of P points costs O(P·nodes·terms) for the coefficients and O(P²·terms) for the
/// sums, instead of a 2-D quadrature per entry. Truncation: by Parseval Σ_n A_n² = E[φ(√q z)²], and by Cauchy–Schwarz
/// (|ρ| ≤ 1) the terms after N change T by at most √(S₁S₂), S_i = Σ_{n>N} A_n(q_i)²; each q keeps the smallest N whose
/// tails S (for A and B) are below `tolerance`² of the sums (the quadrature's own error is below that when
/// nodes ≥ 2·terms), and an entry sums max(N₁, N₂) terms. For φ analytic in a strip |Im z| < τ the coefficients fall
/// like exp(−τ√(2n)/√q), so a few hundred terms reach round-off for tanh-like activations at q = O(1).
public struct HermiteExpansion: Sendable {
    /// Gauss–Hermite nodes of the coefficients' quadrature.
    public let nodes: Int
    /// At most this many terms n = 0 … maxTerms − 1.
    public let maxTerms: Int
    /// Relative tail that ends the series (see above).
    public let tolerance: Double

    /// The most nodes (the outermost weights e^{−z²/2}, z ≈ √(4n), underflow from ≈ 700 on; such nodes are skipped).
    public static let maxNodes = 1200

    /// The expansion with `nodes` quadrature points (at most `maxNodes`) and at most nodes/2 terms.
    public init(nodes: Int, tolerance: Double = 1e-14) {
        self.nodes = min(Self.maxNodes, max(4, nodes)); maxTerms = max(2, self.nodes / 2); self.tolerance = tolerance
    }

    /// The coefficients of one diagonal value q: A_n, B_n for n < terms, and the tails beyond.
    public struct Coefficients: Sendable {
        public var a: [Double], b: [Double]
        /// Terms kept.
        public var terms: Int
        /// Σ_{n ≥ terms} A_n², Σ_{n ≥ terms} B_n² (within the computed maxTerms).
        public var tailA: Double, tailB: Double
    }

    /// A_n(q), B_n(q) of φ = f, φ′ = df (q ≥ 0).
    public func coefficients(q: Double, _ f: @Sendable (Double) -> Double, _ df: @Sendable (Double) -> Double) -> Coefficients {
        table(diagonals: [q], f, df).coefficients[0]
    }

    /// The quadrature's nodes z_i with weight above 1e-300 (the others contribute nothing representable, and h_n there
    /// could overflow; elsewhere |h_n(z_i)| ≤ 1/√w_i by Σ_n w h_n² ≤ 1), their weights, and H [maxTerms, nodes] with
    /// H_ni = h_n(z_i) (h_0 = 1, h_1 = z, h_{n+1} = (z h_n − √n h_{n−1})/√(n+1)); built once per node count.
    func basis() -> (z: [Double], w: [Double], h: Matrix) {
        let key = nodes * 4096 + maxTerms
        Self.lock.lock()
        if let b = Self.bases[key] { Self.lock.unlock(); return b }
        Self.lock.unlock()
        let rule = QuadratureRule.gaussHermiteNormal(nodes)
        let used = (0..<nodes).filter { rule.weights[$0] > 1e-300 }
        let z = used.map { rule.nodes[$0] }, w = used.map { rule.weights[$0] }, U = used.count, M = maxTerms
        var h = Matrix(rows: M, cols: U)
        for i in 0..<U { h.data[i] = 1 }
        if M > 1 { for i in 0..<U { h.data[U + i] = z[i] } }
        if M > 2 {
            for n in 1..<(M - 1) {
                let c1 = 1 / Double(n + 1).squareRoot(), c0 = Double(n).squareRoot()
                for i in 0..<U { h.data[(n + 1) * U + i] = (z[i] * h.data[n * U + i] - c0 * h.data[(n - 1) * U + i]) * c1 }
            }
        }
        let b = (z, w, h)
        Self.lock.lock(); Self.bases[key] = b; Self.lock.unlock()
        return b
    }
    nonisolated(unsafe) static var bases: [Int: (z: [Double], w: [Double], h: Matrix)] = [:]
    static let lock = NSLock()

    /// Tails and truncation of one value's coefficients (the smallest N with both tails below tolerance² of the sums).
    func truncated(a: [Double], b: [Double]) -> Coefficients {
        let M = a.count
        var tA = 0.0, tB = 0.0
        var tailsA = [Double](repeating: 0, count: M + 1), tailsB = tailsA
        for n in stride(from: M - 1, through: 0, by: -1) { tA += a[n] * a[n]; tB += b[n] * b[n]; tailsA[n] = tA; tailsB[n] = tB }
        let limA = tolerance * tolerance * tA, limB = tolerance * tolerance * tB
        var N = M
        while N > 1 && tailsA[N - 1] <= limA && tailsB[N - 1] <= limB { N -= 1 }
        return Coefficients(a: a, b: b, terms: N, tailA: tailsA[N], tailB: tailsB[N])
    }

    /// The coefficients of every distinct diagonal value, and their lookup.
    public struct Table: Sendable {
        let index: [Double: Int]
        let coefficients: [Coefficients]

        /// The position of a diagonal value in the table (it must be one of the table's values).
        @inline(__always)
        func position(_ q: Double) -> Int { index[q]! }

        /// (T, Ṫ) of the entry (q₁, c, q₂), q₁ and q₂ among the table's values.
        @inline(__always)
        public func dual(k11: Double, k12: Double, k22: Double) -> (t: Double, tDot: Double) {
            dual(position(k11), position(k22), k11: k11, k12: k12, k22: k22)
        }

        /// (T, Ṫ) of an entry whose diagonal values sit at positions i1, i2 (`position`): Horner in ρ from the highest
        /// of max(N₁, N₂) terms.
        @inline(__always)
        func dual(_ i1: Int, _ i2: Int, k11: Double, k12: Double, k22: Double) -> (t: Double, tDot: Double) {
            let c1 = coefficients[i1], c2 = coefficients[i2]
            let den = (k11 * k22).squareRoot()
            let rho = den > 0 ? Swift.max(-1, Swift.min(1, k12 / den)) : 0
            let N = Swift.max(c1.terms, c2.terms)
            var t = 0.0, td = 0.0
            c1.a.withUnsafeBufferPointer { a1 in c2.a.withUnsafeBufferPointer { a2 in
            c1.b.withUnsafeBufferPointer { b1 in c2.b.withUnsafeBufferPointer { b2 in
                var n = N - 1
                while n >= 0 {
                    t = t * rho + a1[n] * a2[n]
                    td = td * rho + b1[n] * b2[n]
                    n -= 1
                }
            } } } }
            return (t, td)
        }

        /// The truncation bounds √(S_A(q₁)S_A(q₂)), √(S_B(q₁)S_B(q₂)) of entry (q₁, ·, q₂).
        public func truncationBound(k11: Double, k22: Double) -> (t: Double, tDot: Double) {
            let c1 = coefficients[index[k11]!], c2 = coefficients[index[k22]!]
            return ((c1.tailA * c2.tailA).squareRoot(), (c1.tailB * c2.tailB).squareRoot())
        }
    }

    /// The table of the distinct values among `diagonals`: with F_iq = w_i φ(√q z_i) the coefficients are one matrix
    /// product, A = H F (and B = H F′), [maxTerms, values] — BLAS instead of a loop per value.
    public func table(diagonals: [Double], _ f: @Sendable (Double) -> Double, _ df: @Sendable (Double) -> Double) -> Table {
        let distinct = Array(Set(diagonals)).sorted()
        let (z, w, h) = basis()
        let U = z.count, Q = distinct.count, M = maxTerms
        var fq = Matrix(rows: U, cols: Q), dq = fq
        fq.data.withUnsafeMutableBufferPointer { fb in dq.data.withUnsafeMutableBufferPointer { db in
            nonisolated(unsafe) let (fp, dp) = (fb.baseAddress!, db.baseAddress!)
            parallelChunks(Q, minimum: 8) { range in
                for k in range {
                    let s = Swift.max(0, distinct[k]).squareRoot()
                    for i in 0..<U { let x = s * z[i]; fp[i * Q + k] = w[i] * f(x); dp[i * Q + k] = w[i] * df(x) }
                }
            }
        } }
        let a = Matrix.multiply(h, fq), b = Matrix.multiply(h, dq)
        var out = [Coefficients?](repeating: nil, count: Q)
        out.withUnsafeMutableBufferPointer { ob in
            nonisolated(unsafe) let op = ob.baseAddress!
            parallelChunks(Q, minimum: 16) { range in
                for k in range {
                    op[k] = truncated(a: (0..<M).map { a.data[$0 * Q + k] }, b: (0..<M).map { b.data[$0 * Q + k] })
                }
            }
        }
        var index: [Double: Int] = [:]
        for (k, q) in distinct.enumerated() { index[q] = k }
        return Table(index: index, coefficients: out.map { $0! })
    }
}

extension Activation {
    /// The Hermite expansion of a smooth activation without a closed form (tanh, sigmoid, softplus, swish, and
    /// `numerical` without a kink): 32·degree nodes (at most `HermiteExpansion.maxNodes`), half as many terms at most; nil for closed forms and for activations
    /// with a kink (ELU, `numerical` with `kinkAtZero`), whose coefficients fall only algebraically and which keep
    /// the split polar quadrature.
    public var hermiteExpansion: HermiteExpansion? {
        switch self {
        case .tanh(let n), .sigmoid(let n), .softplus(let n), .swish(let n): return HermiteExpansion(nodes: 32 * n)
        case .numerical(_, _, _, let n, let kinked): return kinked ? nil : HermiteExpansion(nodes: 32 * n)
        default: return nil
        }
    }
}

/// A nonlinearity's entrywise kernel map through its Hermite table (`HermiteExpansion`), prepared for the diagonals
/// of one kernel computation.
struct HermiteKernelMap: EntrywiseKernelMap {
    let table: HermiteExpansion.Table
    /// Σ A1_n A2_n ρⁿ is symmetric in q₁ ↔ q₂ bit for bit (products commute).
    var isSymmetric: Bool { true }

    /// The same arithmetic as `Table.dual(k11:k12:k22:)`, with the diagonal values' positions looked up once per row
    /// and once per column instead of twice per entry.
    func map(_ t: KernelTile) {
        let columns = (0..<t.cols).map { table.position(t.diagonal2[$0]) }
        for r in 0..<t.rows {
            let k = t.nngp + r * t.stride, th = t.ntk + r * t.stride
            let k11 = t.diagonal1[r], i1 = table.position(k11)
            for c in 0..<t.cols {
                let (v, vd) = table.dual(i1, columns[c], k11: k11, k12: k[c], k22: t.diagonal2[c])
                k[c] = v; th[c] = vd * th[c]
            }
        }
    }
}

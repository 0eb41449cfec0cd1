import Foundation
import NumericCore
import Numerics

/// A basis of holomorphic sections s_α of O(k) on a hypersurface X = {Q = 0} of an ambient space ∏_r P^{n_r}:
/// the monomials z^e of multi-degree (k_1, …) in the homogeneous coordinates, **reduced modulo Q** by deleting every
/// monomial divisible by the leading monomial of Q (the reduction of cymetric's and cyjax's Donaldson code,
/// arXiv 2205.13408, 2211.12520).
///
/// Why this is a basis of the restriction to X: the ideal (Q) is principal, so {Q} is its own Gröbner basis for any
/// monomial order, and the standard monomials (those not divisible by the leading monomial LM(Q)) form a basis of the
/// degree-k part of C[z]/(Q) = H⁰(X, O(k)) (projectively normal hypersurface). The count is
/// N_k = C(k+n, n) − C(k−d+n, n) on a degree-d hypersurface in P^n (quintic: 5, 15, 35, 70, 125, 205 for k = 1…6).
/// The leading monomial is the lexicographically largest exponent vector of Q (for Σ z_i⁵ − 5ψ Π z_i: z_0⁵), the same
/// choice as cymetric (first monomial) for the built-in families.
///
/// Monomials carry no multinomial weights: s_α = z^{e_α}. (With H = I at k = 1 the algebraic metric is then exactly
/// Fubini–Study; at k > 1, Fubini–Study is H = diag(k!/∏e_i!) on the unreduced basis, see
/// `multinomialWeights`.)
///
/// Evaluation is vectorised over points and returns the "jet" rows of each point: s, then ∂s/∂z_i (i = 0…D−1), then
/// ∂²s/∂z_i∂z_j for i ≤ j in the order (0,0), (0,1), …, (0,D−1), (1,1), … (see `secondDerivativeRow`).
public struct SectionBasis: Sendable {
    /// Number of homogeneous coordinates D.
    public let variables: Int
    /// Exponent vectors, row-major [count, variables].
    public let exponents: [Int]
    /// N_k, the number of sections.
    public let count: Int
    /// Largest single exponent (size of the power tables).
    public let maxExponent: Int
    /// Coordinates per projective factor (sums to `variables`; `[variables]` on a single P^n).
    public let factorSizes: [Int]

    /// A basis of the given monomials (exponent vectors of equal length, non-negative) on ∏_r P^{factorSizes[r] − 1}
    /// (default: one projective space).
    public init(exponents rows: [[Int]], factorSizes sizes: [Int]? = nil) throws {
        guard let d = rows.first?.count, d > 0 else { throw InputError("section basis: no monomials, expected at least one") }
        let sizes = sizes ?? [d]
        guard sizes.reduce(0, +) == d, sizes.allSatisfy({ $0 >= 1 }) else {
            throw InputError("section basis: factor sizes \(sizes), expected positive sizes summing to \(d) variables")
        }
        for (a, e) in rows.enumerated() {
            guard e.count == d else { throw InputError("section basis: monomial \(a) has \(e.count) exponents, expected \(d)") }
            guard e.allSatisfy({ $0 >= 0 }) else { throw InputError("section basis: monomial \(a) has a negative exponent \(e), expected ≥ 0") }
        }
        variables = d
        factorSizes = sizes
        exponents = rows.flatMap { $0 }
        count = rows.count
        maxExponent = exponents.max() ?? 0
    }

    /// All monomials of multi-degree `degrees` on ∏_r P^{factorSizes[r] − 1}: per factor r, the exponents of its
    /// `factorSizes[r]` coordinates sum to `degrees[r]`. Order: lexicographically decreasing within each factor,
    /// factors nested left to right (z_0^k first).
    public static func monomials(factorSizes: [Int], degrees: [Int]) -> [[Int]] {
        precondition(factorSizes.count == degrees.count, "monomials: \(factorSizes.count) factors but \(degrees.count) degrees")
        var result: [[Int]] = [[]]
        for (size, k) in zip(factorSizes, degrees) {
            let block = monomials(variables: size, degree: k)
            result = result.flatMap { head in block.map { head + $0 } }
        }
        return result
    }

    /// All exponent vectors of `variables` entries summing to `degree`, lexicographically decreasing.
    public static func monomials(variables: Int, degree: Int) -> [[Int]] {
        if variables == 1 { return [[degree]] }
        var out: [[Int]] = []
        for e0 in stride(from: degree, through: 0, by: -1) {
            for tail in monomials(variables: variables - 1, degree: degree - e0) { out.append([e0] + tail) }
        }
        return out
    }

    /// The lexicographically largest exponent vector among `monomials` (the leading monomial under lex order).
    public static func leadingMonomial(_ monomials: [[Int]]) -> [Int] {
        monomials.max { a, b in a.lexicographicallyPrecedes(b) }!
    }

    /// The reduced section basis of O(degrees) on the hypersurface whose polynomial has the monomials
    /// `polynomialExponents` (its leading monomial is deleted from the ideal; pass `[]` for the ambient space).
    public init(factorSizes: [Int], degrees: [Int], polynomialExponents: [[Int]]) throws {
        guard factorSizes.count == degrees.count, !factorSizes.isEmpty else {
            throw InputError("section basis: \(degrees.count) degrees for \(factorSizes.count) projective factors, expected one per factor")
        }
        guard degrees.allSatisfy({ $0 >= 0 }), factorSizes.allSatisfy({ $0 >= 1 }) else {
            throw InputError("section basis: degrees \(degrees), expected non-negative integers")
        }
        var all = SectionBasis.monomials(factorSizes: factorSizes, degrees: degrees)
        if !polynomialExponents.isEmpty {
            let lead = SectionBasis.leadingMonomial(polynomialExponents)
            guard lead.count == all[0].count else {
                throw InputError("section basis: polynomial has \(lead.count) variables, expected \(all[0].count)")
            }
            all.removeAll { e in zip(e, lead).allSatisfy { $0 >= $1 } }
        }
        guard !all.isEmpty else { throw InputError("section basis: no sections of degree \(degrees) survive the reduction") }
        try self.init(exponents: all, factorSizes: factorSizes)
    }

    /// The reduced basis of O(k) on a hypersurface in P^{variables−1}.
    public init(degree k: Int, variables: Int, polynomialExponents: [[Int]]) throws {
        try self.init(factorSizes: [variables], degrees: [k], polynomialExponents: polynomialExponents)
    }

    /// The section count C(k+n, n) − C(k−d+n, n) of a degree-d hypersurface in P^n (n = variables − 1), the closed
    /// form that the reduction must reproduce.
    public static func hypersurfaceCount(variables: Int, polynomialDegree d: Int, degree k: Int) -> Int {
        func binom(_ a: Int, _ b: Int) -> Int {
            if a < b || b < 0 { return 0 }
            var r = 1
            for i in 0..<b { r = r * (a - i) / (i + 1) }
            return r
        }
        let n = variables - 1
        return binom(k + n, n) - binom(k - d + n, n)
    }

    /// Multinomial coefficients k!/∏_i e_i! of each section (per factor, multiplied over the factors of `factorSizes`,
    /// default the basis' own): the diagonal H for which s†Hs = ∏_r |z^{(r)}|^{2k_r} on the unreduced basis, the
    /// usual start of the Donaldson iteration.
    public func multinomialWeights(factorSizes: [Int]? = nil) -> [Double] {
        let sizes = factorSizes ?? self.factorSizes
        func lf(_ m: Int) -> Double { lgamma(Double(m) + 1) }
        return (0..<count).map { a in
            var logw = 0.0, start = 0
            for s in sizes {
                var tot = 0
                for i in start..<(start + s) { let e = exponents[a * variables + i]; tot += e; logw -= lf(e) }
                logw += lf(tot)
                start += s
            }
            return exp(logw)
        }
    }

    // MARK: - Evaluation

    /// Which derivatives `evaluate` returns.
    public enum JetOrder: Int, Sendable {
        /// s only (1 row per point).
        case values = 0
        /// s and ∂_i s (1 + D rows).
        case first = 1
        /// s, ∂_i s, ∂_i∂_j s for i ≤ j (1 + D + D(D+1)/2 rows).
        case second = 2
    }

    /// Rows per point of the jet layout at `order`.
    public func jetRows(_ order: JetOrder) -> Int {
        switch order {
        case .values: return 1
        case .first: return 1 + variables
        case .second: return 1 + variables + variables * (variables + 1) / 2
        }
    }

    /// The jet row of ∂²s/∂z_i∂z_j (symmetric in i, j).
    public func secondDerivativeRow(_ i: Int, _ j: Int) -> Int {
        let (a, b) = i <= j ? (i, j) : (j, i)
        // rows before block a: Σ_{c<a} (D − c)
        return 1 + variables + a * variables - a * (a - 1) / 2 + (b - a)
    }

    /// Evaluates the jets of all sections at `pointCount` points.
    /// - Parameters:
    ///   - points: homogeneous coordinates, row-major [pointCount, D].
    ///   - out: [pointCount, jetRows(order), N_k], row r of point p at offset (p·R + r)·N_k: r = 0 → s_α(z_p),
    ///     r = 1 + i → ∂s_α/∂z_i, r = `secondDerivativeRow(i, j)` → ∂²s_α/∂z_i∂z_j.
    public func evaluate(points: UnsafeBufferPointer<Complex<Double>>, pointCount: Int, order: JetOrder,
                         into out: UnsafeMutableBufferPointer<Complex<Double>>) {
        let d = variables, n = count, rows = jetRows(order), m1 = maxExponent + 1
        precondition(points.count >= pointCount * d && out.count >= pointCount * rows * n, "SectionBasis.evaluate: buffers too small")
        var pw = [Complex<Double>](repeating: .zero, count: d * m1)
        var f = [Complex<Double>](repeating: .zero, count: d)
        exponents.withUnsafeBufferPointer { ex in
            pw.withUnsafeMutableBufferPointer { pw in
                f.withUnsafeMutableBufferPointer { f in
                    for p in 0..<pointCount {
                        for i in 0..<d {
                            let z = points[p * d + i]
                            var acc = Complex<Double>(1, 0)
                            pw[i * m1] = acc
                            if m1 > 1 { for e in 1..<m1 { acc = acc * z; pw[i * m1 + e] = acc } }
                        }
                        let base = p * rows * n
                        for a in 0..<n {
                            var v = Complex<Double>(1, 0)
                            for i in 0..<d { let fi = pw[i * m1 + ex[a * d + i]]; f[i] = fi; v = v * fi }
                            out[base + a] = v
                            if order == .values { continue }
                            for i in 0..<d {
                                let ei = ex[a * d + i]
                                var di = Complex<Double>.zero
                                if ei > 0 {
                                    di = Complex(Double(ei), 0) * pw[i * m1 + ei - 1]
                                    for j in 0..<d where j != i { di = di * f[j] }
                                }
                                out[base + (1 + i) * n + a] = di
                                if order == .second {
                                    for j in i..<d {
                                        let ej = ex[a * d + j]
                                        var dij = Complex<Double>.zero
                                        if j == i {
                                            if ei > 1 {
                                                dij = Complex(Double(ei * (ei - 1)), 0) * pw[i * m1 + ei - 2]
                                                for l in 0..<d where l != i { dij = dij * f[l] }
                                            }
                                        } else if ei > 0 && ej > 0 {
                                            dij = Complex(Double(ei * ej), 0) * pw[i * m1 + ei - 1] * pw[j * m1 + ej - 1]
                                            for l in 0..<d where l != i && l != j { dij = dij * f[l] }
                                        }
                                        out[base + secondDerivativeRow(i, j) * n + a] = dij
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Convenience: the jets at the rows of `points` ([P, D]) as a flat array [P, jetRows(order), N_k].
    public func evaluate(_ points: ComplexMatrix, order: JetOrder = .values) -> [Complex<Double>] {
        precondition(points.cols == variables, "SectionBasis.evaluate: points have \(points.cols) coordinates, expected \(variables)")
        var out = [Complex<Double>](repeating: .zero, count: points.rows * jetRows(order) * count)
        points.data.withUnsafeBufferPointer { pz in
            out.withUnsafeMutableBufferPointer { evaluate(points: pz, pointCount: points.rows, order: order, into: $0) }
        }
        return out
    }
}

import CNumericLibs
import Foundation
import NumericCore
import Numerics

/// Sections of O(k₁, …, k_m) on a complete intersection X = {Q₁ = … = Q_c = 0} ⊂ ∏_r P^{n_r}, reduced modulo the
/// ideal (Q₁, …, Q_c) **numerically**: the monomials of multi-degree k restricted to X span H⁰(X, O(k)) (X is
/// projectively normal: the Koszul complex of a complete intersection in a product of projective spaces is exact and
/// the ambient line bundles involved have no higher cohomology), and a subset of them is a basis of that space. The
/// subset is found by a rank-revealing QR factorisation with column pivoting (LAPACK ZGEQP3) of the evaluation matrix
///
///   A_{pα} = c_α z_p^{e_α} / ∏_r ‖z_p^{(r)}‖^{k_r},   c_α = (∏_r k_r!/∏_i e_{αi}!)^{1/2},
///
/// at M > #monomials points z_p of X: the rows are the monomials as functions on X, normalised so that A is the matrix
/// of Fubini–Study-orthonormal sections (|entries| ≤ 1). The numerical rank N_k (the first |R_jj| below 10⁻⁹·|R_00|;
/// every kept one must be above 10⁻⁶·|R_00|, a gap of three orders of magnitude at least) is dim H⁰(X, O(k)), and the first N_k pivot columns are
/// monomials linearly independent on X — a basis of the quotient C[z]_k/(Q)_k, as the standard monomials of a Gröbner
/// basis would be, chosen for conditioning rather than by a monomial order.
///
/// For a hypersurface the exact reduction (`SectionBasis(factorSizes:degrees:polynomialExponents:)`, delete multiples of
/// the leading monomial) gives a basis of the same space; both counts are checked against `completeIntersectionCount`.
extension SectionBasis {
    /// The largest |R_jj|/|R_00| counted as zero, and the smallest counted as nonzero, in the rank decision.
    public static let rankThresholds = (zero: 1e-9, nonzero: 1e-6)

    /// A basis of H⁰(X, O(degrees)) for the complete intersection `variety`, picked numerically from the monomials of
    /// that multi-degree with the points `points` ([M, D] row-major homogeneous coordinates on X; M must exceed the
    /// number of monomials, 2× or more is recommended).
    /// - Throws: `InputError` when there are too few points or the singular values show no clear rank gap (points not
    ///   on X, or a degree so high that the monomial basis is numerically degenerate).
    public init(factorSizes: [Int], degrees: [Int], variety: Variety, points: [Complex<Double>]) throws {
        let d = factorSizes.reduce(0, +)
        guard factorSizes == variety.ambient.dimensions.map({ $0 + 1 }) else {
            throw InputError("section basis: factor sizes \(factorSizes), expected \(variety.ambient.dimensions.map { $0 + 1 }) for \(variety.name)")
        }
        guard degrees.count == factorSizes.count, degrees.allSatisfy({ $0 >= 0 }) else {
            throw InputError("section basis: degrees \(degrees), expected \(factorSizes.count) non-negative integers")
        }
        let all = SectionBasis.monomials(factorSizes: factorSizes, degrees: degrees)
        let nm = all.count
        let m = points.count / d
        guard points.count == m * d, m > nm else {
            throw InputError("section basis: \(m) points for \(nm) monomials of degree \(degrees), expected more points than monomials")
        }
        let full = try SectionBasis(exponents: all, factorSizes: factorSizes)
        let weights = full.multinomialWeights().map { $0.squareRoot() }
        // A in column-major order, [M, nm]: column α = c_α z^{e_α}/∏‖z^{(r)}‖^{k_r}
        var values = [Complex<Double>](repeating: .zero, count: m * nm)
        values.withUnsafeMutableBufferPointer { out in
            points.withUnsafeBufferPointer { z in full.evaluate(points: z, pointCount: m, order: .values, into: out) }
        }
        var a = [Complex<Double>](repeating: .zero, count: m * nm)
        for p in 0..<m {
            var scale = 1.0, start = 0
            for (size, k) in zip(factorSizes, degrees) {
                var n2 = 0.0
                for i in start..<(start + size) { n2 += points[p * d + i].lengthSquared }
                scale *= Foundation.pow(n2, -0.5 * Double(k))
                start += size
            }
            for c in 0..<nm {
                let f: Double = scale * weights[c]
                let v: Complex<Double> = values[p * nm + c]
                a[c * m + p] = Complex<Double>(v.real * f, v.imaginary * f)
            }
        }
        guard a.allSatisfy({ $0.real.isFinite && $0.imaginary.isFinite }) else {
            throw InputError("section basis: points with non-finite or zero coordinates, expected points of \(variety.name)")
        }
        var pivots = [Int32](repeating: 0, count: nm)
        var tau = [Complex<Double>](repeating: .zero, count: min(m, nm))
        let info: Int32 = a.withUnsafeMutableBufferPointer { pa in
            tau.withUnsafeMutableBufferPointer { pt in
                UnsafeMutableRawPointer(pa.baseAddress!).withMemoryRebound(to: nnt_complex_double.self, capacity: pa.count) { qa in
                    UnsafeMutableRawPointer(pt.baseAddress!).withMemoryRebound(to: nnt_complex_double.self, capacity: pt.count) { qt in
                        LAPACKE_zgeqp3(LAPACK_COL_MAJOR, Int32(m), Int32(nm), qa, Int32(m), &pivots, qt)
                    }
                }
            }
        }
        guard info == 0 else { throw InputError("section basis: LAPACK zgeqp3 failed (info = \(info)) on \(m)×\(nm) evaluations") }
        let diag = (0..<min(m, nm)).map { a[$0 * m + $0].length }
        let r00 = diag[0]
        guard r00 > 0 else { throw InputError("section basis: all monomials of degree \(degrees) vanish at the points, expected points of \(variety.name)") }
        let rank = diag.firstIndex { $0 <= SectionBasis.rankThresholds.zero * r00 } ?? diag.count
        let smallestKept = diag[rank - 1] / r00
        guard smallestKept >= SectionBasis.rankThresholds.nonzero else {
            throw InputError("section basis: no clear rank gap for degree \(degrees) on \(variety.name) (|R_jj|/|R_00| falls to "
                             + String(format: "%.1e", smallestKept) + " before the cut at 1e-9), expected all kept above 1e-6; use a lower degree")
        }
        let kept = pivots[0..<rank].map { Int($0) - 1 }.sorted()
        try self.init(exponents: kept.map { all[$0] }, factorSizes: factorSizes)
    }

    /// dim H⁰(X, O(k)) of a complete intersection of equations of multi-degrees q_a in ∏_r P^{n_r} (factor sizes
    /// n_r + 1), by the Koszul resolution: Σ_{S ⊂ equations} (−1)^{|S|} h⁰(O(k − Σ_{a∈S} q_a)), with
    /// h⁰(P^n, O(j)) = C(j + n, n) for j ≥ 0 and 0 otherwise (Künneth over the factors). Exact when no ambient bundle
    /// O(k − q_S) has higher cohomology, i.e. when no entry of k − q_S is ≤ −n_r − 1 while another is ≥ 0.
    public static func completeIntersectionCount(factorSizes: [Int], equationDegrees: [[Int]], degrees: [Int]) -> Int {
        func binom(_ a: Int, _ b: Int) -> Int {
            if a < b || b < 0 || a < 0 { return 0 }
            var r = 1
            for i in 0..<b { r = r * (a - i) / (i + 1) }
            return r
        }
        let c = equationDegrees.count
        var total = 0
        for mask in 0..<(1 << c) {
            var shifted = degrees
            var sign = 1
            for a in 0..<c where mask & (1 << a) != 0 {
                sign = -sign
                for r in 0..<shifted.count { shifted[r] -= equationDegrees[a][r] }
            }
            var h0 = 1
            for (size, j) in zip(factorSizes, shifted) { h0 *= j >= 0 ? binom(j + size - 1, size - 1) : 0 }
            total += sign * h0
        }
        return total
    }
}

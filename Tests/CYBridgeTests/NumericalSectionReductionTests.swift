import Foundation
import Numerics
import Testing
@testable import CYBridge
@testable import NumericCore
import TestSupport

/// The numerical reduction of monomials modulo a complete intersection (`SectionBasis(factorSizes:degrees:variety:points:)`)
/// against independent routes: the Koszul count against hand-derived dimensions, the exact (leading-monomial) reduction
/// on hypersurfaces, and the defining property of a basis of the restriction — every monomial of the degree is, on
/// fresh points of X, a linear combination of the kept ones.
@Suite struct NumericalSectionReductionTests {
    /// Koszul counts against closed forms: hypersurfaces C(k+n,n) − C(k−d+n,n) and, by hand, the Tian–Yau cover
    /// (P³×P³, equations of bidegree (3,0), (0,3), (1,1)):
    ///   k = 1: 16 − 1 = 15;  k = 2: 100 − 16 = 84;  k = 3: 400 − (100 + 20 + 20) + 1 = 261 (the (3,0)·(0,3) overlap).
    @Test func koszulCountsMatchHandDerivedDimensions() {
        for k in 1...6 {
            #expect(SectionBasis.completeIntersectionCount(factorSizes: [5], equationDegrees: [[5]], degrees: [k])
                    == SectionBasis.hypersurfaceCount(variables: 5, polynomialDegree: 5, degree: k))
            #expect(SectionBasis.completeIntersectionCount(factorSizes: [4], equationDegrees: [[4]], degrees: [k]) == 2 * k * k + 2)
        }
        let bicubic = (1...3).map { SectionBasis.completeIntersectionCount(factorSizes: [3, 3], equationDegrees: [[3, 3]], degrees: [$0, $0]) }
        #expect(bicubic == [9, 36, 99])
        let ty = (1...3).map { k in
            SectionBasis.completeIntersectionCount(factorSizes: [4, 4], equationDegrees: Variety.tianYau.multidegrees, degrees: [k, k])
        }
        #expect(ty == [15, 84, 261])
    }

    /// The numerical rank is dim H⁰(X, O(k)): on the quintic it equals the exact reduction's count, on the Tian–Yau
    /// cover the Koszul count; on points of the ambient space (not on X) every monomial is independent.
    @Test func numericalRankIsTheSectionCount() throws {
        let quintic = Variety.fermatQuintic
        let qs = try PointSampler(variety: quintic).sample(count: 400, seed: 5)
        for k in 1...3 {
            let b = try SectionBasis(factorSizes: [5], degrees: [k], variety: quintic, points: qs.points)
            #expect(b.count == SectionBasis.hypersurfaceCount(variables: 5, polynomialDegree: 5, degree: k))
        }
        let ty = Variety.tianYau
        let ts = try PointSampler(variety: ty).sample(count: 400, seed: 6)
        let counts = try (1...2).map { try SectionBasis(factorSizes: [4, 4], degrees: [$0, $0], variety: ty, points: ts.points).count }
        #expect(counts == [15, 84])
        // random ambient points: no relation among the 16 bilinear monomials
        var stream = RandomStream(seed: 7, stream: 0)
        let ambient = stream.complexNormals(100 * 8)
        #expect(try SectionBasis(factorSizes: [4, 4], degrees: [1, 1], variety: ty, points: ambient).count == 16)
    }

    /// Every monomial of degree k restricted to X is a combination of the kept ones: coefficients fitted (least squares by
    /// the normal equations) on one set of points of X reproduce the monomial on an independent set to 1e-8 relative.
    /// On the quintic the exact reduced basis is also spanned by the numerical one, so the two are bases of one space.
    @Test(arguments: [("tian-yau", 2), ("fermat-quintic", 3)])
    func keptMonomialsSpanAllRestrictedMonomials(variety name: String, k: Int) throws {
        let v = Variety.builtIn(name)!
        let sizes = v.ambient.dimensions.map { $0 + 1 }
        let ks = [Int](repeating: k, count: sizes.count)
        let sampler = try PointSampler(variety: v)
        let basis = try SectionBasis(factorSizes: sizes, degrees: ks, variety: v, points: try sampler.sample(count: 500, seed: 11).points)
        let fit = try sampler.sample(count: 400, seed: 12), check = try sampler.sample(count: 200, seed: 13)
        let all = try SectionBasis(exponents: SectionBasis.monomials(factorSizes: sizes, degrees: ks), factorSizes: sizes)
        func values(_ b: SectionBasis, _ s: PointSample) -> [Complex<Double>] {
            var out = [Complex<Double>](repeating: .zero, count: s.count * b.count)
            out.withUnsafeMutableBufferPointer { o in s.points.withUnsafeBufferPointer { b.evaluate(points: $0, pointCount: s.count, order: .values, into: o) } }
            return out
        }
        let n = basis.count
        let bf = values(basis, fit), bc = values(basis, check)
        // normal equations G c = Bᴴ y
        var g = ComplexMatrix(rows: n, cols: n)
        for p in 0..<fit.count { for a in 0..<n { for b in 0..<n { g[a, b] = g[a, b] + bf[p * n + a].conjugate * bf[p * n + b] } } }
        func worstResidual(_ target: SectionBasis) throws -> Double {
            let yf = values(target, fit), yc = values(target, check), t = target.count
            var rhs = ComplexMatrix(rows: n, cols: t)
            for p in 0..<fit.count { for a in 0..<n { for c in 0..<t { rhs[a, c] = rhs[a, c] + bf[p * n + a].conjugate * yf[p * t + c] } } }
            let coef = try LinearAlgebra.solve(g, rhs)
            var worst = 0.0
            for c in 0..<t {
                var r2 = 0.0, y2 = 0.0
                for p in 0..<check.count {
                    var fitted = Complex<Double>.zero
                    for a in 0..<n { fitted = fitted + bc[p * n + a] * coef[a, c] }
                    r2 += (yc[p * t + c] - fitted).lengthSquared
                    y2 += yc[p * t + c].lengthSquared
                }
                worst = max(worst, (r2 / y2).squareRoot())
            }
            return worst
        }
        let r = try worstResidual(all)
        #expect(r < 1e-8, "\(name) k = \(k): worst relative residual \(r)")
        if v.equationCount == 1 {
            let q = v.equations[0]
            let exact = try SectionBasis(factorSizes: sizes, degrees: ks, polynomialExponents: (0..<q.monomialCount).map { q.exponents(ofMonomial: $0) })
            #expect(exact.count == n)
            #expect(try worstResidual(exact) < 1e-8)
        }
        // the fit is not vacuous: a monomial set that is NOT spanned (the basis minus its last element cannot
        // reproduce that element)
        let partial = try SectionBasis(exponents: (0..<(n - 1)).map { a in Array(basis.exponents[(a * basis.variables)..<((a + 1) * basis.variables)]) },
                                       factorSizes: sizes)
        let pf = values(partial, fit)
        var gp = ComplexMatrix(rows: n - 1, cols: n - 1)
        for p in 0..<fit.count { for a in 0..<(n - 1) { for b in 0..<(n - 1) { gp[a, b] = gp[a, b] + pf[p * (n - 1) + a].conjugate * pf[p * (n - 1) + b] } } }
        var rhs = [Complex<Double>](repeating: .zero, count: n - 1)
        for p in 0..<fit.count { for a in 0..<(n - 1) { rhs[a] = rhs[a] + pf[p * (n - 1) + a].conjugate * bf[p * n + n - 1] } }
        let c = try LinearAlgebra.solve(gp, ComplexMatrix(rows: n - 1, cols: 1, data: rhs))
        var r2 = 0.0, y2 = 0.0
        for p in 0..<check.count {
            var fitted = Complex<Double>.zero
            for a in 0..<(n - 1) { fitted = fitted + bc[p * n + a] * c[a, 0] }
            r2 += (bc[p * n + n - 1] - fitted).lengthSquared; y2 += bc[p * n + n - 1].lengthSquared
        }
        #expect((r2 / y2).squareRoot() > 1e-3)
    }

    @Test func tooFewPointsIsAnError() throws {
        let ty = Variety.tianYau
        let s = try PointSampler(variety: ty).sample(count: 50, seed: 1)
        #expect(throws: InputError.self) { try SectionBasis(factorSizes: [4, 4], degrees: [2, 2], variety: ty, points: s.points) }
        #expect(throws: InputError.self) { try SectionBasis(factorSizes: [8], degrees: [1], variety: ty, points: s.points) }
    }
}

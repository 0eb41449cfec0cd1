import Foundation
import Numerics
import Testing
@testable import NumericCore
import TestSupport

/// Tests of the LAPACK wrappers, each against a route that does not go through the routine under test:
/// defining identities (A V = V Λ, L Lᵀ = A, A X = B), closed-form spectra and determinants, and the roots of
/// polynomials through their companion matrices.
@Suite struct LinearAlgebraTests {
    static let eps = Double.ulpOfOne

    static func random(_ r: Int, _ c: Int, seed: UInt64) -> Matrix {
        var g = RandomStream(seed: seed, stream: 0)
        return Matrix(rows: r, cols: c, data: g.symmetrics(r * c))
    }

    static func randomComplex(_ r: Int, _ c: Int, seed: UInt64) -> ComplexMatrix {
        var g = RandomStream(seed: seed, stream: 0)
        return ComplexMatrix(rows: r, cols: c, data: g.symmetricComplexes(r * c))
    }

    static func randomSymmetric(_ n: Int, seed: UInt64) -> Matrix {
        let b = random(n, n, seed: seed)
        return b + b.transposed
    }

    static func randomHermitian(_ n: Int, seed: UInt64) -> ComplexMatrix {
        let b = randomComplex(n, n, seed: seed)
        var a = b
        for i in 0..<n { for j in 0..<n { a[i, j] = b[i, j] + b[j, i].conjugate } }
        return a
    }

    static func identity(_ n: Int) -> ComplexMatrix {
        var m = ComplexMatrix(rows: n, cols: n)
        for i in 0..<n { m[i, i] = .one }
        return m
    }

    /// Tridiagonal Toeplitz matrix with 2 on the diagonal and −1 beside it (the 1-D discrete Laplacian):
    /// eigenvalues 2 − 2 cos(kπ/(n+1)), k = 1…n.
    static func laplacian(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n {
            m[i, i] = 2
            if i + 1 < n { m[i, i + 1] = -1; m[i + 1, i] = -1 }
        }
        return m
    }

    static func laplacianSpectrum(_ n: Int) -> [Double] {
        (1...n).map { 2 - 2 * cos(Double($0) * .pi / Double(n + 1)) }
    }

    /// Coefficients c₀…c_{d−1} of the monic polynomial Π_j (z − r_j) = z^d + c_{d−1} z^{d−1} + … + c₀.
    static func monicCoefficients(_ roots: [Complex<Double>]) -> [Complex<Double>] {
        var p: [Complex<Double>] = [.one]  // ascending powers
        for r in roots {
            var q = [Complex<Double>](repeating: .zero, count: p.count + 1)
            for (k, c) in p.enumerated() { q[k + 1] = q[k + 1] + c; q[k] = q[k] - r * c }
            p = q
        }
        return Array(p.dropLast())
    }

    /// Greedy matching distance: max over `expected` of the distance to the nearest unused element of `found`.
    static func matchDistance(_ found: [Complex<Double>], _ expected: [Complex<Double>]) -> Double {
        #expect(found.count == expected.count)
        var unused = found, worst = 0.0
        for e in expected {
            guard let k = unused.indices.min(by: { (unused[$0] - e).length < (unused[$1] - e).length }) else { return .infinity }
            worst = max(worst, (unused[k] - e).length)
            unused.remove(at: k)
        }
        return worst
    }

    // MARK: - Symmetric and Hermitian eigen-decompositions

    @Test(arguments: [1, 2, 5, 12, 40])
    func symmetricEigenOfRandomMatrices(n: Int) throws {
        let a = Self.randomSymmetric(n, seed: 100 + UInt64(n))
        let (w, v) = try LinearAlgebra.symmetricEigen(a)
        #expect(w.count == n && v.rows == n && v.cols == n)
        #expect(zip(w, w.dropFirst()).allSatisfy { $0 <= $1 }, "eigenvalues must ascend")
        var vl = v
        for i in 0..<n { for j in 0..<n { vl[i, j] *= w[j] } }
        let tol = 1e3 * Self.eps * Double(n)
        #expect(maxAbs(a * v - vl) <= tol * maxAbs(a), "A V = V Λ")
        #expect(maxAbs(Matrix.multiply(v, v, transposeA: true) - .identity(n)) <= tol, "Vᵀ V = I")
        let trace = (0..<n).reduce(0.0) { $0 + a[$1, $1] }
        #expect(abs(w.reduce(0, +) - trace) <= tol * maxAbs(a) * Double(n), "Σ λ = tr A")
    }

    @Test func symmetricEigenOfKnownSpectra() throws {
        // Closed form: the discrete Laplacian.
        let n = 30
        let (w, _) = try LinearAlgebra.symmetricEigen(Self.laplacian(n))
        for (x, e) in zip(w, Self.laplacianSpectrum(n)) { #expect(abs(x - e) <= 1e2 * Self.eps * Double(n)) }
        // Q diag(d) Qᵀ with Q a product of two Householder reflections I − 2uuᵀ/uᵀu; d has a repeated value.
        let m = 8
        let d: [Double] = [3, -1, 0.5, 3, -7, 2, 0, 10]
        var q = Matrix.identity(m)
        for seed: UInt64 in [7, 8] {
            let u = Self.random(m, 1, seed: seed)
            let uu = u.data.reduce(0) { $0 + $1 * $1 }
            q = q * (Matrix.identity(m) - (2 / uu) * Matrix.multiply(u, u, transposeB: true))
        }
        var qd = q
        for i in 0..<m { for j in 0..<m { qd[i, j] *= d[j] } }
        let (w2, v2) = try LinearAlgebra.symmetricEigen(Matrix.multiply(qd, q, transposeB: true))
        for (x, e) in zip(w2, d.sorted()) { #expect(abs(x - e) <= 1e2 * Self.eps * Double(m) * 10) }
        // The eigenvector of the simple eigenvalue −7 is ± the corresponding column of Q.
        let col = (0..<m).map { q[$0, 4] }, vcol = (0..<m).map { v2[$0, 0] }
        let dot = zip(col, vcol).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(abs(dot) - 1) <= 1e3 * Self.eps)
        // Diagonal matrix: eigenvalues are the sorted diagonal.
        var diag = Matrix(rows: 4, cols: 4)
        for (i, x) in [4.0, -2, 1, 0].enumerated() { diag[i, i] = x }
        #expect(try LinearAlgebra.symmetricEigen(diag).values == [-2, 0, 1, 4])
    }

    @Test(arguments: [1, 3, 9, 24])
    func hermitianEigenOfRandomMatrices(n: Int) throws {
        let a = Self.randomHermitian(n, seed: 200 + UInt64(n))
        let (w, v) = try LinearAlgebra.hermitianEigen(a)
        #expect(zip(w, w.dropFirst()).allSatisfy { $0 <= $1 }, "eigenvalues must ascend")
        var vl = v
        for i in 0..<n { for j in 0..<n { vl[i, j] = v[i, j] * Complex(w[j], 0) } }
        let tol = 1e3 * Self.eps * Double(n)
        #expect(maxAbsDifference(a * v, vl) <= tol * maxAbs(a), "A V = V Λ")
        #expect(maxAbsDifference(v.adjoint * v, Self.identity(n)) <= tol, "V† V = I")
    }

    @Test func hermitianEigenOfKnownSpectra() throws {
        // diag 2, off-diagonal −e^{±iθ}: unitarily similar (by diag(e^{ikθ})) to the real Laplacian.
        let n = 20, theta = 0.83
        var a = ComplexMatrix(rows: n, cols: n)
        for i in 0..<n {
            a[i, i] = Complex(2, 0)
            if i + 1 < n {
                a[i, i + 1] = -Complex(cos(theta), sin(theta))
                a[i + 1, i] = -Complex(cos(theta), -sin(theta))
            }
        }
        let (w, _) = try LinearAlgebra.hermitianEigen(a)
        for (x, e) in zip(w, Self.laplacianSpectrum(n)) { #expect(abs(x - e) <= 1e2 * Self.eps * Double(n)) }
        // A real symmetric matrix as a Hermitian one has the same spectrum as through dsyevd.
        let s = Self.randomSymmetric(10, seed: 9)
        let hs = ComplexMatrix(rows: 10, cols: 10, data: s.data.map { Complex($0, 0) })
        let ws = try LinearAlgebra.symmetricEigen(s).values, wh = try LinearAlgebra.hermitianEigen(hs).values
        for (x, y) in zip(ws, wh) { #expect(abs(x - y) <= 1e3 * Self.eps * maxAbs(s)) }
    }

    // MARK: - Cholesky

    @Test(arguments: [1, 4, 10, 33])
    func choleskyReproducesTheMatrix(n: Int) throws {
        let b = Self.random(n, n, seed: 300 + UInt64(n))
        let a = Matrix.multiply(b, b, transposeB: true) + Double(n) * .identity(n)
        let l = try LinearAlgebra.cholesky(a)
        for i in 0..<n {
            #expect(l[i, i] > 0)
            for j in (i + 1)..<max(i + 1, n) { #expect(l[i, j] == 0) }
        }
        #expect(maxAbs(Matrix.multiply(l, l, transposeB: true) - a) <= 1e2 * Self.eps * Double(n) * maxAbs(a))
    }

    @Test func choleskyClosedFormAndFailures() throws {
        // [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]].
        let l = try LinearAlgebra.cholesky(Matrix([[4, 2], [2, 3]]))
        #expect(l[0, 0] == 2 && l[0, 1] == 0 && l[1, 0] == 1 && abs(l[1, 1] - 2.0.squareRoot()) <= Self.eps)
        // Indefinite (eigenvalues 3, −1): the 2×2 leading minor fails.
        #expect(throws: LinearAlgebraError.notPositiveDefinite(minor: 2)) {
            try LinearAlgebra.cholesky(Matrix([[1, 2], [2, 1]]))
        }
        #expect(throws: LinearAlgebraError.notPositiveDefinite(minor: 1)) {
            try LinearAlgebra.cholesky(Matrix([[-1, 0], [0, 1]]))
        }
        // A shifted Laplacian 2 − 2cos(kπ/(n+1)) − 1 has negative eigenvalues.
        #expect(throws: LinearAlgebraError.self) { try LinearAlgebra.cholesky(Self.laplacian(6) - .identity(6)) }
    }

    @Test func complexCholesky() throws {
        let n = 7
        let c = Self.randomComplex(n, n, seed: 4)
        var h = c * c.adjoint
        for i in 0..<n { h[i, i] = h[i, i] + Complex(Double(n), 0) }
        let l = try LinearAlgebra.cholesky(h)
        for i in 0..<n {
            #expect(l[i, i].imaginary == 0 && l[i, i].real > 0)
            for j in (i + 1)..<max(i + 1, n) { #expect(l[i, j] == .zero) }
        }
        #expect(maxAbsDifference(l * l.adjoint, h) <= 1e2 * Self.eps * Double(n) * maxAbs(h))
        // [[1, 2i], [−2i, 1]] has eigenvalues 3 and −1.
        var bad = Self.identity(2)
        bad[0, 1] = Complex(0, 2); bad[1, 0] = Complex(0, -2)
        #expect(throws: LinearAlgebraError.notPositiveDefinite(minor: 2)) { try LinearAlgebra.cholesky(bad) }
    }

    // MARK: - Linear systems

    @Test(arguments: [1, 8, 50])
    func solveHasSmallResidual(n: Int) throws {
        let a = Self.random(n, n, seed: 400 + UInt64(n)) + 2 * .identity(n)
        let b = Self.random(n, 3, seed: 500 + UInt64(n))
        let x = try LinearAlgebra.solve(a, b)
        // Backward-stable LU: ‖A X − B‖ ≲ c·n·ε·‖A‖·‖X‖ (entrywise max norms, row sums bounded by n·max).
        #expect(maxAbs(a * x - b) <= 1e2 * Self.eps * Double(n) * maxAbs(a) * maxAbs(x) * Double(n))
        let xv = try LinearAlgebra.solve(a, (0..<n).map { b[$0, 1] })
        for i in 0..<n { #expect(abs(xv[i] - x[i, 1]) <= 1e2 * Self.eps * Double(n) * maxAbs(x)) }
        // Complex.
        let ac = Self.randomComplex(n, n, seed: 600 + UInt64(n)), bc = Self.randomComplex(n, 2, seed: 700 + UInt64(n))
        var acs = ac
        for i in 0..<n { acs[i, i] = acs[i, i] + Complex(2, 0) }
        let xc = try LinearAlgebra.solve(acs, bc)
        #expect(maxAbsDifference(acs * xc, bc) <= 1e2 * Self.eps * Double(n * n) * maxAbs(acs) * maxAbs(xc))
    }

    @Test func solveClosedFormAndFailures() throws {
        // [[2, 1], [1, 3]] x = [3, 5] ⇒ x = [4/5, 7/5].
        let x = try LinearAlgebra.solve(Matrix([[2, 1], [1, 3]]), [3, 5])
        #expect(abs(x[0] - 0.8) <= 4 * Self.eps && abs(x[1] - 1.4) <= 4 * Self.eps)
        // Exactly singular: the second pivot 2 − ½·4 is exactly zero.
        #expect(throws: LinearAlgebraError.singular(pivot: 2)) {
            try LinearAlgebra.solve(Matrix([[1, 2], [2, 4]]), Matrix([[1], [1]]))
        }
        #expect(throws: LinearAlgebraError.rightHandSideMismatch(rows: 7, expected: 8)) {
            try LinearAlgebra.solve(Self.random(8, 8, seed: 1), Self.random(7, 1, seed: 2))
        }
        #expect(throws: LinearAlgebraError.notSquare(rows: 3, cols: 2)) {
            try LinearAlgebra.solve(Self.random(3, 2, seed: 1), Self.random(3, 1, seed: 2))
        }
        #expect(throws: LinearAlgebraError.singular(pivot: 1)) {
            try LinearAlgebra.solve(ComplexMatrix(rows: 2, cols: 2), Self.randomComplex(2, 1, seed: 3))
        }
    }

    // MARK: - Determinants

    @Test func determinantsAgainstClosedForms() throws {
        // 2×2: ad − bc on random entries.
        for seed: UInt64 in 0..<20 {
            let m = Self.random(2, 2, seed: seed)
            let exact = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
            #expect(abs(try LinearAlgebra.determinant(m) - exact) <= 8 * Self.eps)
        }
        // Rule of Sarrus: 2(3·(−2) − 4·5) − (−1)(1·(−2) − 4·0) + 0 = −52 − 2 = −54.
        #expect(abs(try LinearAlgebra.determinant(Matrix([[2, -1, 0], [1, 3, 4], [0, 5, -2]])) + 54) <= 1e2 * Self.eps)
        // Triangular: the product of the diagonal.
        var t = Self.random(12, 12, seed: 11)
        for i in 0..<12 { for j in 0..<i { t[i, j] = 0 } }
        let diagProduct = (0..<12).reduce(1.0) { $0 * t[$1, $1] }
        #expect(abs(try LinearAlgebra.determinant(t) - diagProduct) <= 1e2 * Self.eps * abs(diagProduct))
        // One transposition: −1; a rank-deficient matrix: exactly 0; the empty matrix: 1.
        #expect(try LinearAlgebra.determinant(Matrix([[0, 1, 0], [1, 0, 0], [0, 0, 1]])) == -1)
        #expect(try LinearAlgebra.determinant(Matrix([[1, 2], [2, 4]])) == 0)
        #expect(try LinearAlgebra.logAbsDeterminant(Matrix([[1, 2], [2, 4]])) == (-.infinity, 0))
        #expect(try LinearAlgebra.determinant(Matrix(rows: 0, cols: 0)) == 1)
    }

    @Test func determinantIsTheProductOfEigenvalues() throws {
        let n = 15
        let s = Self.randomSymmetric(n, seed: 10)
        let w = try LinearAlgebra.symmetricEigen(s).values
        let det = try LinearAlgebra.determinant(s), product = w.reduce(1, *)
        #expect(abs(det - product) <= 1e3 * Self.eps * Double(n) * abs(product))
        let (logAbs, sign) = try LinearAlgebra.logAbsDeterminant(s)
        #expect(sign == (product < 0 ? -1 : 1))
        #expect(abs(logAbs - w.reduce(0) { $0 + log(abs($1)) }) <= 1e3 * Self.eps * Double(n))
        // Laplacian: det = n + 1.
        #expect(abs(try LinearAlgebra.determinant(Self.laplacian(40)) - 41) <= 1e3 * Self.eps * 41)
    }

    @Test func determinantBeyondTheDoubleRange() throws {
        // det(10³ I₂₀₀) = 10⁶⁰⁰ overflows Double; its logarithm does not.
        let a = 1e3 * Matrix.identity(200)
        #expect(try LinearAlgebra.determinant(a) == .infinity)
        let (logAbs, sign) = try LinearAlgebra.logAbsDeterminant(a)
        #expect(sign == 1 && abs(logAbs - 600 * log(10)) <= 1e-12 * 600 * log(10))
        // A product whose partial products overflow but whose value is representable:
        // diag(10³⁰⁰, 10³⁰⁰, 10⁻³⁰⁰, 10⁻³⁰⁰, −1) has det −1.
        var d = Matrix(rows: 5, cols: 5)
        for (i, x) in [1e300, 1e300, 1e-300, 1e-300, -1].enumerated() { d[i, i] = x }
        #expect(abs(try LinearAlgebra.determinant(d) + 1) <= 1e-14)
        var dc = ComplexMatrix(rows: 5, cols: 5)
        for (i, x) in [1e300, 1e300, 1e-300, 1e-300, -1].enumerated() { dc[i, i] = Complex(0, x) }
        #expect((try LinearAlgebra.determinant(dc) - Complex(0, -1)).length <= 1e-14)  // i⁵·(−1) = −i
    }

    @Test func complexDeterminants() throws {
        // 2×2 closed form on random entries.
        for seed: UInt64 in 0..<10 {
            let m = Self.randomComplex(2, 2, seed: seed)
            let exact = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
            #expect((try LinearAlgebra.determinant(m) - exact).length <= 16 * Self.eps)
        }
        // Upper triangular: the product of the diagonal.
        var t = ComplexMatrix(rows: 3, cols: 3)
        t[0, 0] = Complex(1, 1); t[1, 1] = Complex(0, 2); t[2, 2] = Complex(3, 0); t[0, 2] = Complex(5, -1); t[0, 1] = Complex(2, 2)
        #expect((try LinearAlgebra.determinant(t) - Complex(1, 1) * Complex(0, 2) * Complex(3, 0)).length <= 1e2 * Self.eps)
        // Hermitian: det = Π λ (real); multiplicativity det(AB) = det A det B.
        let n = 8
        let h = Self.randomHermitian(n, seed: 12)
        let w = try LinearAlgebra.hermitianEigen(h).values
        let dh = try LinearAlgebra.determinant(h), product = w.reduce(1, *)
        #expect((dh - Complex(product, 0)).length <= 1e3 * Self.eps * Double(n) * abs(product))
        let a = Self.randomComplex(n, n, seed: 13), b = Self.randomComplex(n, n, seed: 14)
        let dab = try LinearAlgebra.determinant(a * b)
        let dadb = try LinearAlgebra.determinant(a) * LinearAlgebra.determinant(b)
        #expect((dab - dadb).length <= 1e3 * Self.eps * Double(n) * dadb.length)
        let (logAbs, phase) = try LinearAlgebra.logAbsDeterminant(a * b)
        #expect(abs(logAbs - log(dadb.length)) <= 1e3 * Self.eps * Double(n))
        #expect((phase - Complex(dadb.real / dadb.length, dadb.imaginary / dadb.length)).length <= 1e3 * Self.eps * Double(n))
        #expect(try LinearAlgebra.determinant(ComplexMatrix(rows: 3, cols: 3)) == .zero)
    }

    // MARK: - General eigenvalues

    @Test func eigenvaluesOfRotations() throws {
        // The quarter turn has eigenvalues ±i; a rotation by θ has e^{±iθ}.
        let quarter = try LinearAlgebra.generalEigenvalues(Matrix([[0, -1], [1, 0]]))
        #expect(Self.matchDistance(quarter, [Complex(0, 1), Complex(0, -1)]) <= 4 * Self.eps)
        for theta in [0.3, 1.1, 2.9] {
            let rot = Matrix([[cos(theta), -sin(theta)], [sin(theta), cos(theta)]])
            let ev = try LinearAlgebra.generalEigenvalues(rot)
            #expect(Self.matchDistance(ev, [Complex(cos(theta), sin(theta)), Complex(cos(theta), -sin(theta))]) <= 8 * Self.eps)
            // Conjugate pairs are adjacent with the positive imaginary part first.
            #expect(ev[0].imaginary > 0 && ev[1] == ev[0].conjugate)
        }
    }

    @Test func eigenvaluesOfCompanionMatrices() throws {
        // Real companion matrix of Π (z − r) with roots −3, 1, 2, ±2i, 0.5 ± 1.5i: first row −c_{d−1} … −c₀,
        // ones on the subdiagonal.
        let roots = [Complex(-3.0, 0), Complex(1, 0), Complex(2, 0), Complex(0, 2), Complex(0, -2),
                     Complex(0.5, 1.5), Complex(0.5, -1.5)]
        let c = Self.monicCoefficients(roots)
        let d = roots.count
        var comp = Matrix(rows: d, cols: d)
        for j in 0..<d {
            #expect(abs(c[d - 1 - j].imaginary) <= 1e2 * Self.eps)
            comp[0, j] = -c[d - 1 - j].real
        }
        for i in 1..<d { comp[i, i - 1] = 1 }
        #expect(Self.matchDistance(try LinearAlgebra.generalEigenvalues(comp), roots) <= 1e-11)
        // Complex companion matrix with complex roots (no conjugate symmetry).
        let croots = [Complex(1.0, 1), Complex(-2, 0), Complex(0, 0.5), Complex(3, -1), Complex(-1, -2)]
        let cc = Self.monicCoefficients(croots)
        let m = croots.count
        var ccomp = ComplexMatrix(rows: m, cols: m)
        for j in 0..<m { ccomp[0, j] = -cc[m - 1 - j] }
        for i in 1..<m { ccomp[i, i - 1] = .one }
        #expect(Self.matchDistance(try LinearAlgebra.generalEigenvalues(ccomp), croots) <= 1e-11)
        // z² − i: roots ±e^{iπ/4}.
        var sq = ComplexMatrix(rows: 2, cols: 2)
        sq[0, 1] = Complex(0, 1); sq[1, 0] = .one
        let h = 0.5.squareRoot()
        #expect(Self.matchDistance(try LinearAlgebra.generalEigenvalues(sq), [Complex(h, h), Complex(-h, -h)]) <= 8 * Self.eps)
    }

    @Test func generalEigenvaluesMatchTraceAndDeterminant() throws {
        let n = 25
        let a = Self.random(n, n, seed: 21)
        let ev = try LinearAlgebra.generalEigenvalues(a)
        let sum = ev.reduce(Complex<Double>.zero, +), product = ev.reduce(Complex<Double>.one, *)
        let trace = (0..<n).reduce(0.0) { $0 + a[$1, $1] }
        #expect((sum - Complex(trace, 0)).length <= 1e3 * Self.eps * Double(n))
        let det = try LinearAlgebra.determinant(a)
        #expect((product - Complex(det, 0)).length <= 1e3 * Self.eps * Double(n) * abs(det))
        // Symmetric input: real eigenvalues equal to dsyevd's.
        let s = Self.randomSymmetric(12, seed: 22)
        let gs = try LinearAlgebra.generalEigenvalues(s)
        #expect(gs.allSatisfy { $0.imaginary == 0 })
        for (x, y) in zip(gs.map(\.real).sorted(), try LinearAlgebra.symmetricEigen(s).values) {
            #expect(abs(x - y) <= 1e3 * Self.eps * maxAbs(s))
        }
        let hc = Self.randomHermitian(6, seed: 23)
        let gh = try LinearAlgebra.generalEigenvalues(hc).map(\.real).sorted()
        for (x, y) in zip(gh, try LinearAlgebra.hermitianEigen(hc).values) { #expect(abs(x - y) <= 1e3 * Self.eps * maxAbs(hc)) }
    }

    // MARK: - Input validation

    @Test func nonFiniteAndNonSquareInputsThrowOneLineErrors() {
        let nan = Matrix([[1, .nan], [0, 1]]), inf = Matrix([[1, 0], [.infinity, 1]])
        var cnan = Self.identity(2)
        cnan[1, 0] = Complex(0, .nan)
        let wide = Self.random(2, 3, seed: 1), cwide = Self.randomComplex(2, 3, seed: 1)
        let cases: [(String, () throws -> Void)] = [
            ("nan", { _ = try LinearAlgebra.symmetricEigen(nan) }),
            ("inf", { _ = try LinearAlgebra.symmetricEigen(inf) }),
            ("nan", { _ = try LinearAlgebra.hermitianEigen(cnan) }),
            ("inf", { _ = try LinearAlgebra.cholesky(inf) }),
            ("nan", { _ = try LinearAlgebra.cholesky(cnan) }),
            ("nan", { _ = try LinearAlgebra.solve(nan, Matrix([[1], [1]])) }),
            ("inf", { _ = try LinearAlgebra.solve(Matrix.identity(2), inf) }),
            ("nan", { _ = try LinearAlgebra.solve(cnan, Self.identity(2)) }),
            ("nan", { _ = try LinearAlgebra.determinant(nan) }),
            ("inf", { _ = try LinearAlgebra.logAbsDeterminant(inf) }),
            ("nan", { _ = try LinearAlgebra.determinant(cnan) }),
            ("nan", { _ = try LinearAlgebra.generalEigenvalues(nan) }),
            ("nan", { _ = try LinearAlgebra.generalEigenvalues(cnan) }),
            ("2×3", { _ = try LinearAlgebra.symmetricEigen(wide) }),
            ("2×3", { _ = try LinearAlgebra.hermitianEigen(cwide) }),
            ("2×3", { _ = try LinearAlgebra.cholesky(wide) }),
            ("2×3", { _ = try LinearAlgebra.determinant(wide) }),
            ("2×3", { _ = try LinearAlgebra.determinant(cwide) }),
            ("2×3", { _ = try LinearAlgebra.generalEigenvalues(wide) }),
            ("2×3", { _ = try LinearAlgebra.generalEigenvalues(cwide) }),
        ]
        for (needle, f) in cases {
            do {
                try f()
                Issue.record("expected an error mentioning \(needle)")
            } catch let error as LinearAlgebraError {
                let text = error.description
                #expect(!text.contains("\n"))
                #expect(text.contains(needle), "\(text)")
                #expect(text.contains("expected"), "\(text)")
            } catch {
                Issue.record("unexpected error type: \(error)")
            }
        }
        #expect(LinearAlgebraError.nonFinite("matrix entry (0, 1) = nan").description
                == "matrix entry (0, 1) = nan, expected a finite value")
        #expect(!LinearAlgebraError.lapackFailure(routine: "dgeev", info: 3).description.contains("\n"))
    }

    @Test func emptyMatrices() throws {
        let e = Matrix(rows: 0, cols: 0)
        #expect(try LinearAlgebra.symmetricEigen(e).values.isEmpty)
        #expect(try LinearAlgebra.cholesky(e) == e)
        #expect(try LinearAlgebra.generalEigenvalues(e).isEmpty)
        #expect(try LinearAlgebra.solve(e, Matrix(rows: 0, cols: 2)) == Matrix(rows: 0, cols: 2))
        #expect(try LinearAlgebra.determinant(ComplexMatrix(rows: 0, cols: 0)) == .one)
    }
    /// The inverse by Cholesky: for A = B†B + n·1 with |B_ij|² ≤ 1/2 (eigenvalues in [n, n + ‖B‖²_F], so the
    /// condition κ ≤ 1 + n/2), A·A⁻¹ = 1 to the backward-stable bound 4·n·ε·κ per entry; A⁻¹ is Hermitian with a real
    /// diagonal. Sizes on both sides of OpenBLAS' blocking (the unblocked ZLAUU2 and the blocked ZLAUUM).
    @Test(arguments: [1, 2, 7, 40, 97])
    func hermitianInverseByCholesky(n: Int) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(n)
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        var b = ComplexMatrix(rows: n, cols: n)
        for i in b.data.indices { b.data[i] = Complex(uniform(), uniform()) }
        var a = b.adjoint * b
        for i in 0..<n { a[i, i] = a[i, i] + Complex(Double(n), 0) }
        let inv = try LinearAlgebra.hermitianInverse(a)
        let product = a * inv
        let bound = 4 * Double(n) * Double.ulpOfOne * (1 + Double(n) / 2)
        for i in 0..<n {
            #expect(inv[i, i].imaginary == 0)
            for j in 0..<n {
                #expect((product[i, j] - (i == j ? .one : .zero)).length < bound, "n = \(n): (A·A⁻¹)[\(i), \(j)] = \(product[i, j])")
                #expect(inv[i, j] == inv[j, i].conjugate)
            }
        }
    }

    /// What the inverse refuses, as the other routines do: a non-square matrix, a non-finite entry, and a matrix that
    /// is not positive definite (diag(1, −1, 2): the leading minor of order 2 is −1).
    @Test func hermitianInverseRefusals() {
        #expect(throws: LinearAlgebraError.notSquare(rows: 2, cols: 3)) { try LinearAlgebra.hermitianInverse(ComplexMatrix(rows: 2, cols: 3)) }
        var bad = ComplexMatrix(rows: 2, cols: 2)
        bad[0, 0] = .one; bad[1, 1] = .one; bad[0, 1] = Complex(.nan, 0)
        #expect(throws: LinearAlgebraError.self) { try LinearAlgebra.hermitianInverse(bad) }
        var indefinite = ComplexMatrix(rows: 3, cols: 3)
        indefinite[0, 0] = .one; indefinite[1, 1] = Complex(-1, 0); indefinite[2, 2] = Complex(2, 0)
        #expect(throws: LinearAlgebraError.notPositiveDefinite(minor: 2)) { try LinearAlgebra.hermitianInverse(indefinite) }
    }
}

/// Products write into fresh storage that is not cleared first (β = 0): the result must not depend on what that storage
/// held. A product whose result needs huge pages (≥ 4 MiB), computed after a freed buffer of the same size full of NaN,
/// against the sums by hand in exact arithmetic (small integers); `HugePages.zeroedArray` is zero on both sides of
/// the huge-page threshold.
@Suite struct HugePagesTests {
    @Test func productsIntoFreshStorageAreComplete() {
        let m = 1100, k = 3, n = 600           // 1100 × 600 × 8 B > 4 MiB
        do { let poison = [Double](repeating: .nan, count: m * n); withExtendedLifetime(poison) {} }
        let a = Matrix(rows: m, cols: k, data: (0..<(m * k)).map { Double($0 % 5) })
        let b = Matrix(rows: n, cols: k, data: (0..<(n * k)).map { Double($0 % 7) - 3 })
        let c = Matrix.multiply(a, b, transposeB: true)
        var worst = 0.0
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for l in 0..<k { s += a[i, l] * b[j, l] }
            worst = max(worst, abs(c[i, j] - s))
        } }
        #expect(worst == 0)
    }

    /// Reused storage: the same buffer (base address) when a spare's capacity holds the count, shortened or
    /// lengthened within it and taken out of the list; fresh storage, the list untouched, when none does.
    @Test(arguments: [(1000, 1000), (1000, 600), (600, 1000), (10, 1000)])
    func uninitializedArrayReusesStorage(capacity: Int, count: Int) {
        var donor = [Double](repeating: 1, count: min(capacity, 700))
        donor.reserveCapacity(capacity)
        let before = donor.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let fits = donor.capacity >= count
        var spares = [donor]
        donor = []
        let a = HugePages.uninitializedArray(count, reusing: &spares)
        #expect(a.count == count)
        #expect((a.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == before) == fits)
        #expect(spares.isEmpty == fits)
        if !fits { #expect(spares.map(\.count) == [min(capacity, 700)]) }
    }

    /// Of several spares, one of exactly the count asked for is taken before a larger one that would also hold it
    /// (the convolutions' buffers of equal size pair up as before); the others stay.
    @Test func uninitializedArrayPrefersAnExactSpare() {
        var large = [Double](repeating: 0, count: 50); large.reserveCapacity(500)
        let exact = [Double](repeating: 2, count: 300)
        let exactBase = exact.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        var spares = [large, exact]
        large = []
        let a = HugePages.uninitializedArray(300, reusing: &spares)
        #expect(a.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == exactBase)
        #expect(spares.count == 1 && spares[0].count == 50)
    }

    /// A product into reused storage (a dead buffer full of NaN, larger than the product) has the bits of the product
    /// into fresh storage, and lives in the donor's buffer.
    @Test func productIntoReusedStorageIsTheProduct() {
        let m = 300, k = 17, n = 40
        let a = Matrix(rows: m, cols: k, data: (0..<(m * k)).map { sin(Double($0)) })
        let b = Matrix(rows: n, cols: k, data: (0..<(n * k)).map { cos(Double($0) * 0.7) })
        var dead = [[Double](repeating: .nan, count: m * n + 123)]
        let base = dead[0].withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let reused = Matrix.multiply(a, b, transposeB: true, alpha: 0.3, reusing: &dead)
        let fresh = Matrix.multiply(a, b, transposeB: true, alpha: 0.3)
        #expect(reused.data.map(\.bitPattern) == fresh.data.map(\.bitPattern))
        #expect(reused.data.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == base)
        #expect(dead.isEmpty)
    }

    /// The capacity asked for a large array makes glibc's mapping a whole number of huge pages — 32 bytes of array
    /// header, the entries and 64 bytes of chunk header and rounding fill k·2 MiB — where that adds at most an eighth
    /// of the entries; under 2 MiB, or just above a whole number of huge pages, the count itself. The arrays have the
    /// count asked for and at least that capacity.
    @Test(arguments: [1000, (2 << 20) / 8 - 1, (2 << 20) / 8, 512_000, 1_000_000, (4 << 20) / 8, (4 << 20) / 8 + 1, 3_000_000])
    func capacityFillsWholeHugePages(count: Int) {
        let c = HugePages.capacity(for: count), huge = 2 << 20
        #expect(c >= count)
        if c > count {
            #expect((32 + 8 * c + 64) % huge == 0)
            #expect(c - count <= count / 8)
            #expect((32 + 8 * count + 64) > (32 + 8 * c + 64) - huge)    // the fewest huge pages that hold the entries
        } else {
            #expect(count * 8 < huge || ((32 + 8 * count + 64 + huge - 1) / huge * huge - 96) / 8 - count > count / 8)
        }
        let a = HugePages.uninitializedArray(count), z = HugePages.zeroedArray(count)
        #expect(a.count == count && a.capacity >= c && z.count == count && z.capacity >= c)
        #expect(z.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [0, 1, 1000, (4 << 20) / 8 + 4097])
    func zeroedArrayIsZero(count: Int) {
        let z = HugePages.zeroedArray(count)
        #expect(z.count == count && z.allSatisfy { $0 == 0 })
    }
}

/// OpenBLAS' pool controls are bound through their weak references (COpenBLASPool): the build links OpenBLAS, so a
/// null reference would silently leave its threads spinning for 0.1 s after every threaded call.
@Suite struct OpenBLASPoolTests {
    @Test func poolControlsAreBound() {
        #expect(OpenBLASThreadTimeout.isAvailable)
    }

    /// The test process runs OpenBLAS on one thread from its start (TestSupport's constructor), so that tests comparing
    /// BLAS results bit for bit are not changed by others that set the process-wide thread count.
    @Test func testProcessRunsOpenBLASOnOneThread() {
        #expect(testProcessBLASThreads == 1)
        SingleThreadedLAPACK.run { #expect(testProcessBLASThreads == 1) }
        #expect(testProcessBLASThreads == 1)
    }
}

import Foundation
import Numerics
import Testing
@testable import NumericCore

@Suite struct LinearAlgebraTests {
    static func random(_ r: Int, _ c: Int, seed: UInt64) -> Matrix {
        var g = RandomStream(seed: seed, stream: 0)
        return Matrix(rows: r, cols: c, data: (0..<(r * c)).map { _ in g.normal() })
    }

    static func randomComplex(_ n: Int, seed: UInt64) -> ComplexMatrix {
        var g = RandomStream(seed: seed, stream: 1)
        return ComplexMatrix(rows: n, cols: n, data: (0..<(n * n)).map { _ in Complex(g.normal(), g.normal()) })
    }

    static func maxAbs(_ m: Matrix) -> Double { m.data.map(abs).max() ?? 0 }
    static func maxAbs(_ m: ComplexMatrix) -> Double { m.data.map { $0.length }.max() ?? 0 }

    @Test func symmetricEigenDecomposition() throws {
        let n = 12
        let b = Self.random(n, n, seed: 1)
        let a = b + b.transposed
        let (w, v) = try LinearAlgebra.symmetricEigen(a)
        #expect(zip(w, w.dropFirst()).allSatisfy { $0 <= $1 })
        let av = a * v, vl = Matrix(rows: n, cols: n, data: (0..<(n * n)).map { v.data[$0] * w[$0 % n] })
        #expect(Self.maxAbs(av - vl) < 1e-12 * Double(n) * Self.maxAbs(a))
        #expect(Self.maxAbs(Matrix.multiply(v, v, transposeA: true) - .identity(n)) < 1e-13 * Double(n))
        // Known spectrum: Q diag(1..n) Qᵀ with Q orthogonal from a previous decomposition.
        let d = Matrix(rows: n, cols: n, data: (0..<(n * n)).map { $0 % (n + 1) == 0 ? Double($0 / (n + 1) + 1) : 0 })
        let (w2, _) = try LinearAlgebra.symmetricEigen(v * d * v.transposed)
        for k in 0..<n { #expect(abs(w2[k] - Double(k + 1)) < 1e-12 * Double(n)) }
        // The trace is the sum of eigenvalues.
        #expect(abs(w.reduce(0, +) - (0..<n).reduce(0) { $0 + a[$1, $1] }) < 1e-12 * Double(n))
    }

    @Test func hermitianEigenDecomposition() throws {
        let n = 9
        let b = Self.randomComplex(n, seed: 2)
        var a = b
        for i in 0..<n { for j in 0..<n { a[i, j] = b[i, j] + b[j, i].conjugate } }
        let (w, v) = try LinearAlgebra.hermitianEigen(a)
        let av = a * v
        var vl = v
        for i in 0..<n { for j in 0..<n { vl[i, j] = v[i, j] * Complex(w[j], 0) } }
        var diff = av
        for k in 0..<diff.data.count { diff.data[k] = av.data[k] - vl.data[k] }
        #expect(Self.maxAbs(diff) < 1e-12 * Double(n) * Self.maxAbs(a))
        let g = v.adjoint * v
        for i in 0..<n { for j in 0..<n { #expect((g[i, j] - (i == j ? .one : .zero)).length < 1e-13 * Double(n)) } }
    }

    @Test func choleskyFactorAndIndefiniteMatrix() throws {
        let n = 10
        let b = Self.random(n, n, seed: 3)
        let a = Matrix.multiply(b, b, transposeB: true) + .identity(n)
        let l = try LinearAlgebra.cholesky(a)
        for i in 0..<n { for j in (i + 1)..<n { #expect(l[i, j] == 0) } }
        #expect(Self.maxAbs(Matrix.multiply(l, l, transposeB: true) - a) < 1e-12 * Self.maxAbs(a))
        #expect(throws: LinearAlgebraError.notPositiveDefinite(minor: 2)) { try LinearAlgebra.cholesky(Matrix([[1, 2], [2, 1]])) }
        // Complex Hermitian: A = C C† + I.
        let c = Self.randomComplex(5, seed: 4)
        var h = c * c.adjoint
        for i in 0..<5 { h[i, i] = h[i, i] + .one }
        let lc = try LinearAlgebra.cholesky(h)
        let r = lc * lc.adjoint
        for k in 0..<r.data.count { #expect((r.data[k] - h.data[k]).length < 1e-12 * Self.maxAbs(h)) }
    }

    @Test func solveLinearSystems() throws {
        let a = Self.random(8, 8, seed: 5), b = Self.random(8, 3, seed: 6)
        let x = try LinearAlgebra.solve(a, b)
        #expect(Self.maxAbs(a * x - b) < 1e-11)
        let ac = Self.randomComplex(6, seed: 7), bc = Self.randomComplex(6, seed: 8)
        let xc = try LinearAlgebra.solve(ac, bc)
        let rc = ac * xc
        for k in 0..<rc.data.count { #expect((rc.data[k] - bc.data[k]).length < 1e-11) }
        #expect(throws: LinearAlgebraError.self) { try LinearAlgebra.solve(Matrix([[1, 2], [2, 4]]), Matrix([[1], [1]])) }
        #expect(throws: LinearAlgebraError.self) { try LinearAlgebra.solve(a, Self.random(7, 1, seed: 9)) }
    }

    @Test func determinants() throws {
        #expect(abs(try LinearAlgebra.determinant(Matrix([[3, 1], [4, 2]])) - 2) < 1e-14)
        let m3 = Matrix([[2, -1, 0], [1, 3, 4], [0, 5, -2]])
        // Rule of Sarrus: 2(3·(−2) − 4·5) − (−1)(1·(−2) − 0) + 0 = −52 − 2 = −54.
        #expect(abs(try LinearAlgebra.determinant(m3) + 54) < 1e-12)
        // Permutation matrix of one swap: −1.
        #expect(try LinearAlgebra.determinant(Matrix([[0, 1, 0], [1, 0, 0], [0, 0, 1]])) == -1)
        #expect(try LinearAlgebra.determinant(Matrix([[1, 2], [2, 4]])) == 0)
        // Product of eigenvalues of a symmetric matrix.
        let b = Self.random(7, 7, seed: 10)
        let s = b + b.transposed
        let (w, _) = try LinearAlgebra.symmetricEigen(s)
        let det = try LinearAlgebra.determinant(s)
        #expect(abs(det - w.reduce(1, *)) < 1e-10 * abs(det))
        // Complex: det(A) for a diagonal times unitary-free triangular matrix.
        var t = ComplexMatrix(rows: 3, cols: 3)
        t[0, 0] = Complex(1, 1); t[1, 1] = Complex(0, 2); t[2, 2] = Complex(3, 0); t[0, 2] = Complex(5, -1)
        let dc = try LinearAlgebra.determinant(t)
        #expect((dc - Complex(1, 1) * Complex(0, 2) * Complex(3, 0)).length < 1e-13)
    }

    @Test func generalEigenvalues() throws {
        let th = 0.7
        let rot = Matrix([[cos(th), -sin(th)], [sin(th), cos(th)]])
        let ev = try LinearAlgebra.generalEigenvalues(rot).sorted { $0.imaginary < $1.imaginary }
        #expect((ev[0] - Complex(cos(th), -sin(th))).length < 1e-14 && (ev[1] - Complex(cos(th), sin(th))).length < 1e-14)
        // Companion matrix of (z−1)(z−2)(z+3) = z³ − 7z + 6.
        let comp = Matrix([[0, 7, -6], [1, 0, 0], [0, 1, 0]])
        let roots = try LinearAlgebra.generalEigenvalues(comp).map(\.real).sorted()
        for (r, e) in zip(roots, [-3.0, 1, 2]) { #expect(abs(r - e) < 1e-12) }
        // Complex companion of z² − i: roots ±e^{iπ/4}.
        var cc = ComplexMatrix(rows: 2, cols: 2)
        cc[0, 1] = Complex(0, 1); cc[1, 0] = .one
        let cr = try LinearAlgebra.generalEigenvalues(cc)
        for z in cr { #expect(((z * z) - Complex(0, 1)).length < 1e-14) }
    }

    @Test func badInputThrowsOneLineErrors() {
        let nan = Matrix([[1, .nan], [0, 1]])
        for f in [{ _ = try LinearAlgebra.symmetricEigen(nan) }, { _ = try LinearAlgebra.determinant(nan) },
                  { _ = try LinearAlgebra.cholesky(Self.random(2, 3, seed: 1)) }] {
            do { try f(); Issue.record("no error") } catch {
                #expect(!"\(error)".contains("\n"))
                #expect("\(error)".contains("NaN") || "\(error)".contains("2×3"))
            }
        }
    }
}

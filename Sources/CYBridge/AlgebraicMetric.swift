import CNumericLibs
import Dispatch
import Foundation
import NumericCore
import Numerics

/// The algebraic (Donaldson) metric of a hermitian form h on the sections s_α of O(k), in cymetric's normalisation
/// (Donaldson's algebraic metrics as used by Douglas–Karp–Lukic–Reinbacher, arXiv hep-th/0612075; cymetric,
/// arXiv 2205.13408; cyjax `AlgebraicMetric`, arXiv 2211.12520):
///
///   K_h(z) = (kπ)⁻¹ log ψ(z),   ψ = sᵀ h s̄ = Σ_{αβ} s_α h_{αβ} conj(s_β),
///   g_ij̄ = ∂_i∂̄_j K_h = (kπ)⁻¹ [ψ_ij̄/ψ − ψ_i ψ_j̄/ψ²],   ψ_ij̄ = (∂_i s)ᵀ h conj(∂_j s),  ψ_i = (∂_i s)ᵀ h s̄,
///
/// with i, j ambient homogeneous coordinates (the ambient g is degenerate along z; only its pullback
/// g_ab̄ = J_a^i g_ij̄ conj(J_b^j) with the pullback Jacobian J [n, D] is a metric). The Kähler class is that of
/// J_FS(t = 1) (k = 1, h = I gives exactly cymetric's FS metric (1/π)∂∂̄ log|z|²), so ∫_X det g_pb = Vol_K(1) for every
/// positive-definite h.
///
/// All mixed derivatives ∂_I ∂̄_J ψ = (∂_I s)ᵀ h conj(∂_J s) are entries of one Gram matrix per point between the jet rows
/// of `SectionBasis`; they are formed as one ZGEMM Y = X·h per block of points (X the stacked jet rows), then
/// G_IJ = Σ_α X_Iα conj(Y_Jα) per point.
public struct AlgebraicMetric: Sendable {
    /// The sections s_α (ψ = sᵀ h s̄ sums over them).
    public let basis: SectionBasis
    /// Hermitian N_k × N_k, positive definite.
    public let h: ComplexMatrix
    /// k (the 1/(kπ) normalisation).
    public let degree: Int
    /// Points per ZGEMM block.
    public var blockSize = 2048

    /// The metric (kπ)⁻¹∂∂̄ log(sᵀ h s̄) of the form h on `basis` at degree k.
    /// - Throws: `InputError` when h is not N_k × N_k or not finite, or k < 1 (positive definiteness is not checked here).
    public init(basis: SectionBasis, h: ComplexMatrix, degree: Int) throws {
        guard h.rows == basis.count && h.cols == basis.count else {
            throw InputError("algebraic metric: h is \(h.rows)×\(h.cols), expected \(basis.count)×\(basis.count) (N_k)")
        }
        guard degree >= 1 else { throw InputError("algebraic metric: degree k = \(degree), expected ≥ 1") }
        if let i = h.data.firstIndex(where: { !($0.real.isFinite && $0.imaginary.isFinite) }) {
            throw InputError("algebraic metric: h entry (\(i / h.cols), \(i % h.cols)) is not finite, expected finite")
        }
        self.basis = basis
        self.h = h
        self.degree = degree
    }

    /// The Fubini–Study metric with integer Kähler moduli t on ∏_r P^{factorSizes[r] − 1} as an algebraic metric: the
    /// (unreduced) monomials of multi-degree t, h = diag(multinomial coefficients), k = 1, so that
    /// ψ = sᵀ h s̄ = ∏_r |z^{(r)}|^{2t_r} and K = π⁻¹ log ψ = Σ_r (t_r/π) log|z^{(r)}|², cymetric's FS at t
    /// (h = I at t = (1, …, 1)). Its analytic `ricciScalars` are those of FS.
    public static func fubiniStudy(factorSizes: [Int], kahler t: [Int]) throws -> AlgebraicMetric {
        let basis = try SectionBasis(factorSizes: factorSizes, degrees: t, polynomialExponents: [])
        var h = ComplexMatrix(rows: basis.count, cols: basis.count)
        for (a, w) in basis.multinomialWeights().enumerated() { h[a, a] = Complex(w, 0) }
        return try AlgebraicMetric(basis: basis, h: h, degree: 1)
    }

    /// (kπ)⁻¹.
    public var prefactor: Double { 1 / (Double(degree) * Double.pi) }

    /// K_h = (kπ)⁻¹ log ψ at each point of `points` ([P, D] row-major).
    public func kahlerPotential(points: [Complex<Double>]) -> [Double] {
        let d = basis.variables, pc = points.count / d
        var out = [Double](repeating: 0, count: pc)
        let c = prefactor
        out.withUnsafeMutableBufferPointer { po in
            let base = po.baseAddress!
            forEachPoint(points: points, order: .values) { p, gram, _ in base[p] = c * log(gram[0].real) }
        }
        return out
    }

    /// ∂K/∂z_i = (kπ)⁻¹ ψ_i/ψ, [P, D].
    public func potentialGradient(points: [Complex<Double>]) -> [Complex<Double>] {
        let d = basis.variables, pc = points.count / d
        var out = [Complex<Double>](repeating: .zero, count: pc * d)
        let c = prefactor
        out.withUnsafeMutableBufferPointer { po in
            let base = po.baseAddress!
            forEachPoint(points: points, order: .first) { p, gram, r in
                let psi = gram[0].real
                for i in 0..<d { base[p * d + i] = cydScaled(gram[(1 + i) * r], c / psi) }
            }
        }
        return out
    }

    /// The ambient g_ij̄ = ∂_i∂̄_j K_h, [P, D, D] (row i, column j̄).
    public func ambientMetric(points: [Complex<Double>]) -> [Complex<Double>] {
        let d = basis.variables, pc = points.count / d
        var out = [Complex<Double>](repeating: .zero, count: pc * d * d)
        out.withUnsafeMutableBufferPointer { po in
            let base = po.baseAddress!
            forEachPoint(points: points, order: .first) { p, gram, r in
                AlgebraicMetric.metric(gram: gram, rows: r, d: d, c: prefactor, into: base + p * d * d)
            }
        }
        return out
    }

    /// The pulled-back metric g_ab̄ = J_a^i g_ij̄ conj(J_b^j), [P, n, n], from the Jacobians [P, n, D].
    public func pullbackMetric(points: [Complex<Double>], jacobians: [Complex<Double>], dimension n: Int) throws -> [Complex<Double>] {
        let d = basis.variables, pc = points.count / d
        try checkJacobians(points: points, jacobians: jacobians, dimension: n)
        var out = [Complex<Double>](repeating: .zero, count: pc * n * n)
        out.withUnsafeMutableBufferPointer { po in
            let base = po.baseAddress!
            jacobians.withUnsafeBufferPointer { pj in
                let jb = pj.baseAddress!
                forEachPoint(points: points, order: .first) { p, gram, r in
                    var g = [Complex<Double>](repeating: .zero, count: d * d)
                    g.withUnsafeMutableBufferPointer { AlgebraicMetric.metric(gram: gram, rows: r, d: d, c: prefactor, into: $0.baseAddress!) }
                    AlgebraicMetric.pullback(g, jb + p * n * d, n: n, d: d, into: base + p * n * n)
                }
            }
        }
        return out
    }

    /// det g_pb at each point (real; > 0 for a positive-definite h).
    public func pullbackDeterminants(points: [Complex<Double>], jacobians: [Complex<Double>], dimension n: Int) throws -> [Double] {
        let g = try pullbackMetric(points: points, jacobians: jacobians, dimension: n)
        return (0..<(g.count / (n * n))).map { p in
            g.withUnsafeBufferPointer { AlgebraicMetric.hermitianDeterminant($0.baseAddress! + p * n * n, n) }
        }
    }

    // MARK: - Curvature

    /// The ambient metric and its first two derivatives at each point, from the second-order jets:
    /// g_ij̄ [P, D, D], ∂_m g_ij̄ as [P, D(m), D(i), D(j)], and ∂_m∂̄_n g_ij̄ as [P, D(m), D(n), D(i), D(j)].
    ///
    /// With a_IJ = ψ_{IJ̄}/ψ (I, J ∈ {∅, i, im}) and the rules ∂_m a_IJ = a_{(Im)J} − a_IJ a_m∅,
    /// ∂̄_n a_IJ = a_{I(Jn)} − a_IJ a_∅n:  (kπ) g_ij̄ = a_ij − a_i∅ a_∅j,
    /// (kπ) ∂_m g_ij̄ = a_{(im)j} − a_ij a_m∅ − a_{(im)∅} a_∅j − a_i∅ a_mj + 2 a_i∅ a_∅j a_m∅, and ∂̄_n of that by the same rules.
    public func ambientMetricDerivatives(points: [Complex<Double>]) -> (metric: [Complex<Double>], first: [Complex<Double>], second: [Complex<Double>]) {
        let d = basis.variables, pc = points.count / d
        var g = [Complex<Double>](repeating: .zero, count: pc * d * d)
        var g1 = [Complex<Double>](repeating: .zero, count: pc * d * d * d)
        var g2 = [Complex<Double>](repeating: .zero, count: pc * d * d * d * d)
        let c = prefactor
        var a = [Complex<Double>](repeating: .zero, count: basis.jetRows(.second) * basis.jetRows(.second))
        forEachPoint(points: points, order: .second) { p, gram, r in
            let ip = 1 / gram[0].real
            for e in 0..<(r * r) { a[e] = cydScaled(gram[e], ip) }
            func row2(_ i: Int, _ j: Int) -> Int { basis.secondDerivativeRow(i, j) }
            for i in 0..<d {
                let ai0 = a[(1 + i) * r]
                for j in 0..<d {
                    let a0j = a[1 + j], aij = a[(1 + i) * r + 1 + j]
                    g[(p * d + i) * d + j] = cydScaled(aij - ai0 * a0j, c)
                    for m in 0..<d {
                        let rim = row2(i, m)
                        let am0 = a[(1 + m) * r], amj = a[(1 + m) * r + 1 + j]
                        let aimj = a[rim * r + 1 + j], aim0 = a[rim * r]
                        let d1 = aimj - aij * am0 - aim0 * a0j - ai0 * amj + Complex(2, 0) * ai0 * a0j * am0
                        g1[((p * d + m) * d + i) * d + j] = cydScaled(d1, c)
                        for n in 0..<d {
                            let rjn = row2(j, n)
                            let a0n = a[1 + n]
                            let dA = a[rim * r + rjn] - aimj * a0n
                            let dB = a[(1 + i) * r + rjn] - aij * a0n
                            let dC = a[(1 + m) * r + 1 + n] - am0 * a0n
                            let dE = a[rim * r + 1 + n] - aim0 * a0n
                            let dF = a[rjn] - a0j * a0n
                            let dG = a[(1 + i) * r + 1 + n] - ai0 * a0n
                            let dH = a[(1 + m) * r + rjn] - amj * a0n
                            var d2 = dA - dB * am0 - aij * dC - dE * a0j - aim0 * dF - dG * amj - ai0 * dH
                            d2 = d2 + Complex(2, 0) * (dG * a0j * am0 + ai0 * dF * am0 + ai0 * a0j * dC)
                            g2[(((p * d + m) * d + n) * d + i) * d + j] = cydScaled(d2, c)
                        }
                    }
                }
            }
        }
        return (g, g1, g2)
    }

    /// The derivatives ∂J_a^i/∂x_b of the pullback Jacobian on a complete intersection, [P, n(b), n(a), D(i)]:
    /// differentiating Σ_i J_a^i ∂_iQ_β = 0 along x_b gives B·(∂_b J_a^{dep}) = −(J_a^i J_b^j ∂_i∂_jQ_β)_β with
    /// B_{βα} = ∂Q_β/∂z_{dep_α}; the other components of J are constant (0 or 1).
    public static func jacobianDerivatives(variety v: Variety, points: [Complex<Double>], jacobians: [Complex<Double>],
                                           dependent: [Int]) -> [Complex<Double>] {
        let d = v.coordinateCount, n = v.dimension, k = v.equationCount, pc = points.count / d
        var out = [Complex<Double>](repeating: .zero, count: pc * n * n * d)
        for p in 0..<pc {
            let z = Array(points[(p * d)..<((p + 1) * d)])
            let dep = Array(dependent[(p * k)..<((p + 1) * k)])
            let grads = v.equations.map { $0.gradient(at: z) }, hess = v.equations.map { $0.hessian(at: z) }
            var b = ComplexMatrix(rows: k, cols: k)
            for be in 0..<k { for al in 0..<k { b[be, al] = grads[be][dep[al]] } }
            var rhs = ComplexMatrix(rows: k, cols: n * n)
            for be in 0..<k {
                for bb in 0..<n { for aa in 0..<n {
                    var acc = Complex<Double>.zero
                    for i in 0..<d {
                        let ja = jacobians[(p * n + aa) * d + i]
                        if ja == .zero { continue }
                        for j in 0..<d { acc = acc + ja * jacobians[(p * n + bb) * d + j] * hess[be][i * d + j] }
                    }
                    rhs[be, bb * n + aa] = -acc
                } }
            }
            guard let x = try? LinearAlgebra.solve(b, rhs) else { continue }
            for bb in 0..<n { for aa in 0..<n { for al in 0..<k {
                out[((p * n + bb) * n + aa) * d + dep[al]] = x[al, bb * n + aa]
            } } }
        }
        return out
    }

    /// The Ricci scalar R = −g^{ab̄} ∂_a∂̄_b log det g_pb of the pulled-back metric at each point (standard sign;
    /// cymetric's "Ricci scalar" is −R), analytically:
    ///   ∂_b G_cd̄ = (∂_bJ_c^i) g_ij̄ J̄_d^j + J_c^i J_b^m ∂_m g_ij̄ J̄_d^j,
    ///   ∂̄_e∂_b G_cd̄ = (∂_bJ_c^i)(J̄_e^n ∂̄_n g_ij̄)J̄_d^j + (∂_bJ_c^i) g_ij̄ conj(∂_eJ_d^j)
    ///                  + J_c^i J_b^m J̄_e^n ∂_m∂̄_n g_ij̄ J̄_d^j + J_c^i J_b^m ∂_m g_ij̄ conj(∂_eJ_d^j),
    ///   ∂_b∂̄_e log det G = tr(G⁻¹ ∂_b∂̄_e G) − tr(G⁻¹ ∂_b G G⁻¹ ∂̄_e G),
    /// with `jacobianDerivatives` [P, n(b), n(a), D] = ∂J_a^i/∂x_b.
    public func ricciScalars(points: [Complex<Double>], jacobians: [Complex<Double>], jacobianDerivatives dj: [Complex<Double>],
                             dimension n: Int) throws -> [Double] {
        try checkJacobians(points: points, jacobians: jacobians, dimension: n)
        let d = basis.variables, pc = points.count / d
        guard dj.count == pc * n * n * d else {
            throw InputError("Ricci: \(dj.count) Jacobian-derivative entries for \(pc) points, expected \(pc)·\(n)·\(n)·\(d)")
        }
        let (g, g1, g2) = ambientMetricDerivatives(points: points)
        var out = [Double](repeating: .nan, count: pc)
        let threads = max(1, min(activeCores, 8))
        let chunk = (pc + threads - 1) / threads
        out.withUnsafeMutableBufferPointer { po in
            let ob = SendablePointer(po.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                for p in (t * chunk)..<min(pc, (t + 1) * chunk) {
                    ob.pointer[p] = AlgebraicMetric.ricciScalar(p, g, g1, g2, jacobians, dj, n: n, d: d)
                }
            }
        }
        return out
    }

    /// The Ricci scalar at point p from the ambient metric jets (see `ricciScalars`); NaN if g_pb is not positive definite.
    static func ricciScalar(_ p: Int, _ g: [Complex<Double>], _ g1: [Complex<Double>], _ g2: [Complex<Double>],
                            _ jacobians: [Complex<Double>], _ dj: [Complex<Double>], n: Int, d: Int) -> Double {
        let nn = n * n
        do {
            let J = { (a: Int, i: Int) in jacobians[(p * n + a) * d + i] }
            let dJ = { (b: Int, a: Int, i: Int) in dj[((p * n + b) * n + a) * d + i] }
            let gm = { (i: Int, j: Int) in g[(p * d + i) * d + j] }
            // Db g_ij̄ = J_b^m ∂_m g_ij̄  [n, D, D];  D̄e g_ij̄ = conj(J_e^n) ∂̄_n g_ij̄ = conj(J_e^n) conj(∂_n g_jī)
            var dbg = [Complex<Double>](repeating: .zero, count: n * d * d), deg = dbg
            for b in 0..<n { for i in 0..<d { for j in 0..<d {
                var s1 = Complex<Double>.zero, s2 = Complex<Double>.zero
                for m in 0..<d {
                    s1 = s1 + J(b, m) * g1[((p * d + m) * d + i) * d + j]
                    s2 = s2 + (J(b, m) * g1[((p * d + m) * d + j) * d + i]).conjugate
                }
                dbg[(b * d + i) * d + j] = s1; deg[(b * d + i) * d + j] = s2
            } } }
            // G, ∂_b G, ∂̄_e∂_b G
            var G = [Complex<Double>](repeating: .zero, count: nn)
            var dG = [Complex<Double>](repeating: .zero, count: n * nn), ddG = [Complex<Double>](repeating: .zero, count: nn * nn)
            func sandwich(_ left: (Int) -> Complex<Double>, _ mid: (Int, Int) -> Complex<Double>, _ right: (Int) -> Complex<Double>) -> Complex<Double> {
                var acc = Complex<Double>.zero
                for i in 0..<d {
                    let l = left(i)
                    if l == .zero { continue }
                    var row = Complex<Double>.zero
                    for j in 0..<d { row = row + mid(i, j) * right(j) }
                    acc = acc + l * row
                }
                return acc
            }
            for c in 0..<n { for dd in 0..<n {
                G[c * n + dd] = sandwich({ J(c, $0) }, gm, { J(dd, $0).conjugate })
                for b in 0..<n {
                    dG[(b * n + c) * n + dd] = sandwich({ dJ(b, c, $0) }, gm, { J(dd, $0).conjugate })
                        + sandwich({ J(c, $0) }, { dbg[(b * d + $0) * d + $1] }, { J(dd, $0).conjugate })
                    for e in 0..<n {
                        var v = sandwich({ dJ(b, c, $0) }, { deg[(e * d + $0) * d + $1] }, { J(dd, $0).conjugate })
                        v = v + sandwich({ dJ(b, c, $0) }, gm, { dJ(e, dd, $0).conjugate })
                        v = v + sandwich({ J(c, $0) }, { dbg[(b * d + $0) * d + $1] }, { dJ(e, dd, $0).conjugate })
                        v = v + sandwich({ J(c, $0) }, { i, j in
                            var acc = Complex<Double>.zero
                            for m in 0..<d {
                                let jbm = J(b, m)
                                if jbm == .zero { continue }
                                for nn2 in 0..<d { acc = acc + jbm * J(e, nn2).conjugate * g2[(((p * d + m) * d + nn2) * d + i) * d + j] }
                            }
                            return acc
                        }, { J(dd, $0).conjugate })
                        ddG[((b * n + e) * n + c) * n + dd] = v
                    }
                }
            } }
            // Order n (3): LAPACK's unblocked path, no OpenBLAS threads — and no `SingleThreadedLAPACK` here, whose
            // process-wide thread setting must not be changed from these worker threads.
            guard let inv = try? LinearAlgebra.hermitianInverse(ComplexMatrix(rows: n, cols: n, data: G)) else { return .nan }
            // (∂̄_e G)_cd̄ = conj((∂_e G)_dc̄)
            var ric = [Complex<Double>](repeating: .zero, count: nn)   // ∂_b∂̄_e log det G
            for b in 0..<n { for e in 0..<n {
                var t1 = Complex<Double>.zero, t2 = Complex<Double>.zero
                for c in 0..<n { for dd in 0..<n {
                    t1 = t1 + inv[dd, c] * ddG[((b * n + e) * n + c) * n + dd]
                    // tr(A ∂_bG A ∂̄_eG) = Σ A_{dc} (∂_bG)_{c d'} A_{d' c'} (∂̄_eG)_{c' d}
                    for d2 in 0..<n { for c2 in 0..<n {
                        t2 = t2 + inv[dd, c] * dG[(b * n + c) * n + d2] * inv[d2, c2] * dG[(e * n + dd) * n + c2].conjugate
                    } }
                } }
                ric[b * n + e] = t1 - t2
            } }
            var r = Complex<Double>.zero
            for b in 0..<n { for e in 0..<n { r = r + inv[e, b] * ric[b * n + e] } }
            return -r.real
        }
    }

    // MARK: - Internals

    func checkJacobians(points: [Complex<Double>], jacobians: [Complex<Double>], dimension n: Int) throws {
        let d = basis.variables
        guard points.count % d == 0 else { throw InputError("algebraic metric: \(points.count) coordinates, expected a multiple of D = \(d)") }
        let pc = points.count / d
        guard n >= 1 && jacobians.count == pc * n * d else {
            throw InputError("algebraic metric: \(jacobians.count) Jacobian entries for \(pc) points, expected \(pc)·\(n)·\(d)")
        }
    }

    /// g_ij̄ = c[G_ij/ψ − G_i0 G_0j/ψ²] from the Gram matrix of the first-order jet rows (row 0 = s, 1 + i = ∂_i s).
    @inline(__always)
    static func metric(gram: UnsafePointer<Complex<Double>>, rows r: Int, d: Int, c: Double, into g: UnsafeMutablePointer<Complex<Double>>) {
        let psi = gram[0].real, ip = 1 / psi
        for i in 0..<d {
            let ai = cydScaled(gram[(1 + i) * r], ip)
            for j in 0..<d {
                let aj = cydScaled(gram[1 + j], ip)
                g[i * d + j] = cydScaled(cydScaled(gram[(1 + i) * r + 1 + j], ip) - ai * aj, c)
            }
        }
    }

    /// out = J g J† (J [n, D], g [D, D]).
    @inline(__always)
    static func pullback(_ g: [Complex<Double>], _ j: UnsafePointer<Complex<Double>>, n: Int, d: Int, into out: UnsafeMutablePointer<Complex<Double>>) {
        for a in 0..<n {
            for b in 0..<n {
                var acc = Complex<Double>.zero
                for i in 0..<d {
                    let ja = j[a * d + i]
                    if ja == .zero { continue }
                    var row = Complex<Double>.zero
                    for l in 0..<d { row = row + g[i * d + l] * j[b * d + l].conjugate }
                    acc = acc + ja * row
                }
                out[a * n + b] = acc
            }
        }
    }

    /// Determinant of a small n×n complex matrix (Gaussian elimination with partial pivoting), real part.
    static func hermitianDeterminant(_ m: UnsafePointer<Complex<Double>>, _ n: Int) -> Double {
        var a = [Complex<Double>](UnsafeBufferPointer(start: m, count: n * n))
        var det = Complex<Double>(1, 0)
        for c in 0..<n {
            var piv = c
            for r in (c + 1)..<max(c + 1, n) where a[r * n + c].lengthSquared > a[piv * n + c].lengthSquared { piv = r }
            if a[piv * n + c] == .zero { return 0 }
            if piv != c {
                for k in 0..<n { a.swapAt(c * n + k, piv * n + k) }
                det = -det
            }
            let p = a[c * n + c]
            det = det * p
            for r in (c + 1)..<max(c + 1, n) {
                let f = a[r * n + c] / p
                for k in c..<n { a[r * n + k] = a[r * n + k] - f * a[c * n + k] }
            }
        }
        return det.real
    }

    /// Points per single-threaded ZGEMM inside a block of `forEachPoint`.
    let gemmPoints = 64

    /// The points per block of `forEachPoint` for `pointCount` points at `order`: at most ~32 MB per jet buffer. A
    /// subset of the points starting at a multiple of it, holding a multiple of it (or the end of the points), is
    /// blocked as the whole set is, so its per-point results are the same bits (BLAS's result for a row can depend on
    /// the shape of the call it is in).
    public func pointBlockSize(pointCount pc: Int, order: SectionBasis.JetOrder) -> Int {
        min(blockSize, pc, max(64, 2_000_000 / (basis.jetRows(order) * basis.count)))
    }

    /// Calls `body(p, G, R)` for every point p with the R×R Gram matrix G_IJ = (∂_I s)ᵀ h conj(∂_J s) of its jet rows
    /// at `order` (row-major). Blocks are processed in order; within a block, points run on all cores.
    func forEachPoint(points: [Complex<Double>], order: SectionBasis.JetOrder,
                      _ body: (Int, UnsafePointer<Complex<Double>>, Int) -> Void) {
        let d = basis.variables, n = basis.count, r = basis.jetRows(order)
        let pc = points.count / d
        if pc == 0 { return }
        let bs = pointBlockSize(pointCount: pc, order: order)
        var x = [Complex<Double>](repeating: .zero, count: bs * r * n)
        var y = x
        var gram = [Complex<Double>](repeating: .zero, count: bs * r * r)
        var hd = h.data
        let threads = max(1, min(activeCores, 8))
        let basis = self.basis
        points.withUnsafeBufferPointer { pz in
            x.withUnsafeMutableBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    gram.withUnsafeMutableBufferPointer { pg in
                        hd.withUnsafeMutableBufferPointer { ph in
                            let xb = SendablePointer(px.baseAddress!), yb = SendablePointer(py.baseAddress!)
                            let zb = SendablePointer(readOnly: pz.baseAddress!), gb = SendablePointer(pg.baseAddress!)
                            var start = 0
                            while start < pc {
                                let b = min(bs, pc - start), s0 = start
                                let per = (b + threads - 1) / threads
                                DispatchQueue.concurrentPerform(iterations: threads) { t in
                                    let lo = t * per, hi = min(b, lo + per)
                                    if lo >= hi { return }
                                    basis.evaluate(points: UnsafeBufferPointer(start: zb.pointer + (s0 + lo) * d, count: (hi - lo) * d),
                                                   pointCount: hi - lo, order: order,
                                                   into: UnsafeMutableBufferPointer(start: xb.pointer + lo * r * n, count: (hi - lo) * r * n))
                                }
                                // Y = X h in pieces of `gemmPoints` points from the block's start, each one single-threaded
                                // ZGEMM, the pieces on all cores: a row's bits depend on the shape of the call it is in and
                                // on OpenBLAS's thread count, here fixed (so any core count, and ranks splitting the points
                                // at block boundaries, give the same bits).
                                let pieces = (b + gemmPoints - 1) / gemmPoints
                                let hb = SendablePointer(readOnly: UnsafePointer(ph.baseAddress!))
                                SingleThreadedLAPACK.run {
                                    DispatchQueue.concurrentPerform(iterations: pieces) { q in
                                        let lo = q * gemmPoints, m = min(gemmPoints, b - lo)
                                        var one = Complex<Double>(1, 0), zero = Complex<Double>.zero
                                        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m * r), Int32(n), Int32(n),
                                                    &one, xb.pointer + lo * r * n, Int32(n), hb.pointer, Int32(n), &zero,
                                                    yb.pointer + lo * r * n, Int32(n))
                                    }
                                }
                                DispatchQueue.concurrentPerform(iterations: threads) { t in
                                    let lo = t * per, hi = min(b, lo + per)
                                    if lo >= hi { return }
                                    for i in lo..<hi {
                                        let xi = xb.pointer + i * r * n, yi = yb.pointer + i * r * n, gi = gb.pointer + i * r * r
                                        for a in 0..<r {
                                            for c in 0..<r {
                                                var re = 0.0, im = 0.0
                                                let xa = xi + a * n, yc = yi + c * n
                                                for al in 0..<n {
                                                    let u = xa[al], v = yc[al]   // u · conj(v)
                                                    re += u.real * v.real + u.imaginary * v.imaginary
                                                    im += u.imaginary * v.real - u.real * v.imaginary
                                                }
                                                gi[a * r + c] = Complex(re, im)
                                            }
                                        }
                                    }
                                }
                                for i in 0..<b { body(s0 + i, UnsafePointer(gb.pointer + i * r * r), r) }
                                start += b
                            }
                        }
                    }
                }
            }
        }
    }
}

/// z·c for real c.
@inline(__always)
func cydScaled(_ z: Complex<Double>, _ c: Double) -> Complex<Double> { Complex(z.real * c, z.imaginary * c) }

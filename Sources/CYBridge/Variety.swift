import Foundation
import Numerics
import NumericCore

/// A complete intersection X = {Q_1 = … = Q_K = 0} in a product of projective spaces (`ProjectiveAmbient`),
/// each Q_a multi-homogeneous of degree q_{ar} in factor r. Complex dimension n = Σ_r n_r − K.
/// Calabi–Yau (c₁ = 0) iff Σ_a q_{ar} = n_r + 1 for every factor r (`isCalabiYau`).
///
/// Built-ins (the usual test cases of numerical Calabi–Yau metrics, e.g. arXiv hep-th/0612075, 0712.3563,
/// 2012.15821, 2205.13408; their volumes follow from `IntersectionNumbers`): `cubicTorus` [P²|3], `quarticK3` [P³|4],
/// `dworkQuintic(psi:)` Q = Σ z_i⁵ − 5ψ Π z_i in P⁴ (ψ = 0 Fermat; ψ⁵ = 1 singular), `bicubic` [P²×P²|3 3]
/// Q = (Σ x_i³)(Σ y_j³) + Σ x_i³ y_i³ (smooth: Q = Σ C_ij x_i³y_j³ with C = 1 + I, all minors of C nonzero),
/// `tianYau` [P³×P³|3 0 1; 0 3 1]: Σ x_i³ = 0, Σ y_i³ = 0, Σ x_i y_i = 0, and `fermat(dimension:)`.
public struct Variety: Sendable, Equatable {
    /// Human-readable name (used in summaries).
    public let name: String
    /// The ambient product of projective spaces.
    public let ambient: ProjectiveAmbient
    /// Defining equations Q_a in the D homogeneous coordinates.
    public let equations: [Polynomial]
    /// Degrees q_{ar}: `multidegrees[a][r]`.
    public let multidegrees: [[Int]]

    /// The variety exactly, for checkpoint fingerprints: name, ambient dimensions and every equation's coefficients
    /// (bit patterns) and exponents.
    public var fingerprint: String {
        let eqs = equations.map { p in
            zip(p.coefficients.indices, p.coefficients).map { m, c in
                "\(c.real.bitPattern),\(c.imaginary.bitPattern):" + p.exponents[(m * p.variableCount)..<((m + 1) * p.variableCount)].map(String.init).joined(separator: ".")
            }.joined(separator: "+")
        }
        return "\(name) ambient=\(ambient.dimensions) eqs=\(eqs)"
    }

    /// The complete intersection of `equations` in `ambient`.
    /// - Throws: `InputError` when an equation has another number of variables than the ambient coordinates, is not
    ///   homogeneous in some factor, or is constant, or when the equations leave no positive dimension.
    public init(name: String, ambient: ProjectiveAmbient, equations: [Polynomial]) throws {
        guard !equations.isEmpty else { throw InputError("variety \(name): no equations") }
        var degs: [[Int]] = []
        for (a, q) in equations.enumerated() {
            guard q.variableCount == ambient.coordinateCount else {
                throw InputError("variety \(name): equation \(a + 1) has \(q.variableCount) variables, the ambient \(ambient) has \(ambient.coordinateCount) coordinates")
            }
            var row: [Int] = []
            for r in 0..<ambient.factorCount {
                let d0 = q.degree(ofMonomial: 0, in: ambient.range(ofFactor: r))
                for m in 1..<max(1, q.monomialCount) where q.degree(ofMonomial: m, in: ambient.range(ofFactor: r)) != d0 {
                    throw InputError("variety \(name): equation \(a + 1) is not homogeneous in factor \(r + 1) (monomials of degree \(d0) and \(q.degree(ofMonomial: m, in: ambient.range(ofFactor: r))))")
                }
                row.append(d0)
            }
            guard row.reduce(0, +) > 0 else { throw InputError("variety \(name): equation \(a + 1) is constant") }
            degs.append(row)
        }
        guard ambient.dimension - equations.count >= 1 else {
            throw InputError("variety \(name): \(equations.count) equation(s) in \(ambient) leave dimension \(ambient.dimension - equations.count), expected ≥ 1")
        }
        self.name = name
        self.ambient = ambient
        self.equations = equations
        self.multidegrees = degs
    }

    /// Complex dimension n = Σ n_r − K.
    public var dimension: Int { ambient.dimension - equations.count }
    /// Number of equations K.
    public var equationCount: Int { equations.count }
    /// Number of homogeneous coordinates D.
    public var coordinateCount: Int { ambient.coordinateCount }
    /// Σ_a q_{ar} = n_r + 1 for all r.
    public var isCalabiYau: Bool {
        (0..<ambient.factorCount).allSatisfy { r in multidegrees.reduce(0) { $0 + $1[r] } == ambient.dimensions[r] + 1 }
    }

    /// Shiffman–Zelditch sampling parameters d_r (Σ d_r = K): for each equation in order, +1 to the factor in
    /// which it has the largest degree among factors with d_r < n_r (cymetric's `_find_degrees`; for a
    /// hypersurface in P^n: d = (1)). The sampled measure is ∧_r J_r^{n_r − d_r}|_X.
    public var samplingDegrees: [Int] {
        var d = [Int](repeating: 0, count: ambient.factorCount)
        for q in multidegrees {
            var best = -1
            for r in 0..<ambient.factorCount where d[r] < ambient.dimensions[r] && q[r] > 0 {
                if best < 0 || q[r] > q[best] { best = r }
            }
            if best < 0 { best = (0..<ambient.factorCount).first { d[$0] < ambient.dimensions[$0] } ?? 0 }
            d[best] += 1
        }
        return d
    }

    /// Vol_K(t) = ∫_X J^n (`IntersectionNumbers.volume`).
    public func kahlerVolume(_ t: [Double]) -> Double { IntersectionNumbers.volume(of: self, kahler: t) }

    // MARK: built-ins

    static func monomialRows(_ d: Int, _ power: Int) -> [[Int]] {
        (0..<d).map { i in var e = [Int](repeating: 0, count: d); e[i] = power; return e }
    }

    /// Fermat hypersurface Σ_{i=0}^{n+1} z_i^{n+2} = 0 in P^{n+1} (Calabi–Yau n-fold).
    public static func fermat(dimension n: Int) -> Variety {
        let d = n + 2
        let q = try! Polynomial(variableCount: d, exponents: monomialRows(d, d), coefficients: .init(repeating: ComplexDouble(1, 0), count: d))
        return try! Variety(name: n == 3 ? "fermat-quintic" : "fermat-\(n)", ambient: try! ProjectiveAmbient([n + 1]), equations: [q])
    }

    /// Cubic torus z0³ + z1³ + z2³ = 0 in P².
    public static var cubicTorus: Variety {
        let v = fermat(dimension: 1)
        return try! Variety(name: "cubic-torus", ambient: v.ambient, equations: v.equations)
    }

    /// Quartic K3 Σ z_i⁴ = 0 in P³.
    public static var quarticK3: Variety {
        let v = fermat(dimension: 2)
        return try! Variety(name: "quartic-k3", ambient: v.ambient, equations: v.equations)
    }

    /// Fermat quintic Σ z_i⁵ = 0 in P⁴.
    public static var fermatQuintic: Variety { fermat(dimension: 3) }

    /// Dwork quintic Q = Σ z_i⁵ − 5ψ Π z_i (cyjax/cymetric convention; ψ = 1 is the conifold).
    public static func dworkQuintic(psi: ComplexDouble) -> Variety {
        var rows = monomialRows(5, 5), cs = [ComplexDouble](repeating: ComplexDouble(1, 0), count: 5)
        rows.append([1, 1, 1, 1, 1]); cs.append(ComplexDouble(-5, 0) * psi)
        let q = try! Polynomial(variableCount: 5, exponents: rows, coefficients: cs)
        return try! Variety(name: "dwork-quintic", ambient: try! ProjectiveAmbient([4]), equations: [q])
    }

    /// Bicubic in P²×P²: Q = (Σ x_i³)(Σ y_j³) + Σ x_i³ y_i³ (coordinates x = z0..z2, y = z3..z5).
    public static var bicubic: Variety {
        var rows: [[Int]] = [], cs: [ComplexDouble] = []
        for i in 0..<3 { for j in 0..<3 {
            var e = [Int](repeating: 0, count: 6); e[i] = 3; e[3 + j] = 3
            rows.append(e); cs.append(ComplexDouble(i == j ? 2 : 1, 0))
        } }
        let q = try! Polynomial(variableCount: 6, exponents: rows, coefficients: cs)
        return try! Variety(name: "bicubic", ambient: try! ProjectiveAmbient([2, 2]), equations: [q])
    }

    /// Tian–Yau cover in P³×P³ (x = z0..z3, y = z4..z7): Σ x_i³ = 0, Σ y_i³ = 0, Σ x_i y_i = 0.
    public static var tianYau: Variety {
        let one = ComplexDouble(1, 0)
        let cubeX = (0..<4).map { i -> [Int] in var e = [Int](repeating: 0, count: 8); e[i] = 3; return e }
        let cubeY = (0..<4).map { i -> [Int] in var e = [Int](repeating: 0, count: 8); e[4 + i] = 3; return e }
        let bilinear = (0..<4).map { i -> [Int] in var e = [Int](repeating: 0, count: 8); e[i] = 1; e[4 + i] = 1; return e }
        let eqs = try! [cubeX, cubeY, bilinear].map { try Polynomial(variableCount: 8, exponents: $0, coefficients: .init(repeating: one, count: 4)) }
        return try! Variety(name: "tian-yau", ambient: try! ProjectiveAmbient([3, 3]), equations: eqs)
    }

    /// A built-in by name (`fermat-quintic`, `dwork-quintic`, `quartic-k3`, `cubic-torus`, `bicubic`, `tian-yau`),
    /// or nil. `psi` is used by `dwork-quintic`.
    public static func builtIn(_ name: String, psi: ComplexDouble = .zero) -> Variety? {
        switch name.lowercased() {
        case "fermat-quintic", "fermat": return .fermatQuintic
        case "dwork-quintic", "dwork": return .dworkQuintic(psi: psi)
        case "quartic-k3", "k3": return .quarticK3
        case "cubic-torus", "torus": return .cubicTorus
        case "bicubic": return .bicubic
        case "tian-yau", "tianyau": return .tianYau
        default: return nil
        }
    }

    /// Names accepted by `builtIn`.
    public static let builtInNames = ["fermat-quintic", "dwork-quintic", "quartic-k3", "cubic-torus", "bicubic", "tian-yau"]
}

// MARK: singular points

/// A point of the singular locus found by `Variety.findSingularPoint`.
public struct SingularPoint: Sendable {
    /// Patch-normalised homogeneous coordinates.
    public let point: [ComplexDouble]
    /// Residual ‖(Q, Σ_a λ_a ∇Q_a)‖ relative to the equations' scale.
    public let residual: Double
}

extension Variety {
    /// Searches for a singular point of X: z with Q_a(z) = 0 and rank(∂Q_a/∂z_j) < K, i.e. Σ_a λ_a ∇Q_a(z) = 0
    /// for some λ ≠ 0 (hypersurface: Q = dQ = 0). Damped Gauss–Newton on (Q_a, Σ_a λ_a ∂Q_a/∂z_j, c·λ − 1) in the
    /// affine patch of the start point, from `starts` random FS-distributed starts (`RandomStream(seed:, stream: s)`).
    /// Returns the first point whose relative residual is below 1e-11, or nil (no proof of smoothness).
    /// E.g. the Dwork quintic at ψ = 1 has the 125 singular points (α^{k_0}, …, α^{k_4}), α⁵ = 1, Σk ≡ 0 mod 5.
    public func findSingularPoint(seed: UInt64 = 0, starts: Int = 64, iterations: Int = 60) -> SingularPoint? {
        let d = coordinateCount, k = equationCount, f = ambient.factorCount
        let nz = d - f, nu = nz + k, ne = k + d + 1
        let scale = (0..<k).map { a in Double(multidegrees[a].reduce(0, +)) * equations[a].coefficientNorm }
        var z = [ComplexDouble](repeating: .zero, count: d), lam = [ComplexDouble](repeating: .zero, count: k), c = lam
        var grads = [ComplexDouble](repeating: .zero, count: k * d), hess = [ComplexDouble](repeating: .zero, count: k * d * d)
        var fval = [ComplexDouble](repeating: .zero, count: ne), jac = [ComplexDouble](repeating: .zero, count: ne * nu)
        var patch = [Int](repeating: 0, count: f)
        func residual() -> Double {
            // F = (Q_a/s_a, Σ λ_a ∂_j Q_a / s_a, c·λ − 1), J = ∂F/∂(z_free, λ)
            for a in 0..<k {
                z.withUnsafeBufferPointer { pz in
                    grads.withUnsafeMutableBufferPointer { pg in fval[a] = equations[a].valueAndGradient(at: pz.baseAddress!, gradient: pg.baseAddress! + a * d) }
                    hess.withUnsafeMutableBufferPointer { ph in equations[a].hessian(at: pz.baseAddress!, into: ph.baseAddress! + a * d * d) }
                }
                fval[a] = fval[a] / ComplexDouble(scale[a], 0)
            }
            var free: [Int] = []
            for j in 0..<d where !patch.contains(j) { free.append(j) }
            for i in 0..<(ne * nu) { jac[i] = .zero }
            for a in 0..<k { for (col, j) in free.enumerated() { jac[a * nu + col] = grads[a * d + j] / ComplexDouble(scale[a], 0) } }
            for j in 0..<d {
                var s = ComplexDouble.zero
                for a in 0..<k { s = s + lam[a] * grads[a * d + j] / ComplexDouble(scale[a], 0) }
                fval[k + j] = s
                for (col, l) in free.enumerated() {
                    var h = ComplexDouble.zero
                    for a in 0..<k { h = h + lam[a] * hess[a * d * d + j * d + l] / ComplexDouble(scale[a], 0) }
                    jac[(k + j) * nu + col] = h
                }
                for a in 0..<k { jac[(k + j) * nu + nz + a] = grads[a * d + j] / ComplexDouble(scale[a], 0) }
            }
            var s = ComplexDouble(-1, 0)
            for a in 0..<k { s = s + c[a] * lam[a]; jac[(k + d) * nu + nz + a] = c[a] }
            fval[k + d] = s
            return fval.reduce(0) { $0 + $1.lengthSquared }.squareRoot()
        }
        for st in 0..<starts {
            var rng = RandomStream(seed: seed, stream: UInt64(st))
            let raw = rng.onSphere(dimension: 2 * d + 4 * k)
            for j in 0..<d { z[j] = ComplexDouble(raw[2 * j], raw[2 * j + 1]) }
            for a in 0..<k { c[a] = ComplexDouble(raw[2 * d + 2 * a], raw[2 * d + 2 * a + 1]); lam[a] = ComplexDouble(raw[2 * d + 2 * k + 2 * a], raw[2 * d + 2 * k + 2 * a + 1]) }
            var cl = ComplexDouble.zero
            for a in 0..<k { cl = cl + c[a] * lam[a] }
            for a in 0..<k { lam[a] = lam[a] / cl }
            z.withUnsafeMutableBufferPointer { pz in patch.withUnsafeMutableBufferPointer { Patch.normalise(pz.baseAddress!, ambient: ambient, patch: $0.baseAddress!) } }
            var res = residual()
            var mu = 1e-3
            for _ in 0..<iterations {
                if res < 1e-13 { break }
                // (JᴴJ + μ diag) δ = −Jᴴ F
                var a = [ComplexDouble](repeating: .zero, count: nu * nu), b = [ComplexDouble](repeating: .zero, count: nu)
                for p in 0..<nu {
                    for q in 0..<nu {
                        var s = ComplexDouble.zero
                        for e in 0..<ne { s = s + jac[e * nu + p].conjugate * jac[e * nu + q] }
                        a[p * nu + q] = s
                    }
                    var s = ComplexDouble.zero
                    for e in 0..<ne { s = s + jac[e * nu + p].conjugate * fval[e] }
                    b[p] = -s
                    a[p * nu + p] = a[p * nu + p] + ComplexDouble(mu * (1 + a[p * nu + p].real), 0)
                }
                let det = a.withUnsafeMutableBufferPointer { pa in b.withUnsafeMutableBufferPointer { SmallComplexLinearAlgebra.solve(pa.baseAddress!, nu, $0.baseAddress!, 1) } }
                if det == .zero { break }
                let (z0, l0) = (z, lam)
                var free: [Int] = []
                for j in 0..<d where !patch.contains(j) { free.append(j) }
                for (col, j) in free.enumerated() { z[j] = z[j] + b[col] }
                for a2 in 0..<k { lam[a2] = lam[a2] + b[nz + a2] }
                let newRes = residual()
                if newRes < res && newRes.isFinite {
                    res = newRes; mu = max(mu / 10, 1e-12)
                    // move to the patch of the largest coordinate when it changes
                    if z.contains(where: { $0.length > 1.5 }) {
                        z.withUnsafeMutableBufferPointer { pz in patch.withUnsafeMutableBufferPointer { Patch.normalise(pz.baseAddress!, ambient: ambient, patch: $0.baseAddress!) } }
                        res = residual()
                    }
                } else {
                    z = z0; lam = l0; mu *= 10
                    res = residual()
                    if mu > 1e8 { break }
                }
            }
            if res < 1e-11 {
                z.withUnsafeMutableBufferPointer { pz in patch.withUnsafeMutableBufferPointer { Patch.normalise(pz.baseAddress!, ambient: ambient, patch: $0.baseAddress!) } }
                return SingularPoint(point: z, residual: res)
            }
        }
        return nil
    }
}

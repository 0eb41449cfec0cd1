import Foundation

/// Gaussian quadrature rules (nodes and weights), computed by Newton iteration on the orthogonal
/// polynomials' three-term recurrences.
public struct QuadratureRule: Sendable {
    /// Nodes x_i.
    public let nodes: [Double]
    /// Weights w_i, paired with `nodes`.
    public let weights: [Double]

    /// Gauss–Legendre rule on [−1, 1]: ∫_{−1}^{1} f(x) dx ≈ Σ_i w_i f(x_i), exact for polynomials of degree ≤ 2n−1.
    /// Computed once per n and process (the kernel maps ask for the same rule at every entry).
    public static func gaussLegendre(_ n: Int) -> QuadratureRule {
        RuleCache.shared.rule(.legendre, n) { computeGaussLegendre(n) }
    }

    static func computeGaussLegendre(_ n: Int) -> QuadratureRule {
        precondition(n >= 1)
        var x = [Double](repeating: 0, count: n), w = [Double](repeating: 0, count: n)
        let m = (n + 1) / 2
        for i in 0..<m {
            var z = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var pp = 0.0
            for _ in 0..<100 {
                var p1 = 1.0, p2 = 0.0
                for j in 1...n { let p3 = p2; p2 = p1; p1 = ((2 * Double(j) - 1) * z * p2 - (Double(j) - 1) * p3) / Double(j) }
                pp = Double(n) * (z * p1 - p2) / (z * z - 1)
                let z1 = z
                z = z1 - p1 / pp
                if abs(z - z1) < 1e-15 { break }
            }
            x[i] = -z; x[n - 1 - i] = z
            w[i] = 2 / ((1 - z * z) * pp * pp); w[n - 1 - i] = w[i]
        }
        return QuadratureRule(nodes: x, weights: w)
    }

    /// Gauss–Legendre rule mapped to [a, b].
    public static func gaussLegendre(_ n: Int, on a: Double, _ b: Double) -> QuadratureRule {
        let r = gaussLegendre(n)
        let h = (b - a) / 2, c = (a + b) / 2
        return QuadratureRule(nodes: r.nodes.map { c + h * $0 }, weights: r.weights.map { h * $0 })
    }

    /// Gauss–Hermite rule for the standard normal measure: E[f(Z)] ≈ Σ_i w_i f(x_i), Z ~ N(0, 1)
    /// (the physicists' rule for e^{−t²} rescaled by x = √2 t, w = w_t/√π; the weights sum to 1). Computed once
    /// per n and process.
    public static func gaussHermiteNormal(_ n: Int) -> QuadratureRule {
        RuleCache.shared.rule(.hermiteNormal, n) { computeGaussHermiteNormal(n) }
    }

    static func computeGaussHermiteNormal(_ n: Int) -> QuadratureRule {
        precondition(n >= 1)
        // Beyond ≈ 150 nodes the Hermite recurrence below overflows at the outer nodes (its polynomials grow like
        // z^n there): Golub–Welsch instead — the nodes are the eigenvalues of the Jacobi matrix of the normal
        // weight (zero diagonal, off-diagonal √k), the weights the squared first components of its unit eigenvectors.
        if n > 100 { return golubWelschHermiteNormal(n) }
        var x = [Double](repeating: 0, count: n), w = [Double](repeating: 0, count: n)
        let m = (n + 1) / 2
        let pim4 = 0.7511255444649425   // π^{−1/4}
        var z = 0.0
        for i in 0..<m {
            switch i {
            case 0: z = (2 * Double(n) + 1).squareRoot() - 1.85575 * pow(2 * Double(n) + 1, -0.16667)
            case 1: z -= 1.14 * pow(Double(n), 0.426) / z
            case 2: z = 1.86 * z - 0.86 * x[0]
            case 3: z = 1.91 * z - 0.91 * x[1]
            default: z = 2 * z - x[i - 2]
            }
            var pp = 0.0
            for _ in 0..<200 {
                var p1 = pim4, p2 = 0.0
                for j in 1...n {
                    let p3 = p2; p2 = p1
                    p1 = z * (2 / Double(j)).squareRoot() * p2 - ((Double(j) - 1) / Double(j)).squareRoot() * p3
                }
                pp = (2 * Double(n)).squareRoot() * p2
                let z1 = z
                z = z1 - p1 / pp
                if abs(z - z1) <= 1e-14 * max(1, abs(z)) { break }
            }
            x[i] = z; x[n - 1 - i] = -z
            w[i] = 2 / (pp * pp); w[n - 1 - i] = w[i]
        }
        // Physicists' nodes t with weights for e^{−t²}; map to the standard normal.
        let s = 1 / Double.pi.squareRoot()
        let nodes = x.map { $0 * 2.0.squareRoot() }.reversed()
        let weights = w.map { $0 * s }.reversed()
        return QuadratureRule(nodes: Array(nodes), weights: Array(weights))
    }

    /// Gauss–Hermite for the standard normal by Golub–Welsch (`computeGaussHermiteNormal` for n > 100): weights that
    /// underflow (outer nodes, w < 1e-300) are 0.
    static func golubWelschHermiteNormal(_ n: Int) -> QuadratureRule {
        guard let values = try? LinearAlgebra.symmetricTridiagonalEigenvalues(diagonal: [Double](repeating: 0, count: n),
                                                                             offDiagonal: (1..<n).map { Double($0).squareRoot() }) else {
            preconditionFailure("Gauss–Hermite: the Jacobi matrix of \(n) nodes has no eigenvalues")
        }
        // Symmetrise the nodes (the rule is even): x_i = −x_{n−1−i}.
        var x = values
        for i in 0..<(n / 2) { let xs = (x[n - 1 - i] - x[i]) / 2; x[i] = -xs; x[n - 1 - i] = xs }
        if n % 2 == 1 { x[n / 2] = 0 }
        // Weights w_i = 1/(n h_{n−1}(x_i)²) (h_k the orthonormal Hermite polynomials; Christoffel–Darboux at the zeros
        // of h_n), with h_{n−1} by its recurrence rescaled by powers of 2 — to relative accuracy even where w_i is
        // 1e-250 (the squared eigenvector components are accurate only to ≈ 1e-32 absolute, and the polynomials a rule
        // integrates grow like 1e200 there).
        var w = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var a = 1.0, b = x[i], e = 0.0   // h_{k−1}, h_k scaled by 2^{−e}
            if n == 1 { b = 1 }
            var k = 1
            while k < n - 1 {
                let next = (x[i] * b - Double(k).squareRoot() * a) / Double(k + 1).squareRoot()
                a = b; b = next; k += 1
                if abs(b) > 0x1p500 { a *= 0x1p-500; b *= 0x1p-500; e += 500 }
            }
            let logH = log(abs(b)) + e * log(2.0)
            w[i] = exp(-log(Double(n)) - 2 * logH)
        }
        for i in 0..<(n / 2) { let ws = (w[i] + w[n - 1 - i]) / 2; w[i] = ws; w[n - 1 - i] = ws }
        let total = w.reduce(0, +)
        return QuadratureRule(nodes: x, weights: w.map { $0 / total })
    }

    /// Σ_i w_i f(x_i).
    @inlinable
    public func integrate(_ f: (Double) -> Double) -> Double {
        var s = 0.0
        for i in 0..<nodes.count { s += weights[i] * f(nodes[i]) }
        return s
    }
}

/// Composite Gauss–Legendre integration of f over [a, b] split at `breaks` (sorted, inside (a, b)) and
/// into panels no longer than `maxPanel`, with `order` nodes per panel.
public func integrateComposite(_ a: Double, _ b: Double, breaks: [Double] = [], maxPanel: Double = .infinity,
                               order: Int = 16, _ f: (Double) -> Double) -> Double {
    let rule = QuadratureRule.gaussLegendre(order)
    var edges = [a] + breaks.filter { $0 > a && $0 < b }.sorted() + [b]
    if maxPanel.isFinite {
        var refined: [Double] = [edges[0]]
        for k in 1..<edges.count {
            let lo = edges[k - 1], hi = edges[k]
            let n = max(1, Int(((hi - lo) / maxPanel).rounded(.up)))
            for j in 1...n { refined.append(lo + (hi - lo) * Double(j) / Double(n)) }
        }
        edges = refined
    }
    var total = 0.0
    for k in 1..<edges.count {
        let lo = edges[k - 1], hi = edges[k]
        let h = (hi - lo) / 2, c = (hi + lo) / 2
        var s = 0.0
        for i in 0..<rule.nodes.count { s += rule.weights[i] * f(c + h * rule.nodes[i]) }
        total += h * s
    }
    return total
}

/// E[f(u, v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]) by a tensor Gauss–Hermite rule of `degree`
/// nodes per axis: u = √k11·s, v = (k12/√k11)·s + √(k22 − k12²/k11)·t, s, t ~ N(0, 1).
public func gaussHermite2D(k11: Double, k12: Double, k22: Double, degree: Int, _ f: (Double, Double) -> Double) -> Double {
    let r = QuadratureRule.gaussHermiteNormal(degree)
    let a = k11.squareRoot()
    let c = a > 0 ? k12 / a : 0
    let e = max(0, k22 - c * c).squareRoot()
    var s = 0.0
    for i in 0..<degree {
        var inner = 0.0
        for j in 0..<degree { inner += r.weights[j] * f(a * r.nodes[i], c * r.nodes[i] + e * r.nodes[j]) }
        s += r.weights[i] * inner
    }
    return s
}

/// E[f(u, v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]) when f is smooth except across the axes u = 0 and v = 0
/// (an activation with a kink in φ or φ' at 0, e.g. ELU, in E[φ(u)φ(v)] or E[φ'(u)φ'(v)]), where a tensor
/// Gauss–Hermite rule converges only algebraically. With u = √k11·s, v = c·s + e·t (as `gaussHermite2D`) and
/// (s, t) = r(cos α, sin α):
///   E[f] = (1/2π) ∫₀^{2π} dα ∫₀^∞ r e^{−r²/2} f(u(r, α), v(r, α)) dr,
/// the angle split at the four rays where u or v vanishes (on each sector f is smooth), `degree`/2 Gauss–Legendre
/// nodes per sector in α and `degree` in r ∈ [0, 12] (e^{−72} truncation). 2·degree² evaluations of f.
public func gaussianExpectation2DSplitAtAxes(k11: Double, k12: Double, k22: Double, degree: Int,
                                             _ f: (Double, Double) -> Double) -> Double {
    let a = k11.squareRoot()
    let c = a > 0 ? k12 / a : 0
    let e = max(0, k22 - c * c).squareRoot()
    let twoPi = 2 * Double.pi
    func wrapped(_ x: Double) -> Double { let y = x.truncatingRemainder(dividingBy: twoPi); return y < 0 ? y + twoPi : y }
    let ray = atan2(-c, e)   // v = 0
    var cuts = [0, Double.pi / 2, 3 * Double.pi / 2, wrapped(ray), wrapped(ray + Double.pi), twoPi]
    cuts.sort()
    // Nodes r on [0, 12] with the weights w·r·e^{−r²/2} folded in (once per degree and process).
    let radial = RuleCache.shared.rule(.radialGaussian, max(degree, 2)) {
        let r = QuadratureRule.gaussLegendre(max(degree, 2), on: 0, 12)
        return QuadratureRule(nodes: r.nodes, weights: zip(r.nodes, r.weights).map { x, w in w * x * Foundation.exp(-x * x / 2) })
    }
    let radialWeights = radial.weights
    let angular = QuadratureRule.gaussLegendre(max(degree / 2, 2))
    var total = 0.0
    for k in 1..<cuts.count where cuts[k] - cuts[k - 1] > 1e-15 {
        let half = (cuts[k] - cuts[k - 1]) / 2, mid = (cuts[k] + cuts[k - 1]) / 2
        var sector = 0.0
        for (x, wa) in zip(angular.nodes, angular.weights) {
            let al = mid + half * x
            let cu = a * Foundation.cos(al), cv = c * Foundation.cos(al) + e * Foundation.sin(al)
            var inner = 0.0
            for (r, wr) in zip(radial.nodes, radialWeights) { inner += wr * f(r * cu, r * cv) }
            sector += wa * inner
        }
        total += half * sector
    }
    return total / twoPi
}

/// Quadrature rules by (kind, n), computed once per process and shared between threads.
final class RuleCache: @unchecked Sendable {
    enum Kind: Hashable { case legendre, hermiteNormal, radialGaussian }
    struct Key: Hashable { let kind: Kind; let n: Int }
    static let shared = RuleCache()
    private var rules: [Key: QuadratureRule] = [:]
    private let lock = NSLock()

    func rule(_ kind: Kind, _ n: Int, _ build: () -> QuadratureRule) -> QuadratureRule {
        let key = Key(kind: kind, n: n)
        lock.lock()
        if let r = rules[key] { lock.unlock(); return r }
        lock.unlock()
        let r = build()
        lock.lock(); rules[key] = r; lock.unlock()
        return r
    }
}

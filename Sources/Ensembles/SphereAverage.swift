import Foundation
import NumericCore

/// Averages over the unit sphere S^{r−1} ⊂ ℝ^r (r = 1, 2, 3) of products of rectified linear forms,
/// avg_ω Π_k relu(a_k·ω), which are exact up to quadrature round-off: the integrand is smooth on each
/// cell cut out by the great circles a_k·ω = 0, and the cells are integrated separately.
///
/// r = 2: ω = (cos t, sin t); the circle is split at every zero of a_k·ω and each arc integrated by
/// 24-point Gauss–Legendre. r = 3: ω = (sin θ cos φ, sin θ sin φ, cos θ); for each θ the φ-circle is
/// split as for r = 2, and the θ integral is split where a latitude circle touches a great circle or
/// passes a vertex a_i × a_j, each piece mapped by θ = θ₀ + (θ₁−θ₀)(1−cos πu)/2 to remove the
/// square-root end-point behaviour.
enum SphereAverage {
    static let rule = QuadratureRule.gaussLegendre(24)

    static func productOfRelus(_ a: [[Double]], _ w: [Double]) -> Double {
        var prod = 1.0
        for ak in a {
            var z = 0.0
            for j in 0..<w.count { z += ak[j] * w[j] }
            if z <= 0 { return 0 }
            prod *= z
        }
        return prod
    }

    /// ∫₀^{2π} f(φ) dφ where f is smooth between the given break angles.
    static func circleIntegral(breaks: [Double], _ f: (Double) -> Double) -> Double {
        var cuts = breaks.map { x -> Double in
            var y = x.truncatingRemainder(dividingBy: 2 * Double.pi)
            if y < 0 { y += 2 * Double.pi }
            return y
        }
        cuts.append(0); cuts.append(2 * Double.pi)
        cuts.sort()
        var total = 0.0
        for k in 1..<cuts.count {
            let lo = cuts[k - 1], hi = cuts[k]
            if hi - lo < 1e-15 { continue }
            let h = (hi - lo) / 2, c = (hi + lo) / 2
            if f(c) == 0 && f(lo + 0.25 * (hi - lo)) == 0 { continue }
            var s = 0.0
            for i in 0..<rule.nodes.count { s += rule.weights[i] * f(c + h * rule.nodes[i]) }
            total += h * s
        }
        return total
    }

    /// Zeros in φ of α + β cos φ + γ sin φ.
    static func zeros(_ alpha: Double, _ beta: Double, _ gamma: Double) -> [Double] {
        let A = (beta * beta + gamma * gamma).squareRoot()
        guard A > 0, abs(alpha) <= A else { return [] }
        let phi0 = atan2(gamma, beta), delta = acos(-alpha / A)
        return [phi0 + delta, phi0 - delta]
    }

    static func average(_ a: [[Double]], dimension r: Int) -> Double {
        switch r {
        case 1:
            return 0.5 * (productOfRelus(a, [1]) + productOfRelus(a, [-1]))
        case 2:
            let breaks = a.flatMap { zeros(0, $0[0], $0[1]) }
            return circleIntegral(breaks: breaks) { t in productOfRelus(a, [cos(t), sin(t)]) } / (2 * Double.pi)
        case 3:
            var thetaBreaks: [Double] = []
            for ak in a {
                let rho = (ak[0] * ak[0] + ak[1] * ak[1]).squareRoot()
                let t = atan2(abs(ak[2]), rho)
                thetaBreaks += [t, Double.pi - t]
            }
            for i in 0..<a.count {
                for j in (i + 1)..<a.count {
                    let c = [a[i][1] * a[j][2] - a[i][2] * a[j][1], a[i][2] * a[j][0] - a[i][0] * a[j][2],
                             a[i][0] * a[j][1] - a[i][1] * a[j][0]]
                    let n = (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).squareRoot()
                    if n > 0 { let t = acos(max(-1, min(1, c[2] / n))); thetaBreaks += [t, Double.pi - t] }
                }
            }
            var cuts = ([0, Double.pi] + thetaBreaks.filter { $0 > 0 && $0 < Double.pi }).sorted()
            cuts = cuts.enumerated().filter { $0.offset == 0 || $0.element - cuts[$0.offset - 1] > 1e-14 }.map { $0.element }
            var total = 0.0
            for k in 1..<cuts.count {
                let t0 = cuts[k - 1], t1 = cuts[k]
                var s = 0.0
                for i in 0..<rule.nodes.count {
                    let u = (rule.nodes[i] + 1) / 2
                    let theta = t0 + (t1 - t0) * (1 - cos(Double.pi * u)) / 2
                    let jac = (t1 - t0) * Double.pi * sin(Double.pi * u) / 2
                    let st = sin(theta), ct = cos(theta)
                    let breaks = a.flatMap { zeros($0[2] * ct, $0[0] * st, $0[1] * st) }
                    let inner = circleIntegral(breaks: breaks) { p in productOfRelus(a, [st * cos(p), st * sin(p), ct]) }
                    s += rule.weights[i] * jac * st * inner
                }
                total += s / 2    // Gauss–Legendre on u ∈ [0, 1]: weights/2
            }
            return total / (4 * Double.pi)
        default:
            preconditionFailure("SphereAverage: dimension \(r) not supported")
        }
    }
}

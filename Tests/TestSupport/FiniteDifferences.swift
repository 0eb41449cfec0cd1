import Numerics
import NumericCore

// Finite-difference derivatives for checking analytic ones. Each takes the function as a function of the
// displacement s (f(s) = F(x + s·e) for the direction e under test), so the caller decides what is shifted.
// Truncation errors are for a smooth F; the round-off of each is ≈ ε·|F|/h (ε = 2.2·10⁻¹⁶).

/// F′ ≈ [f(h) − f(−h)]/(2h): truncation h²/6·|F‴|.
public func centralDifference(step h: Double, _ f: (Double) throws -> Double) rethrows -> Double {
    (try f(h) - f(-h)) / (2 * h)
}

/// The central difference [f(h) − f(−h)]/(2h) of every component of a vector function (truncation h²/6·|F‴| each).
public func centralDifferences(step h: Double, _ f: (Double) throws -> [Double]) rethrows -> [Double] {
    let plus = try f(h), minus = try f(-h)
    precondition(plus.count == minus.count, "central differences: \(plus.count) vs \(minus.count) components")
    return zip(plus, minus).map { ($0 - $1) / (2 * h) }
}

/// The central difference [f(h) − f(−h)]/(2h) of every component of a complex vector function along a real
/// displacement (for a holomorphic F and a real step: ∂F/∂z), truncation h²/6·|F‴| each.
public func complexCentralDifferences(step h: Double, _ f: (Double) throws -> [Complex<Double>]) rethrows -> [Complex<Double>] {
    let plus = try f(h), minus = try f(-h)
    precondition(plus.count == minus.count, "central differences: \(plus.count) vs \(minus.count) components")
    return zip(plus, minus).map { ($0 - $1) / Complex(2 * h, 0) }
}

/// The fourth-order central difference [8(f(h) − f(−h)) − (f(2h) − f(−2h))]/(12h) of every component:
/// truncation h⁴/30·|F⁽⁵⁾| each.
public func fourthOrderCentralDifferences(step h: Double, _ f: (Double) throws -> [Double]) rethrows -> [Double] {
    let e = try [h, -h, 2 * h, -2 * h].map(f)
    precondition(e.allSatisfy { $0.count == e[0].count }, "central differences: components differ in number")
    return (0..<e[0].count).map { (8 * (e[0][$0] - e[1][$0]) - (e[2][$0] - e[3][$0])) / (12 * h) }
}

/// The fourth-order central difference [8(f(h) − f(−h)) − (f(2h) − f(−2h))]/(12h) of a scalar function:
/// truncation h⁴/30·|F⁽⁵⁾|.
public func fourthOrderCentralDifference(step h: Double, _ f: (Double) throws -> Double) rethrows -> Double {
    let plus = try f(h), minus = try f(-h), plus2 = try f(2 * h), minus2 = try f(-2 * h)
    return (8 * (plus - minus) - (plus2 - minus2)) / (12 * h)
}

/// The five-point second difference [−f(2h) + 16f(h) − 30f(0) + 16f(−h) − f(−2h)]/(12h²) of every component:
/// truncation h⁴/90·|F⁽⁶⁾| each, round-off ≈ ε·|F|/h².
public func fivePointSecondDifferences(step h: Double, _ f: (Double) throws -> [Double]) rethrows -> [Double] {
    let v = try [2 * h, h, 0, -h, -2 * h].map(f)
    precondition(v.allSatisfy { $0.count == v[0].count }, "second differences: components differ in number")
    return (0..<v[0].count).map { (-v[0][$0] + 16 * v[1][$0] - 30 * v[2][$0] + 16 * v[3][$0] - v[4][$0]) / (12 * h * h) }
}

/// ∂F/∂θ_k at θ for each k of `indices` (all parameters by default), in that order, by the central difference
/// [F(θ + h e_k) − F(θ − h e_k)]/(2h) (truncation h²/6·|∂³_k F|).
public func centralDifferenceGradient(at theta: [Double], step h: Double, indices: [Int]? = nil,
                                      _ f: ([Double]) throws -> Double) rethrows -> [Double] {
    try (indices ?? Array(theta.indices)).map { k in
        try centralDifference(step: h) { s in
            var shifted = theta
            shifted[k] += s
            return try f(shifted)
        }
    }
}

/// ∂F/∂θ_k of a vector function at θ for every parameter k: row k holds the central differences
/// [F(θ + h e_k) − F(θ − h e_k)]/(2h) of all components (truncation h²/6·|∂³_k F| each).
public func centralDifferenceJacobian(at theta: [Double], step h: Double, _ f: ([Double]) throws -> [Double]) rethrows -> [[Double]] {
    try theta.indices.map { k in
        try centralDifferences(step: h) { s in
            var shifted = theta
            shifted[k] += s
            return try f(shifted)
        }
    }
}

/// Wirtinger derivatives ∂F = ½(∂_x − i∂_y)F and ∂̄F = ½(∂_x + i∂_y)F of a complex vector function of one complex
/// variable z = x + iy, given as f(dz) = F(z₀ + dz), at z₀; ∂_x and ∂_y by the central differences
/// [f(±h), f(±ih)] ([f(h) − f(−h)]/(2h), truncation h²/6·|F‴| each).
public func wirtingerDerivatives(step h: Double, _ f: (Complex<Double>) throws -> [Complex<Double>]) rethrows
    -> (holomorphic: [Complex<Double>], antiholomorphic: [Complex<Double>]) {
    let xp = try f(Complex(h, 0)), xm = try f(Complex(-h, 0)), yp = try f(Complex(0, h)), ym = try f(Complex(0, -h))
    precondition([xm.count, yp.count, ym.count].allSatisfy { $0 == xp.count }, "Wirtinger derivatives: components differ in number")
    var d: [Complex<Double>] = [], dbar: [Complex<Double>] = []
    for k in xp.indices {
        let dx = (xp[k] - xm[k]) / Complex(2 * h, 0), dy = (yp[k] - ym[k]) / Complex(2 * h, 0)
        d.append((dx - Complex(0, 1) * dy) / Complex(2, 0))
        dbar.append((dx + Complex(0, 1) * dy) / Complex(2, 0))
    }
    return (d, dbar)
}

/// The complex Hessian ∂_a∂̄_b F (a, b < n) of a real function F of n complex coordinates, given as f(dx) = F(x₀ + dx),
/// at x₀: ¼[F_{x_a x_b} + F_{y_a y_b} + i(F_{x_a y_b} − F_{y_a x_b})], each real second derivative by the mixed central
/// difference [f(h, h) − f(h, −h) − f(−h, h) + f(−h, −h)]/(4h²) along the two directions s, t (truncation
/// (h²/6)·|∂³_s∂_t F + ∂_s∂³_t F|, round-off ≈ ε·|F|/h²).
public func wirtingerHessian(dimension n: Int, step h: Double, _ f: ([Complex<Double>]) -> Double) -> ComplexMatrix {
    var hessian = ComplexMatrix(rows: n, cols: n)
    for a in 0..<n {
        for b in 0..<n {
            func d2(_ u: Complex<Double>, _ v: Complex<Double>) -> Double {
                func g(_ s: Double, _ t: Double) -> Double {
                    var dx = [Complex<Double>](repeating: .zero, count: n)
                    dx[a] = dx[a] + Complex(s * u.real, s * u.imaginary)
                    dx[b] = dx[b] + Complex(t * v.real, t * v.imaginary)
                    return f(dx)
                }
                return (g(h, h) - g(h, -h) - g(-h, h) + g(-h, -h)) / (4 * h * h)
            }
            let xx = d2(Complex(1, 0), Complex(1, 0)), yy = d2(Complex(0, 1), Complex(0, 1))
            let xy = d2(Complex(1, 0), Complex(0, 1)), yx = d2(Complex(0, 1), Complex(1, 0))
            hessian[a, b] = Complex((xx + yy) / 4, (xy - yx) / 4)
        }
    }
    return hessian
}

/// The tangent kernel K_ab = Σ_k J_ka·J_kb of a Jacobian given by rows per parameter k (as `centralDifferenceJacobian`
/// returns it), summed in the order of k: with finite-difference rows, the empirical NTK to check an analytic one against.
public func tangentKernel(_ jacobian: [[Double]]) -> Matrix {
    let m = jacobian.first?.count ?? 0
    var k = Matrix(rows: m, cols: m)
    for a in 0..<m { for b in 0..<m { k[a, b] = jacobian.reduce(0.0) { $0 + $1[a] * $1[b] } } }
    return k
}

/// A gradient g of F at θ checked along `count` random unit directions e (normal draws from `seed`, normalised): per
/// direction the analytic g·e, the central difference of s ↦ F(θ + s e) at `step`, and the tolerance twice the gap
/// between the second- and fourth-order differences (Richardson's estimate of the truncation) plus `roundoff`/step
/// (pass the round-off of one evaluation of F, e.g. B·ε·|F| for a mean over B terms).
public func directionalDerivativeChecks(theta: [Double], gradient g: [Double], seed: UInt64, count: Int = 3, step: Double,
                                        roundoff: Double, _ f: ([Double]) throws -> Double) rethrows -> [(analytic: Double, difference: Double, tolerance: Double)] {
    precondition(g.count == theta.count, "directional checks: \(g.count) gradient entries for \(theta.count) parameters")
    var rng = RandomStream(seed: seed, stream: 0)
    var out: [(analytic: Double, difference: Double, tolerance: Double)] = []
    for _ in 0..<count {
        var e = (0..<theta.count).map { _ in rng.normal() }
        let n = e.reduce(0) { $0 + $1 * $1 }.squareRoot(); e = e.map { $0 / n }
        let cd = try centralDifference(step: step) { d in try f(zip(theta, e).map { $0 + d * $1 }) }
        let cd4 = try fourthOrderCentralDifference(step: step) { d in try f(zip(theta, e).map { $0 + d * $1 }) }
        out.append((zip(g, e).reduce(0) { $0 + $1.0 * $1.1 }, cd, 2 * abs(cd - cd4) + roundoff / step))
    }
    return out
}

/// Central differences cd = [f(h) − f(−h)]/(2h) of every component of a complex vector function of a real displacement,
/// each with Richardson's tolerance for |cd − f′|: twice the gap to the fourth-order difference from ±h, ±2h (the
/// truncation estimate) plus the round-off of cd, (relative·max(|f(±h)|, |f(±2h)|) + absolute)/h, with the bounds on
/// the rounding error of one evaluation of a component: relative to its value (k·ε for k rounding steps without
/// cancellation) or absolute.
public func richardsonDifferences(step h: Double, relative: Double = 0, absolute: Double = 0,
                                  _ f: (Double) throws -> [Complex<Double>]) rethrows
    -> [(cd: Complex<Double>, tolerance: Double)] {
    let p = try f(h), m = try f(-h), p2 = try f(2 * h), m2 = try f(-2 * h)
    return p.indices.map { j in
        let cd = (p[j] - m[j]) / Complex(2 * h, 0)
        let cd4 = (Complex(8, 0) * (p[j] - m[j]) - (p2[j] - m2[j])) / Complex(12 * h, 0)
        let scale = max(p[j].length, m[j].length, p2[j].length, m2[j].length)
        return (cd, 2 * (cd - cd4).length + (relative * scale + absolute) / h)
    }
}

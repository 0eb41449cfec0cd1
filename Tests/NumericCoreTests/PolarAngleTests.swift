import Foundation
import Testing
@testable import NumericCore

@Suite struct PolarAngleTests {
    /// Distance in units in the last place of the reference (the spacing of doubles at |reference|).
    static func ulps(_ value: Double, _ reference: Double) -> Double {
        abs(value - reference) / reference.magnitude.ulp
    }

    /// Against Foundation's atan2 (correctly rounded to within its own ≤ 1 ulp) over the closed upper half-plane:
    /// points with log-uniform magnitudes over 600 decades (denormals included) in every direction, and points
    /// near the branch boundaries of the algorithm (y = |x|, y = tan(π/8)|x|, x = 0, y = 0, ρ = x/√(x² + y²) near
    /// ±1). The derivation gives ≤ 0.5 ulp (polynomial, 1.1·10⁻¹⁶ relative) + the roundings of u = num/den (the
    /// reduced numerator lo − hi is exact by Sterbenz only near lo = hi, else ≤ 0.5 ulp of atan u) and of the
    /// final additions of π/4, π/2, π (0.5 ulp each, each at most doubling a smaller term's error): ≤ 2 ulp.
    @Test func agreesWithFoundationAtan2() {
        var r = RandomStream(seed: 11, stream: 0)
        var worst = 0.0, worstAt = (0.0, 0.0)
        func check(_ y: Double, _ x: Double) {
            let e = Self.ulps(PolarAngle.angle(y, x), atan2(y, x))
            if e > worst { worst = e; worstAt = (y, x) }
        }
        for k in 0..<300_000 {
            switch k % 5 {
            case 0:  // any direction, moderate magnitudes
                let phi = r.uniform(0, Double.pi), m = r.uniform(0.1, 10)
                check(m * sin(phi), m * cos(phi))
            case 1:  // magnitudes from 10⁻³⁰⁵ (denormal ratios) to 10³⁰⁰ independently
                check(pow(10, r.uniform(-305, 300)), pow(10, r.uniform(-305, 300)) * (r.uniform() < 0.5 ? -1 : 1))
            case 2:  // near y = |x| and y = tan(π/8)|x| (the reduction boundaries)
                let x = r.uniform(0.5, 2) * (r.uniform() < 0.5 ? -1 : 1)
                let t = r.uniform() < 0.5 ? 1.0 : 0.41421356237309503
                check(abs(x) * t * (1 + r.uniform(-1e-6, 1e-6)), x)
            case 3:  // near the axes
                let a = pow(10, r.uniform(-20, 0))
                if r.uniform() < 0.5 { check(a, r.uniform(-2, 2)) } else { check(r.uniform(0, 2), a * (r.uniform() < 0.5 ? -1 : 1)) }
            default:  // arccos ρ = atan2(√(1 − ρ²), ρ) for ρ near ±1 (the kernel maps' use)
                let rho = (1 - pow(10, r.uniform(-16, 0))) * (r.uniform() < 0.5 ? -1 : 1)
                check((1 - rho * rho).squareRoot(), rho)
            }
        }
        #expect(worst <= 2, "worst error \(worst) ulp at (y, x) = \(worstAt)")
    }

    @Test func specialValues() {
        // Exact values on the axes and diagonals.
        #expect(PolarAngle.angle(0, 1) == 0)
        #expect(PolarAngle.angle(0, 0) == 0)
        #expect(PolarAngle.angle(0, -0.0) == 0)
        #expect(PolarAngle.angle(0, -1) == Double.pi)
        #expect(PolarAngle.angle(1, 0) == Double.pi / 2)
        #expect(PolarAngle.angle(2, 2) == Double.pi / 4)
        #expect(Self.ulps(PolarAngle.angle(2, -2), atan2(2.0, -2.0)) <= 1)
        // Denormals: atan2(tiny, 1) = tiny, atan2(1, −tiny) = π/2 + tiny (rounds to π/2).
        let tiny = Double.leastNonzeroMagnitude
        #expect(PolarAngle.angle(tiny, 1) == tiny)
        #expect(Self.ulps(PolarAngle.angle(3 * tiny, 2 * tiny), atan2(3 * tiny, 2 * tiny)) <= 2)
        #expect(PolarAngle.angle(1, -tiny) == Double.pi / 2)
        // One infinite argument: the limits; NaN propagates; both infinite is outside the domain (NaN).
        #expect(PolarAngle.angle(.infinity, 3) == Double.pi / 2)
        #expect(PolarAngle.angle(3, .infinity) == 0)
        #expect(PolarAngle.angle(3, -.infinity) == Double.pi)
        #expect(PolarAngle.angle(.nan, 1).isNaN)
        #expect(PolarAngle.angle(1, .nan).isNaN)
        #expect(PolarAngle.angle(0, .nan).isNaN)
        #expect(PolarAngle.angle(.nan, 0).isNaN)
        #expect(PolarAngle.angle(.infinity, .infinity).isNaN)
    }

    /// The lane and bulk forms give the scalar form's bits, for every count (tails) and with `out` aliasing `x`,
    /// special values included.
    @Test func lanesAndBulkMatchScalar() {
        var r = RandomStream(seed: 12, stream: 0)
        let specials: [Double] = [0, -0.0, 1, -1, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        for count in [0, 1, 3, 4, 5, 7, 8, 9, 31, 128, 131] {
            var y = (0..<count).map { _ in pow(10, r.uniform(-10, 10)) * r.uniform() }
            var x = (0..<count).map { _ in pow(10, r.uniform(-10, 10)) * r.uniform(-1, 1) }
            for i in 0..<count where r.uniform() < 0.2 {
                y[i] = abs(specials[Int(r.uniform(0, 9))]); x[i] = specials[Int(r.uniform(0, 9))]
            }
            var out = [Double](repeating: 0, count: count)
            y.withUnsafeBufferPointer { yb in x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { ob in
                if count > 0 { PolarAngle.angles(y: yb.baseAddress!, x: xb.baseAddress!, into: ob.baseAddress!, count: count) }
            } } }
            for i in 0..<count {
                let s = PolarAngle.angle(y[i], x[i])
                #expect(out[i].bitPattern == s.bitPattern || (out[i].isNaN && s.isNaN), "count \(count), entry \(i): (\(y[i]), \(x[i]))")
            }
            for i in stride(from: 0, to: count - 1, by: 2) {
                let v = PolarAngle.angle(SIMD2(y[i], y[i + 1]), SIMD2(x[i], x[i + 1]))
                #expect(v[0].bitPattern == out[i].bitPattern || v[0].isNaN && out[i].isNaN)
                #expect(v[1].bitPattern == out[i + 1].bitPattern || v[1].isNaN && out[i + 1].isNaN)
            }
            // In place: out aliasing x.
            var xx = x
            y.withUnsafeBufferPointer { yb in xx.withUnsafeMutableBufferPointer { xb in
                if count > 0 { PolarAngle.angles(y: yb.baseAddress!, x: UnsafePointer(xb.baseAddress!), into: xb.baseAddress!, count: count) }
            } }
            #expect(zip(xx, out).allSatisfy { $0.bitPattern == $1.bitPattern || $0.isNaN && $1.isNaN })
        }
    }
}

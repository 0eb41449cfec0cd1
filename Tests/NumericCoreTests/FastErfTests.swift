import Foundation
import Testing
@testable import NumericCore

@Suite struct FastErfTests {
    /// Against the C library's erf over magnitudes from 10⁻³⁰⁰ to 8, both signs: absolute error ≤ 5·10⁻¹⁶
    /// (a few ulps of 1, the Horner round-off), and relative error ≤ 4·10⁻¹⁶ for |x| < 1/8 (series branch).
    @Test func agreesWithLibraryErf() {
        var r = RandomStream(seed: 4, stream: 0)
        let e = FastErf.Evaluator()
        var worst = 0.0, worstRelSmall = 0.0
        for k in 0..<400_000 {
            let x: Double = k % 4 == 0 ? r.uniform(-8, 8) : (k % 4 == 1 ? pow(10, r.uniform(-300, 0.9)) * (r.uniform() < 0.5 ? -1 : 1) : r.uniform(-0.2, 0.2))
            let exact = Foundation.erf(x)
            let err = abs(e(x) - exact)
            worst = max(worst, err)
            if abs(x) < 0.125 { worstRelSmall = max(worstRelSmall, err / max(abs(exact), .leastNormalMagnitude)) }
        }
        #expect(worst < 5e-16, "worst absolute error \(worst)")
        #expect(worstRelSmall < 4e-16, "worst relative error below 1/8: \(worstRelSmall)")
        #expect(FastErf.erf(.nan).isNaN)
        #expect(FastErf.erf(.infinity) == 1 && FastErf.erf(-.infinity) == -1 && FastErf.erf(0) == 0)
    }
}

@Suite struct FastErfSIMDTests {
    /// The four-lane version gives the scalar version's values, special values included.
    @Test func lanesMatchScalar() {
        let table = FastErf.Evaluator().table
        var r = RandomStream(seed: 8, stream: 1)
        var xs: [Double] = [0, -0.0, 0.1249, 0.125, -5.99, 6, -7, .infinity, -.infinity, 0x1p-1030, 3.2, -0.7]
        for _ in 0..<4000 { xs.append(r.uniform(-7, 7)) }
        for k in stride(from: 0, to: xs.count - 3, by: 4) {
            let v = FastErf.erf(SIMD4(xs[k], xs[k + 1], xs[k + 2], xs[k + 3]), table: table)
            for l in 0..<4 { #expect(abs(v[l] - FastErf.erf(xs[k + l])) <= 2.3e-16, "x = \(xs[k + l])") }
        }
        #expect(FastErf.erf(SIMD4(.nan, 1, 2, 3), table: table)[0].isNaN)
    }
}

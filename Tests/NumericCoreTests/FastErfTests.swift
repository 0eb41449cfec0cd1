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

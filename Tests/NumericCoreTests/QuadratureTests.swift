import Foundation
import Testing
@testable import NumericCore

@Suite struct QuadratureTests {
    @Test func gaussLegendreIsExactForPolynomials() {
        let r = QuadratureRule.gaussLegendre(10)
        for k in 0...19 {
            let exact = k % 2 == 1 ? 0 : 2 / Double(k + 1)
            #expect(abs(r.integrate { pow($0, Double(k)) } - exact) < 1e-14)
        }
        #expect(abs(integrateComposite(0, .pi, maxPanel: 0.5) { sin($0) } - 2) < 1e-14)
    }

    /// E[Z^{2k}] = (2k−1)!! for the standard normal; E[cos(aZ)] = e^{−a²/2}.
    @Test(arguments: [20, 60, 120, 150]) func gaussHermiteMoments(n: Int) {
        let r = QuadratureRule.gaussHermiteNormal(n)
        #expect(abs(r.weights.reduce(0, +) - 1) < 1e-13)
        var dfact = 1.0
        for k in 1...8 {
            dfact *= Double(2 * k - 1)
            #expect(abs(r.integrate { pow($0, Double(2 * k)) } / dfact - 1) < 1e-11)
        }
        #expect(abs(r.integrate { cos(1.5 * $0) } - exp(-1.125)) < 1e-13)
    }
}

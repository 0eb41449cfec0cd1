import Foundation
import Testing
@testable import Training

@Suite struct ExpressionTests {
    @Test func evaluates() throws {
        let e = try TorusExpression("u = 0.5*cos(x) + 0.2*sin(2*y)", dimension: 2)
        #expect(abs(e([0.3, 1.1]) - (0.5 * cos(0.3) + 0.2 * sin(2.2))) < 1e-15)
        let f = try TorusExpression("-x^2/2 + exp(sqrt(y)) - 2^3^2 + 1.5e-1*z + pi", dimension: 3)
        #expect(abs(f([1.5, 0.25, 2]) - (-1.125 + exp(0.5) - 512 + 0.3 + .pi)) < 1e-12)
    }

    @Test(arguments: [("u = 0.5*cos(q)", "'q'"), ("u = 0.5*", "end of input"), ("sin(x", "')'"), ("x + z", "'z'"),
                      ("2 ** x", "'*'"), ("x y", "'y'"), ("foo(x)", "'foo'")])
    func errorsNameTheToken(text: String, needle: String) {
        do { _ = try TorusExpression(text, dimension: 2); Issue.record("'\(text)' parsed") } catch {
            let d = "\(error)"
            #expect(d.contains(needle) && !d.contains("--") && !d.contains("\n"), "\(d)")  // the CLI names the flag
        }
    }
}

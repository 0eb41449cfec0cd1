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

    /// Trees deeper than 200 levels — nested parentheses (whose parsing would exhaust the stack at ≈ 60 000), long
    /// sign runs, or a chain of 30 000 sums (whose evaluation and deallocation recurse once per level) — are one-line
    /// errors; 200 levels parse and evaluate as written.
    @Test func deepExpressionsAreErrors() throws {
        for text in ["u = " + String(repeating: "(", count: 60_000) + "x" + String(repeating: ")", count: 60_000),
                     "u = " + String(repeating: "-", count: 5_000) + "x",
                     "u = " + Array(repeating: "x", count: 30_000).joined(separator: "+")] {
            do {
                _ = try TorusExpression(text, dimension: 2)
                Issue.record("a \(text.count)-character formula parsed")
            } catch {
                #expect("\(error)".contains("nested more than 200 levels") && !"\(error)".contains("\n"))
            }
        }
        let chain = try TorusExpression("u = " + Array(repeating: "x", count: 200).joined(separator: "+"), dimension: 2)
        #expect(abs(chain([0.25, 0]) - 50) < 1e-12)
        let nested = try TorusExpression("u = " + String(repeating: "(", count: 190) + "x" + String(repeating: ")", count: 190), dimension: 2)
        #expect(nested([0.7, 0]) == 0.7)
    }
}

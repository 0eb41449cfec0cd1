import Foundation
import Testing
@testable import Training

/// `train torus` writes snake_case JSON and still reads the camelCase settings of runs written before.
@Suite struct TorusTrainingConfigTests {
    /// Encoded keys are snake_case; the same JSON with every key rewritten in camelCase decodes to the same settings,
    /// and so does the snake_case JSON itself.
    @Test func snakeCaseWrittenCamelCaseRead() throws {
        var c = TorusTrainingConfig()
        c.initExpression = "u = cos(x)"; c.initSteps = 7; c.initRate = 0.02; c.checkpointEvery = 11; c.evalSide = 9
        c.snapshotEvery = 3; c.volumeConstraint = false
        let data = try JSONEncoder().encode(c)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object.keys.allSatisfy { !$0.contains(where: \.isUppercase) }, "\(object.keys.sorted())")
        #expect(object["init_expression"] as? String == "u = cos(x)" && object["eval_side"] as? Int == 9)
        func camel(_ k: String) -> String {
            var out = "", up = false
            for ch in k { if ch == "_" { up = true } else { out += up ? ch.uppercased() : String(ch); up = false } }
            return out
        }
        let old = Dictionary(uniqueKeysWithValues: object.map { (camel($0.key), $0.value) })
        #expect(old["initExpression"] != nil && old["volumeConstraint"] != nil)
        let legacy = try JSONDecoder().decode(TorusTrainingConfig.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(legacy == c)
        #expect(try JSONDecoder().decode(TorusTrainingConfig.self, from: data) == c)
    }
}

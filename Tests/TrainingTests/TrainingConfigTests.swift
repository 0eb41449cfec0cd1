import Foundation
import Testing
@testable import Networks
@testable import NumericCore
@testable import Training

@Suite struct TrainingConfigTests {
    /// `networkOutputs` against the counts written out (conformal: e^u, 1; otherwise the upper triangle n(n+1)/2;
    /// perelman one more, the dilaton f), and a trainer accepts the default network with that many outputs.
    @Test(arguments: [2, 3], CurvatureLoss.allCases)
    func networkOutputsAreTheMetricsAndTheDilaton(n: Int, loss: CurvatureLoss) throws {
        let triangle = [2: 3, 3: 6][n]!
        for (metric, count) in [(MetricParametrization.conformal, 1), (.ldl, triangle), (.components, triangle), (.additive, triangle)] {
            var c = TorusTrainingConfig()
            c.dimension = n; c.metric = metric; c.loss = loss
            #expect(c.networkOutputs == count + (loss == .perelman ? 1 : 0), "\(metric) \(loss) n = \(n)")
            c.net = TorusTrainingConfig.defaultNet(outputs: c.networkOutputs)
            c.points = 64; c.evalSide = 4; c.initSteps = 0; c.initExpression = "u = 0.1*cos(x)"
            _ = try TorusTrainer(config: c)
        }
    }
}

import Foundation
import Testing
@testable import NTK
@testable import Networks
@testable import NumericCore
@testable import Training
import TestSupport

/// The metric-NTK of a network trained by a torus training run, restored from the run's directory: the same
/// `MetricNetwork` (embedding, parametrisation, reference, trained parameters) that training moved.
@Suite struct TrainedMetricNTKTests {
    /// A short run (LDLᵀ metric on T², NTK-parameterised network with biases, fit then ∫R² steps) written to a
    /// directory; returns the directory and the trainer's final model.
    static func trainedRun(metric: MetricParametrization, reference: String? = nil) throws -> (URL, NeuralTorusMetric) {
        var c = TorusTrainingConfig()
        c.metric = metric
        c.reference = reference
        c.net = "Dense(6, W_std=1.3, b_std=0.2) Tanh Dense(\(metric.outputCount(dimension: 2)), W_std=0.1, b_std=0.05)"
        c.harmonics = 1
        c.initExpression = metric == .additive ? nil : "u = 0.3*cos(x)"   // additive: the reference is the start
        c.initSteps = 5
        c.points = 64
        c.steps = 5
        c.rate = 1e-3
        c.evalSide = 8
        c.seed = 4
        let dir = temporaryDirectoryURL(prefix: "nnt-trained")
        let t = try TorusTrainer(config: c)
        try t.run(root: dir)
        return (dir, t.model)
    }

    /// Θ_ijkl of the restored network against Σ_I of central differences (h = 10⁻⁶: truncation h²·|∂³g| ~ 10⁻¹²,
    /// round-off ε|g|/h ~ 10⁻¹⁰ per derivative) of its metric g(x) in every stored parameter θ_I; the restored
    /// parameters are the trainer's final ones, and they differ from the initialisation.
    @Test(arguments: [MetricParametrization.ldl, .conformal, .additive]) func restoredRunMatchesFiniteDifferences(par: MetricParametrization) throws {
        let (dir, model) = try Self.trainedRun(metric: par, reference: par == .additive ? "u = 0.2*sin(y)" : nil)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (restored, step) = try NeuralTorusMetric.trained(from: dir)
        #expect(step == nil)
        let mn0 = restored.metricNetwork
        #expect(restored.network.parameters == model.network.parameters)
        #expect(restored.network.parameters != (try Network(mn0.network.architecture, inputWidth: 4, seed: 4)).parameters)
        let x = Matrix([[0.3, 1.1], [2.5, 4.0], [5.9, 0.2]])
        let mn = restored.metricNetwork
        let theta = try MetricNTK(mn).kernel(x)
        #expect(theta.shape == [3, 3, 2, 2, 2, 2])
        // The restored metric is the trained model's metric (through the curvature route of Training).
        let ev = model.evaluate(x)
        for k in 0..<ev.metric.data.count { #expect(abs(mn.metrics(x).data[k] - ev.metric.data[k]) < 1e-14 * max(1, abs(ev.metric.data[k]))) }
        let grads = centralDifferenceJacobian(at: mn.network.parameters, step: 1e-6) { params in
            var q = mn
            q.network.parameters = params
            return q.metrics(x).data
        }
        let n = 2, kernel = tangentKernel(grads), scale = maxAbs(theta.data)
        var worst = 0.0
        for p in 0..<3 { for q in 0..<3 { for i in 0..<n { for j in 0..<n { for k in 0..<n { for l in 0..<n {
            let fd = kernel[(p * n + i) * n + j, (q * n + k) * n + l]
            worst = max(worst, abs(theta[[p, q, i, j, k, l]] - fd))
        } } } } } }
        #expect(worst < 1e-7 * scale, "\(par): worst |Θ − FD| = \(worst), scale \(scale)")
    }

    /// An interrupted run restores from its newest checkpoint; a directory that is no run is a one-line error.
    @Test func checkpointAndErrors() throws {
        let (dir, model) = try Self.trainedRun(metric: .ldl)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("summary.json"))
        let (restored, step) = try NeuralTorusMetric.trained(from: dir)
        #expect(step == 10)
        #expect(restored.network.parameters == model.network.parameters)
        do { _ = try NeuralTorusMetric.trained(from: dir.appendingPathComponent("nothing")); Issue.record("accepted") } catch {
            #expect("\(error)".contains("does not exist") && !"\(error)".contains("\n"))
        }
    }
}

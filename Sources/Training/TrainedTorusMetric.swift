import Foundation
import Networks
import NumericCore

extension TorusTrainingConfig {
    /// The torus metric this configuration trains, at its initialisation (stream 0 of `seed`): the network
    /// `architecture()` on the embedding of `harmonics` harmonics, the metric parametrisation `metric`, a dilaton
    /// output with the Perelman loss, the `reference` formula of `additive`.
    public func model() throws -> NeuralTorusMetric {
        try NeuralTorusMetric(dimension: dimension, parametrization: metric, architecture: architecture(), harmonics: harmonics,
                              dilaton: loss == .perelman, reference: reference.map { try TorusExpression($0, dimension: dimension) },
                              seed: seed)
    }
}

extension NeuralTorusMetric {
    /// The metric trained by a `nntheory train torus` run in `dir`: its configuration and final parameters from
    /// `summary.json` and `params/theta.npy` when the run finished, otherwise from its newest checkpoint
    /// (`checkpoints/step_…/state.json`, `params.npy`). `step` is the step the parameters belong to (nil: the end
    /// of a finished run).
    public static func trained(from dir: URL) throws -> (metric: NeuralTorusMetric, step: Int?) {
        guard FileManager.default.fileExists(atPath: dir.path) else {
            throw InputError("training run \(dir.path) does not exist, expected the output directory of `nntheory train torus`")
        }
        let summaryURL = dir.appendingPathComponent("summary.json"), thetaURL = dir.appendingPathComponent("params/theta.npy")
        let config: TorusTrainingConfig, theta: [Double], step: Int?
        if FileManager.default.fileExists(atPath: summaryURL.path) && FileManager.default.fileExists(atPath: thetaURL.path) {
            do {
                struct Written: Decodable { let config: TorusTrainingConfig }   // old (camelCase) summaries too
                config = try JSONDecoder().decode(Written.self, from: Data(contentsOf: summaryURL)).config
            } catch {
                throw InputError("\(summaryURL.path) is not the summary of a torus training run (\(error.localizedDescription))")
            }
            theta = try NPY.readDoubles(thetaURL).data
            step = nil
        } else if let c = try TrainingCheckpoint<TorusCheckpointState>.newest(in: dir) {
            config = c.state.config
            theta = c.parameters
            step = c.state.step
        } else {
            throw InputError("\(dir.path) holds neither summary.json with params/theta.npy nor a checkpoint, expected the output directory of `nntheory train torus`")
        }
        var m = try config.model()
        guard theta.count == m.network.parameterCount else {
            throw InputError("\(dir.path): \(theta.count) parameters, the run's network '\(config.net)' has \(m.network.parameterCount)")
        }
        if let bad = theta.first(where: { !$0.isFinite }) { throw InputError("\(dir.path): parameter value \(bad), expected finite numbers") }
        m.network.parameters = theta
        return (m, step)
    }
}

import CYBridge
import Foundation
import Training

/// Demo section: a φ-model g = g_FS + ∂∂̄φ with bihomogeneous inputs trained on the Fermat quintic (10 000 points,
/// 3 epochs of batch 64, σ on 5 000 validation points), against σ of Fubini–Study and of Donaldson's balanced
/// metrics (docs/cy-donaldson.md: σ₂ = 0.272, σ₄ = 0.131, σ₆ = 0.067).
enum NeuralCYDemo: DemoSection {
    static let name = "cy-neural"

    static func run(root: URL, seed: UInt64, threads: Int) throws -> [String] {
        let dir = root.appendingPathComponent(name).appendingPathComponent("phi")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        progress("demo: a φ-model (bihomogeneous inputs) trained on the Fermat quintic")
        var c = CYTrainingConfig()
        c.inputs = .bihomogeneous
        c.points = 10_000; c.validationPoints = 5_000; c.epochs = 3; c.batch = 64; c.seed = seed; c.scorePoints = 100
        let start = Date()
        let trainer = try CYTrainer(config: c, threads: threads)
        let outcome = try trainer.run(root: dir, progress: { epoch, h in
            progress(String(format: "demo: epoch %ld/%ld σ = %.4f", epoch, c.epochs, h.sigma.last ?? .nan))
        })
        if let f = outcome.failure { throw f }
        let s = try CYTrainOutput.write(trainer, outcome, seconds: Date().timeIntervalSince(start), to: dir)
        return [
            String(format: "cy-neural: φ-model on the Fermat quintic, σ %.4f → %.4f ± %.4f after %ld epochs on 10 000 points (FS %.4f; Donaldson σ₂ = 0.272, σ₄ = 0.131, σ₆ = 0.067); Vol_K off by %.1e, Kähler measure %.1e → cy-neural/phi/sigma.svg",
                   s.sigma.first ?? .nan, s.sigma_final, s.sigma_error.last ?? .nan, c.epochs, s.sigma_fs, s.volume_loss.last ?? .nan, (s.kahler_loss.last ?? nil) ?? .nan),
        ]
    }
}

import Foundation
import Testing
@testable import Networks
@testable import NumericCore
import Optimization
@testable import Training
import TestSupport

/// End-to-end training runs on T².
@Suite struct TrainingRunTests {
    static func bumpy(steps: Int = 600) -> TorusTrainingConfig {
        var c = TorusTrainingConfig()
        c.net = "Dense(16, b_std=0) Tanh Dense(16, b_std=0) Tanh Dense(1, b_std=0)"
        c.parameterization = .standard
        c.harmonics = 2
        c.initExpression = "u = 0.5*cos(x) + 0.2*sin(2*y)"
        c.initSteps = 300
        c.initRate = 0.01
        c.points = 256
        c.steps = steps
        c.rate = 1e-2
        c.schedule = "constant"
        c.evalSide = 24
        c.snapshotEvery = 100
        c.seed = 1
        return c
    }

    /// A bumpy conformal metric e^{u}δ, u ≈ 0.5 cos x + 0.2 sin 2y (MSE fit first), trained by Adam (η = 10⁻²,
    /// 600 steps) on ∫R² dA with the area fixed, then polished by 40 L-BFGS iterations (same area target):
    /// ∫R² dA measured on a finer evaluation grid (24², not the 16² training grid) falls by ≥ 10⁴ and the area stays
    /// within 10⁻³. Measured: 23.1 → 1.3·10⁻³ after Adam (÷ 1.8·10⁴) → 3.3·10⁻⁴ after L-BFGS (÷ 6.9·10⁴);
    /// relative area change 6.6·10⁻⁶.
    @Test func bumpyConformalMetricIsTrainedFlat() throws {
        let adam = try TorusTrainer(config: Self.bumpy())
        let a = try adam.run(root: nil)
        var c = Self.bumpy(steps: 40)
        c.initExpression = nil
        c.optimizer = .lbfgs
        c.rate = 1
        c.snapshotEvery = 0
        let b = try TorusTrainer(config: c, parameters: adam.model.network.parameters, volumeTarget: a.volumeTarget).run(root: nil)
        let first = a.snapshots.first!, mid = a.snapshots.last!, last = b.snapshots.last!
        #expect(a.initFitLoss! < 1e-3 * first.volume)
        #expect(first.scalar2 > 1)
        #expect(mid.scalar2 < 1e-2 * first.scalar2, "Adam: ∫R² dA \(first.scalar2) → \(mid.scalar2)")
        #expect(last.scalar2 <= 1e-4 * first.scalar2, "∫R² dA fell from \(first.scalar2) to \(last.scalar2) (Adam: \(mid.scalar2), fit \(a.initFitLoss!))")
        #expect(abs(last.volume / first.volume - 1) <= 1e-3, "area \(first.volume) → \(last.volume)")
        #expect(abs(mid.volume / first.volume - 1) <= 1e-3, "area \(first.volume) → \(mid.volume)")
    }

    /// A run interrupted after its checkpoint at step 20 and resumed gives the parameters, losses and snapshots
    /// of the uninterrupted run bit for bit (Adam and SGD with minibatches, whose draws depend on the step
    /// counter; L-BFGS with its curvature pairs).
    @Test(arguments: [OptimizerKind.adam, .sgd, .gd, .lbfgs]) func resumeIsBitIdentical(opt: OptimizerKind) throws {
        var c = Self.bumpy(steps: 30)
        c.initSteps = 10
        c.batch = 64
        c.optimizer = opt
        if opt == .sgd { c.rate = 1e-3 }
        if opt == .gd { c.rate = 3e-4 }     // plain steps: a smaller η keeps the metric non-degenerate
        if opt == .lbfgs { c.rate = 1; c.batch = 0 }     // full batch; the curvature pairs travel in the checkpoint
        c.checkpointEvery = 20
        c.snapshotEvery = 10
        let a = temporaryDirectoryURL(prefix: "nnt-train"), b = temporaryDirectoryURL(prefix: "nnt-train")
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        let full = try TorusTrainer(config: c)
        try full.run(root: a)
        var short = c
        short.steps = 15          // global steps 0..<25: the newest checkpoint is at 20 (and 25)
        try TorusTrainer(config: short).run(root: b)
        try FileManager.default.removeItem(at: b.appendingPathComponent("checkpoints/step_00000025"))
        let resumed = try TorusTrainer(config: c)
        let s = try resumed.run(root: b, resume: true)
        #expect(s.resumedFrom == 20)
        #expect(resumed.model.network.parameters == full.model.network.parameters)
        #expect(resumed.losses == full.losses && resumed.initLosses == full.initLosses)
        #expect(resumed.snapshots == full.snapshots)
        #expect(try Data(contentsOf: a.appendingPathComponent("params/theta.npy")) == Data(contentsOf: b.appendingPathComponent("params/theta.npy")))
        #expect(try Data(contentsOf: a.appendingPathComponent("loss.npy")) == Data(contentsOf: b.appendingPathComponent("loss.npy")))
    }

    /// A learning rate far too large makes the metric blow up; the run stops with an error naming the step.
    @Test func nonFiniteValuesStopTheRun() throws {
        var c = Self.bumpy(steps: 50)
        c.initExpression = nil
        c.metric = .additive
        c.net = "Dense(16) Tanh Dense(3)"
        c.rate = 1e3
        c.optimizer = .sgd
        do {
            try TorusTrainer(config: c).run(root: nil)
            Issue.record("no error")
        } catch let e as TrainingError {
            #expect(e.description.hasPrefix("step "), "\(e)")
            #expect(!e.description.contains("\n"))
        }
    }
}

import Foundation
import Networks
import NumericCore
import Optimization
import Training

/// Demo section: a bumpy conformal metric on T² trained flat on ∫R² dA at fixed area (Adam, then L-BFGS
/// polishing from the Adam run's final parameters), with the decay of ∫R² dA plotted against the step.
enum TrainingDemo: DemoSection {
    static let name = "training"

    static func run(root: URL, seed: UInt64, threads: Int) throws -> [String] {
        let dir = root.appendingPathComponent(name)
        var c = TorusTrainingConfig()
        c.dimension = 2
        c.metric = .conformal
        c.net = TorusTrainingConfig.defaultNet(outputs: 1)
        c.initExpression = "u = 0.5*cos(x) + 0.2*sin(2*y)"
        c.initSteps = 300
        c.points = 576          // 24² grid
        c.steps = 800
        c.rate = 0.01
        c.evalSide = 40
        c.snapshotEvery = 50
        c.checkpointEvery = 400
        c.seed = seed
        progress("demo: bumpy conformal T² metric e^u δ, u = 0.5 cos x + 0.2 sin 2y, trained flat on ∫R² dA (Adam, \(c.steps) steps)")
        let adam = try TorusTrainer(config: c)
        let a = try adam.run(root: dir.appendingPathComponent("adam"), progress: progress)
        // L-BFGS polishing: the same problem without the fit, started from Adam's parameters.
        var p = c
        p.initExpression = nil
        p.optimizer = .lbfgs
        p.rate = 1
        p.steps = 60
        p.snapshotEvery = 5
        progress("demo: L-BFGS polishing, \(p.steps) iterations")
        let lb = try TorusTrainer(config: p, parameters: adam.model.network.parameters, volumeTarget: a.volumeTarget)
        let b = try lb.run(root: dir.appendingPathComponent("lbfgs"), progress: progress)

        var plot = SVGPlot(title: "Bumpy T² metric trained flat: ∫R² dA (40² evaluation grid)", xLabel: "step", yLabel: "∫R² dA", logY: true)
        plot.series.append(.init(label: "Adam η = 0.01", x: a.snapshots.map { Double($0.step) }, y: a.snapshots.map(\.scalar2), color: SVGPlot.palette[0]))
        plot.series.append(.init(label: "then L-BFGS", x: b.snapshots.map { Double($0.step + c.steps) }, y: b.snapshots.map { max($0.scalar2, 1e-30) }, color: SVGPlot.palette[1]))
        try plot.write(to: dir.appendingPathComponent("curvature_decay.svg"))
        let r0 = a.snapshots.first!.scalar2, r1 = a.snapshots.last!.scalar2, r2 = b.snapshots.last!.scalar2
        let v0 = a.snapshots.first!.volume, v2 = b.snapshots.last!.volume
        return [
            String(format: "training: ∫R² dA %.3g → %.3g after %ld Adam steps (÷ %.3g) → %.3g after %ld L-BFGS iterations; area %.6f → %.6f (relative change %.1e)",
                   r0, r1, c.steps, r0 / r1, r2, p.steps, v0, v2, v2 / v0 - 1),
            "training: curve in \(dir.path)/curvature_decay.svg; snapshots of g in adam/snapshots, lbfgs/snapshots",
        ]
    }
}

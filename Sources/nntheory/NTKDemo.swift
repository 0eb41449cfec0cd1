import Foundation
import NTK
import Networks
import NumericCore

/// Demo section: the empirical NTK of a depth-3 ReLU network converging to the analytic NTK as the width grows,
/// and the kernel drift and linearisation gap of gradient-descent training shrinking with width.
enum NTKDemo: DemoSection {
    static let name = "ntk"

    static func run(root: URL, seed: UInt64, threads: Int) throws -> [String] {
        let dir = root.appendingPathComponent(name)
        // 12 points on the unit sphere in d = 4 (Philox stream 0 of the demo seed).
        var rng = RandomStream(seed: seed, stream: 0)
        var x = Matrix(rows: 12, cols: 4)
        for p in 0..<12 { let v = rng.onSphere(dimension: 4); for i in 0..<4 { x[p, i] = v[i] } }
        let relu = try NetworkSpec.parse("Dense(1, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5)")
        progress("demo: empirical → analytic NTK, depth-3 ReLU, widths 64 … 4096, 8 networks each")
        let conv = try NTKConvergence(network: relu, points: x, widths: [64, 128, 256, 512, 1024, 2048, 4096], networks: 8, seed: seed)
        let c = try conv.run(progress: progress)
        try NTKConvergenceReport.write(c, spec: relu.description, to: dir.appendingPathComponent("convergence"))

        let erf = try NetworkSpec.parse("Dense(1, W_std=1.5, b_std=0.1) Erf Dense(1, W_std=1.5, b_std=0.1) Erf Dense(1, W_std=1.2)")
        let y = Matrix(rows: 12, cols: 1, data: (0..<12).map { sin(2 * x[$0, 0]) + x[$0, 1] * x[$0, 2] })
        progress("demo: NTK drift and linearised training, depth-2 Erf, widths 64 … 2048, 4 networks each")
        let drift = try NTKDrift(network: erf, trainX: x, trainY: y, widths: [64, 256, 1024, 2048], networks: 4, steps: 200,
                                 recordEvery: 10, seed: seed)
        let d = try drift.run(progress: progress)
        try NTKDriftReport.write(d, spec: erf.description, to: dir.appendingPathComponent("drift"))

        func fit(_ f: PowerLawFit?) -> String {
            f.map { String(format: "%.2f", $0.exponent) + ($0.exponentError.map { String(format: " ± %.2f", $0) } ?? "") } ?? "n/a"
        }
        return [
            String(format: "ntk: relative error of the empirical NTK %.3f (N = 64) → %.3f (N = 4096); exponent ", c.widths.first!.mean, c.widths.last!.mean)
                + fit(c.fit) + " (central limit: −0.5)",
            "ntk: after 200 GD steps, kernel drift ∝ N^\(fit(d.driftFit)), gap to the linearised model ∝ N^\(fit(d.gapFit)) (expected between −1 and −0.5)",
        ]
    }
}

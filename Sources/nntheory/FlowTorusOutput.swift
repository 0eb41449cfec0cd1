import Foundation
import MetricFlow
import NumericCore

/// The files `flow torus` writes: arrays, summary and plots of a `TorusFlowResult`.
enum FlowTorusOutput {
    static func write(_ r: TorusFlowResult, to dir: URL) throws {
        let traj = r.trajectory, grid = traj.grid, n = grid.dimension, T = traj.times.count
        let gridShape = [Int](repeating: grid.side, count: n)
        try NPY.write(NDArray(shape: [T], data: traj.times), to: dir.appendingPathComponent("times.npy"))
        if let us = traj.conformalFactors {
            try NPY.write(NDArray(shape: [T] + gridShape, data: us.flatMap { $0 }), to: dir.appendingPathComponent("u.npy"))
        }
        try NPY.write(NDArray(shape: [T] + gridShape + [n, n], data: traj.metrics.flatMap(\.components)),
                      to: dir.appendingPathComponent("metric.npy"))
        let summary = TorusFlowSummary(r)
        try JSONOutput.writeSummary(summary, to: dir.appendingPathComponent("summary.json"), complete: summary.complete)
        try modesPlot(r).write(to: dir.appendingPathComponent("modes.svg"))
        try lambdaPlot(r).write(to: dir.appendingPathComponent("lambda.svg"))
        if let c = r.comparison { try comparisonPlot(c, times: traj.times).write(to: dir.appendingPathComponent("comparison.svg")) }
        if !r.ntkDrift.isEmpty { try driftPlot(r).write(to: dir.appendingPathComponent("ntk_drift.svg")) }
    }

    static func modesPlot(_ r: TorusFlowResult) -> SVGPlot {
        let modes = ModeAmplitudes(r.trajectory)
        var p = SVGPlot(title: "Fourier modes of u = ln(det g)/n along the \(r.config.flow.rawValue) flow", xLabel: "flow time t",
                        yLabel: "amplitude 2|û_k|", logY: true)
        // The modes that carry amplitude at the start (u = cos x: only k = (1, 0) and its harmonics).
        let live = (0..<modes.waveVectors.count).filter { m in modes.amplitudes.contains { $0[m] > modes.floor * 10 } }
        for (c, m) in live.prefix(SVGPlot.palette.count).enumerated() {
            let k = modes.waveVectors[m].map(String.init).joined(separator: ",")
            p.series.append(.init(label: "k = (\(k))", x: modes.times, y: modes.amplitudes.map { $0[m] }, color: SVGPlot.palette[c]))
        }
        return p
    }

    static func lambdaPlot(_ r: TorusFlowResult) -> SVGPlot {
        var p = SVGPlot(title: "Perelman's λ(t) along the \(r.config.flow.rawValue) flow", xLabel: "flow time t", yLabel: "λ = min spec(−4Δ_g + R)")
        p.series.append(.init(label: "λ, \(r.config.flow.rawValue)", x: r.trajectory.times, y: r.lambda, color: SVGPlot.palette[0]))
        p.series.append(.init(label: "F(g, f_λ), \(r.config.flow.rawValue)", x: r.trajectory.times, y: r.perelmanF, color: SVGPlot.palette[1], dashed: true, markers: false))
        return p
    }

    static func comparisonPlot(_ c: FlowComparison, times: [Double]) -> SVGPlot {
        var p = SVGPlot(title: "Against the reference Ricci flow", xLabel: "flow time t", yLabel: "cosine, distance, matched time / t")
        p.series.append(.init(label: "velocity cosine", x: times, y: c.velocityCosine, color: SVGPlot.palette[0]))
        p.series.append(.init(label: "distance after time matching", x: times, y: c.distance, color: SVGPlot.palette[1]))
        p.series.append(.init(label: "distance at equal time", x: times, y: c.unmatchedDistance, color: SVGPlot.palette[2], dashed: true))
        let ratio = zip(c.matchedTime, times).filter { $0.1 > 0 }
        p.series.append(.init(label: "matched time τ(t)/t", x: ratio.map(\.1), y: ratio.map { $0.0 / $0.1 }, color: SVGPlot.palette[3]))
        return p
    }

    static func driftPlot(_ r: TorusFlowResult) -> SVGPlot {
        var p = SVGPlot(title: "NTK drift along training", xLabel: "flow time t", yLabel: "‖Θ_t − Θ_0‖/‖Θ_0‖", logY: true)
        for (k, w) in r.ntkDrift.keys.sorted().enumerated() {
            p.series.append(.init(label: "width \(w)", x: r.trajectory.times, y: r.ntkDrift[w]!, color: SVGPlot.palette[k % SVGPlot.palette.count]))
        }
        return p
    }
}

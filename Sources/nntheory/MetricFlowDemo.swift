import Foundation
import MetricFlow
import NumericCore

/// Demo section: Ricci flow of e^u δ from u = cos x on T², and two neural-network kernel arms (the frozen local
/// kernel −Δδ on v = e^u, which is Ricci flow exactly, and the frozen δ kernel on u, heat flow) compared with it.
enum MetricFlowDemo: DemoSection {
    static let name = "metricflow"

    static func run(root: URL, seed: UInt64, threads: Int) throws -> [String] {
        let dir = root.appendingPathComponent(name)
        progress("demo: Ricci flow of e^u δ, u = cos x, on a 32² grid to t = 8, and the local and heat kernel arms against it")
        var lines = [String]()
        var plot = SVGPlot(title: "Kernel arms against Ricci flow from u = cos x", xLabel: "flow time t", yLabel: "velocity cosine / distance")
        for (k, flow) in [TorusFlowKind.ricci, .local, .heat].enumerated() {
            var c = TorusFlowConfig()
            c.grid = 32; c.tEnd = 8; c.flow = flow; c.seed = seed
            c.compare = flow != .ricci
            let r = try TorusFlowExperiment(config: c).run()
            let out = dir.appendingPathComponent(flow.rawValue)
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try FlowTorusOutput.write(r, to: out)
            if let cmp = r.comparison {
                plot.series.append(.init(label: "\(flow.rawValue): velocity cosine", x: r.trajectory.times, y: cmp.velocityCosine, color: SVGPlot.palette[2 * k - 2]))
                plot.series.append(.init(label: "\(flow.rawValue): distance after time matching", x: r.trajectory.times, y: cmp.distance, color: SVGPlot.palette[2 * k - 1], dashed: true))
                lines.append(String(format: "metricflow: %@ arm (η = %.3g): velocity cosine %.4f at t = 0 → %.6f at t = 8; distance after time matching %.2e; speed factor %.4f",
                                    flow.rawValue, r.step ?? .nan, cmp.velocityCosine.first!, cmp.velocityCosine.last!, cmp.distance.last!, cmp.speedFactor))
            } else {
                lines.append(String(format: "metricflow: Ricci flow area %.10f → %.10f (4π² I₀(1) = 49.9822774365); λ %.6f → %.3g (non-decreasing)",
                                    r.area.first!, r.area.last!, r.lambda.first!, r.lambda.last!))
            }
        }
        try plot.write(to: dir.appendingPathComponent("comparison.svg"))
        lines.append("metricflow: plots in \(dir.path)/comparison.svg and each arm's modes.svg, lambda.svg")
        return lines
    }
}

import ArgumentParser
import CYBridge
import Foundation
import NumericCore
import Training

/// `nntheory cy ntk`: the metric-NTK of a trained neural CY metric on sample points.
struct CYNTKCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntk",
        abstract: "Metric-NTK Θ_{(p,α),(q,β)} = Σ_k ∂g_α(x_p)/∂θ_k ∂g_β(x_q)/∂θ_k of a `cy train` metric on sample points.",
        discussion: HelpText.paragraphs("""
        The metric of the run in --metric (its settings and θ, `cy sigma --metric` reads it the same way)
        at the first --points points of --sample (a `cy sample` directory, or a cymetric dataset with its
        basis as npz). g_α are the n² real components of the Hermitian metric in each point's chart, in
        the order Re g_aa; Re g_ab, Im g_ab (a < b, row-major over a ≤ b); each row of ∂g/∂θ is one
        reverse pass of the network (NeuralCYMetric.metricNTK). Writes metric_ntk.npy [P, P, n², n²],
        metric.npy [P, n, n] (complex128) and summary.json (provenance, points, components, seconds).

        Examples:
          nntheory cy sample --points 200 --out pts
          nntheory cy train --points 2000 --validation-points 1000 --epochs 1 --out phi
          nntheory cy ntk --metric phi --sample pts --points 50 --out phi-ntk
        """)
    )

    @Option(help: ArgumentHelp("A `nntheory cy train` output directory.", valueName: "RUN"))
    var metric: String

    @Option(help: ArgumentHelp("A `nntheory cy sample` directory (or a cymetric dataset with basis.npz).", valueName: "DIR"))
    var sample: String

    @Option(parsing: .unconditional, help: "The first P points of the sample.")
    var points: Int = 64

    @OptionGroup var output: OutputOptions

    func run() throws {
        try output.run { dir in
            let start = Date()
            let m = try NeuralCYMetric.trained(from: URL(fileURLWithPath: metric))
            let (s, _, v) = try SampleDirectory.load(URL(fileURLWithPath: sample))
            guard m.variety.equations == v.equations, m.variety.ambient == v.ambient else {
                throw InputError("--sample: '\(sample)' is a sample of \(v.name), expected one of \(m.variety.name), the variety of --metric")
            }
            guard points >= 1, points <= s.count, points <= 4096 else {
                throw InputError("--points \(points), expected 1…\(min(s.count, 4096)) (the sample's points, at most 4096: Θ has (P·n²)² entries)")
            }
            let prepared = try CYTrainingSample(sample: s, kahler: m.kahler, reference: m.reference)
            let idx = Array(0..<points), n = v.dimension, nn = n * n
            let k = m.metricNTK(prepared, indices: idx)
            // [P·n², P·n²] → [P, P, n², n²]
            var t = [Double](repeating: 0, count: k.data.count)
            for p in 0..<points { for a in 0..<nn { for q in 0..<points { for b in 0..<nn {
                t[((p * points + q) * nn + a) * nn + b] = k.data[(p * nn + a) * k.cols + q * nn + b]
            } } } }
            try NPY.write(NDArray(shape: [points, points, nn, nn], data: t), to: dir.appendingPathComponent("metric_ntk.npy"))
            let g = m.metricsAndDeterminants(prepared, range: 0..<points).metrics
            try NPY.write(NDArray(shape: [points, n, n], data: g), to: dir.appendingPathComponent("metric.npy"))
            struct Summary: Encodable {
                struct Provenance: Encodable { let tool = "nntheory cy ntk"; let metric: String; let sample: String }
                let provenance: Provenance; let variety: String; let points: Int; let components: [String]; let parameter_count: Int; let seconds: Double
            }
            var names: [String] = []
            for a in 0..<n { for b in a..<n { names.append("re g\(a)\(b)"); if b > a { names.append("im g\(a)\(b)") } } }
            try JSONOutput.writeSummary(Summary(provenance: .init(metric: metric, sample: sample), variety: v.name, points: points, components: names,
                                         parameter_count: m.network.parameterCount, seconds: Date().timeIntervalSince(start)),
                                 to: dir.appendingPathComponent("summary.json"))
            print("cy ntk: \(m.model.rawValue)-model of \(metric), \(m.network.parameterCount) parameters, metric-NTK on \(points) points of \(v.name) [\(points)×\(points)×\(nn)×\(nn)] → \(output.out)")
        }
    }
}

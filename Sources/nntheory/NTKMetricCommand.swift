import ArgumentParser
import Foundation
import NTK
import Networks
import NumericCore
import Training

struct NTKMetricCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metric",
        abstract: "Metric-NTK Θ_ijkl(x, x') = Σ_I ∂g_ij(x)/∂θ_I ∂g_kl(x')/∂θ_I of a network whose outputs build a metric.",
        discussion: HelpText.paragraphs("""
        The network's outputs h build a symmetric n × n metric g(x) by --metric (n(n+1)/2 outputs unless said):
          components  g_ij = h_u(i,j) (upper triangle, row-major)
          conformal   g = e^h δ (one output)
          ldl         g = L D Lᵀ, L unit lower triangular from the first n(n−1)/2 outputs, D = diag(e^h) from the
                      last n (positive definite by construction; arXiv 2012.15821)
          additive    g = δ + components(h): a flat reference metric plus the network's correction
        Θ^g = (∂g/∂h)(x) Θ^h(x, x') (∂g/∂h)(x')ᵀ by the chain rule from the full output NTK (metric-NTK, arXiv 2310.19870).
        Writes metric_ntk.npy [P1, P2, n, n, n, n], g_x1.npy [P1, n, n]; for components/additive also the frozen
        infinite-width form frozen_metric_ntk.npy, (δ_ik δ_jl + δ_il δ_jk − δ_ij δ_kl δ_ik)·Θ(x, x') with the
        analytic NTK Θ. Parameters as for `nntheory ntk` (--seed or --params).

        With --from DIR (the output directory of `nntheory train torus`, finished or checkpointed) the metric is the
        trained network itself: its torus embedding, parametrisation, reference and parameters come from the run
        (--net, --seed, --params, --dim and --metric are not given); the points are on Tⁿ.

        Examples:
          nntheory ntk metric --net "Dense(256, W_std=1.5, b_std=0.1) Tanh Dense(3)" \\
              --dim 2 --metric ldl --seed 1 --x "0,0;0.5,1;1,-0.5" --out mntk
          nntheory ntk metric --from run --x "0,0;1,2;3,1" --out run-mntk
        """)
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup var points: PointOptions
    @OptionGroup var source: ParameterSourceOptions

    @Option(help: "A `nntheory train torus` output directory: take the trained metric network from it.")
    var from: String?

    @Option(parsing: .unconditional, help: "Dimension n of the manifold.")
    var dim: Int?

    @Option(help: "How outputs build the metric: components | conformal | ldl | additive.")
    var metric: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        try output.run { dir in
            let metricNetwork: MetricNetwork
            let (a, b, shape) = try points.resolve()
            guard shape.spatial.isEmpty else { throw InputError("--x: points of shape \(shape), expected points of the torus [P, d]") }
            if let from {
                guard network.net == nil, source.seed == nil, source.params == nil, dim == nil, metric == nil else {
                    throw InputError("--from \(from) takes the network, its parameters, --dim and --metric from the run; give none of --net, --seed, --params, --dim, --metric")
                }
                let (trained, step) = try NeuralTorusMetric.trained(from: URL(fileURLWithPath: from))
                metricNetwork = trained.metricNetwork
                FileHandle.standardError.write(Data("trained metric from \(from)\(step.map { " (checkpoint at step \($0))" } ?? "")\n".utf8))
            } else {
                let serial = try network.resolve()
                guard let n = dim, n >= 1 else { throw InputError("--dim \(dim.map(String.init) ?? "missing"), expected a positive dimension") }
                guard let par = MetricParametrization(rawValue: (metric ?? "components").lowercased()), par.supportsRealCoordinates else {
                    throw InputError("--metric '\(metric ?? "")', expected components, conformal, ldl or additive")
                }
                let network = try source.resolve(serial, inputWidth: a.cols, saveTo: dir)
                metricNetwork = try naming("--net") {
                    try MetricNetwork(dimension: n, parametrization: par, embedding: nil, network: network)
                }
            }
            let m = MetricNTK(metricNetwork)
            let k = try naming("--x") { try m.kernel(a, b) }
            try NPY.write(k, to: dir.appendingPathComponent("metric_ntk.npy"))
            try NPY.write(m.metrics(a), to: dir.appendingPathComponent("g_x1.npy"))
            var files = ["metric_ntk.npy", "g_x1.npy"]
            if let frozen = try m.frozenKernel(a, b) {
                try NPY.write(frozen, to: dir.appendingPathComponent("frozen_metric_ntk.npy"))
                files.append("frozen_metric_ntk.npy")
            }
            try ArrayRunSummary(net: metricNetwork.network.architecture.description, shape: k.shape, files: files).write(to: dir)
            print("\(metricNetwork.network.architecture.description): metric-NTK (\(metricNetwork.parametrization.rawValue)) \(k.shape.map(String.init).joined(separator: "×")) → \(output.out)")
        }
    }
}

import ArgumentParser
import Foundation
import NTK
import NumericCore

struct NTKMetricCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metric",
        abstract: "Metric-NTK Θ_ijkl(x, x') = Σ_I ∂g_ij(x)/∂θ_I ∂g_kl(x')/∂θ_I of a network whose outputs build a metric.",
        discussion: """
        The network has n(n+1)/2 outputs h, turned into a symmetric n × n metric g(x) by --metric:
          components  g_ij = h_u(i,j) (upper triangle, row-major)
          ldl         g = L D Lᵀ, L unit lower triangular from the first n(n−1)/2 outputs, D = diag(e^h) from the
                      last n (positive definite by construction; seeds 001)
          additive    g = δ + components(h): a flat reference metric plus the network's correction
        Θ^g = (∂g/∂h)(x) Θ^h(x, x') (∂g/∂h)(x')ᵀ by the chain rule from the full output NTK (nn-theory.md §4.1).
        Writes metric_ntk.npy [P1, P2, n, n, n, n], g_x1.npy [P1, n, n]; for components/additive also the frozen
        infinite-width form frozen_metric_ntk.npy, (δ_ik δ_jl + δ_il δ_jk − δ_ij δ_kl δ_ik)·Θ(x, x') with the
        analytic NTK Θ. Parameters as for `nntheory ntk` (--seed or --params).

        Example:
          nntheory ntk metric --net "Dense(256, W_std=1.5, b_std=0.1) Tanh Dense(3)" --dim 2 --metric ldl --seed 1 \\
              --x "0,0;0.5,1;1,-0.5" --out mntk
        """
    )

    @OptionGroup var input: NetworkInputOptions
    @OptionGroup var source: ParameterSourceOptions

    @Option(parsing: .unconditional, help: "Dimension n of the manifold (the network needs n(n+1)/2 outputs).")
    var dim: Int

    @Option(help: "How outputs build the metric: components | ldl | additive.")
    var metric: String = "components"

    @Option(help: "Output directory.")
    var out: String

    func run() throws {
        try reportingErrors {
            try prepareOutputDirectory(out)
            let (serial, a, b) = try input.resolve()
            guard dim >= 1 else { throw InputError("--dim \(dim), expected a positive dimension") }
            let par: MetricParametrization
            switch metric.lowercased() {
            case "components": par = .components
            case "ldl": par = .ldl
            case "additive":
                let n = dim
                par = .additive(reference: { _ in (0..<(n * n)).map { $0 % (n + 1) == 0 ? 1 : 0 } })
            default: throw InputError("--metric '\(metric)', expected components, ldl or additive")
            }
            let dir = URL(fileURLWithPath: out)
            let parameters = try source.resolve(serial, inputWidth: a.cols, saveTo: dir)
            let e = try EmpiricalNTK(network: serial, parameters: parameters, inputWidth: a.cols)
            let m = try MetricNTK(empirical: e, dimension: dim, parametrization: par)
            let k = try m.kernel(a, b)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try NPY.write(k, to: dir.appendingPathComponent("metric_ntk.npy"))
            try NPY.write(m.metrics(a), to: dir.appendingPathComponent("g_x1.npy"))
            if metric.lowercased() != "ldl" {
                let th = try serial.kernels(a, b).ntk
                let frozen = th.flatMap { MetricNTK.frozenComponentKernel(dimension: dim, ntk: $0) }
                try NPY.write(NDArray(shape: k.shape, data: frozen), to: dir.appendingPathComponent("frozen_metric_ntk.npy"))
            }
            print("\(serial.description): metric-NTK (\(metric)) \(k.shape.map(String.init).joined(separator: "×")) → \(out)")
        }
    }
}

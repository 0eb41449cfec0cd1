import ArgumentParser
import Foundation
import NTK
import Networks
import NumericCore

struct NTKMonteCarloCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "montecarlo",
        abstract: "Monte Carlo NNGP and NTK: empirical kernels averaged over sampled finite networks, with standard errors (monte_carlo_kernel_fn).",
        discussion: HelpText.paragraphs("""
        Draws --samples networks of the SPEC as written (its widths are the finite widths), network m from Philox
        stream m under --seed, and averages their empirical kernels traced over the outputs (neural-tangents'
        default trace_axes=(-1,)): K̂(x, x') = (1/O) Σ_a f_a(x) f_a(x'), Θ̂(x, x') = (1/O) Σ_a ∇_θ f_a(x)·∇_θ f_a(x').
        The standard error of each entry is √(s²/M) over the M networks. The sums combine in a fixed tree, so the
        result is the same bits for any --threads, sharding or resume.

        Writes nngp.npy, ntk.npy, nngp_standard_error.npy, ntk_standard_error.npy, the analytic
        nngp_analytic.npy, ntk_analytic.npy [P1, P2], summary.json (with
        the largest deviation from the analytic infinite-width kernels in standard errors: at finite width the
        NTK differs by O(1/N), so this grows with --samples unless the widths grow too) and montecarlo.svg (each
        entry's mean ± standard error against its analytic value).

        Sharded: run --shard 1/S … --shard S/S into the same --out (or copy every DIR/checkpoints/ together), then
        --resume without --shard combines them. SIGINT/SIGTERM save the sums; --resume continues.

        Examples:
          nntheory ntk montecarlo \\
              --net "Dense(256, W_std=1.5, b_std=0.05) Erf Dense(1, W_std=1.5)" \\
              --x "1,0;0,1;0.6,0.8" --samples 200 --seed 1 --out mc
          nntheory ntk montecarlo --net "Dense(1024) Relu Dense(1024) Relu Dense(1)" \\
              --x x.npy --samples 10000 --shard 1/4 --out mc4
        """)
    )

    @OptionGroup var input: NetworkInputOptions

    @Option(parsing: .unconditional, help: "Networks M to average over (≥ 1).")
    var samples: Int = 64

    @OptionGroup var seed: SeedOption

    @OptionGroup var shard: ShardOption

    @OptionGroup var threads: ThreadOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var resume: ResumeOption

    func run() throws {
        try output.run(resume: resume.resume || shard.shard != nil) { dir in
            let (serial, a, b, inputShape) = try input.resolve()
            guard samples >= 1 else { throw InputError("--samples \(samples), expected at least 1") }
            // Four [P1, P2] sums per node of the reduction tree (≤ log₂ of the blocks) and per worker's block.
            let nThreads = try threads.count()
            let entries = Double(a.rows) * Double((b ?? a).rows)
            try MemoryBudget.check(32 * entries * (Double(nThreads) + 2 + log2(Double(samples) + 1)),
                                   for: "the Monte Carlo sums of \(a.rows) × \((b ?? a).rows) kernel entries", option: "--x (\(a.rows) points)")
            let kernel = try MonteCarloKernel(architecture: serial, x1: a, x2: b, inputShape: inputShape, samples: samples, seed: seed.seed)
            var run = MonteCarloKernelRun(kernel: kernel, checkpoints: dir.appendingPathComponent("checkpoints"))
            run.resume = resume.resume
            run.threads = nThreads
            run.progress = progress
            run.shard = try shard.resolve()
            StopRequest.install()
            run.stop = { StopRequest.received }
            guard let e = try exitingOnInterrupt("ntk montecarlo", { try run.run() }) else { return }
            let analytic = try serial.kernels(a, b, inputShape: inputShape)
            // An entry with no spread (standard error 0: the same in every network) deviates infinitely unless it
            // is the analytic value to round-off (10⁻¹² relative); one network has no standard error (nil).
            func deviation(_ m: NDArray<Double>, _ se: NDArray<Double>, _ exact: [Double]) -> Double? {
                guard e.samples > 1 else { return nil }
                return zip(zip(m.data, se.data), exact).map { (p, a) in
                    let d = abs(p.0 - a)
                    return p.1 > 0 ? d / p.1 : (d <= 1e-12 * max(abs(a), 1) ? 0 : .infinity)
                }.max()
            }
            let shape = e.nngp.shape
            try namingInputs(["x": a, "x2": b ?? a], axes: ["x", b == nil ? "x" : "x2"]) {
                try NPY.write(e.nngp, to: dir.appendingPathComponent("nngp.npy"))
                try NPY.write(e.ntk, to: dir.appendingPathComponent("ntk.npy"))
                try NPY.write(e.nngpStandardError, to: dir.appendingPathComponent("nngp_standard_error.npy"), allowingNonFinite: e.samples == 1)
                try NPY.write(e.ntkStandardError, to: dir.appendingPathComponent("ntk_standard_error.npy"), allowingNonFinite: e.samples == 1)
                try NPY.write(NDArray(shape: shape, data: analytic.nngp), to: dir.appendingPathComponent("nngp_analytic.npy"))
                try NPY.write(NDArray(shape: shape, data: analytic.ntk), to: dir.appendingPathComponent("ntk_analytic.npy"))
            }
            let summary = Summary(net: serial.description, samples: e.samples, seed: seed.seed, shape: shape,
                                  nngp_deviation_from_analytic: deviation(e.nngp, e.nngpStandardError, analytic.nngp),
                                  ntk_deviation_from_analytic: deviation(e.ntk, e.ntkStandardError, analytic.ntk),
                                  files: ["nngp.npy", "ntk.npy", "nngp_standard_error.npy", "ntk_standard_error.npy",
                                          "nngp_analytic.npy", "ntk_analytic.npy", "montecarlo.svg"])
            try Self.plot(e, analytic: analytic).write(to: dir.appendingPathComponent("montecarlo.svg"))
            try JSONOutput.writeSummary(summary, to: dir.appendingPathComponent("summary.json"))
            let dev = [summary.nngp_deviation_from_analytic, summary.ntk_deviation_from_analytic].map { $0.map { String(format: "%.2f", $0) } ?? "–" }
            print("\(serial.description): Monte Carlo NNGP and NTK \(shape.map(String.init).joined(separator: "×")) over \(e.samples) networks; "
                  + "largest |MC − analytic|/s.e.: NNGP \(dev[0]), NTK \(dev[1]) → \(output.out)")
        }
    }

    /// Each distinct entry's Monte Carlo mean ± standard error against the analytic infinite-width value, NNGP and
    /// NTK, with the diagonal y = x: points off it by many error bars are finite-width (or too few samples).
    static func plot(_ e: MonteCarloKernel.Estimate, analytic: KernelState) -> SVGPlot {
        var p = SVGPlot(title: "Monte Carlo kernels over \(e.samples) networks against the infinite-width kernels",
                        xLabel: "analytic kernel entry", yLabel: "Monte Carlo mean ± standard error")
        let (r, c) = (e.nngp.shape[0], e.nngp.shape[1])
        // Entries (i, j) with j ≥ i when the kernel is square (x₂ = x₁: the rest repeats them), else all.
        let idx = (0..<(r * c)).filter { r != c || $0 % c >= $0 / c }
        var lo = Double.infinity, hi = -Double.infinity
        for (k, (name, mean, se, exact)) in [("NNGP", e.nngp, e.nngpStandardError, analytic.nngp),
                                            ("NTK", e.ntk, e.ntkStandardError, analytic.ntk)].enumerated() {
            var s = SVGPlot.Series(label: name, x: idx.map { exact[$0] }, y: idx.map { mean.data[$0] },
                                   color: SVGPlot.palette[k], lines: false)
            if e.samples > 1 { s.errors = idx.map { se.data[$0] } }
            p.series.append(s)
            lo = min(lo, s.x.min() ?? 0); hi = max(hi, s.x.max() ?? 0)
        }
        p.series.append(SVGPlot.Series(label: "y = x", x: [lo, hi], y: [lo, hi], color: SVGPlot.palette[7], dashed: true, markers: false))
        return p
    }

    struct Summary: Encodable {
        var net: String
        var samples: Int
        var seed: UInt64
        var shape: [Int]
        /// max over entries of |mean − analytic infinite-width kernel| / standard error (null for one sample).
        var nngp_deviation_from_analytic: Double?
        var ntk_deviation_from_analytic: Double?
        var files: [String]
    }
}

import ArgumentParser
import Ensembles
import Foundation
import Networks
import NumericCore

struct CorrelatorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correlators",
        abstract: "n-point correlators of neural-network ensembles against exact and GP values, and their 1/N scaling.",
        discussion: HelpText.paragraphs("""
        For each width N, samples M networks θ ~ P(θ) (network m uses generator stream m, so results do not
        depend on --threads or sharding), estimates G(n)(x_i1..x_in) = E[f(x_i1)...f(x_in)] for every index
        multiset i1 ≤ ... ≤ in, with errors from K chunks, and sets them beside the exact finite-N values
        and the Gaussian-process (N → ∞) values. Conventions of Halverson–Maiti–Stoner (2008.08601):
        W0 ~ N(0, σw²/d_in), W1 ~ N(0, σw²/N), b ~ N(0, σb²).

        Writes to DIR: summary.json (per width: deviation, exact_deviation, background keyed by order;
        fitted slopes of log m_n vs log N; λ_m vs Λ for d_in = 1), scaling.svg, lambda.svg, points.npy,
        gp_kernel.npy, multisets{n}.npy, and width_N/G{n}.npy, G{n}_err.npy, G{n}_exact.npy, G{n}_gp.npy,
        G4c.npy, G6c.npy (+ _exact) as full symmetric tensors [P]*n.

        Examples:
          nntheory correlators --net erf --widths 2,5,10,100 --networks 100000 \\
              --x -1,-0.6,-0.2,0.2,0.6,1 --out erf
          nntheory correlators --net relu --sigma-b 0 \\
              --widths 2,3,4,5,10,20,50,100,500,1000 --networks 1000000 \\
              --x 0.2,0.4,0.6,0.8,1.0,1.2 --out relu-paper
          nntheory correlators --net gauss --widths 2,10,100 --networks 0 \\
              --x "0.01,0.01;-0.01,0.01" --out exact-only
          nntheory correlators --net cos --mass 1 --cutoff 10 --widths 4,40 \\
              --networks 50000 --x 0,0.5,1 --out cos
          nntheory correlators --net mlp --depth 3 --activation tanh --widths 16,64 \\
              --networks 20000 --x "1,0;0,1" --out deep
          nntheory correlators --net "Dense(N) Erf Dense(N) Erf Dense(1)" --widths 16,64 \\
              --networks 20000 --x "1,0;0,1" --out spec
        Sharded: run `--shard 1/3` … `--shard 3/3` (same --out, or copy all DIR/checkpoints/ together),
        then `--resume` without --shard to combine their checkpoints in DIR/checkpoints; --resume also continues an
        interrupted run. Under MPI (the `make mpi` build): `mpirun -np K nntheory correlators …` splits the
        networks across K ranks, with the same bits for every K (docs/cluster.md).
        """)
    )

    @Option(help: "Architecture: gauss | erf | relu | cos | mlp, or a network SPEC with hidden widths written N (grammar: docs/networks.md).")
    var net: String

    @Option(parsing: .unconditional, help: "Comma-separated widths N, e.g. 2,5,10.")
    var widths: String

    @Option(parsing: .unconditional, help: "Networks M per width (0: exact and GP values only).")
    var networks: Int = 100_000

    @Option(parsing: .unconditional, help: "Independent chunks K for error bars and the background.")
    var chunks: Int = 10

    @Option(name: .customLong("x"), parsing: .unconditional, help: "Input points: a .npy file [P, d_in], or inline: 0.2,0.4,0.6 (d_in = 1); rows separated by ';' otherwise.")
    var points: String

    @Option(parsing: .unconditional, help: "Input dimension d_in, checked against the points (default: taken from the points).")
    var dIn: Int?

    @Option(parsing: .unconditional, help: "σ_w: weight standard deviation scale.")
    var sigmaW: Double = 1

    @Option(parsing: .unconditional, help: "σ_b: bias standard deviation (the paper's ReLU runs use 0).")
    var sigmaB: Double = 1

    @Option(parsing: .unconditional, help: "Correlator orders among 2,4,6.")
    var orders: String = "2,4,6"

    @OptionGroup var seed: SeedOption
    @OptionGroup var threads: ThreadOptions

    @Option(parsing: .unconditional, help: "cos-net: mass m.")
    var mass: Double = 1

    @Option(parsing: .unconditional, help: "cos-net: momentum cutoff Λ.")
    var cutoff: Double = 10

    @Option(parsing: .unconditional, help: "cos-net: amplitude scale σ_a.")
    var sigmaA: Double = 1

    @Option(parsing: .unconditional, help: "mlp: number of hidden layers, each of width N.")
    var depth: Int = 2

    @Option(help: "mlp: activation in SPEC syntax (relu, erf, tanh, gelu, sin, cos, softplus, sigmoid, Erf(a=2), …).")
    var activation: String = "relu"

    @Option(help: "mlp: ntk | standard parameterisation (same function-space distribution).")
    var parameterization: String = "ntk"

    @Option(parsing: .unconditional, help: "Cutoffs Λ for λ_m (d_in = 1 single-layer nets); default: the paper's 7 … 1e5.")
    var lambdaCutoffs: String?

    @Option(parsing: .unconditional, help: "Width at which λ_m is measured (default: relu 20, gauss 100, erf 5).")
    var ngpWidth: Int?

    @OptionGroup var shard: ShardOption

    @Option(name: .customLong("checkpoint-seconds"), parsing: .unconditional,
            help: "Seconds between checkpoints of a running width (under mpirun: collective checkpoints, written by rank 0).")
    var checkpointSeconds: Double = 30

    @OptionGroup var resume: ResumeOption
    @OptionGroup var output: OutputOptions

    func run() throws {
        // Signals are taken cooperatively from the start: one that comes while the run is still being set up (its
        // --out locked, the exact values computed) stops it after its first batch of networks, with a checkpoint.
        StopRequest.install()
        // A shard adds its checkpoints to the directory of the run it belongs to, as a resumed run does.
        try output.run(resume: resume.resume || shard.shard != nil) { dir in
            // A known kind, or a SPEC (an mlp given layer by layer).
            let isSpec = NetKind(rawValue: net) == nil && net.contains("(")
            guard let kind = isSpec ? NetKind.mlp : NetKind(rawValue: net) else {
                throw InputError("--net '\(net)' is unknown, expected gauss, erf, relu, cos, mlp or a network SPEC such as 'Dense(N) Tanh Dense(1)'")
            }
            let ws = try parseList(widths, option: "--widths", expected: "an integer") { Int($0) }
            let pts = try PointSet.parse(points, dimension: dIn)
            var e = CorrelatorExperiment(net: kind, widths: ws, networks: networks, chunks: chunks, points: pts)
            e.sigmaW = sigmaW
            e.sigmaB = sigmaB
            e.orders = try parseList(orders, option: "--orders", expected: "an integer") { Int($0) }
            e.seed = seed.seed
            e.threads = try threads.count()
            e.mass = mass
            e.cutoff = cutoff
            e.sigmaA = sigmaA
            e.depth = depth
            e.activation = try naming("--activation") { try NetworkSpec.activation(activation) }
            e.parameterization = try parseParameterization(parameterization)
            if isSpec {
                _ = try naming("--net") { try NetworkSpec.parse(net, width: 1) }
                e.spec = net
            }
            if let l = lambdaCutoffs { e.lambdaCutoffs = try parseList(l, option: "--lambda-cutoffs", expected: "a number") { Double($0) } }
            e.ngpWidth = ngpWidth
            if let n = ngpWidth, n < 1 { throw InputError("--ngp-width \(n), expected a positive integer") }
            try e.validate()
            var runner = CorrelatorRunner(experiment: e, output: dir)
            runner.resume = resume.resume
            runner.shard = try shard.resolve()
            guard checkpointSeconds > 0 && checkpointSeconds.isFinite else {
                throw InputError("--checkpoint-seconds \(checkpointSeconds), expected a positive number of seconds")
            }
            runner.checkpointInterval = checkpointSeconds
            runner.stop = { StopRequest.received }
            let summary = try namingInputs(["x": pts], axes: Array(repeating: "x", count: 8)) {
                try exitingOnInterrupt("correlators", { try runner.run() })
            }
            if let summary {
                printSummary(summary)
            }
        }
    }

    func printSummary(_ s: CorrelatorSummary) {
        var lines = ["\(s.net)-net, \(s.points.count) points, M = \(s.networks) networks per width → \(output.out)"]
        let header = "     N" + s.orders.map { "   m\($0) (MC)   m\($0) exact" }.joined()
        lines.append(header)
        for w in s.widths {
            var row = String(format: "%6ld", w.width)
            for n in s.orders {
                let mc = w.deviation["\(n)"].flatMap { $0 }, ex = w.exact_deviation["\(n)"].flatMap { $0 }
                row += "  " + (mc.map { String(format: "%10.3e", $0) } ?? "         -") + "  " + (ex.map { String(format: "%10.3e", $0) } ?? "         -")
            }
            lines.append(row)
        }
        for n in s.orders {
            let mc = s.slopes["\(n)"].flatMap { $0 }, ex = s.exact_slopes["\(n)"].flatMap { $0 }
            var t = "slope of log m\(n) vs log N:"
            if let mc { t += String(format: " Monte Carlo %.3f (%ld widths above background)", mc.slope, mc.points) }
            if let ex {
                t += String(format: " exact %.3f", ex.slope)
            } else if s.widths.allSatisfy({ ($0.exact_deviation["\(n)"].flatMap { $0 }).map { $0 <= ScalingAnalysis.roundOffDeviation } ?? false }) {
                t += " exact: m\(n) = 0 to round-off at every N (no slope)"
            }
            lines.append(t)
        }
        if let l = s.lambda, let f = l.fit_exact ?? l.fit_mc {
            lines.append(String(format: "λ_m at N = %ld: log10|λ| vs log10 Λ slope %.3f (R² %.3f)", l.ngp_width, f.slope, f.r_squared))
        }
        print(lines.joined(separator: "\n"))
    }
}

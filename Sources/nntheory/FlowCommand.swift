import ArgumentParser
import Foundation
import MetricFlow
import NumericCore

/// `nntheory flow`: metric flows — Ricci flow and its neural-network realisations — and their comparison.
struct FlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "Metric flows: Ricci flow and neural-network gradient flows of metrics, side by side.",
        subcommands: [FlowTorusCommand.self, FlowCYCommand.self]
    )
}

struct FlowTorusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torus",
        abstract: "Ricci flow and kernel/network realisations of metric flows on the square torus T^n = [0, 2π)^n.",
        discussion: HelpText.paragraphs("""
        The starting metric (--init): e^u δ as "u = EXPR" (the train torus formula syntax), or its components as
        "g11 = EXPR; g12 = EXPR; g22 = EXPR" (with --metric components|ldl and the ricci flow; off-diagonal entries
        not given are 0). Flows (--flow):
          ricci     Ricci flow ∂_t g = −2 Ric, pseudo-spectral (FFTW) with adaptive exponential (ETDRK4) steps to
                    --tolerance; conformal in 2-D (∂_t u = e^{-u} Δu), Ricci–DeTurck for --metric components|ldl
                    and in 3-D (W^k = g^{pq} Γ^k_pq against the flat metric).
          local     frozen kernel −Δδ on v = e^u with loss ∫ v ln v (vlogv): exactly 2-D Ricci flow.
          heat      frozen kernel δ on u with loss ½∫|∇u|² (dirichlet): ∂_t u = Δu.
          gaussian  normalised Gaussian kernel of width --kernel-width on u, same loss: ∂_t u = K ∗ Δu.
          frozen    the empirical NTK of a network (--net, --widths) at initialisation: linearised training.
          network   the network itself trained by gradient descent; its NTK is recomputed at every saved time.
        Network arms: u = u_init + h_θ − h_θ₀ (centred, so u(0) is --init exactly), --loss dirichlet ½∫|∇u|²
        (default), vlogv ∫e^u u (local in u: with a network kernel it is not Ricci flow), or the curvature losses of
        train torus at fixed area (the metric saved is ĝ = (A₀/A)g): scalar2 ∫R² dV (Calabi energy), ricci2
        ∫|Ric|² dV (= ½∫R² in 2-D), perelman −λ(g) = −F at the λ-minimising f (Perelman's flow ascends F);
        --networks per width average the drift ‖Θ_t − Θ_0‖/‖Θ_0‖ of the output NTK and give drift_exponent ±
        drift_exponent_err.
        Gradient-descent arms use learning rate --step (flow time t = steps × η; default half the stable bound;
        an unstable η is refused with the bound). --compare adds the reference Ricci flow from the same metric and
        the velocity cosine (L²(dV_g), tr(g⁻¹ a g⁻¹ b)), the best-matching reference time and the distance left.

        Writes to DIR: times.npy [T]; u.npy [T, N, N] (conformal 2-D flows); metric.npy [T, N, …, n, n];
        summary.json (times, area, mean_u, lambda, F — Perelman's λ = min spec(−4Δ + R) and F at its minimiser —,
        with --compare velocity_cosine, matched_time, distance; network arms ntk_drift per width, drift_exponent,
        drift_exponent_err; complete = false when the flow broke down); modes.svg, lambda.svg, and with --compare
        comparison.svg. A breakdown (a metric no longer positive definite, a blow-up) keeps what was written, marks
        summary.json incomplete and exits with an error naming the time reached.
        SIGINT/SIGTERM stop after the current time step (or Perelman evaluation), keeping the stepper's state and
        the states saved so far in DIR/checkpoints (removed when the run finishes); --resume continues
        bit-identically.

        Examples:
          nntheory flow torus --init "u = cos(x)" --grid 64 --t-end 16 --out ricci
          nntheory flow torus --flow heat --init "u = cos(x)" --t-end 4 --compare --out heat
          nntheory flow torus --flow gaussian --kernel-width 0.5 --step 0.001 --compare --out gauss
          nntheory flow torus --flow network --grid 16 --widths 16,64,256 --networks 4 \\
              --step 0.1 --t-end 1 --out nn
          nntheory flow torus --flow network --loss perelman --grid 16 --t-end 200 --compare --out perelman
          nntheory flow torus --metric components --grid 32 \\
              --init "g11 = 1 + 0.3*cos(y); g12 = 0.2*sin(x); g22 = 1" --out general
          nntheory flow torus --dim 3 --metric components --grid 16 --init "u = 0.3*cos(x)*sin(y+z)" --out r3
        """)
    )

    @Option(parsing: .unconditional, help: "Torus dimension n (2 or 3).")
    var dim: Int = 2

    @Option(help: "Metric representation: conformal, components or ldl.")
    var metric: String = "conformal"

    @Option(help: "Starting metric: e^u δ as 'u = EXPR', or 'g11 = EXPR; g12 = EXPR; g22 = EXPR' (x, y, z, numbers, + - * / ^, sin cos tan exp log sqrt tanh, pi).")
    var `init`: String = "u = cos(x)"

    @Option(parsing: .unconditional, help: "Grid points per dimension (even).")
    var grid: Int?

    @Option(help: "Flow: ricci, local, heat, gaussian, frozen or network.")
    var flow: String = "ricci"

    @Option(help: "Loss of the kernel/network arms: vlogv (local, frozen, network), dirichlet (heat, gaussian, frozen, network), scalar2, ricci2, perelman (frozen, network).")
    var loss: String?

    @Option(parsing: .unconditional, help: "Width ℓ of the Gaussian kernel.")
    var kernelWidth: Double = 0.5

    @Option(parsing: .unconditional, help: "Learning rate η of the gradient-descent arms (default: half the stable bound).")
    var step: Double?

    @Option(parsing: .unconditional, help: "Final flow time.")
    var tEnd: Double = 16

    @Option(help: "Saved times t1,t2,… (0 allowed; default 17 equally spaced on [0, --t-end]).")
    var times: String?

    @Option(parsing: .unconditional, help: "Relative tolerance of the Ricci flow's time stepping.")
    var tolerance: Double = 1e-8

    @Flag(help: "Compare with the reference Ricci flow from the same metric.")
    var compare = false

    @Option(help: "Network SPEC of the network arms, with N for the width (default: Dense(N, b_std=0.1) Tanh Dense(N, b_std=0.1) Tanh Dense(1)).")
    var net: String?

    @Option(help: "Widths N of the network arms, comma-separated (one run per width).")
    var widths: String = "64"

    @Option(parsing: .unconditional, help: "Networks per width of the network arms (drifts averaged; ≥ 2 gives error bars to the drift exponent).")
    var networks: Int = 1

    @Option(parsing: .unconditional, help: "Periodic harmonics of the network input embedding.")
    var harmonics: Int = 1

    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOptions
    @OptionGroup var resume: ResumeOption

    func config() throws -> TorusFlowConfig {
        var c = TorusFlowConfig()
        c.dimension = dim
        guard let m = TorusMetricForm(rawValue: metric.lowercased()) else { throw InputError("--metric '\(metric)', expected conformal, components or ldl") }
        guard let f = TorusFlowKind(rawValue: flow.lowercased()) else { throw InputError("--flow '\(flow)', expected ricci, local, heat, gaussian, frozen or network") }
        c.metric = m; c.flow = f
        c.initExpression = `init`
        c.grid = grid ?? (dim == 3 ? 16 : (f.isNetwork ? 16 : 64))
        c.loss = loss?.lowercased()
        c.kernelWidth = kernelWidth; c.step = step; c.tEnd = tEnd
        c.times = try times.map { try parseList($0, option: "--times", expected: "a finite number") { Double($0).flatMap { $0.isFinite ? $0 : nil } } }
        c.tolerance = tolerance; c.compare = compare
        c.net = net
        c.widths = try parseList(widths, option: "--widths", expected: "a whole number in 1…4096") { Int($0).flatMap { (1...4096).contains($0) ? $0 : nil } }
        c.harmonics = harmonics; c.networks = networks; c.seed = seed.seed
        return c
    }

    func run() throws {
        try output.run(resume: resume.resume) { dir in
            let c = try config()
            let experiment = try TorusFlowExperiment(config: c)
            let meter = ProgressMeter(label: "flow torus (\(c.flow.rawValue))")
            StopRequest.install()
            let r = try exitingOnInterrupt("flow torus") {
                try experiment.run(progress: meter.update, checkpoints: dir.appendingPathComponent("checkpoints"), resume: resume.resume,
                                   stop: { StopRequest.received }, log: progress)
            }
            meter.finish()
            try FlowTorusOutput.write(r, to: dir)
            if let b = r.trajectory.breakdown {
                throw InputError("flow torus: \(b.reason) at t = \(String(format: "%.6g", b.time)); the states up to t = \(r.trajectory.times.last.map { String(format: "%.6g", $0) } ?? "none") are kept in \(output.out) (summary.json: complete = false)")
            }
            var line = "flow torus: \(c.flow.rawValue) on T^\(c.dimension), \(c.grid)^\(c.dimension) grid, t = 0…\(String(format: "%g", c.savedTimes.last ?? 0))"
            if let a0 = r.area.first, let a1 = r.area.last { line += String(format: "; volume %.10g → %.10g", a0, a1) }
            if let l0 = r.lambda.first, let l1 = r.lambda.last { line += String(format: "; λ %.6g → %.6g", l0, l1) }
            if let cmp = r.comparison, let cs = cmp.velocityCosine.last { line += String(format: "; velocity cosine %.6f at the end", cs) }
            if let e = r.driftExponent { line += String(format: "; NTK drift ∝ N^(%.3f ± %.3f)", e.value, e.error) }
            print(line + String(format: " (%.1f s) → %@", r.seconds, output.out))
        }
    }
}

/// Progress on stderr with an estimate of the time left, at most once a second.
final class ProgressMeter {
    let label: String
    let start = Date()
    lazy var last = start
    init(label: String) { self.label = label }
    func update(_ fraction: Double) {
        let now = Date()
        guard now.timeIntervalSince(last) >= 1, fraction > 0 else { return }
        last = now
        let elapsed = now.timeIntervalSince(start)
        let eta = elapsed * (1 - fraction) / fraction
        progress(String(format: "%@: %.0f%%, %.0f s elapsed, ETA %.0f s", label, 100 * fraction, elapsed, eta))
    }
    func finish() {
        let elapsed = Date().timeIntervalSince(start)
        if elapsed >= 1 { progress(String(format: "%@: done in %.1f s", label, elapsed)) }
    }
}

import Foundation
import NumericCore
import Training

/// The flows `nntheory flow torus` runs: the reference Ricci flow and the realisations of the network metric flow.
public enum TorusFlowKind: String, Sendable, Codable, CaseIterable {
    /// Ricci flow ∂_t g = −2 Ric (`RicciFlow`).
    case ricci
    /// Frozen local kernel −Δδ on v = e^u, loss ∫ v ln v (`KernelFlow.Arm.local`).
    case local
    /// Frozen kernel δ on u, loss ½∫|∇u|² (`KernelFlow.Arm.heat`).
    case heat
    /// Normalised Gaussian kernel of width ℓ on u, loss ½∫|∇u|² (`KernelFlow.Arm.gaussian`).
    case gaussian
    /// The frozen empirical NTK of a network at initialisation (linearised training).
    case frozen
    /// A network trained by gradient descent, its NTK recomputed along training.
    case network

    /// Whether the flow is realised by a network (`--net`, `--widths`).
    public var isNetwork: Bool { self == .frozen || self == .network }
}

/// How the metric is represented: `conformal` g = e^{u}δ (2-D: the state is u), `components` and `ldl` a general
/// g_ij (the reference flow then runs in the Ricci–DeTurck form; for network arms the parametrisation of the
/// network's outputs).
public enum TorusMetricForm: String, Sendable, Codable, CaseIterable {
    case conformal, components, ldl
}

/// The settings of a torus flow run (`nntheory flow torus`).
public struct TorusFlowConfig: Sendable, Codable, Equatable {
    /// Torus dimension n (2 or 3).
    public var dimension = 2
    /// Metric representation.
    public var metric: TorusMetricForm = .conformal
    /// The starting metric as a `TorusMetricExpression`: e^{u}δ ("u = cos(x)") or components
    /// ("g11 = …; g12 = …; g22 = …", with `metric` components or ldl and the Ricci flow).
    public var initExpression = "u = cos(x)"
    /// Grid points per dimension (even).
    public var grid = 64
    /// Which flow.
    public var flow: TorusFlowKind = .ricci
    /// Loss of the kernel and network arms (nil: the arm's natural loss — vlogv for `local`, dirichlet otherwise); the
    /// network arms also take the curvature losses scalar2, ricci2 and perelman (`NetworkFlow.Loss`).
    public var loss: String? = nil
    /// Width ℓ of the Gaussian kernel.
    public var kernelWidth = 0.5
    /// Learning rate η of the gradient-descent arms (nil: half the stable bound).
    public var step: Double? = nil
    /// Final flow time.
    public var tEnd = 16.0
    /// Saved times (nil: 17 equally spaced times on [0, tEnd]).
    public var times: [Double]? = nil
    /// Relative tolerance of the reference flow's time stepping.
    public var tolerance = 1e-8
    /// Whether to compare with the reference Ricci flow from the same metric.
    public var compare = false
    /// Network SPEC of the network arms (nil: the default network with `width` N).
    public var net: String? = nil
    /// Widths N of the network arms (one run each).
    public var widths: [Int] = [64]
    /// Networks per width of the network arms (seeds derived per width and network; drifts averaged).
    public var networks = 1
    /// Input harmonics of the network arms.
    public var harmonics = 1
    /// Seed of the network parameters.
    public var seed: UInt64 = 0

    /// The defaults (u = cos x on a 64² grid to t = 16, Ricci flow).
    public init() {}

    enum CodingKeys: String, CodingKey {
        case dimension, metric, grid, flow, loss, step, times, tolerance, compare, net, widths, networks, harmonics, seed
        case initExpression = "init", kernelWidth = "kernel_width", tEnd = "t_end"
    }

    /// The saved times: `times`, else 17 equally spaced on [0, tEnd].
    public var savedTimes: [Double] { times ?? (0...16).map { tEnd * Double($0) / 16 } }

    /// Checks every setting; throws a one-line `SettingError` naming the first bad one.
    public func validate() throws {
        guard dimension == 2 || dimension == 3 else { throw SettingError("dimension", "\(dimension), expected 2 or 3") }
        guard grid >= 4, grid % 2 == 0, grid <= (dimension == 2 ? 1024 : 96) else {
            throw SettingError("grid", "\(grid), expected an even number of points per dimension in 4…\(dimension == 2 ? 1024 : 96)")
        }
        guard tEnd.isFinite, tEnd >= 0 else { throw SettingError("tEnd", "\(tEnd), expected a finite time ≥ 0") }
        let ts = savedTimes
        guard !ts.isEmpty, ts.count <= 10_000 else { throw SettingError("times", "\(ts.count) times, expected 1…10000") }
        for (i, t) in ts.enumerated() {
            guard t.isFinite, t >= 0 else { throw SettingError("times", "\(t), expected finite times ≥ 0") }
            if i > 0 && !(t > ts[i - 1]) { throw SettingError("times", "\(ts[i - 1]), \(t): expected strictly increasing times") }
        }
        guard tolerance.isFinite, tolerance >= 1e-14, tolerance <= 1e-2 else { throw SettingError("tolerance", "\(tolerance), expected 1e-14…1e-2") }
        guard kernelWidth.isFinite, kernelWidth > 0 else { throw SettingError("kernelWidth", "\(kernelWidth), expected a positive width") }
        if let s = step { guard s.isFinite, s > 0 else { throw SettingError("step", "\(s), expected a positive learning rate") } }
        if flow != .ricci && (dimension != 2 || metric != .conformal) {
            throw SettingError("flow", "\(flow.rawValue) with a \(metric.rawValue) metric on T^\(dimension), expected a conformal metric on T^2 (the kernel and network arms act on e^u δ)")
        }
        if compare && pow(Double(grid), Double(dimension)) > 128 * 128 {
            throw SettingError("grid", "\(grid) with compare: the reference is kept at 401 times (\(grid)^\(dimension) points each), expected at most 128² points (2-D) or 25³ (3-D)")
        }
        if let l = loss {
            let allowed: [String]
            switch flow {
            case .ricci: allowed = []   // the reference flow has no loss
            case .local: allowed = ["vlogv"]
            case .heat, .gaussian: allowed = ["dirichlet"]
            case .frozen, .network: allowed = NetworkFlow.Loss.allCases.map(\.rawValue)
            }
            guard allowed.contains(l) else {
                throw SettingError("loss", "'\(l)' for the \(flow.rawValue) flow, expected \(allowed.isEmpty ? "none (Ricci flow is the reference, not a loss's gradient flow)" : allowed.joined(separator: " or "))")
            }
        }
        if flow.isNetwork {
            guard !widths.isEmpty, widths.allSatisfy({ $0 >= 1 && $0 <= 4096 }) else {
                throw SettingError("widths", "\(widths.map(String.init).joined(separator: ",")), expected widths in 1…4096")
            }
            guard networks >= 1, networks <= 1000 else { throw SettingError("networks", "\(networks), expected 1…1000 networks per width") }
            guard pow(Double(grid), Double(dimension)) <= 64 * 64 else {
                throw SettingError("grid", "\(grid) for a network arm: its NTK is a dense [M, M] matrix, expected at most 64² points")
            }
        }
        let initial: TorusMetricExpression
        do {
            initial = try TorusMetricExpression(initExpression, dimension: dimension)
            try initial.checkFinite()
        } catch { throw SettingError("initExpression", ": \(error)") }
        if initial.conformalFactor == nil {
            guard flow == .ricci else {
                throw SettingError("initExpression", "'\(initExpression)' gives components for the \(flow.rawValue) flow, expected 'u = EXPR' (the kernel and network arms act on e^u δ)")
            }
            guard metric != .conformal else {
                throw SettingError("metric", "conformal with the components '\(initExpression)', expected components or ldl (or a conformal 'u = EXPR')")
            }
        }
    }
}

/// One saved state's Perelman data and bookkeeping.
public struct TorusFlowResult: Sendable {
    /// The settings.
    public let config: TorusFlowConfig
    /// The flow (for network arms: the first width's).
    public var trajectory: FlowTrajectory
    /// The reference Ricci flow from the same metric (with `compare`), saved densely.
    public var reference: FlowTrajectory?
    /// Vol(g) at each saved time (the area in 2-D).
    public var area: [Double] = []
    /// Mean of u = ln g_00 over the grid at each saved time (conformal metrics).
    public var meanU: [Double]? = nil
    /// λ(g) at each saved time.
    public var lambda: [Double] = []
    /// F(g, f_λ) at each saved time, with f_λ the λ-minimiser (equal to λ up to discretisation: a check).
    public var perelmanF: [Double] = []
    /// The comparison with the reference (with `compare`).
    public var comparison: FlowComparison? = nil
    /// The learning rate used by a gradient-descent arm.
    public var step: Double? = nil
    /// Network arms: kernel drift per width at each saved time.
    public var ntkDrift: [Int: [Double]] = [:]
    /// Network arms: the fitted drift exponent (drift at the last time ∝ N^exponent) and its standard error.
    public var driftExponent: (value: Double, error: Double)? = nil
    /// Wall-clock seconds.
    public var seconds = 0.0
}

/// Runs a torus flow experiment: the chosen flow from the --init metric, Perelman's λ and F along it, and, when asked,
/// the reference Ricci flow and the comparison measures.
public struct TorusFlowExperiment {
    /// The settings.
    public let config: TorusFlowConfig
    /// The grid.
    public let grid: TorusGrid

    /// Validates `config` and builds the grid.
    public init(config: TorusFlowConfig) throws {
        try config.validate()
        self.config = config
        grid = try TorusGrid(dimension: config.dimension, side: config.grid)
    }

    /// The starting metric of the --init formula on the grid (`TorusMetricExpression`), with its conformal factor u
    /// when the formula is conformal (`u = EXPR`). Throws a `SettingError` naming the point when a value is not
    /// finite, when the formula is not periodic (f(x + 2π e_a) ≠ f(x) beyond round-off), when the metric is not
    /// positive definite at t = 0, or when the grid under-resolves it (`checkResolution`).
    public func initialState() throws -> (metric: GridMetric, conformalFactor: [Double]?) {
        let e = try TorusMetricExpression(config.initExpression, dimension: config.dimension)
        let n = config.dimension, n2 = n * n, M = grid.count
        var x = [Double](repeating: 0, count: n)
        func location(_ y: [Double]) -> String { "x = (\(y.map { String(format: "%.4g", $0) }.joined(separator: ", ")))" }
        // The formulas' values (u, or the n² entries) and their periodicity.
        let width = e.conformalFactor != nil ? 1 : n2
        let evaluate: ([Double]) -> [Double] = { y in e.conformalFactor.map { [$0(y)] } ?? e(y) }
        var values = [Double](repeating: 0, count: M * width)
        for p in 0..<M {
            for a in 0..<n { x[a] = grid.coordinate(p, axis: a) }
            let v = evaluate(x)
            if let bad = v.first(where: { !$0.isFinite }) {
                throw SettingError("initExpression", "'\(config.initExpression)' is \(bad) at \(location(x)) at t = 0, expected finite values")
            }
            for k in 0..<width { values[p * width + k] = v[k] }
            for a in 0..<n {
                var y = x; y[a] += 2 * Double.pi
                let w = evaluate(y)
                for k in 0..<width where !(abs(w[k] - v[k]) <= 1e-8 * max(1, abs(v[k]))) {
                    throw SettingError("initExpression", "'\(config.initExpression)' is not periodic: \(width == 1 ? "u" : "g\(k / n + 1)\(k % n + 1)") = \(v[k]) at \(location(x)) but \(w[k]) at x\(a == 0 ? "" : a == 1 ? "(y)" : "(z)") + 2π, expected a function on the torus [0, 2π)^\(n)")
                }
            }
        }
        let metric: GridMetric, u: [Double]?
        if width == 1 {
            u = values
            metric = .conformal(values, grid: grid)
        } else {
            u = nil
            metric = GridMetric(grid: grid, components: values)
            do { try metric.validate("starting metric") } catch let error as SettingError {
                throw SettingError("initExpression", "'\(config.initExpression)' at t = 0 \(error.detail)")
            }
        }
        try checkResolution(metric)
        return (metric, u)
    }

    /// The conformal factor u of a conformal --init formula on the grid (`initialState`); throws for a component
    /// formula.
    public func initialConformalFactor() throws -> [Double] {
        guard let u = try initialState().conformalFactor else {
            throw SettingError("initExpression", "'\(config.initExpression)' gives components, expected a conformal metric 'u = EXPR'")
        }
        return u
    }

    /// Refuses an initial metric the grid under-resolves: for every component g_ij the Fourier coefficients beyond
    /// half the largest wave number (max_a |k_a| > N/4) must stay below 10⁻³ of the largest coefficient of the
    /// metric, so that the pseudo-spectral derivatives (and the curvature) are accurate (e^{cos x} needs N ≥ 16).
    func checkResolution(_ g: GridMetric) throws {
        let n = grid.dimension, N = grid.side, M = grid.count
        var top = 0.0, tail = 0.0
        for i in 0..<n { for j in i..<n {
            let s = grid.spectrum((0..<M).map { g.components[($0 * n + i) * n + j] })
            for m in 0..<s.count {
                let a = (s[m].real * s[m].real + s[m].imaginary * s[m].imaginary).squareRoot()
                top = max(top, a)
                if (0..<n).contains(where: { abs(grid.waveNumbers[m * n + $0]) > Double(N / 4) }) { tail = max(tail, a) }
            }
        } }
        guard tail <= 1e-3 * top else {
            throw SettingError("grid", "\(N) under-resolves the initial metric of '\(config.initExpression)' (Fourier tail beyond |k| = \(N / 4) is \(String(format: "%.2g", tail / top)) of the largest coefficient), expected a finer grid (try \(2 * N))")
        }
    }

    /// Runs the experiment; `progress(fraction)` reports the flow's progress in [0, 1]. With `checkpoints` the run
    /// is stoppable and resumable (`TorusFlowCheckpoint`): `stop` is polled after every time step and every
    /// Perelman evaluation, and a signal number saves the checkpoint and throws `StopRequest.Interrupted`; with
    /// `resume`, a checkpoint of the same settings is continued with the same bits as a run that never stopped.
    /// The checkpoint is removed when the run finishes.
    public func run(progress: (Double) -> Void = { _ in }, checkpoints: URL? = nil, resume: Bool = false,
                    stop: @escaping () -> Int32? = { nil }, log: (String) -> Void = { _ in }) throws -> TorusFlowResult {
        let start = Date()
        let (g0, initialFactor) = try initialState()
        let times = config.savedTimes, tMax = times.last ?? 0
        let report: (Double) -> Void = { t in progress(tMax > 0 ? min(1, t / tMax) : 1) }
        let ckpt = try checkpoints.map { try TorusFlowCheckpoint(directory: $0, config: config, grid: grid, resume: resume, stop: stop, log: log) }
        do {
            let r = try run(g0: g0, initialFactor: initialFactor, times: times, report: report, ckpt: ckpt, start: start)
            // A finished run (complete, or ended by a breakdown that a resume would only reach again) needs no
            // checkpoint; the dense reference's states would otherwise stay behind (≈ 100 MB on a 64² grid).
            if let checkpoints { try? FileManager.default.removeItem(at: checkpoints) }
            return r
        } catch let i as StopRequest.Interrupted {
            throw StopRequest.Interrupted(signal: i.signal, detail: i.detail
                + (checkpoints.map { "; the checkpoint is in \($0.path): rerun with --resume to continue" } ?? ""))
        }
    }

    /// One stepping run of the experiment under `key`, resumed from and saved to `ckpt`.
    func stepping<R>(_ key: String, _ ckpt: TorusFlowCheckpoint?,
                     _ body: ((point: FlowResumePoint, trajectory: FlowTrajectory)?, FlowCheckpointing?) throws -> R,
                     trajectory: (R) -> FlowTrajectory) throws -> R {
        let r = try body(try ckpt?.resume(key), ckpt?.checkpointing(key))
        try ckpt?.finished(key, trajectory(r))
        return r
    }

    func run(g0: GridMetric, initialFactor: [Double]?, times: [Double], report: (Double) -> Void,
             ckpt: TorusFlowCheckpoint?, start: Date) throws -> TorusFlowResult {
        let tMax = times.last ?? 0
        var result: TorusFlowResult
        switch config.flow {
        case .ricci:
            let form: RicciFlow.Formulation = config.metric == .conformal && config.dimension == 2 ? .conformal : .deTurck
            let flow = try RicciFlow(grid: grid, formulation: form, control: StepControl(tolerance: config.tolerance))
            let trajectory = try stepping("arm", ckpt, { try flow.run(from: g0, times: times, progress: report, resume: $0, checkpointing: $1) }, trajectory: { $0 })
            result = TorusFlowResult(config: config, trajectory: trajectory)
        case .local, .heat, .gaussian:
            let u0 = try conformal(initialFactor)
            let arm = KernelFlow.Arm(rawValue: config.flow.rawValue)!
            let probe = try KernelFlow(grid: grid, arm: arm, step: 1, kernelWidth: config.kernelWidth)
            let eta = config.step ?? 0.5 * probe.stableStepBound(u0)
            let flow = try KernelFlow(grid: grid, arm: arm, step: eta, kernelWidth: config.kernelWidth)
            let trajectory = try stepping("arm", ckpt, { try flow.run(conformalFactor: u0, times: times, progress: report, resume: $0, checkpointing: $1) }, trajectory: { $0 })
            result = TorusFlowResult(config: config, trajectory: trajectory)
            result.step = eta
        case .frozen, .network:
            result = try runNetworkArms(u0: try conformal(initialFactor), times: times, progress: report, ckpt: ckpt)
        }
        // Perelman's functionals and the bookkeeping at every saved state.
        let traj = result.trajectory
        result.area = traj.metrics.map(\.volume)
        if let us = traj.conformalFactors { result.meanU = us.map { $0.reduce(0, +) / Double($0.count) } }
        if let c = ckpt, c.state.lambda.count <= traj.metrics.count, c.state.perelmanF.count == c.state.lambda.count {
            result.lambda = c.state.lambda; result.perelmanF = c.state.perelmanF
        }
        for (i, g) in traj.metrics.enumerated() where i >= result.lambda.count {
            if let c = ckpt, let sig = c.stop() {
                try c.write(nil, nil)
                throw StopRequest.Interrupted(signal: sig, detail: "after Perelman's λ of \(i) of \(traj.metrics.count) states")
            }
            defer { try? ckpt?.perelman(lambda: result.lambda, F: result.perelmanF) }
            do {
                // Tight first; a near-flat metric can stall LOBPCG near round-off, then 1e-8 (λ error ≈ residual²/gap).
                try g.validate("metric")
                let curvature = GridCurvature(g)   // once per state, for λ and F
                let l = try (try? Perelman.lambda(curvature, maximumIterations: 1000))
                    ?? Perelman.lambda(curvature, tolerance: 1e-8, maximumIterations: 2000)
                result.lambda.append(l.value)
                result.perelmanF.append(Perelman.F(curvature, f: l.potential))
            } catch {
                // Keep the flow's states; the run is incomplete from here and ends with an error.
                result.lambda.append(.nan); result.perelmanF.append(.nan)
                if result.trajectory.breakdown == nil {
                    result.trajectory.breakdown = FlowBreakdown("Perelman's λ failed (\(error)); the grid may under-resolve the metric", time: traj.times[i])
                }
            }
        }
        if config.compare {
            // The reference, saved densely enough for the time matching (cubic Hermite between saved states).
            let form: RicciFlow.Formulation = config.dimension == 2 && initialFactor != nil ? .conformal : .deTurck
            // Slow arms match reference times beyond their own (the heat arm runs at speed e^{u∞} ≤ e^{max u₀}, the
            // largest diagonal entry of g₀).
            let n = config.dimension
            let largest = (0..<grid.count).reduce(0.0) { m, p in (0..<n).reduce(m) { max($0, g0.components[(p * n + $1) * n + $1]) } }
            let span = max(tMax, 1e-12) * max(2, 1.25 * largest)
            let dense = (0...400).map { span * Double($0) / 400 }
            let flow = try RicciFlow(grid: grid, formulation: form, control: StepControl(tolerance: min(config.tolerance, 1e-9)))
            let reference = try stepping("reference", ckpt, { try flow.run(from: g0, times: dense, resume: $0, checkpointing: $1) }, trajectory: { $0 })
            result.reference = reference
            result.comparison = FlowComparison(arm: traj, reference: reference)
        }
        result.seconds = Date().timeIntervalSince(start)
        return result
    }

    /// The conformal factor the kernel and network arms need (`validate` has refused a component --init for them).
    func conformal(_ u: [Double]?) throws -> [Double] {
        guard let u else { throw SettingError("initExpression", "'\(config.initExpression)' gives components, expected 'u = EXPR' for the \(config.flow.rawValue) flow") }
        return u
    }
}

extension TorusFlowExperiment {
    /// The network arms: at every width N, `networks` networks (network m seeded by deriveSeed(deriveSeed(seed, N), m),
    /// as `NetworkFlow.widthStudy`), all from u₀ with the same η (the first network's, half its stable bound unless
    /// given). The result's trajectory is the first network of the first width; `ntkDrift[N]` is the mean drift over
    /// the networks at each saved time; for the `network` arm with ≥ 2 widths, drift(t_end) ∝ N^b is fitted
    /// (`PowerLawFit`, weighted by the standard errors of the means when there are ≥ 2 networks per width).
    func runNetworkArms(u0: [Double], times: [Double], progress: (Double) -> Void, ckpt: TorusFlowCheckpoint? = nil) throws -> TorusFlowResult {
        let arm: NetworkFlow.Arm = config.flow == .frozen ? .frozen : .network
        guard let loss = NetworkFlow.Loss(rawValue: config.loss ?? "dirichlet") else {
            throw SettingError("loss", "'\(config.loss ?? "")', expected \(NetworkFlow.Loss.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var result: TorusFlowResult? = nil
        var drift: [Int: [Double]] = [:], finalError: [Int: Double] = [:]
        var eta = config.step
        let runs = Double(config.widths.count * config.networks)
        var done = 0.0
        for N in config.widths {
            var sums = [Double](repeating: 0, count: times.count), finals = [Double]()
            for m in 0..<config.networks {
                let net = try NetworkFlow.metricNetwork(spec: config.net ?? NetworkFlow.defaultNet, width: N, harmonics: config.harmonics,
                                                       seed: deriveSeed(deriveSeed(config.seed, UInt64(N)), UInt64(m)))
                let flow = try NetworkFlow(grid: grid, metricNetwork: net, arm: arm, loss: loss, step: eta, initialConformalFactor: u0)
                let r = try stepping("network_\(N)_\(m)", ckpt, {
                    try flow.run(times: times, progress: { progress((done + $0 / max(times.last ?? 1, 1e-300)) / runs) },
                                 resume: $0, checkpointing: $1)
                }, trajectory: \.trajectory)
                done += 1
                eta = eta ?? r.step
                if result == nil {
                    var res = TorusFlowResult(config: config, trajectory: r.trajectory)
                    res.step = r.step
                    result = res
                }
                if let b = r.trajectory.breakdown {
                    if result!.trajectory.breakdown == nil {
                        result!.trajectory.breakdown = FlowBreakdown("width \(N), network \(m): \(b.reason)", time: b.time)
                    }
                    continue
                }
                for (i, d) in r.drift.enumerated() where i < sums.count { sums[i] += d }
                finals.append(r.drift.last ?? .nan)
            }
            guard !finals.isEmpty else { continue }
            let S = Double(finals.count)
            drift[N] = sums.map { $0 / S }
            if finals.count >= 2 {
                let mean = finals.reduce(0, +) / S
                finalError[N] = (finals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (S - 1) / S).squareRoot()
            }
        }
        result!.ntkDrift = drift
        if arm == .network {
            let ws = config.widths.filter { (drift[$0]?.last ?? 0) > 0 }
            let errors = ws.allSatisfy({ (finalError[$0] ?? 0) > 0 }) ? ws.map { finalError[$0]! } : nil
            if ws.count >= 2, let fit = PowerLawFit(x: ws.map(Double.init), y: ws.map { drift[$0]!.last! }, errors: errors) {
                result!.driftExponent = (fit.exponent, fit.exponentError ?? .nan)
            }
        }
        return result!
    }
}

import Foundation
import Networks
import NumericCore

extension CorrelatorExperiment {
    /// Exact, GP and Monte Carlo values at one width, and the derived measures.
    public func analyse(width: Int, accumulator: CorrelatorAccumulator?, exactModel: ExactCorrelators?, gpKernel K: Matrix) -> WidthResult {
        let P = points.rows
        let est = accumulator?.estimates()
        let exact: ExactCorrelators? = exactModel.map {
            ExactCorrelators(width: Double(width), outputWeightVariance: $0.outputWeightVariance,
                             outputBiasVariance: $0.outputBiasVariance, moment: $0.moment)
        }
        var gp: [Int: [Double]] = [:], ex: [Int: [Double]] = [:]
        var dev: [Int: Double] = [:], exDev: [Int: Double] = [:], bg: [Int: Double] = [:]
        for n in computedOrders {
            let ms = Multisets(pointCount: P, order: n).indices
            gp[n] = ms.map { Wick.gaussianCorrelator($0) { K[$0, $1] } }
            if let e = exact { ex[n] = ms.map { e.correlator($0) } }
        }
        for n in orders {
            if let e = est {
                dev[n] = ScalingAnalysis.deviation(e.mean[n]!, gp: gp[n]!)
                bg[n] = ScalingAnalysis.background(chunkMeans: e.chunkMeans.map { $0[n]! }, gp: gp[n]!)
            }
            if let x = ex[n] { exDev[n] = ScalingAnalysis.deviation(x, gp: gp[n]!) }
        }
        // Connected functions from the multiset tables.
        func connected(_ table: [Int: [Double]]) -> [Int: [Double]] {
            var out: [Int: [Double]] = [:]
            guard let g2 = table[2] else { return out }
            let m2 = Multisets(pointCount: P, order: 2)
            let G2: (Int, Int) -> Double = { g2[m2.position(of: [min($0, $1), max($0, $1)])] }
            if maxOrder >= 4, let g4 = table[4] {
                let m4 = Multisets(pointCount: P, order: 4)
                out[4] = m4.indices.enumerated().map { k, idx in Wick.connected4(idx, g4: g4[k], g2: G2) }
                if maxOrder >= 6, let g6 = table[6] {
                    let m6 = Multisets(pointCount: P, order: 6)
                    out[6] = m6.indices.enumerated().map { k, idx in
                        Wick.connected6(idx, g6: g6[k], g4: { g4[m4.position(of: $0.sorted())] }, g2: G2)
                    }
                }
            }
            return out
        }
        return WidthResult(width: width, estimates: est, exact: exact == nil ? nil : ex, gp: gp, deviation: dev,
                           exactDeviation: exDev, background: bg,
                           connected: est.map { connected($0.mean) } ?? [:], connectedExact: connected(ex))
    }
}

/// The JSON summary of a correlator run (`summary.json`). Values that do not exist are null.
public struct CorrelatorSummary: Codable, Sendable {
    /// The values of one width in `summary.json`, keyed by order ("2", "4", "6").
    public struct PerWidth: Codable, Sendable {
        /// The width N.
        public var width: Int
        /// Networks M of the Monte Carlo.
        public var networks: Int
        /// Monte Carlo m_n (null without networks).
        public var deviation: [String: Double?]
        /// Exact m_n (null without exact values).
        public var exact_deviation: [String: Double?]
        /// Chunk background of m_n (null for one chunk).
        public var background: [String: Double?]
    }
    /// A least-squares line in log–log coordinates, log y = intercept + slope·log x.
    public struct Fit: Codable, Sendable {
        /// The fitted power.
        public var slope: Double
        /// The fitted log-prefactor.
        public var intercept: Double
        /// Coefficient of determination R² of the fit.
        public var r_squared: Double
        /// Number of points fitted.
        public var points: Int
        init(_ f: ScalingAnalysis.LinearFit) { slope = f.slope; intercept = f.intercept; r_squared = f.rSquared; points = f.count }
    }
    /// The quartic coupling λ_m(Λ) at the NGP width and its log–log fit against Λ.
    public struct Lambda: Codable, Sendable {
        /// Width at which λ_m is measured.
        public var ngp_width: Int
        /// The cutoffs Λ.
        public var cutoffs: [Double]
        /// λ_m(Λ) from the exact four-point function (null when unavailable).
        public var lambda_exact: [Double]?
        /// λ_m(Λ) from the Monte Carlo four-point function (null without networks).
        public var lambda_mc: [Double]?
        /// log λ_exact against log Λ.
        public var fit_exact: Fit?
        /// log λ_mc against log Λ.
        public var fit_mc: Fit?
    }
    /// The architecture (`--net`).
    public var net: String
    /// The points x_i, one row per point.
    public var points: [[Double]]
    /// σ_w.
    public var sigma_w: Double
    /// σ_b.
    public var sigma_b: Double
    /// The requested orders.
    public var orders: [Int]
    /// Networks M per width.
    public var networks: Int
    /// Chunks K per width.
    public var chunks: Int
    /// The seed.
    public var seed: UInt64
    /// One entry per width, in the order scanned.
    public var widths: [PerWidth]
    /// log m_n = a + slope·log N over widths whose Monte Carlo deviation exceeds three times its noise floor
    /// (background/√K, the spread of the mean over all K chunks).
    public var slopes: [String: Fit?]
    /// The same fit for the exact deviations over all widths.
    public var exact_slopes: [String: Fit?]
    /// "available", or why exact finite-N values are not (e.g. a deep network).
    public var exact_values: String
    /// λ_m analysis (single-layer nets with d_in = 1; null otherwise).
    public var lambda: Lambda?
    /// cos-net settings: mass, cutoff, sigma_a (null for other nets).
    public var cos_net: [String: Double]?
    /// `mlp` settings: depth, activation (SPEC text), parameterization (null for other nets).
    public var mlp: [String: String]?
}

/// Drives a `CorrelatorExperiment` into an output directory: checkpointed Monte Carlo per width,
/// `.npy` tensors, `summary.json` and `scaling.svg`, with progress on stderr.
public struct CorrelatorRunner {
    /// The experiment to run.
    public var experiment: CorrelatorExperiment
    /// The output directory.
    public var output: URL
    /// Continue from (and merge) the checkpoints in `output/checkpoints`.
    public var resume = false
    /// Run only shard i of S (1-based i on the command line, 0-based here); writes checkpoints only.
    public var shard: (index: Int, count: Int)? = nil
    /// Seconds between checkpoints of a running width.
    public var checkpointInterval: TimeInterval = 30
    /// The ranks that share the Monte Carlo work (one process by default); rank 0 writes.
    public var group: any ProcessGroup = ProcessGroups.current
    /// Where progress lines go (stderr by default).
    /// Polled after every batch of blocks: a signal number stops the run there, its checkpoint saved, by throwing
    /// `StopRequest.Interrupted` (nil: go on).
    public var stop: @Sendable () -> Int32? = { nil }
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    /// A runner of `experiment` into `output` (not resumed, not sharded, checkpoints every 30 s).
    public init(experiment: CorrelatorExperiment, output: URL) {
        self.experiment = experiment
        self.output = output
    }

    struct Checkpoint: Codable {
        var fingerprint: String
        var accumulator: CorrelatorAccumulator
    }

    var checkpointDirectory: URL { output.appendingPathComponent("checkpoints") }

    func checkpointURL(width: Int) -> URL {
        let name = shard.map { "width-\(width).shard-\($0.index + 1)-of-\($0.count).json" } ?? "width-\(width).json"
        return checkpointDirectory.appendingPathComponent(name)
    }

    /// Loads and merges every checkpoint of this width in the checkpoint directory (shards included).
    func loadCheckpoints(width: Int) throws -> CorrelatorAccumulator? {
        let fm = FileManager.default
        guard let files = try? fm.contentsOfDirectory(atPath: checkpointDirectory.path) else { return nil }
        var merged: CorrelatorAccumulator?
        let fp = experiment.fingerprint(width: width)
        for f in files.sorted() where f.hasPrefix("width-\(width).") && f.hasSuffix(".json") {
            let url = checkpointDirectory.appendingPathComponent(f)
            func decode(_ u: URL) -> Checkpoint? { fm.contents(atPath: u.path).flatMap { try? JSONDecoder().decode(Checkpoint.self, from: $0) } }
            let previous = AtomicFile.previousGeneration(of: url)
            guard let c = decode(url) ?? decode(previous).map({ p in
                log("correlators: warning: checkpoint \(url.path) is unreadable; continuing from the previous one (\(previous.lastPathComponent))")
                return p
            }) else {
                throw InputError("checkpoint \(url.path) is unreadable (and no readable previous one), expected a checkpoint written by nntheory correlators")
            }
            guard c.fingerprint == fp else {
                throw InputError("checkpoint \(url.path) belongs to a different configuration, expected one of this run (remove it or write elsewhere)")
            }
            if merged == nil { merged = c.accumulator } else {
                for k in 0..<c.accumulator.chunkCount where !merged!.blocksDone[k].isDisjoint(with: c.accumulator.blocksDone[k]) {
                    throw InputError("checkpoint \(url.path) overlaps another checkpoint of width \(width)")
                }
                merged!.merge(c.accumulator)
            }
        }
        return merged
    }

    func saveCheckpoint(_ a: CorrelatorAccumulator, width: Int) throws {
        // A checkpoint: flushed to the disk before it replaces the previous one.
        try AtomicFile.durably {
            try FileManager.default.createDirectory(at: checkpointDirectory, withIntermediateDirectories: true)
            let data = try JSONEncoder().encode(Checkpoint(fingerprint: experiment.fingerprint(width: width), accumulator: a))
            // The generation before is kept as NAME.prev: a newest checkpoint damaged later (a full disk, a bad copy)
            // falls back to it on --resume.
            let url = checkpointURL(width: width)
            AtomicFile.keepPreviousGeneration(of: url)
            try AtomicFile.write(data, to: url)
        }
    }

    /// Monte Carlo sums of one width, resumed from checkpoints when asked, checkpointed as it goes; nil on ranks other
    /// than 0 of a process group.
    ///
    /// Under a process group of K ranks (`group`) every rank walks the same batches of the blocks still to do; rank r
    /// evaluates its contiguous share of each batch (`ProcessGroup.share`) into a tree of its own. At a checkpoint, a
    /// stop or the end, the ranks' trees are merged pairwise on the way to rank 0 (`ProcessGroup.mergeToRoot`), which
    /// merges the result into the run's tree and alone writes the checkpoint (one file, the collective checkpoint: a
    /// resume may use any K). `BlockSumTree` sums blocks in a fixed
    /// tree whatever the grouping, so the totals are the same bits for every K, threads and shards. A stop signal seen
    /// by any rank stops all of them after the same batch.
    func monteCarlo(width: Int) throws -> CorrelatorAccumulator? {
        let e = experiment
        let plan = e.plan(width: width)
        let root = group.isRoot
        var acc = resume && root ? try loadCheckpoints(width: width) : nil
        // The blocks done (rank 0 read the checkpoints) decide the work left, the same list on every rank.
        let done0: [Set<Int>]? = group.broadcast(json: acc?.blocksDone)
        let items = shard.map { plan.workItems(shard: $0.index, of: $0.count) } ?? plan.workItems[...]
        let remaining = items.filter { done0?[$0.chunk].contains($0.block) != true }
        if remaining.isEmpty, acc != nil || done0 != nil { return acc }
        if let d = done0, root { log("correlators: \(e.net.rawValue) N=\(width): resuming, \(d.reduce(0) { $0 + $1.count }) blocks done") }
        let start = Date()
        let batch = max(group.size * e.threads * 8, Int(Double(remaining.count) / 50) + 1)
        var lastSave = Date(), lastLog = Date.distantPast
        var done = 0
        var mine: CorrelatorAccumulator? = nil   // this rank's blocks since the last collective save
        /// Rank 0 merges every rank's tree into `acc` (and saves it when asked).
        func collect(save: Bool) throws {
            if group.size == 1 {
                if let m = mine { if acc == nil { acc = m } else { acc!.merge(m) } }
            } else {
                let own = mine ?? CorrelatorAccumulator(pointCount: e.points.rows, maxOrder: e.maxOrder, chunkCount: plan.chunks)
                if let t = group.mergeToRoot(own.tree) {
                    let merged = CorrelatorAccumulator(pointCount: e.points.rows, maxOrder: e.maxOrder, tree: t)
                    if acc == nil { acc = merged } else { acc!.merge(merged) }
                }
            }
            mine = nil
            if save, root, let a = acc { try saveCheckpoint(a, width: width) }
        }
        for lo in stride(from: 0, to: remaining.count, by: batch) {
            let slice = remaining[lo..<min(lo + batch, remaining.count)]
            let part = group.share(of: slice.count).map { slice[slice.startIndex + $0] }
            if !part.isEmpty || mine != nil || group.size == 1 {
                mine = EnsembleRunner.accumulate(e.ensemble(width: width), points: e.points, maxOrder: e.maxOrder, plan: plan,
                                                 items: part[...], into: mine ?? (group.size == 1 ? acc : nil), threads: e.threads)
                if group.size == 1 { acc = mine; mine = nil }
            }
            done += slice.count
            let now = Date()
            if root && (now.timeIntervalSince(lastLog) > 1 || done == remaining.count) {
                let t = now.timeIntervalSince(start)
                let eta = t / Double(done) * Double(remaining.count - done)
                if t > 2 || done == remaining.count && t > 1 {
                    log("correlators: \(e.net.rawValue) N=\(width): \(done)/\(remaining.count) blocks ("
                        + String(format: "%.0f%%), %.1f s elapsed, ETA %.1f s", 100 * Double(done) / Double(remaining.count), t, eta))
                }
                lastLog = now
            }
            guard done < remaining.count else { break }
            if let sig = group.anyStop(stop()) {
                try collect(save: true)
                throw StopRequest.Interrupted(signal: sig, detail: "at N = \(width) after \(done) of \(remaining.count) blocks; the checkpoint is in \(checkpointDirectory.path): rerun with --resume to continue")
            }
            // Rank 0's clock decides when all ranks save.
            if group.broadcast(json: now.timeIntervalSince(lastSave) > checkpointInterval) {
                try collect(save: true)
                lastSave = now
            }
        }
        try collect(save: true)
        return acc
    }

    /// Runs every width and writes the results. Returns nil for a shard run (checkpoints only).
    @discardableResult
    public func run() throws -> CorrelatorSummary? {
        let e = experiment
        try e.validate()
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        if let s = shard {
            guard e.networks > 0 else { throw SettingError("shard", "needs networks > 0, expected a Monte Carlo run") }
            for w in e.widths { _ = try monteCarlo(width: w) }
            guard group.isRoot else { return nil }
            log("correlators: shard \(s.index + 1)/\(s.count) done; checkpoints in \(checkpointDirectory.path); run again with --resume and no --shard in a directory holding all shards' checkpoints to combine them")
            return nil
        }
        let P = e.points.rows
        let (exactModel, reason) = e.exactModel()
        let K = e.gpKernelMatrix()
        try NPY.write(e.points, to: output.appendingPathComponent("points.npy"))
        try NPY.write(K, to: output.appendingPathComponent("gp_kernel.npy"))
        for n in e.computedOrders {
            let ms = Multisets(pointCount: P, order: n)
            try NPY.write(NDArray<Int64>(shape: [ms.count, n], data: ms.indices.flatMap { $0.map(Int64.init) }),
                          to: output.appendingPathComponent("multisets\(n).npy"))
        }
        var results: [WidthResult] = []
        // Ranks other than 0 evaluate their share of every width's networks; rank 0 alone analyses and writes.
        guard group.isRoot else {
            if e.networks > 0 { for w in e.widths { _ = try monteCarlo(width: w) } }
            return nil
        }
        for w in e.widths {
            let acc = e.networks > 0 ? try monteCarlo(width: w) : nil
            let r = e.analyse(width: w, accumulator: acc, exactModel: exactModel, gpKernel: K)
            try write(r)
            results.append(r)
        }
        let summary = makeSummary(results, exactModel: exactModel, reason: reason, K: K)
        try JSONOutput.writeSummary(summary, to: output.appendingPathComponent("summary.json"))
        try scalingPlot(results).write(to: output.appendingPathComponent("scaling.svg"))
        if let l = summary.lambda { try lambdaPlot(l).write(to: output.appendingPathComponent("lambda.svg")) }
        return summary
    }

    /// Per-width `.npy` files: full symmetric tensors `G{n}.npy` ([P]*n) for Monte Carlo, `_err`, `_exact`,
    /// `_gp`, and connected `G4c`, `G6c` (+ `_exact`); per-multiset vectors `G{n}_multisets*.npy` when the
    /// full tensor would exceed 2²⁴ entries.
    func write(_ r: WidthResult) throws {
        let dir = output.appendingPathComponent("width_\(r.width)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let P = experiment.points.rows
        func save(_ name: String, _ n: Int, _ values: [Double]?) throws {
            guard let v = values else { return }
            let ms = Multisets(pointCount: P, order: n)
            if pow(Double(P), Double(n)) <= Double(1 << 24) {
                try NPY.write(NDArray(shape: Array(repeating: P, count: n), data: ms.fullTensor(v)), to: dir.appendingPathComponent("\(name).npy"))
            } else {
                try NPY.write(v, to: dir.appendingPathComponent("\(name)_multisets.npy"))
            }
        }
        for n in experiment.computedOrders {
            try save("G\(n)", n, r.estimates?.mean[n])
            try save("G\(n)_err", n, r.estimates?.standardError[n])
            try save("G\(n)_exact", n, r.exact?[n])
            try save("G\(n)_gp", n, r.gp[n])
        }
        for n in [4, 6] {
            try save("G\(n)c", n, r.connected[n])
            try save("G\(n)c_exact", n, r.connectedExact[n])
        }
    }

    func makeSummary(_ results: [WidthResult], exactModel: ExactCorrelators?, reason: String?, K: Matrix) -> CorrelatorSummary {
        let e = experiment
        func opt(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }
        let per = results.map { r in
            CorrelatorSummary.PerWidth(
                width: r.width, networks: r.estimates?.networkCount ?? 0,
                deviation: Dictionary(uniqueKeysWithValues: e.orders.map { ("\($0)", opt(r.deviation[$0])) }),
                exact_deviation: Dictionary(uniqueKeysWithValues: e.orders.map { ("\($0)", opt(r.exactDeviation[$0])) }),
                background: Dictionary(uniqueKeysWithValues: e.orders.map { ("\($0)", opt(r.background[$0])) }))
        }
        var slopes: [String: CorrelatorSummary.Fit?] = [:], exactSlopes: [String: CorrelatorSummary.Fit?] = [:]
        for n in e.orders {
            let ws = results.map { Double($0.width) }
            if e.networks > 0 {
                // Noise floor of m_n for the mean over all K chunks: background/√K per width.
                let floor = { (r: WidthResult) in (r.background[n] ?? .infinity) / Double(e.chunks).squareRoot() }
                let keep = results.filter { ($0.deviation[n] ?? 0) > 3 * floor($0) }
                slopes["\(n)"] = ScalingAnalysis.powerLawFit(widths: keep.map { Double($0.width) }, values: keep.map { $0.deviation[n]! })
                    .map(CorrelatorSummary.Fit.init)
            }
            if exactModel != nil {
                exactSlopes["\(n)"] = ScalingAnalysis.powerLawFit(widths: ws, values: results.map {
                    $0.exactDeviation[n].flatMap { $0 > ScalingAnalysis.roundOffDeviation ? $0 : nil } ?? .nan })
                    .map(CorrelatorSummary.Fit.init)
            }
        }
        return CorrelatorSummary(
            net: e.net.rawValue, points: (0..<e.points.rows).map { e.points.row($0) }, sigma_w: e.sigmaW, sigma_b: e.sigmaB,
            orders: e.orders, networks: e.networks, chunks: e.chunks, seed: e.seed, widths: per, slopes: slopes,
            exact_slopes: exactSlopes, exact_values: reason ?? "available", lambda: lambdaAnalysis(results, exactModel: exactModel, K: K),
            cos_net: e.net == .cos ? ["mass": e.mass, "cutoff": e.cutoff, "sigma_a": e.sigmaA] : nil,
            mlp: e.net == .mlp ? (e.spec.map { ["spec": $0] } ?? ["depth": "\(e.depth)", "activation": e.activation.name, "parameterization": e.parameterization.rawValue]) : nil)
    }

    /// λ_m(Λ) for single-layer nets with d_in = 1 and 4-point functions: mean over multisets of the
    /// coupling at the NGP width, from the exact ΔG⁽⁴⁾ and (if that width was sampled) from Monte Carlo.
    func lambdaAnalysis(_ results: [WidthResult], exactModel: ExactCorrelators?, K: Matrix) -> CorrelatorSummary.Lambda? {
        let e = experiment
        guard [.gauss, .erf, .relu].contains(e.net), e.points.cols == 1, e.orders.contains(4), !e.lambdaCutoffs.isEmpty else { return nil }
        let ens = e.ensemble(width: 1) as! SingleLayerEnsemble
        let ms = Multisets(pointCount: e.points.rows, order: 4).indices
        let xs = e.points.data
        let gp4 = ms.map { Wick.gaussianCorrelator($0) { K[$0, $1] } }
        let ngp = e.effectiveNGPWidth
        var dgExact: [Double]?
        if let m = exactModel {
            let x = ExactCorrelators(width: Double(ngp), outputWeightVariance: m.outputWeightVariance,
                                     outputBiasVariance: m.outputBiasVariance, moment: m.moment)
            dgExact = zip(ms, gp4).map { x.correlator($0) - $1 }
        }
        let dgMC = results.first { $0.width == ngp }?.estimates.map { est in zip(est.mean[4]!, gp4).map { $0 - $1 } }
        func curve(_ dg: [Double]?) -> [Double]? {
            guard let dg else { return nil }
            return e.lambdaCutoffs.map { L in
                let l = ScalingAnalysis.quarticCouplings(multisets: ms, deltaG4: dg, points: xs, cutoff: L) { ens.gpKernel([$0], [$1]) }
                return l.reduce(0, +) / Double(l.count)
            }
        }
        let le = curve(dgExact), lm = curve(dgMC)
        func fit(_ l: [Double]?) -> CorrelatorSummary.Fit? {
            guard let l else { return nil }
            return ScalingAnalysis.linearFit(e.lambdaCutoffs.map { log10($0) }, l.map { log10(abs($0)) }).map(CorrelatorSummary.Fit.init)
        }
        return .init(ngp_width: ngp, cutoffs: e.lambdaCutoffs, lambda_exact: le, lambda_mc: lm, fit_exact: fit(le), fit_mc: fit(lm))
    }

    func scalingPlot(_ results: [WidthResult]) -> SVGPlot {
        let e = experiment
        var plot = SVGPlot(title: "\(e.net.rawValue)-net: deviation from the GP, m_n(N)", xLabel: "width N",
                           yLabel: "m_n = <|G_exp − G_GP| / G_GP>", logX: true, logY: true)
        let ws = results.map { Double($0.width) }
        for (k, n) in e.orders.enumerated() {
            let c = SVGPlot.palette[k % SVGPlot.palette.count]
            if e.networks > 0 {
                plot.series.append(.init(label: "n=\(n) Monte Carlo", x: ws, y: results.map { $0.deviation[n] ?? .nan }, color: c, lines: false))
                let bg = results.compactMap { $0.background[n] }.reduce(0, +) / Double(max(results.count, 1))
                plot.series.append(.init(label: "n=\(n) background", x: [ws.min()!, ws.max()!], y: [bg, bg], color: c, dashed: true, markers: false))
            }
            if results.first?.exact != nil {
                // Exact deviations at round-off level (the 2-point function is N-independent) are left out.
                let ex = results.map { $0.exactDeviation[n].flatMap { $0 > ScalingAnalysis.roundOffDeviation ? $0 : nil } ?? .nan }
                if ex.contains(where: { $0.isFinite }) {
                    plot.series.append(.init(label: "n=\(n) exact", x: ws, y: ex, color: c, markers: false))
                }
            }
        }
        return plot
    }

    func lambdaPlot(_ l: CorrelatorSummary.Lambda) -> SVGPlot {
        var plot = SVGPlot(title: "\(experiment.net.rawValue)-net: quartic coupling at N = \(l.ngp_width)", xLabel: "cutoff Λ",
                           yLabel: "|λ_m|", logX: true, logY: true)
        if let v = l.lambda_exact { plot.series.append(.init(label: "|λ_m| from the exact ΔG4", x: l.cutoffs, y: v.map(abs), color: SVGPlot.palette[0])) }
        if let v = l.lambda_mc { plot.series.append(.init(label: "|λ_m| from the Monte Carlo ΔG4", x: l.cutoffs, y: v.map(abs), color: SVGPlot.palette[1], lines: false)) }
        return plot
    }
}

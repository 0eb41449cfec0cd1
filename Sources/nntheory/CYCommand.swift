import ArgumentParser
import CYBridge
import Foundation
import NumericCore
import Training
import Numerics

/// `nntheory cy`: numerical Calabi–Yau geometry (CYBridge) — sampling, volumes, σ, Donaldson.
struct CYCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cy",
        abstract: "Numerical Calabi–Yau geometry: Shiffman–Zelditch samples with weights, volumes, σ, Donaldson, neural metrics.",
        discussion: HelpText.paragraphs("""
        Conventions are cymetric's (docs/cy.md): FS metric (t/π)∂∂̄ log|z|²,
        weights normalised so that mean(w det g_FS/|Ω|²) = Vol_K(1) (the
        intersection volume), Vol_CY = mean(w), κ = Vol_K/Vol_CY.

        Examples:
          nntheory cy sample --variety fermat-quintic --points 100000 --out q
          nntheory cy sigma --sample q --metric fs
          nntheory cy volume --variety bicubic --kahler 1,2
          nntheory cy donaldson --variety fermat-quintic --k 1..4 --out don
          nntheory cy train --inputs bihomogeneous --points 20000 --epochs 4 --out phi
        """),
        subcommands: [CYSampleCommand.self, CYVolumeCommand.self, CYSigmaCommand.self, CYDonaldsonCommand.self, CYTrainCommand.self, CYNTKCommand.self]
    )
}

/// The variety options shared by the cy subcommands.
struct CYVarietyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Variety: fermat-quintic, dwork-quintic, quartic-k3, cubic-torus, bicubic, tian-yau, or equations in z0, z1, … separated by ';' (e.g. \"z0^5 + z1^5 + z2^5 + z3^5 + z4^5 - 5*psi*z0*z1*z2*z3*z4\").", valueName: "NAME|POLYNOMIAL"))
    var variety: String = "fermat-quintic"

    @Option(parsing: .unconditional, help: ArgumentHelp("ψ: the Dwork parameter, and the value of `psi` in a polynomial; complex as 0.5+0.1*i.", valueName: "V"))
    var psi: String = "0"

    @Option(help: ArgumentHelp("Ambient dimensions n_r of ∏ P^{n_r} for a polynomial (default: P^{D−1}), e.g. 2,2.", valueName: "n1,n2,…"))
    var ambient: String?

    @Option(help: ArgumentHelp("Kähler moduli t_r, one per ambient factor (default: all 1).", valueName: "t1,t2,…"))
    var kahler: String?

    func resolve() throws -> (variety: Variety, psi: ComplexDouble, kahler: [Double]) {
        let p: ComplexDouble
        do { p = try PolynomialParser.parseConstant(psi) } catch {
            throw InputError("--psi: '\(psi)', expected a real or complex number like 0.5 or 0.5+0.1*i")
        }
        let dims = try ambient.map { try parseList($0, option: "--ambient", expected: "a positive integer") { Int($0) } }
        let v = try Variety.resolve(variety, psi: p, ambient: dims)
        let f = v.ambient.factorCount
        var t = [Double](repeating: 1, count: f)
        if let k = kahler {
            t = try parseList(k, option: "--kahler", expected: "a number") { Double($0) }
            guard t.count == f else { throw InputError("--kahler: \(counted(t.count, "value")) '\(k)', expected \(f) (one per factor of \(v.ambient))") }
            guard t.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw InputError("--kahler: '\(k)', expected positive numbers") }
        }
        return (v, p, t)
    }
}

struct CYSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Shiffman–Zelditch points on a Calabi–Yau with weights, |Ω|², FS pullbacks, κ, Vol_K and Vol_CY.",
        discussion: HelpText.paragraphs("""
        Lines (linear spaces for complete intersections) through FS-random points
        (draw i on Philox stream i of --seed, so the sample does not depend on --threads);
        every intersection point is kept (Aberth iteration or companion-matrix
        eigenvalues, resultants for two equations in two parameters), Newton-
        polished to |Q| < 1e-10, so the points follow the mixed FS measure.
        Points too close to the singular locus are dropped and counted; a singular
        member is reported on stderr and in summary.json ("singular").

        Writes to DIR:
          points.npy       complex128 [N, D], largest coordinate per factor = 1
          weights.npy      float64 [N], mean(w det g_FS(1)/|Ω|²) = Vol_K(1)
          omega2.npy       float64 [N], |Ω|² = 1/|det ∂Q_a/∂z_dep|²
          pullback_fs.npy  complex128 [N, n, n], FS at --kahler pulled back
          patch.npy        int64 [N, F], the coordinate set to 1 per factor
          dependent.npy    int64 [N, K], the eliminated coordinates
          jacobians.npy    complex128 [N, n, D], J = ∂z/∂x (with --jacobians)
          cymetric/        with --cymetric: dataset.npz (X_train, y_train, X_val,
                           y_val, val_pullbacks; 10 % validation) and basis.npz
                           (DQDZB0, DQDZF0, AMBIENT, KMODULI, NFOLD, NHYPER,
                           INTNUMS, KAPPA, …) in cymetric's format
          summary.json     kappa, vol_k, vol_cy (± error), sigma_fs, variety,
                           seed, dropped counts, timings (seconds_sampling:
                           points, weights and pullbacks; seconds_pullbacks:
                           det g_FS)
        SIGINT/SIGTERM stop after the current batch of draws, keeping the batches
        drawn in DIR/checkpoints (removed once the sample is complete); --resume
        continues bit-identically.

        Examples:
          nntheory cy sample --variety fermat-quintic --points 100000 --out q
          nntheory cy sample --variety dwork-quintic --psi 0.5 --out dwork05
          nntheory cy sample --variety bicubic --kahler 1,2 --out bicubic
          nntheory cy sample --variety "z0^3 + z1^3 + z2^3 - 3*psi*z0*z1*z2" \\
              --psi 0.2 --points 10000 --out torus
          nntheory cy sample --variety "z0^3+z1^3+z2^3+z3^3+z4^3+z5^3; \\
              z1^3+2*z2^3+3*z3^3+4*z4^3+5*z5^3" --out p5-cicy
        """)
    )

    @OptionGroup var geometry: CYVarietyOptions

    @Option(parsing: .unconditional, help: "Number of points N.")
    var points: Int = 100_000

    @OptionGroup var seed: SeedOption
    @OptionGroup var threadOptions: ThreadOptions

    @Flag(name: .customLong("jacobians"), help: "Also write jacobians.npy: the pullback Jacobians J = ∂z/∂x, complex128 [N, n, D].")
    var writeJacobians = false

    @Flag(name: .customLong("cymetric"), help: "Also write the sample in cymetric's format: cymetric/dataset.npz and cymetric/basis.npz (docs/cy-neural.md).")
    var cymetric = false

    @OptionGroup var output: OutputOptions
    @OptionGroup var resume: ResumeOption

    func run() throws {
        try output.run(resume: resume.resume) { dir in
            let (v, psi, t) = try geometry.resolve()
            guard points >= 1 else { throw InputError("--points: \(points), expected a positive number") }
            // Held at once: the coordinates and their pullback data (≤ 4 complex numbers per coordinate) and the
            // per-point weights, |Ω|² and FS determinants.
            try MemoryBudget.check(Double(points) * Double(64 * v.ambient.coordinateCount + 128),
                                   for: "the sample of \(points) points", option: "--points \(points)")
            let threads = try threadOptions.count(), seed = self.seed.seed
            let start = Date()
            let sampler = try PointSampler(variety: v)
            let singular = reportSingularPoint(of: v, seed: seed,
                                               note: "points with |det ∂Q/∂z_dep| below \(sampler.singularTolerance) of the scale are dropped")
            if !v.isCalabiYau {
                progress("warning: \(v.name) is not Calabi–Yau (degrees \(v.multidegrees), Σ_a q_ar ≠ n_r + 1): Ω, |Ω|² and κ are chart-dependent")
            }
            progress("cy sample: \(v.name) in \(v.ambient), \(sampler.rootsPerDraw) roots per draw, \(points) points")
            let sampleStart = Date()
            StopRequest.install()
            let s = try exitingOnInterrupt("cy sample") {
                try sampler.sample(count: points, seed: seed, threads: threads, pullbackKahler: t,
                                   checkpoints: dir.appendingPathComponent("checkpoints"), resume: resume.resume,
                                   stop: { StopRequest.received }, log: progress, progress: { progress("  \($0)/\(points) points") },
                                   everyRank: false)
            }
            let tSample = Date().timeIntervalSince(sampleStart)
            guard ProcessGroups.current.isRoot else { return }   // under mpirun, rank 0 writes the sample
            let n = v.dimension, d = v.coordinateCount, f = v.ambient.factorCount, k = v.equationCount
            let t0 = Date()
            let pb = s.pullbackFubiniStudy ?? FubiniStudy.pullbackMetrics(of: s, kahler: t, threads: threads)
            let det = HermitianDeterminants.compute(pb, count: s.count, order: n, threads: threads)
            let tPullback = Date().timeIntervalSince(t0)
            let volK = s.kahlerVolume(determinants: det), volCY = s.calabiYauVolume
            let sigma = SigmaMeasure.sigma(s, determinants: det)
            try NPY.write(NDArray(shape: [s.count, d], data: s.points), to: dir.appendingPathComponent("points.npy"))
            try NPY.write(NDArray(shape: [s.count], data: s.weights), to: dir.appendingPathComponent("weights.npy"))
            try NPY.write(NDArray(shape: [s.count], data: s.omegaSquared), to: dir.appendingPathComponent("omega2.npy"))
            try NPY.write(NDArray(shape: [s.count, n, n], data: pb), to: dir.appendingPathComponent("pullback_fs.npy"))
            try NPY.write(NDArray(shape: [s.count, f], data: s.patch.map(Int64.init)), to: dir.appendingPathComponent("patch.npy"))
            try NPY.write(NDArray(shape: [s.count, k], data: s.dependent.map(Int64.init)), to: dir.appendingPathComponent("dependent.npy"))
            if writeJacobians {
                try NPY.write(NDArray(shape: [s.count, n, d], data: PullbackJacobian.jacobians(of: s, threads: threads)),
                              to: dir.appendingPathComponent("jacobians.npy"))
            }
            if cymetric {
                try CymetricDataset.write(s, kahler: t, validationFraction: 0.1, to: dir.appendingPathComponent("cymetric"), threads: threads)
            }
            let dr = s.dropped
            var summary = SampleSummary()
            summary.variety = v.name; summary.variety_spec = geometry.variety; summary.psi = [psi.real, psi.imaginary]
            summary.ambient = v.ambient.dimensions; summary.dimension = n; summary.multidegrees = v.multidegrees
            summary.calabi_yau = v.isCalabiYau
            summary.kahler = t; summary.seed = seed; summary.points = s.count; summary.draws = s.draws
            summary.roots_per_draw = sampler.rootsPerDraw; summary.sampling_degrees = v.samplingDegrees
            summary.dropped = .init(dr); summary.max_abs_Q = s.maxResidual
            summary.kappa = volK / volCY; summary.vol_k = volK; summary.vol_k_intersection = v.kahlerVolume(t)
            summary.vol_cy = volCY; summary.vol_cy_error = IntegrationWeights.batchMeansError(s.weights); summary.sigma_fs = sigma
            summary.singular = singular
            summary.seconds_sampling = tSample; summary.seconds_pullbacks = tPullback
            summary.seconds_total = Date().timeIntervalSince(start)
            summary.threads = threads
            try JSONOutput.writeSummary(summary, to: dir.appendingPathComponent("summary.json"))
            print(String(format: "%@: %ld points (%ld draws, %ld dropped)  κ = %.6g  Vol_K = %.6g (intersection %.6g)  Vol_CY = %.6g ± %.2g  σ_FS = %.4f  → %@",
                         v.name, s.count, s.draws, dr.total, volK / volCY, volK, v.kahlerVolume(t), volCY, summary.vol_cy_error, sigma, output.out))
        }
    }
}

struct CYVolumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume",
        abstract: "Intersection numbers d_{r…s} and the Kähler volume Vol_K(t) = ∫_X J^n (JSON on stdout).",
        discussion: HelpText.paragraphs("""
        Normalisation ∫_A ∏_r J_r^{n_r} = 1 on the ambient space (cymetric's
        get_volume_from_intersections). Prints JSON: variety, ambient, dimension,
        multidegrees, calabi_yau (c₁ = 0), intersection_numbers (sorted 1-based
        factor indices → d), kahler, vol_k, the sampler's sampling_degrees and
        roots_per_draw, and singular (a singular point of the member, also
        warned on stderr) when one is found.

        Examples:
          nntheory cy volume --variety quartic-k3
          nntheory cy volume --variety bicubic --kahler 1,2
          nntheory cy volume --variety "z0^3*z3^3 + z1^3*z4^3 + z2^3*z5^3" \\
              --ambient 2,2 --kahler 1,3
        """)
    )

    @OptionGroup var geometry: CYVarietyOptions

    struct Output: Codable {
        let variety: String
        let ambient: [Int]
        let dimension: Int
        let multidegrees: [[Int]]
        let calabi_yau: Bool
        let intersection_numbers: [String: Double]
        let kahler: [Double]
        let vol_k: Double
        let sampling_degrees: [Int]
        let roots_per_draw: Int
        /// A singular point of the member (`reportSingularPoint`), absent when none was found.
        let singular: SampleSummary.Singular?
    }

    func run() throws {
        try reportingErrors {
            let (v, _, t) = try geometry.resolve()
            let singular = reportSingularPoint(of: v, seed: 0, note: "the intersection numbers and Vol_K are those of the smooth members")
            var numbers: [String: Double] = [:]
            for (idx, d) in IntersectionNumbers.numbers(of: v) { numbers[idx.map { String($0 + 1) }.joined(separator: ",")] = d }
            let roots = Int(IntersectionNumbers.mixedDegree(of: v, sampling: v.samplingDegrees))
            let o = Output(variety: v.name, ambient: v.ambient.dimensions, dimension: v.dimension, multidegrees: v.multidegrees,
                           calabi_yau: v.isCalabiYau, intersection_numbers: numbers, kahler: t, vol_k: v.kahlerVolume(t),
                           sampling_degrees: v.samplingDegrees, roots_per_draw: roots, singular: singular)
            print(String(decoding: try JSONOutput.encode(o), as: UTF8.self))
        }
    }
}

struct CYSigmaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigma",
        abstract: "σ (and the Ricci measure) of a metric on a sample written by `cy sample` (JSON on stdout).",
        discussion: HelpText.paragraphs("""
        σ = (1/(N Vol_CY)) Σ_i w_i |1 − det g_i/|Ω_i|² · Vol_CY/Vol_K| with
        Vol_K = mean(w det g/|Ω|²) of the metric under test (cymetric's
        sigma_measure), with its jackknife error. The Ricci scalar
        R = −g^{ab̄}∂_a∂̄_b log det g (standard sign; cymetric's is −R) on the first
        --ricci-points points gives the Ricci measure
        ‖R‖ = Vol_K^{1/n}/Vol_CY · mean(w det g/|Ω|² |R|).
          --metric fs        FS at the Kähler moduli; R analytic when all t_r
                             are equal (FS = t × the algebraic metric of the
                             (1, …, 1) monomials with h = I), else (or with
                             --ricci fd) Richardson-extrapolated finite
                             differences
          --metric DIR_OF_H  the balanced metric g = ∂∂̄ log(sᵀ h s̄)/(kπ) of
                             `cy donaldson` (h_k{K}.npy, sections_k{K}.npy;
                             --k, default the largest), R analytic
          --metric DIR       the neural metric of a `cy train` run (its
                             summary.json and params.npy), R by differences
        The variety is read from DIR/summary.json; weights, |Ω|² and the geometry
        are recomputed from points.npy. --kahler overrides the sample's moduli.
        A singular member recorded by `cy sample` is warned about on stderr.

        Examples:
          nntheory cy sample --points 20000 --out quintic && nntheory cy sigma \\
              --sample quintic --metric fs
          nntheory cy sigma --sample bicubic --kahler 1,3 --ricci-points 0 \\
              --out sigma.json
          nntheory cy sigma --sample quintic --metric donaldson-fermat --k 4
        """)
    )

    @Option(help: ArgumentHelp("Directory written by `nntheory cy sample`.", valueName: "DIR"))
    var sample: String

    @Option(help: ArgumentHelp("Metric: fs (Fubini–Study at the Kähler moduli), or a directory written by `cy donaldson` (balanced h_k{K}.npy with sections_k{K}.npy).", valueName: "fs|DIR_OF_H"))
    var metric: String = "fs"

    @Option(name: .customLong("k"), parsing: .unconditional, help: "Degree k of the balanced metric in DIR_OF_H (default: the largest present).")
    var degree: Int?

    @Option(help: ArgumentHelp("Kähler moduli t_r (default: the sample's).", valueName: "t1,t2,…"))
    var kahler: String?

    @Option(name: .customLong("ricci-points"), parsing: .unconditional, help: "Points for the Ricci measure (0: skip).")
    var ricciPoints: Int = 1000

    @Option(name: .customLong("ricci"), help: "Ricci scalar of FS: analytic (equal Kähler moduli; unequal ones use finite differences) or fd.")
    var ricciMethod: String = "analytic"

    @OptionGroup var threadOptions: ThreadOptions

    @Option(help: "Also write the JSON to this file (a new one; an existing file needs --force).")
    var out: String?

    @OptionGroup var force: ForceOption

    struct Output: Codable {
        let metric: String
        let degree: Int?
        let variety: String
        let points: Int
        /// The Kähler class of the metric (for DIR_OF_H: that of DIR/summary.json; absent without one).
        let kahler: [Double]?
        let sigma: Double
        let sigma_error: Double
        let vol_k: Double
        let vol_cy: Double
        let kappa: Double
        let ricci_measure: Double?
        let ricci_points: Int
        let ricci_method: String
        let ricci_sign_convention: String
    }

    func run() throws {
        try reportingErrors {
            if let path = out, ProcessGroups.current.isRoot {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                    throw InputError("--out: '\(path)' is a directory, expected a file name for the JSON")
                }
                if FileManager.default.fileExists(atPath: path) && !force.force {
                    throw InputError("--out: '\(path)' exists; expected a new file name, or --force to replace it")
                }
                try OutputDirectory.createWritableDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path, option: "--out")
            }
            let threads = try threadOptions.count()
            let (s, summary, v) = try SampleDirectory.load(URL(fileURLWithPath: sample), threads: threads)
            if let sg = summary.singular { warnSingular(v.name, sg, note: "as recorded in \(sample)/summary.json") }
            var t = summary.kahler
            if let k = kahler {
                t = try parseList(k, option: "--kahler", expected: "a number") { Double($0) }
                guard t.count == v.ambient.factorCount, t.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                    throw InputError("--kahler: '\(k)', expected \(counted(v.ambient.factorCount, "positive number")) (one per factor of \(v.ambient))")
                }
            }
            guard ricciPoints >= 0 else { throw InputError("--ricci-points: \(ricciPoints), expected ≥ 0") }
            guard let route = ["analytic": RicciRoute.analytic, "fd": .finiteDifferences][ricciMethod] else {
                throw InputError("--ricci: '\(ricciMethod)', expected analytic or fd")
            }
            let dir = URL(fileURLWithPath: metric)
            let isNeural = FileManager.default.fileExists(atPath: dir.appendingPathComponent("params.npy").path)
            let balanced = metric.lowercased() == "fs" || isNeural ? nil : try loadBalancedMetric(dir, variety: v)
            let scoring = try ScoringSample(sample: s, ricciPoints: ricciPoints, threads: threads)
            let m = scoring.ricciPoints
            let o: Output
            if isNeural {
                let nm = try NeuralCYMetric.trained(from: dir)
                guard nm.variety.equations == v.equations, nm.variety.ambient == v.ambient else {
                    let what = nm.variety.name == v.name ? "another \(v.name) (other coefficients, e.g. another --psi)" : nm.variety.name
                    throw InputError("--metric: '\(metric)' was trained on \(what), expected the sample's variety \(v.name) with its equations")
                }
                let prepared = try CYTrainingSample(sample: s, kahler: nm.kahler, reference: nm.reference, threads: threads)
                let det = nm.determinants(prepared)
                if m > 0 { progress("cy sigma: Ricci scalar of the neural metric by finite differences on \(m) points") }
                let r = m > 0 ? RicciMeasure.ricciScalars(s, metric: nm.metricFunction, count: m, threads: threads) : nil
                o = Output(metric: dir.path, degree: nil, variety: v.name, points: s.count, kahler: nm.kahler,
                           score: scoring.score(determinants: det, ricci: r.map { ($0, .finiteDifferences) }))
            } else if let (am, k) = balanced {
                if m > 0 { progress("cy sigma: analytic Ricci scalar of the k = \(k) balanced metric on \(m) points") }
                o = Output(metric: dir.path, degree: k, variety: v.name, points: s.count, kahler: BalancedMetricDirectory.kahlerClass(dir),
                           score: try scoring.score(am))
            } else {
                if m > 0 {
                    progress(ScoringSample.fubiniStudyRicciRoute(kahler: t, preferred: route) == .analytic
                             ? "cy sigma: analytic Ricci scalar of FS on \(m) points" : "cy sigma: Ricci scalar by finite differences on \(m) points")
                }
                o = Output(metric: "fs", degree: nil, variety: v.name, points: s.count, kahler: t,
                           score: try scoring.scoreFubiniStudy(kahler: t, route: route))
            }
            guard ProcessGroups.current.isRoot else { return }   // under mpirun, rank 0 reports
            if let path = out { try JSONOutput.writeSummary(o, to: URL(fileURLWithPath: path)) }
            print(String(decoding: try JSONOutput.encode(o), as: UTF8.self))
        }
    }

    /// `BalancedMetricDirectory.load` with --k, its errors named by the option they come from.
    func loadBalancedMetric(_ dir: URL, variety v: Variety) throws -> (metric: AlgebraicMetric, degree: Int) {
        do {
            return try BalancedMetricDirectory.load(dir, degree: degree, variety: v)
        } catch let e as BalancedMetricDirectory.LoadError {
            switch e {
            case .notADirectory: throw InputError("--metric: '\(metric)', expected fs or a directory written by `nntheory cy donaldson`")
            case let .noForms(path): throw InputError("--metric: no h_k{K}.npy in \(path)")
            case let .degreeAbsent(k, present, path):
                throw InputError("--k: \(k), but \(path) has h_k for k = \(present.map(String.init).joined(separator: ","))")
            case let .malformed(detail): throw InputError("--metric: \(detail)")
            }
        }
    }
}

extension CYSigmaCommand.Output {
    /// The JSON of a metric's `MetricScore` on the sample.
    init(metric: String, degree: Int?, variety: String, points: Int, kahler: [Double]?, score o: MetricScore) {
        self.init(metric: metric, degree: degree, variety: variety, points: points, kahler: kahler, sigma: o.sigma,
                  sigma_error: o.sigmaError, vol_k: o.volK, vol_cy: o.volCY, kappa: o.kappa, ricci_measure: o.ricciMeasure,
                  ricci_points: o.ricciPoints, ricci_method: o.ricciRoute?.rawValue ?? "none",
                  ricci_sign_convention: "R = -g^{ab} d_a dbar_b log det g (standard; cymetric's Ricci scalar is -R)")
    }
}

/// Searches `v` for a singular point (`Variety.findSingularPoint`) and, if one is found, warns on stderr (`warnSingular`,
/// ending in `note`) and returns it as summary.json's "singular". Shared by `cy sample`, `cy donaldson` and `cy volume`.
func reportSingularPoint(of v: Variety, seed: UInt64, note: String) -> SampleSummary.Singular? {
    guard let sp = v.findSingularPoint(seed: seed) else { return nil }
    var sg = SampleSummary.Singular()
    sg.point_re = sp.point.map(\.real); sg.point_im = sp.point.map(\.imaginary); sg.residual = sp.residual
    warnSingular(v.name, sg, note: note)
    return sg
}

/// The warning line for a singular member: "warning: NAME is singular: Q = dQ = 0 at (…); NOTE".
func warnSingular(_ name: String, _ sg: SampleSummary.Singular, note: String) {
    let coords = zip(sg.point_re, sg.point_im).map { String(format: "%.4g%+.4gi", $0, $1) }.joined(separator: ", ")
    progress("warning: \(name) is singular: Q = dQ = 0 at (\(coords)); \(note)")
}

import Dispatch
import Foundation
import NumericCore
import Numerics

/// Donaldson's balanced metrics for a list of degrees k on one variety, each scored on one independent evaluation
/// sample (what `nntheory cy donaldson` and the demo run; docs/cy.md, AHO 1910.08605).
///
/// Per k, with t the integer Kähler class (one entry per ambient factor):
/// * sections s_α of O(k·t) (`sectionBases`), the T-operator iterated from h = diag(multinomial coefficients) on the
///   first N_p points of one Shiffman–Zelditch sample from `seed` (N_p = `points`, default 10·N_k² + 50 000), until
///   ‖h_{t+1} − h_t‖_F/‖h_t‖_F < `tolerance` or `maxIterations` steps (`DonaldsonBalancing`; ψ = sᵀ h s̄, tr h = N_k,
///   K = log ψ/(kπ) in the class Σ_r t_r J_r);
/// * the metric g = ∂∂̄ log(sᵀ h s̄)/(kπ) pulled back to X and scored on `evalPoints` points from the derived seed
///   deriveSeed(seed, 0xD0A1) (`ScoringSample`): σ with its jackknife error, Vol_K = mean(w det g/|Ω|²) with its
///   standard error (it must stay at the intersection volume Vol_K(t) for every k), and the analytic Ricci measure
///   ‖R‖ = Vol_K^{1/n}/Vol_CY · mean(w det g/|Ω|² |R|) on the first `ricciPoints` evaluation points
///   (R = −g^{ab̄}∂_a∂̄_b log det g, standard sign; cymetric's is −R), with det g computed on those points
///   (`ScoringSample.ricciMeasure`).
/// The reference is FS at t: σ_FS from det g_FS (`PointSample.fubiniStudyDeterminants`), ‖R‖_FS from FS as the
/// algebraic metric of the multi-degree-t monomials (`AlgebraicMetric.fubiniStudy`).
public struct DonaldsonScan: Sendable {
    /// The variety X.
    public let variety: Variety
    /// The degrees k, in the order they are run.
    public let degrees: [Int]
    /// T-operator points N_p for every k; nil: `DonaldsonBalancing.recommendedPointCount` per k.
    public let points: Int?
    /// Points of the independent evaluation sample.
    public let evalPoints: Int
    /// Seed of the T-operator sample (the evaluation sample and the auxiliary sample of `sectionBases` use derived seeds).
    public let seed: UInt64
    /// Stop when the relative change of h falls below this.
    public let tolerance: Double
    /// At most this many T-operator steps per k.
    public let maxIterations: Int
    /// The Ricci measure is taken on the first min(requested, `evalPoints`) evaluation points (0: none).
    public let ricciPoints: Int
    /// The Kähler class t (integers, one per factor): sections of multi-degree k·t, K = log ψ/(kπ) in the class of
    /// Σ_r t_r J_r.
    public let kahler: [Int]
    /// The section basis of each degree, in the order of `degrees`.
    public let bases: [SectionBasis]

    /// A parameter of the scan outside its range; `description` names the value and what was expected (a command
    /// line maps `parameter` to its option).
    public struct InvalidParameter: Error, CustomStringConvertible, Sendable {
        /// The parameters of `DonaldsonScan.init` that are checked.
        public enum Parameter: String, Sendable {
            case degrees, kahler = "Kähler class", points = "T-operator points", evalPoints = "evaluation points"
            case tolerance, maxIterations = "maximum iterations", ricciPoints = "Ricci points"
        }
        /// Which parameter.
        public let parameter: Parameter
        /// Its value, as text.
        public let value: String
        /// What was expected, e.g. "a positive number".
        public let expected: String
        /// "Donaldson scan: NAME VALUE, expected EXPECTED".
        public var description: String { "Donaldson scan: \(parameter.rawValue) \(value), expected \(expected)" }
    }

    /// The outcome of one k.
    public struct DegreeResult: Codable, Sendable {
        /// The degree k.
        public var k: Int
        /// N_k, the number of sections.
        public var sections: Int
        /// N_p, the T-operator points.
        public var points: Int
        /// T-operator steps taken.
        public var iterations: Int
        /// Whether the relative change fell below the tolerance.
        public var converged: Bool
        /// The relative change ‖h_{t+1} − h_t‖_F/‖h_t‖_F after each step.
        public var changes: [Double]
        /// Mean wall time of a step (s).
        public var secondsPerIteration: Double
        /// Wall time of the balancing (s).
        public var secondsTotal: Double
        /// σ of the balanced metric on the evaluation sample.
        public var sigma: Double
        /// Jackknife error of σ.
        public var sigmaError: Double
        /// Vol_K = mean(w det g/|Ω|²) of the balanced metric.
        public var volK: Double
        /// Standard error of Vol_K.
        public var volKError: Double
        /// Wall time of the scoring (s).
        public var secondsEvaluation: Double
        /// ‖R‖ of the balanced metric; nil without Ricci points.
        public var ricciMeasure: Double?
        /// The JSON keys of summary.json.
        enum CodingKeys: String, CodingKey {
            case k, sections, points, iterations, converged, changes, sigma
            case ricciMeasure = "ricci_measure"
            case secondsPerIteration = "seconds_per_iteration", secondsTotal = "seconds_total", sigmaError = "sigma_error"
            case volK = "vol_k", volKError = "vol_k_error", secondsEvaluation = "seconds_evaluation"
        }
    }

    /// The scan's record (summary.json of `nntheory cy donaldson`).
    public struct Summary: Codable, Sendable {
        /// The variety's name.
        public var variety: String
        /// ψ as given on a command line (recorded only; the variety already has it).
        public var psi: String?
        /// The Kähler class t.
        public var kahler: [Int]
        /// The T-operator sample's seed.
        public var seed: UInt64
        /// The evaluation sample's seed.
        public var evalSeed: UInt64
        /// The evaluation sample's size.
        public var evalPoints: Int
        /// The intersection volume Vol_K(t).
        public var volKExact: Double
        /// σ of FS at t on the evaluation sample.
        public var sigmaFS: Double
        /// Jackknife error of σ_FS.
        public var sigmaFSError: Double
        /// ‖R‖ of FS at t; nil without Ricci points.
        public var ricciMeasureFS: Double?
        /// The points the Ricci measures are taken on.
        public var ricciPoints: Int
        /// Wall time of the sampling and its preparation (s).
        public var secondsSampling: Double
        /// The tolerance of the relative change of h.
        public var tolerance: Double
        /// The conventions, in words.
        public var convention: String
        /// One entry per k, in the order of the scan's degrees.
        public var degrees: [DegreeResult]
        /// A singular point of the member (as in `cy sample`'s summary.json), absent when none was found.
        public var singular: SampleSummary.Singular? = nil
        /// The JSON keys of summary.json.
        enum CodingKeys: String, CodingKey {
            case variety, psi, kahler, seed, tolerance, convention, degrees, singular
            case evalSeed = "eval_seed", evalPoints = "eval_points", volKExact = "vol_k_exact", sigmaFS = "sigma_fs"
            case sigmaFSError = "sigma_fs_error", secondsSampling = "seconds_sampling"
            case ricciMeasureFS = "ricci_measure_fs", ricciPoints = "ricci_points"
        }
    }

    /// What `run` returns: the record and the balanced forms h, one per k in the order of `degrees`.
    public struct Outcome: Sendable {
        /// The record.
        public var summary: Summary
        /// The balanced h of each k (ψ = sᵀ h s̄, tr h = N_k).
        public let forms: [ComplexMatrix]
    }

    /// Checks the parameters and builds the section bases (`sectionBases`).
    /// - Throws: `InvalidParameter` for a degree outside 1…12, a Kähler class that is not one integer ≥ 1 per factor,
    ///   points < 1, evalPoints < 100, a tolerance that is not finite and positive, maxIterations < 1, ricciPoints < 0;
    ///   `sectionBases`'s errors.
    public init(variety: Variety, degrees: [Int], points: Int?, evalPoints: Int, seed: UInt64, tolerance: Double, maxIterations: Int,
                ricciPoints: Int = 0, kahler: [Int]? = nil) throws {
        let t = kahler ?? [Int](repeating: 1, count: variety.ambient.factorCount)
        func check(_ ok: Bool, _ p: InvalidParameter.Parameter, _ value: String, _ expected: String) throws {
            if !ok { throw InvalidParameter(parameter: p, value: value, expected: expected) }
        }
        try check(!degrees.isEmpty && degrees.allSatisfy { (1...12).contains($0) }, .degrees, "\(degrees)", "degrees between 1 and 12")
        let f = variety.ambient.factorCount
        try check(t.count == f && t.allSatisfy { $0 >= 1 }, .kahler, "\(t)",
                  "\(f) positive integer\(f == 1 ? "" : "s") (one per factor of \(variety.ambient))")
        if let p = points { try check(p >= 1, .points, "\(p)", "a positive number") }
        try check(evalPoints >= 100, .evalPoints, "\(evalPoints)", "at least 100")
        try check(tolerance > 0 && tolerance.isFinite, .tolerance, "\(tolerance)", "a positive number")
        try check(maxIterations >= 1, .maxIterations, "\(maxIterations)", "at least 1")
        try check(ricciPoints >= 0, .ricciPoints, "\(ricciPoints)", "≥ 0")
        self.variety = variety
        self.degrees = degrees
        self.points = points
        self.evalPoints = evalPoints
        self.seed = seed
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.ricciPoints = min(ricciPoints, evalPoints)
        self.kahler = t
        bases = try DonaldsonScan.sectionBases(variety: variety, degrees: degrees, kahler: t, seed: seed)
    }

    /// The sections of O(k·t) per k: on a hypersurface the monomials reduced modulo the leading monomial of Q
    /// (exact); on a complete intersection a basis picked numerically from the monomials by pivoted QR on an
    /// auxiliary sample of 2·#monomials + 200 points (seed deriveSeed(seed, 0x5EC7)), its size checked against the
    /// Koszul count.
    /// - Throws: `InputError` when the numerical reduction does not find the Koszul count.
    public static func sectionBases(variety: Variety, degrees: [Int], kahler t: [Int], seed: UInt64) throws -> [SectionBasis] {
        let sizes = variety.ambient.dimensions.map { $0 + 1 }
        func multidegree(_ k: Int) -> [Int] { t.map { k * $0 } }
        if variety.equationCount == 1 {
            let q = variety.equations[0]
            let rows = (0..<q.monomialCount).map { q.exponents(ofMonomial: $0) }
            return try degrees.map { k in try SectionBasis(factorSizes: sizes, degrees: multidegree(k), polynomialExponents: rows) }
        }
        let monomials = degrees.map { k in SectionBasis.monomials(factorSizes: sizes, degrees: multidegree(k)).count }
        let m = 2 * (monomials.max() ?? 0) + 200
        let sample = try PointSampler(variety: variety).sample(count: m, seed: deriveSeed(seed, 0x5EC7))
        return try degrees.map { k in
            let ks = multidegree(k)
            let basis = try SectionBasis(factorSizes: sizes, degrees: ks, variety: variety, points: sample.points)
            let expected = SectionBasis.completeIntersectionCount(factorSizes: sizes, equationDegrees: variety.multidegrees, degrees: ks)
            guard basis.count == expected else {
                throw InputError("donaldson: the numerical reduction finds \(basis.count) sections of O(\(ks)) on \(variety.name), expected \(expected) (Koszul count)")
            }
            return basis
        }
    }

    /// N_p for a basis: `points`, or 10·N_k² + 50 000.
    public func pointCount(_ basis: SectionBasis) -> Int { points ?? DonaldsonBalancing.recommendedPointCount(sections: basis.count) }

    /// Everything a degree's result depends on except k (checkpoints of one scan serve another scan of other degrees
    /// with the same settings): the variety's equations, Kähler class, point counts, seeds and balancing settings.
    public var fingerprint: String {
        "donaldson v1 \(variety.fingerprint) kahler=\(kahler) points=\(points.map(String.init) ?? "auto") "
            + "eval=\(evalPoints) seed=\(seed) tol=\(tolerance.bitPattern) maxit=\(maxIterations) ricci=\(ricciPoints)"
    }

    /// A finished degree saved under `checkpoints/`: `k{K}.json` (this record) and `h_k{K}.npy`.
    struct DegreeCheckpoint: Codable { var fingerprint: String; var result: DegreeResult }

    static func checkpointURLs(_ dir: URL, _ k: Int) -> (json: URL, h: URL) {
        (dir.appendingPathComponent("k\(k).json"), dir.appendingPathComponent("h_k\(k).npy"))
    }

    /// The saved result and h of degree k, if `dir` holds one of these settings; a checkpoint of other settings
    /// is an `InputError`.
    func loadCheckpoint(_ dir: URL, k: Int, sections: Int) throws -> (DegreeResult, ComplexMatrix)? {
        let (j, hu) = Self.checkpointURLs(dir, k)
        guard let data = FileManager.default.contents(atPath: j.path) else { return nil }
        guard let c = try? JSONOutput.decode(DegreeCheckpoint.self, from: data), case .complex128(let h) = try NPY.read(hu),
              h.shape == [sections, sections] else {
            throw InputError("checkpoint \(j.path) is unreadable; expected one written by nntheory cy donaldson (delete it to recompute k = \(k))")
        }
        guard c.fingerprint == fingerprint else {
            throw InputError("checkpoint \(j.path) belongs to other settings; expected those of this run (use another --out or drop --resume)")
        }
        return (c.result, ComplexMatrix(rows: sections, cols: sections, data: h.data))
    }

    /// Samples, balances every k and scores it; `progress` receives one line per stage and T-operator step
    /// ("donaldson: …"). With `checkpoints`, every finished degree is saved there and, with `resume`, a saved
    /// degree is taken instead of recomputed (the same bits: the sample and the balancing are deterministic).
    /// `stop` is polled after every degree: a signal number ends the scan there by throwing
    /// `StopRequest.Interrupted`.
    ///
    /// Under a process group of K ranks (`group`, e.g. `mpirun -np K`) the samples, each T-operator and the evaluation's
    /// det g and R are split across the ranks (the same bits for every K); rank 0 alone reads and writes the
    /// checkpoints, and a stop seen by any rank stops all of them after the same degree.
    public func run(progress: @escaping (String) -> Void, checkpoints: URL? = nil, resume: Bool = false,
                    stop: () -> Int32? = { nil }, group: any ProcessGroup = ProcessGroups.current) throws -> Outcome {
        let t0 = DispatchTime.now().uptimeNanoseconds
        func seconds(since t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) * 1e-9 }
        let sampler = try PointSampler(variety: variety)
        let maxNp = bases.map(pointCount).max()!
        progress("donaldson: sampling \(maxNp) T-operator points and \(evalPoints) evaluation points on \(variety.name)")
        let tSample = try sampler.sample(count: maxNp, seed: seed, group: group)
        let evalSeed = deriveSeed(seed, 0xD0A1)
        var eval = try ScoringSample(sample: try sampler.sample(count: evalPoints, seed: evalSeed, group: group), ricciPoints: ricciPoints)
        eval.group = group
        let d = variety.coordinateCount
        let tSampling = seconds(since: t0)
        let tD = kahler.map(Double.init)
        let fs = eval.score(determinants: eval.sample.fubiniStudyDeterminants(kahler: tD))
        progress(String(format: "donaldson: sampled in %.1f s; σ_FS = %.4f ± %.4f", tSampling, fs.sigma, fs.sigmaError))
        let ricciFS = try eval.ricciMeasure(AlgebraicMetric.fubiniStudy(factorSizes: variety.ambient.dimensions.map { $0 + 1 }, kahler: kahler))
        if let r = ricciFS { progress(String(format: "donaldson: Ricci measure of FS on %ld points: %.4f", ricciPoints, r)) }
        var results: [DegreeResult] = []
        var forms: [ComplexMatrix] = []
        for (k, basis) in zip(degrees, bases) {
            var taken = group.isRoot ? try checkpoints.flatMap { resume ? try loadCheckpoint($0, k: k, sections: basis.count) : nil } : nil
            if group.size > 1 && resume {
                // rank 0's saved degree, on every rank
                let r: DegreeResult? = group.broadcast(json: taken?.0)
                let hd = group.broadcast(doubles: taken.map { $0.1.data.flatMap { [$0.real, $0.imaginary] } } ?? [])
                taken = r.map { ($0, ComplexMatrix(rows: basis.count, cols: basis.count,
                                                   data: (0..<(hd.count / 2)).map { Complex(hd[2 * $0], hd[2 * $0 + 1]) })) }
            }
            if let (saved, h) = taken {
                progress("donaldson: k = \(k) taken from the checkpoint")
                results.append(saved)
                forms.append(h)
                continue
            }
            let np = pointCount(basis)
            var don = try DonaldsonBalancing(basis: basis, points: Array(tSample.points[0..<(np * d)]), weights: Array(tSample.weights[0..<np]))
            don.group = group
            let tk = DispatchTime.now().uptimeNanoseconds
            let r = try don.balance(tolerance: tolerance, maxIterations: maxIterations) { it, change in
                progress(String(format: "donaldson: k = %ld (N_k = %ld, %ld points) step %ld: relative change %.2e", k, basis.count, np, it, change))
            }
            let tBalance = seconds(since: tk)
            let te = DispatchTime.now().uptimeNanoseconds
            let metric = try AlgebraicMetric(basis: basis, h: r.h, degree: k)
            let score = eval.score(determinants: try eval.determinants(metric))
            let ricci = try eval.ricciMeasure(metric)
            let tEval = seconds(since: te)
            progress(String(format: "donaldson: k = %ld: σ = %.4f ± %.4f, Vol_K = %.4f ± %.4f", k, score.sigma, score.sigmaError,
                            score.volK, score.volKError)
                     + (ricci.map { String(format: ", ‖R‖ = %.4f", $0) } ?? "")
                     + String(format: " (%ld steps, %.1f s; evaluation %.1f s)", r.iterations, tBalance, tEval))
            results.append(DegreeResult(k: k, sections: basis.count, points: np, iterations: r.iterations, converged: r.converged,
                                        changes: r.changes, secondsPerIteration: r.iterationSeconds.reduce(0, +) / Double(max(1, r.iterations)),
                                        secondsTotal: tBalance, sigma: score.sigma, sigmaError: score.sigmaError, volK: score.volK,
                                        volKError: score.volKError, secondsEvaluation: tEval, ricciMeasure: ricci))
            forms.append(r.h)
            if group.isRoot, let dir = checkpoints {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                let (j, hu) = Self.checkpointURLs(dir, k)
                try AtomicFile.durably {   // a checkpoint: on the disk before it is relied on
                    try NPY.write(NDArray<Complex<Double>>(shape: [r.h.rows, r.h.cols], data: r.h.data), to: hu)
                    try JSONOutput.write(DegreeCheckpoint(fingerprint: fingerprint, result: results.last!), to: j)
                }
            }
            if k != degrees.last, let sig = group.anyStop(stop()) {
                throw StopRequest.Interrupted(signal: sig, detail: "after k = \(k)" + (checkpoints.map { "; the finished degrees are in \($0.path): rerun with --resume to continue" } ?? ""))
            }
        }
        let summary = Summary(variety: variety.name, psi: nil, kahler: kahler, seed: seed, evalSeed: evalSeed,
                              evalPoints: evalPoints, volKExact: variety.kahlerVolume(tD),
                              sigmaFS: fs.sigma, sigmaFSError: fs.sigmaError, ricciMeasureFS: ricciFS, ricciPoints: ricciPoints,
                              secondsSampling: tSampling, tolerance: tolerance,
                              convention: "sections of multidegree k*kahler, psi = s^T h conj(s), K = log(psi)/(k pi), T = N_k/(N_p Vol_CY) sum_p w_p s conj(s)^T/psi, h <- (T^-1)^T, tr h = N_k",
                              degrees: results)
        return Outcome(summary: summary, forms: forms)
    }
}

import ArgumentParser
import CYBridge
import Dispatch
import Foundation
import NumericCore
import Numerics

struct CYDonaldsonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "donaldson",
        abstract: "Donaldson's balanced metrics for k = 1…K on a hypersurface or complete intersection, with σ on an independent sample.",
        discussion: """
        For each k: the sections s_α of O(k·t) — multi-degree k·t on products, t =
        --kahler (positive integers, default all 1; the balanced metric then lies in
        the class Σ t_r J_r) — are the monomials of that degree reduced modulo the
        defining polynomial (N_k = 5, 15, 35, 70, 125, 205 on the quintic); on a
        complete intersection (tian-yau) a basis of them is picked numerically, by
        pivoted QR of the monomials evaluated on an auxiliary sample, and its size is
        checked against the Koszul count (15, 84, 261 on the Tian–Yau cover for k = 1,
        2, 3). The T-operator
          T(h)_{αβ̄} = N_k/(N_p Vol_CY) Σ_p w_p s_α s̄_β/(sᵀ h s̄),   h ← (T(h)⁻¹)ᵀ
        (cymetric's and cyjax's convention) is iterated from h = diag(multinomial
        coefficients) on N_p points (default 10·N_k² + 50 000, AHO 1910.08605) until
        the relative change of h is below --tolerance. The metric g = ∂∂̄ log(sᵀ h
        s̄)/(kπ), pulled back to X, is then scored on an independent sample of
        --eval-points points: σ = mean_w|1 − det g/|Ω|² · Vol_CY/Vol_K| (cymetric's σ)
        with its jackknife error, and Vol_K = mean(w det g/|Ω|²), which must stay at
        the intersection volume for every k.

        Ricci measure: the Ricci scalar R = −g^{ab̄}∂_a∂̄_b log det g (standard sign;
        cymetric's is −R), computed analytically from the section jets and ∂J, on the
        first --ricci-points evaluation points; ‖R‖ = Vol_K^{1/n}/Vol_CY · mean(w det
        g/|Ω|² |R|) (cymetric's measure); that of FS at t as ricci_measure_fs.

        Points: one Shiffman–Zelditch sample from --seed of max_k N_p points (each k
        uses its first N_p points) and an independent evaluation sample (seed derived
        from --seed).

        Writes to DIR: h_k{K}.npy (complex128 [N_k, N_k], ψ = sᵀ h s̄, tr h = N_k),
        sections_k{K}.npy (int64 exponents [N_k, D], the order of h's rows),
        summary.json (variety, seeds, σ_FS, per k: sections, points, iterations,
        converged, changes, seconds per iteration, σ and its error, Vol_K and its
        error, Ricci measure; singular: a singular point of the member, also warned
        on stderr, when one is found), sigma.svg (σ_k against k). Progress goes to
        stderr.

        Examples:
          nntheory cy donaldson --variety fermat-quintic --k 1..6 \\
              --seed 0 --out donaldson-fermat
          nntheory cy donaldson --variety dwork-quintic --psi 0.5 --k 1..6 \\
              --eval-points 200000 --out dwork05
          nntheory cy donaldson --variety quartic-k3 --k 1,2,3 \\
              --points 20000 --out k3
          nntheory cy donaldson --variety tian-yau --k 1..3 --out tian-yau
          nntheory cy donaldson --variety bicubic --kahler 1,2 --k 1..3 \\
              --out bicubic-12
          nntheory cy donaldson --ambient 2,2 --k 1..3 --out bicubic \\
              --variety "z0^3*z3^3 + z1^3*z4^3 + z2^3*z5^3
                         + (z0^3+z1^3+z2^3)*(z3^3+z4^3+z5^3)"
        """
    )

    @OptionGroup var geometry: CYVarietyOptions

    @Option(name: .customLong("k"), help: "Degrees k: a range '1..6' or a list '1,2,4'.")
    var degrees: String = "1..6"

    @Option(parsing: .unconditional, help: "T-operator points per k (default 10·N_k² + 50 000).")
    var points: Int?

    @Option(name: .customLong("eval-points"), parsing: .unconditional, help: "Points of the independent σ sample.")
    var evalPoints: Int = 100_000

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Stop when ‖h_{t+1} − h_t‖_F/‖h_t‖_F falls below this.")
    var tolerance: Double = 1e-5

    @Option(name: .customLong("max-iterations"), parsing: .unconditional, help: "At most this many T-operator steps per k.")
    var maxIterations: Int = 30

    @Option(name: .customLong("ricci-points"), parsing: .unconditional,
            help: "Ricci scalar (analytic) on the first M evaluation points for the Ricci measure (0: skip).")
    var ricciPoints: Int = 10_000

    @Option(help: "Output directory.")
    var out: String

    func run() throws {
        try reportingErrors {
            try prepareOutputDirectory(out)
            let ks = try DonaldsonScan.parseDegrees(degrees)
            let (v, _, t) = try geometry.resolve()
            guard t.allSatisfy({ $0 == $0.rounded() && $0 >= 1 && $0 <= 12 }) else {
                throw InputError("--kahler: \(geometry.kahler ?? ""), expected positive integers (the class of O(t₁, …): sections of multi-degree k·t)")
            }
            if let p = points, p < 1 { throw InputError("--points: \(p), expected a positive number") }
            guard evalPoints >= 100 else { throw InputError("--eval-points: \(evalPoints), expected at least 100") }
            guard tolerance > 0 && tolerance.isFinite else { throw InputError("--tolerance: \(tolerance), expected a positive number") }
            guard maxIterations >= 1 else { throw InputError("--max-iterations: \(maxIterations), expected at least 1") }
            guard ricciPoints >= 0 else { throw InputError("--ricci-points: \(ricciPoints), expected ≥ 0") }
            var scan = try DonaldsonScan(variety: v, degrees: ks, points: points, evalPoints: evalPoints, seed: seed,
                                         tolerance: tolerance, maxIterations: maxIterations, ricciPoints: min(ricciPoints, evalPoints),
                                         kahler: t.map { Int($0) })
            scan.psiText = geometry.psi
            let singular = reportSingularPoint(of: v, seed: seed, note: "sample points too close to the singular locus are dropped")
            var result = try scan.run(progress: progress)
            result.summary.singular = singular
            try scan.write(result, to: URL(fileURLWithPath: out))
            for r in result.summary.degrees {
                let ricci = r.ricciMeasure.map { String(format: "  ‖R‖ = %.4f", $0) } ?? ""
                print(String(format: "k = %d  N_k = %3d  σ = %.4f ± %.4f  Vol_K = %.4f ± %.4f", r.k, r.sections, r.sigma, r.sigmaError,
                             r.volK, r.volKError) + ricci + String(format: "  (%d steps, %.2f s/step)", r.iterations, r.secondsPerIteration))
            }
        }
    }
}

/// Donaldson's algorithm for a list of k on one variety, scored on an independent sample (shared by
/// `nntheory cy donaldson` and the demo).
struct DonaldsonScan {
    let variety: Variety
    let degrees: [Int]
    let points: Int?
    let evalPoints: Int
    let seed: UInt64
    let tolerance: Double
    let maxIterations: Int
    let ricciPoints: Int
    /// The Kähler class t (integers, one per factor): sections of multi-degree k·t, K = log ψ/(kπ) in the class of
    /// Σ_r t_r J_r.
    let kahler: [Int]
    let bases: [SectionBasis]
    /// The ψ text of the command line (recorded in the summary).
    var psiText: String? = nil

    struct DegreeResult: Codable {
        var k: Int
        var sections: Int
        var points: Int
        var iterations: Int
        var converged: Bool
        var changes: [Double]
        var secondsPerIteration: Double
        var secondsTotal: Double
        var sigma: Double
        var sigmaError: Double
        var volK: Double
        var volKError: Double
        var secondsEvaluation: Double
        var ricciMeasure: Double?
        enum CodingKeys: String, CodingKey {
            case k, sections, points, iterations, converged, changes, sigma
            case ricciMeasure = "ricci_measure"
            case secondsPerIteration = "seconds_per_iteration", secondsTotal = "seconds_total", sigmaError = "sigma_error"
            case volK = "vol_k", volKError = "vol_k_error", secondsEvaluation = "seconds_evaluation"
        }
    }

    struct Summary: Codable {
        var variety: String
        var psi: String?
        var kahler: [Int]
        var seed: UInt64
        var evalSeed: UInt64
        var evalPoints: Int
        var volKExact: Double
        var sigmaFS: Double
        var sigmaFSError: Double
        var ricciMeasureFS: Double?
        var ricciPoints: Int
        var secondsSampling: Double
        var tolerance: Double
        var convention: String
        var degrees: [DegreeResult]
        /// A singular point of the member (as in `cy sample`'s summary.json), absent when none was found.
        var singular: SampleSummary.Singular? = nil
        enum CodingKeys: String, CodingKey {
            case variety, psi, kahler, seed, tolerance, convention, degrees, singular
            case evalSeed = "eval_seed", evalPoints = "eval_points", volKExact = "vol_k_exact", sigmaFS = "sigma_fs"
            case sigmaFSError = "sigma_fs_error", secondsSampling = "seconds_sampling"
            case ricciMeasureFS = "ricci_measure_fs", ricciPoints = "ricci_points"
        }
    }

    /// "1..6" or "1,2,4".
    static func parseDegrees(_ text: String) throws -> [Int] {
        let t = text.trimmingCharacters(in: .whitespaces)
        var ks: [Int]
        if let r = t.range(of: "..") {
            guard let a = Int(t[..<r.lowerBound]), let b = Int(t[r.upperBound...]), a <= b else {
                throw InputError("--k: '\(text)', expected a range like 1..6 or a list like 1,2,4")
            }
            ks = Array(a...b)
        } else {
            ks = try parseList(t, option: "--k", expected: "an integer") { Int($0) }
        }
        guard !ks.isEmpty, ks.allSatisfy({ (1...12).contains($0) }) else {
            throw InputError("--k: '\(text)', expected degrees between 1 and 12")
        }
        return ks
    }

    init(variety: Variety, degrees: [Int], points: Int?, evalPoints: Int, seed: UInt64, tolerance: Double, maxIterations: Int,
         ricciPoints: Int = 0, kahler: [Int]? = nil) throws {
        let t = kahler ?? [Int](repeating: 1, count: variety.ambient.factorCount)
        guard t.count == variety.ambient.factorCount, t.allSatisfy({ $0 >= 1 }) else {
            throw InputError("--kahler: \(t), expected \(counted(variety.ambient.factorCount, "positive integer")) (one per factor of \(variety.ambient))")
        }
        self.variety = variety
        self.degrees = degrees
        self.points = points
        self.evalPoints = evalPoints
        self.seed = seed
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.ricciPoints = ricciPoints
        self.kahler = t
        bases = try DonaldsonScan.sectionBases(variety: variety, degrees: degrees, kahler: t, seed: seed)
    }

    /// The sections of O(k·t) per k: on a hypersurface the monomials reduced modulo the leading monomial of Q
    /// (exact); on a complete intersection a basis picked numerically from the monomials by pivoted QR on an
    /// auxiliary sample of 2·#monomials + 200 points (seed derived from `seed`), its size checked against the Koszul count.
    static func sectionBases(variety: Variety, degrees: [Int], kahler t: [Int], seed: UInt64) throws -> [SectionBasis] {
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

    func pointCount(_ basis: SectionBasis) -> Int { points ?? DonaldsonBalancing.recommendedPointCount(sections: basis.count) }

    func run(progress: @escaping (String) -> Void) throws -> (summary: Summary, forms: [ComplexMatrix]) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        func seconds(since t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) * 1e-9 }
        let sampler = try PointSampler(variety: variety)
        let maxNp = bases.map(pointCount).max()!
        progress("donaldson: sampling \(maxNp) T-operator points and \(evalPoints) evaluation points on \(variety.name)")
        let tSample = try sampler.sample(count: maxNp, seed: seed)
        let evalSeed = deriveSeed(seed, 0xD0A1)
        let eval = try sampler.sample(count: evalPoints, seed: evalSeed)
        let jac = PullbackJacobian.jacobians(of: eval)
        let n = variety.dimension, d = variety.coordinateCount
        let tSampling = seconds(since: t0)
        let tD = kahler.map(Double.init)
        let detFS = kahler.allSatisfy { $0 == 1 } ? eval.detFubiniStudy : FubiniStudy.determinants(of: eval, kahler: tD)
        let sigmaFS = SigmaMeasure.sigma(eval, determinants: detFS)
        let sigmaFSError = SigmaMeasure.jackknifeError(weights: eval.weights, omegaSquared: eval.omegaSquared, determinants: detFS)
        progress(String(format: "donaldson: sampled in %.1f s; σ_FS = %.4f ± %.4f", tSampling, sigmaFS, sigmaFSError))
        // Ricci measure on the first `ricciPoints` evaluation points (cymetric's ‖R‖ = Vol_K^{1/n}/Vol_CY·mean(w det g/|Ω|² |R|))
        let mr = ricciPoints
        let rPoints = Array(eval.points[0..<(mr * d)]), rJac = Array(jac[0..<(mr * n * d)])
        let rW = Array(eval.weights[0..<mr]), rO = Array(eval.omegaSquared[0..<mr])
        let rDJ = mr > 0 ? AlgebraicMetric.jacobianDerivatives(variety: variety, points: rPoints, jacobians: rJac,
                                                               dependent: Array(eval.dependent[0..<(mr * variety.equationCount)])) : []
        func ricciMeasure(_ metric: AlgebraicMetric) throws -> Double? {
            guard mr > 0 else { return nil }
            let r = try metric.ricciScalars(points: rPoints, jacobians: rJac, jacobianDerivatives: rDJ, dimension: n)
            let det = try metric.pullbackDeterminants(points: rPoints, jacobians: rJac, dimension: n)
            return RicciMeasure.measure(weights: rW, omegaSquared: rO, determinants: det, ricci: r, dimension: n)
        }
        // FS at t: the monomials of multi-degree t with h = diag(multinomial coefficients), ψ = ∏_r |z^{(r)}|^{2t_r}, k = 1
        let fsBasis = try SectionBasis(factorSizes: variety.ambient.dimensions.map { $0 + 1 }, degrees: kahler, polynomialExponents: [])
        var fsForm = ComplexMatrix(rows: fsBasis.count, cols: fsBasis.count)
        for (a, w) in fsBasis.multinomialWeights().enumerated() { fsForm[a, a] = Complex(w, 0) }
        let ricciFS = try ricciMeasure(AlgebraicMetric(basis: fsBasis, h: fsForm, degree: 1))
        if let r = ricciFS { progress(String(format: "donaldson: Ricci measure of FS on %d points: %.4f", mr, r)) }
        var results: [DegreeResult] = []
        var forms: [ComplexMatrix] = []
        for (k, basis) in zip(degrees, bases) {
            let np = pointCount(basis)
            let don = try DonaldsonBalancing(basis: basis, points: Array(tSample.points[0..<(np * d)]), weights: Array(tSample.weights[0..<np]))
            let tk = DispatchTime.now().uptimeNanoseconds
            let r = try don.balance(tolerance: tolerance, maxIterations: maxIterations) { it, change in
                progress(String(format: "donaldson: k = %d (N_k = %d, %d points) step %d: relative change %.2e", k, basis.count, np, it, change))
            }
            let tBalance = seconds(since: tk)
            let te = DispatchTime.now().uptimeNanoseconds
            let det = try AlgebraicMetric(basis: basis, h: r.h, degree: k).pullbackDeterminants(points: eval.points, jacobians: jac, dimension: n)
            let sigma = SigmaMeasure.sigma(eval, determinants: det)
            let sigmaError = SigmaMeasure.jackknifeError(weights: eval.weights, omegaSquared: eval.omegaSquared, determinants: det)
            let x = (0..<eval.count).map { eval.weights[$0] * det[$0] / eval.omegaSquared[$0] }
            let volK = x.reduce(0, +) / Double(x.count)
            let volKError = (x.reduce(0) { $0 + ($1 - volK) * ($1 - volK) } / Double(max(1, x.count - 1)) / Double(x.count)).squareRoot()
            let ricci = try ricciMeasure(AlgebraicMetric(basis: basis, h: r.h, degree: k))
            let tEval = seconds(since: te)
            progress(String(format: "donaldson: k = %d: σ = %.4f ± %.4f, Vol_K = %.4f ± %.4f", k, sigma, sigmaError, volK, volKError)
                     + (ricci.map { String(format: ", ‖R‖ = %.4f", $0) } ?? "")
                     + String(format: " (%d steps, %.1f s; evaluation %.1f s)", r.iterations, tBalance, tEval))
            results.append(DegreeResult(k: k, sections: basis.count, points: np, iterations: r.iterations, converged: r.converged,
                                        changes: r.changes, secondsPerIteration: r.iterationSeconds.reduce(0, +) / Double(max(1, r.iterations)),
                                        secondsTotal: tBalance, sigma: sigma, sigmaError: sigmaError, volK: volK, volKError: volKError,
                                        secondsEvaluation: tEval, ricciMeasure: ricci))
            forms.append(r.h)
        }
        let summary = Summary(variety: variety.name, psi: psiText, kahler: kahler, seed: seed, evalSeed: evalSeed,
                              evalPoints: evalPoints, volKExact: variety.kahlerVolume(tD),
                              sigmaFS: sigmaFS, sigmaFSError: sigmaFSError, ricciMeasureFS: ricciFS, ricciPoints: mr,
                              secondsSampling: tSampling, tolerance: tolerance,
                              convention: "sections of multidegree k*kahler, psi = s^T h conj(s), K = log(psi)/(k pi), T = N_k/(N_p Vol_CY) sum_p w_p s conj(s)^T/psi, h <- (T^-1)^T, tr h = N_k",
                              degrees: results)
        return (summary, forms)
    }

    func write(_ result: (summary: Summary, forms: [ComplexMatrix]), to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (i, k) in degrees.enumerated() {
            let h = result.forms[i]
            try NPY.write(NDArray<Complex<Double>>(shape: [h.rows, h.cols], data: h.data), to: dir.appendingPathComponent("h_k\(k).npy"))
            let b = bases[i]
            try NPY.write(NDArray<Int64>(shape: [b.count, b.variables], data: b.exponents.map { Int64($0) }),
                          to: dir.appendingPathComponent("sections_k\(k).npy"))
        }
        try JSONOutput.write(result.summary, to: dir.appendingPathComponent("summary.json"))
        var plot = SVGPlot(title: "Donaldson balanced metrics on \(variety.name): σ_k", xLabel: "k", yLabel: "σ", logY: true)
        plot.integerX = true
        let s = result.summary
        plot.series.append(.init(label: "σ_k (balanced)", x: s.degrees.map { Double($0.k) }, y: s.degrees.map(\.sigma), color: SVGPlot.palette[0]))
        plot.series.append(.init(label: "σ_FS", x: s.degrees.map { Double($0.k) }, y: s.degrees.map { _ in s.sigmaFS },
                                 color: SVGPlot.palette[1], dashed: true, markers: false))
        try plot.write(to: dir.appendingPathComponent("sigma.svg"))
    }
}

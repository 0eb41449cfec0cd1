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
        discussion: HelpText.paragraphs("""
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
        stderr. Every finished k is saved in DIR/checkpoints; SIGINT/SIGTERM stop
        the scan after the current k, and --resume takes the saved degrees (the
        same bits as an uninterrupted scan).

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
        """)
    )

    @OptionGroup var geometry: CYVarietyOptions

    @Option(name: .customLong("k"), help: "Degrees k: a range '1..6' or a list '1,2,4'.")
    var degrees: String = "1..6"

    @Option(parsing: .unconditional, help: "T-operator points per k (default 10·N_k² + 50 000).")
    var points: Int?

    @Option(name: .customLong("eval-points"), parsing: .unconditional, help: "Points of the independent σ sample.")
    var evalPoints: Int = 100_000

    @Option(parsing: .unconditional, help: "Stop when ‖h_{t+1} − h_t‖_F/‖h_t‖_F falls below this.")
    var tolerance: Double = 1e-5

    @Option(name: .customLong("max-iterations"), parsing: .unconditional, help: "At most this many T-operator steps per k.")
    var maxIterations: Int = 30

    @Option(name: .customLong("ricci-points"), parsing: .unconditional,
            help: "Ricci scalar (analytic) on the first M evaluation points for the Ricci measure (0: skip).")
    var ricciPoints: Int = 10_000

    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOptions
    @OptionGroup var resume: ResumeOption

    func run() throws {
        try output.run(resume: resume.resume) { dir in
            let ks = try parseDegrees(degrees)
            let (v, _, t) = try geometry.resolve()
            guard t.allSatisfy({ $0 == $0.rounded() && $0 >= 1 && $0 <= 12 }) else {
                throw InputError("--kahler: \(geometry.kahler ?? ""), expected positive integers (the class of O(t₁, …): sections of multi-degree k·t)")
            }
            let scan: DonaldsonScan
            do {
                scan = try DonaldsonScan(variety: v, degrees: ks, points: points, evalPoints: evalPoints, seed: seed.seed, tolerance: tolerance,
                                         maxIterations: maxIterations, ricciPoints: ricciPoints, kahler: t.map { Int($0) })
            } catch let e as DonaldsonScan.InvalidParameter {
                throw InputError(optionMessage(e))
            }
            // Held at once for the largest k: the section values s_α(x) of every T-operator point (complex) and the
            // evaluation sample's coordinates.
            let biggest = scan.bases.map { Double(scan.pointCount($0)) * Double(16 * $0.count) }.max() ?? 0
            try MemoryBudget.check(biggest + Double(evalPoints) * Double(64 * v.ambient.coordinateCount + 128),
                                   for: "the section values of the T-operator points and the evaluation sample",
                                   option: points.map { "--points \($0)" } ?? "--eval-points \(evalPoints)")
            let singular = reportSingularPoint(of: v, seed: seed.seed, note: "sample points too close to the singular locus are dropped")
            StopRequest.install()
            var result = try exitingOnInterrupt("cy donaldson") {
                try scan.run(progress: progress, checkpoints: dir.appendingPathComponent("checkpoints"), resume: resume.resume,
                             stop: { StopRequest.received })
            }
            guard ProcessGroups.current.isRoot else { return }   // under mpirun, rank 0 writes
            result.summary.psi = geometry.psi
            result.summary.singular = singular
            try writeDonaldsonScan(scan, result, to: dir)
            for r in result.summary.degrees {
                let ricci = r.ricciMeasure.map { String(format: "  ‖R‖ = %.4f", $0) } ?? ""
                print(String(format: "k = %ld  N_k = %3ld  σ = %.4f ± %.4f  Vol_K = %.4f ± %.4f", r.k, r.sections, r.sigma, r.sigmaError,
                             r.volK, r.volKError) + ricci + String(format: "  (%ld steps, %.2f s/step)", r.iterations, r.secondsPerIteration))
            }
        }
    }

    /// The library's parameter error as "--OPTION: VALUE, expected …", with the value as given on the command line.
    func optionMessage(_ e: DonaldsonScan.InvalidParameter) -> String {
        let (option, value): (String, String) = switch e.parameter {
        case .degrees: ("--k", "'\(degrees)'")
        case .kahler: ("--kahler", geometry.kahler ?? e.value)
        case .points: ("--points", e.value)
        case .evalPoints: ("--eval-points", e.value)
        case .tolerance: ("--tolerance", e.value)
        case .maxIterations: ("--max-iterations", e.value)
        case .ricciPoints: ("--ricci-points", e.value)
        }
        return "\(option): \(value), expected \(e.expected)"
    }

    /// --k: a range "1..6" or a list "1,2,4" (the range of the degrees is the library's check).
    func parseDegrees(_ text: String) throws -> [Int] {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let r = t.range(of: "..") else { return try parseList(t, option: "--k", expected: "an integer") { Int($0) } }
        guard let a = Int(t[..<r.lowerBound]), let b = Int(t[r.upperBound...]), a <= b else {
            throw InputError("--k: '\(text)', expected a range like 1..6 or a list like 1,2,4")
        }
        return Array(a...b)
    }
}

/// Writes a Donaldson scan into `dir`: h_k{K}.npy and sections_k{K}.npy per k (`BalancedMetricDirectory.write`),
/// summary.json, and sigma.svg (σ_k against k, with σ_FS dashed). Shared by `nntheory cy donaldson` and the demo.
func writeDonaldsonScan(_ scan: DonaldsonScan, _ result: DonaldsonScan.Outcome, to dir: URL) throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (i, k) in scan.degrees.enumerated() {
        try BalancedMetricDirectory.write(form: result.forms[i], basis: scan.bases[i], degree: k, to: dir)
    }
    try JSONOutput.writeSummary(result.summary, to: dir.appendingPathComponent("summary.json"))
    var plot = SVGPlot(title: "Donaldson balanced metrics on \(scan.variety.name): σ_k", xLabel: "k", yLabel: "σ", logY: true)
    plot.integerX = true
    let s = result.summary
    plot.series.append(.init(label: "σ_k (balanced) ± error", x: s.degrees.map { Double($0.k) }, y: s.degrees.map(\.sigma), color: SVGPlot.palette[0],
                             errors: s.degrees.map(\.sigmaError)))
    plot.series.append(.init(label: "σ_FS", x: s.degrees.map { Double($0.k) }, y: s.degrees.map { _ in s.sigmaFS },
                             color: SVGPlot.palette[1], dashed: true, markers: false))
    try plot.write(to: dir.appendingPathComponent("sigma.svg"))
}

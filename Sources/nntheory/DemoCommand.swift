import ArgumentParser
import Ensembles
import Foundation
import NumericCore

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "A tour of the toolkit on built-in defaults, written to a results folder.",
        discussion: """
        Ensembles: the 4- and 6-point scaling experiment of 2008.08601 for the Gauss-, Erf- and ReLU-nets on the
        paper's d_in = 1 inputs, at widths 2 … 500 with 10^5 networks per width (the paper uses 10^6:
        see README for the full protocol), with exact finite-N values beside the Monte Carlo.
        Results go to DIR/ensembles/<net>/ (summary.json, scaling.svg, lambda.svg, .npy tensors).
        """
    )

    @Option(help: "Output directory.")
    var out: String = "results"

    @Option(parsing: .unconditional, help: "Networks per width.")
    var networks: Int = 100_000

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 1

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        try reportingErrors {
            let root = URL(fileURLWithPath: out)
            let start = Date()
            let paper: [(NetKind, [Double], Double)] = [
                (.gauss, [-1, -0.6, -0.2, 0.2, 0.6, 1].map { 0.01 * $0 }, 1),
                (.erf, [-1, -0.6, -0.2, 0.2, 0.6, 1], 1),
                (.relu, [0.2, 0.4, 0.6, 0.8, 1.0, 1.2], 0),
            ]
            var report: [String] = []
            for (kind, xs, sb) in paper {
                var e = CorrelatorExperiment(net: kind, widths: [2, 3, 4, 5, 10, 20, 50, 100, 500], networks: networks,
                                             chunks: 10, points: Matrix(rows: xs.count, cols: 1, data: xs))
                e.sigmaB = sb
                e.seed = seed
                e.threads = threads
                FileHandle.standardError.write(Data("demo: \(kind.rawValue)-net, 9 widths × \(networks) networks\n".utf8))
                let dir = root.appendingPathComponent("ensembles").appendingPathComponent(kind.rawValue)
                guard let s = try CorrelatorRunner(experiment: e, output: dir).run() else { continue }
                for n in [4, 6] {
                    let mc = s.slopes["\(n)"].flatMap { $0 }.map { String(format: "%.2f", $0.slope) } ?? "n/a (within noise at fewer than 2 widths)"
                    let ex = s.exact_slopes["\(n)"].flatMap { $0 }.map { String(format: "%.2f", $0.slope) } ?? "-"
                    report.append("\(kind.rawValue)-net: slope of log m\(n) vs log N: Monte Carlo \(mc), exact \(ex)")
                }
            }
            report.append(String(format: "demo finished in %.1f s", Date().timeIntervalSince(start)) + "; results in \(root.path)")
            print(report.joined(separator: "\n"))
        }
    }
}

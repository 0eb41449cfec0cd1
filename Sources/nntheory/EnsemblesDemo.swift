import Ensembles
import Foundation
import NumericCore

/// Demo section: the 4- and 6-point scaling experiment of 2008.08601 for the Gauss-, Erf- and ReLU-nets.
enum EnsemblesDemo: DemoSection {
    static let name = "ensembles"
    /// Networks per width (the paper uses 10^6; see README for the full protocol).
    nonisolated(unsafe) static var networks = 100_000

    static func run(root: URL, seed: UInt64, threads: Int) throws -> [String] {
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
            progress("demo: \(kind.rawValue)-net, 9 widths × \(networks) networks")
            let dir = root.appendingPathComponent(name).appendingPathComponent(kind.rawValue)
            guard let s = try CorrelatorRunner(experiment: e, output: dir).run() else { continue }
            for n in [4, 6] {
                let mc = s.slopes["\(n)"].flatMap { $0 }.map { String(format: "%.2f", $0.slope) } ?? "n/a (within noise at fewer than 2 widths)"
                let ex = s.exact_slopes["\(n)"].flatMap { $0 }.map { String(format: "%.2f", $0.slope) } ?? "-"
                report.append("\(kind.rawValue)-net: slope of log m\(n) vs log N: Monte Carlo \(mc), exact \(ex)")
            }
        }
        return report
    }
}

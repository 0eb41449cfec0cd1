import ArgumentParser
import Foundation
import NumericCore

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "A tour of the toolkit on built-in defaults, written to a results folder.",
        discussion: HelpText.paragraphs("""
        Sections (select with --sections, default all), each writing to DIR/<section>/:
          ensembles    the 4- and 6-point scaling experiment of 2008.08601 for the Gauss-, Erf- and ReLU-nets
                       on the paper's d_in = 1 inputs, widths 2 … 500, --networks per width (the paper uses
                       10^6: see README for the full protocol), exact finite-N values beside the Monte Carlo.
          ntk          the empirical NTK converging to the analytic one as the width grows.
          fieldtheory  the cos-net propagator against G_Λ, and G_c(4) of φ⁴ against λ.
          cy           σ of the Fubini–Study and Donaldson k = 1..4 metrics on the Fermat quintic.
          cy-neural    a φ-model g = g_FS + ∂∂̄φ trained on the Fermat quintic, σ against FS and Donaldson.
          training     a bumpy torus metric trained flat, with its curvature decay.
          metricflow   Ricci flow of e^u δ from u = cos x on T², and the local (−Δδ on e^u) and heat (δ on u)
                       kernel arms compared with it: velocity cosine, time matching, distance.
        """)
    )

    static let sections: [any DemoSection.Type] = [
        EnsemblesDemo.self, NTKDemo.self, FieldTheoryDemo.self, CYDemo.self, NeuralCYDemo.self, TrainingDemo.self, MetricFlowDemo.self,
    ]

    @Option(help: OutputOptions.help)
    var out: String = "results"

    @Option(help: "Comma-separated sections to run (ensembles, ntk, fieldtheory, cy, cy-neural, training, metricflow); default all.")
    var sections: String?

    @Option(parsing: .unconditional, help: "Networks per width in the ensembles section.")
    var networks: Int = 100_000

    @Option(parsing: .unconditional, help: SeedOption.help)
    var seed: UInt64 = 1

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var force: ForceOption

    /// DIR/summary.json: the sections run, their settings, the report as printed, the time, and the run block.
    struct Summary: Encodable {
        let sections: [String]
        let networks: Int
        let seed: UInt64
        let report: [String]
        let seconds: Double
    }

    func run() throws {
        try OutputOptions.run(in: out, force: force.force) { root in
            let known = Self.sections.map { $0.name }
            let chosen = try sections.map {
                try parseList($0, option: "--sections", expected: "one of \(known.joined(separator: ", "))") { known.contains($0) ? $0 : nil }
            } ?? known
            guard networks > 0 else { throw InputError("--networks \(networks), expected a positive count") }
            let threads = try threadOptions.count()
            EnsemblesDemo.networks = networks
            let start = Date()
            var report: [String] = []
            for section in Self.sections where chosen.contains(section.name) {
                let t0 = Date()
                let lines = try section.run(root: root, seed: seed, threads: threads)
                report.append(contentsOf: lines)
                report.append(String(format: "[%@ section: %.1f s]", section.name, Date().timeIntervalSince(t0)))
            }
            let seconds = Date().timeIntervalSince(start)
            report.append(String(format: "demo finished in %.1f s", seconds) + "; results in \(root.path)")
            try JSONOutput.writeSummary(Summary(sections: chosen, networks: networks, seed: seed, report: report, seconds: seconds),
                                        to: root.appendingPathComponent("summary.json"))
            print(report.joined(separator: "\n"))
        }
    }
}

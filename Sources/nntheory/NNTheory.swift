import ArgumentParser
import Foundation
import NumericCore

@main
struct NNTheory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nntheory",
        abstract: "Neural-network theory for physics: NN field theories, NTKs, Calabi–Yau metrics, metric flows.",
        discussion: """
        Outputs: arrays as .npy (np.load reads them as they are), summaries as JSON, plots as SVG.
        Randomness is seeded and counter-based: the same --seed gives the same numbers on any thread count.
        """,
        version: "0.1.0",
        subcommands: [
            CorrelatorsCommand.self, KernelCommand.self, NTKCommand.self, FreeFieldCommand.self, Phi4Command.self,
            CYCommand.self, TrainCommand.self, DemoCommand.self,
        ]
    )

    static func main() {
        OpenBLASThreadTimeout.shorten()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Runs a command body, turning any error into a one-line message on stderr and exit status 2.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as ExitCode {
        throw e
    } catch {
        let line = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
        FileHandle.standardError.write(Data("error: \(line)\n".utf8))
        throw ExitCode(2)
    }
}

/// Parses a comma-separated list, naming the option in the error.
func parseList<T>(_ text: String, option: String, expected: String, _ convert: (String) -> T?) throws -> [T] {
    try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.map { s in
        guard let v = convert(s) else { throw InputError("\(option): '\(s)' in '\(text)' is not \(expected)") }
        return v
    }
}

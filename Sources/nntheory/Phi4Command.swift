import ArgumentParser
import Foundation

struct Phi4Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phi4",
        abstract: "φ⁴ theory by deforming the cos-net parameter density (planned)."
    )

    func run() throws {
        try reportingErrors { throw ExitCode(2) }
    }
}

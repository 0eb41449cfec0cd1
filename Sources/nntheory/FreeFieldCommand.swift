import ArgumentParser
import Foundation

struct FreeFieldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freefield",
        abstract: "Free scalar field theory from the cos-net ensemble: two- and four-point functions against exact (planned)."
    )

    func run() throws {
        try reportingErrors { throw ExitCode(2) }
    }
}

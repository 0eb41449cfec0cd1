import ArgumentParser
import Foundation

struct CYCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cy",
        abstract: "Numerical Calabi–Yau geometry: sampling, σ, Donaldson's algorithm, volumes (planned)."
    )

    func run() throws {
        try reportingErrors { throw ExitCode(2) }
    }
}

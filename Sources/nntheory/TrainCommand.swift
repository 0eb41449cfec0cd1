import ArgumentParser
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train neural-network metrics by gradient descent on curvature losses (planned)."
    )

    func run() throws {
        try reportingErrors { throw ExitCode(2) }
    }
}

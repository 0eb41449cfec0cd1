import Foundation

/// Demo section: a bumpy torus metric trained flat (not yet implemented: returns a note).
enum TrainingDemo: DemoSection {
    static let name = "training"

    static func run(root: URL, seed: UInt64, threads: Int) throws -> [String] {
        ["training: not yet implemented"]
    }
}

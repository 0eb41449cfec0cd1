import Foundation

/// Demo section: the cos-net propagator against G_Λ and G_c(4) against λ (not yet implemented: returns a note).
enum FieldTheoryDemo: DemoSection {
    static let name = "fieldtheory"

    static func run(root: URL, seed: UInt64, threads: Int) throws -> [String] {
        ["fieldtheory: not yet implemented"]
    }
}

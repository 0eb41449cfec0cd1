import Foundation

/// Demo section: the empirical NTK converging to the analytic one (not yet implemented: returns a note).
enum NTKDemo: DemoSection {
    static let name = "ntk"

    static func run(root: URL, seed: UInt64, threads: Int) throws -> [String] {
        ["ntk: not yet implemented"]
    }
}

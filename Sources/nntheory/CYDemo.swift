import Foundation

/// Demo section: σ of FS and Donaldson metrics on the Fermat quintic (not yet implemented: returns a note).
enum CYDemo: DemoSection {
    static let name = "cy"

    static func run(root: URL, seed: UInt64, threads: Int) throws -> [String] {
        ["cy: not yet implemented"]
    }
}

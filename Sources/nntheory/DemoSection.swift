import Foundation
import NumericCore

/// One section of `nntheory demo`: it writes under `root/<name>/` and returns lines for the closing report.
/// Each module's section lives in its own file (`EnsemblesDemo.swift`, `NTKDemo.swift`, …).
protocol DemoSection {
    /// Folder and selector name (`--sections`).
    static var name: String { get }
    /// Runs the section on built-in defaults.
    static func run(root: URL, seed: UInt64, threads: Int) throws -> [String]
}

/// Writes a progress line to stderr.
func progress(_ line: String) {
    guard ProcessGroups.current.isRoot else { return }   // under mpirun, rank 0 reports for all
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

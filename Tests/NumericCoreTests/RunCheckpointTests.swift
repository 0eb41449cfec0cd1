import Foundation
import Testing
@testable import NumericCore

/// `RunCheckpoint`: the state round-trips bit-exactly, a damaged newest file falls back to the previous generation
/// with a warning, and a checkpoint of other settings or with no readable generation is refused.
@Suite struct RunCheckpointTests {
    func file(_ fingerprint: String, in dir: URL) -> RunCheckpoint<[String: [Double]]> {
        RunCheckpoint(url: dir.appendingPathComponent("checkpoints/state.json"), fingerprint: fingerprint, command: "test run")
    }

    @Test func savesLoadsAndFallsBackToThePreviousGeneration() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = file("a=1", in: dir)
        #expect(try c.load() == nil)
        // Values whose shortest decimal forms are long: the JSON round trip must keep every bit.
        let first = ["8": [0.1, 1.0 / 3, .pi, 5e-324, -0.0]], second = ["8": [0.1, 1.0 / 3, .pi, 5e-324, -0.0], "16": [2.0 / 7]]
        try c.save(first)
        try c.save(second)
        let back = try #require(try c.load())
        #expect(back.mapValues { $0.map(\.bitPattern) } == second.mapValues { $0.map(\.bitPattern) })
        // Damage the newest generation: the previous one is taken, with a warning naming the file.
        try Data("{\"fingerprint\": \"a=1\", \"sta".utf8).write(to: c.url)
        var warnings: [String] = []
        let fallback = try #require(try c.load(warn: { warnings.append($0) }))
        #expect(fallback.mapValues { $0.map(\.bitPattern) } == first.mapValues { $0.map(\.bitPattern) })
        #expect(warnings.count == 1 && warnings[0].contains(c.url.path) && warnings[0].contains("previous"), "\(warnings)")
        // Other settings: refused, naming the file.
        #expect(throws: InputError.self) { try file("a=2", in: dir).load() }
        do { _ = try file("a=2", in: dir).load() } catch { #expect("\(error)".contains("belongs to other settings")) }
        // Both generations damaged: refused.
        try Data("x".utf8).write(to: AtomicFile.previousGeneration(of: c.url))
        #expect(throws: InputError.self) { try c.load() }
    }
}

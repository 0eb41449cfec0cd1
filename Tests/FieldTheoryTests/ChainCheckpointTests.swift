import Ensembles
import Foundation
import Testing
@testable import FieldTheory
@testable import NumericCore
import TestSupport

/// Markov chains stopped at a checkpoint and resumed end with the records, acceptance and autocorrelation times of
/// an uninterrupted chain, bit for bit — also when the process died while saving (records written, the state that
/// declares them not yet) and when every chain had already finished.
@Suite struct ChainCheckpointTests {
    struct Case {
        let sampler: String
        let theory: Phi4Theory
        let points: Matrix
        let thermalization = 20, steps = 150

        init(_ sampler: String) throws {
            self.sampler = sampler
            let d = sampler == "hmc" ? 2 : 1
            theory = try Phi4SamplingTests.theory(d: d, width: 8, cutoff: 3, box: 1)
            points = d == 2 ? Matrix(rows: 2, cols: 2, data: [0, 0, 0.4, 0.3]) : Matrix(rows: 2, cols: 1, data: [0, 0.4])
        }

        func run(_ store: ChainCheckpoint?) throws -> MarkovChainRecord {
            if sampler == "metropolis" {
                return try MetropolisSampler(theory: theory, coupling: 3).run(points: points, sweeps: steps, thermalization: thermalization,
                                                                              seed: 7, checkpoint: store, label: "t")
            }
            return try HamiltonianSampler(theory: theory, coupling: 3, stepSize: 0.8, steps: 6)
                .run(points: points, trajectories: steps, thermalization: thermalization, seed: 7, checkpoint: store, label: "t")
        }

        /// The first exact stopping point at or after `step` (Metropolis: after a sweep that re-synchronised φ).
        func stop(after step: Int) -> Int { sampler == "metropolis" ? (step + 15) / 16 * 16 : step }
    }

    static func expectSame(_ a: MarkovChainRecord, _ b: MarkovChainRecord) {
        // Compared as booleans: a failure reports the first differing record, not two whole arrays.
        let sameFields = a.fields == b.fields, sameInteractions = a.interactions == b.interactions
        let firstDiff = zip(a.interactions, b.interactions).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(sameFields && sameInteractions && a.count == b.count, "records differ from step \(firstDiff.map(String.init) ?? "?")")
        #expect(a.acceptance == b.acceptance)
        #expect(a.tauInteraction.tau == b.tauInteraction.tau && a.tauFieldSquared.tau == b.tauFieldSquared.tau)
    }

    @Test(arguments: ["metropolis", "hmc"]) func resumedChainsAreBitIdentical(sampler: String) throws {
        let c = try Case(sampler)
        let uninterrupted = try c.run(nil)
        #expect(uninterrupted.resumedSteps == 0 && uninterrupted.count == 2 * c.steps)
        #expect(uninterrupted.acceptance > 0.05 && uninterrupted.acceptance < 1)   // λ = 3: some proposals rejected

        let dir = try makeTemporaryDirectory(prefix: "chain-ckpt")
        defer { try? FileManager.default.removeItem(at: dir) }
        var store = ChainCheckpoint(directory: dir, fingerprint: "test \(sampler)", interval: .infinity)
        store.interruptAfterStep = 70
        #expect(throws: ChainInterrupted.self) { try c.run(store) }
        let first = try #require(try store.load(label: "t_c0", pointCount: 2))
        #expect(first.step == c.stop(after: 70) && first.interactions.count == first.step - c.thermalization)

        // Died while saving: the later records are on disk, the state that declares them is not.
        let json = dir.appendingPathComponent("chain_t_c0.json")
        let earlier = try Data(contentsOf: json)
        store.interruptAfterStep = 120
        #expect(throws: ChainInterrupted.self) { try c.run(store) }
        #expect(try store.load(label: "t_c0", pointCount: 2)?.step == c.stop(after: 120))
        try earlier.write(to: json)

        store.interruptAfterStep = nil
        let resumed = try c.run(store)
        #expect(resumed.resumedSteps == first.step + c.stop(after: 120))   // chain 0 from the restored state, chain 1 from its later one
        Self.expectSame(uninterrupted, resumed)

        // Every chain finished: nothing left to run, the same record.
        let again = try c.run(store)
        #expect(again.resumedSteps == 2 * (c.thermalization + c.steps))
        Self.expectSame(uninterrupted, again)
    }

    @Test func stateOfOtherSettingsIsRefused() throws {
        let c = try Case("metropolis")
        let dir = try makeTemporaryDirectory(prefix: "chain-ckpt")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try c.run(ChainCheckpoint(directory: dir, fingerprint: "seed=7", interval: .infinity))
        let other = ChainCheckpoint(directory: dir, fingerprint: "seed=8")
        do {
            _ = try c.run(other)
            Issue.record("a chain state saved under other settings was continued")
        } catch let e as CheckpointMismatch {
            #expect(e.description.contains("belongs to other settings (seed=7); expected seed=8"), "\(e.description)")
        }
    }

    /// The experiment passes its checkpoint on to the chains: a (N, λ) grid run twice into one directory takes every
    /// chain from the checkpoint the second time and gives the same cells; `clear()` removes the chain states.
    @Test func experimentResumesFinishedCells() throws {
        var s = Phi4Experiment.Settings(dimension: 1, mass: 1, cutoff: 3, box: try Box(side: 1, dimension: 1), couplings: [1, 2], widths: [6],
                                        sampler: .metropolis, networks: 64)
        s.chains = 2; s.thermalization = 10; s.seed = 3
        let exp = try Phi4Experiment(settings: s, points: Matrix(rows: 2, cols: 1, data: [0, 0.3]))
        let dir = try makeTemporaryDirectory(prefix: "chain-ckpt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = SampleCheckpoint(directory: dir, fingerprint: exp.fingerprint)
        let a = try exp.run(checkpoint: store)
        let messages = MessageLog()
        let b = try exp.run(progress: { messages.append($0) }, checkpoint: store)
        #expect(messages.all.filter { $0.contains("84 of 84 chain steps taken from the checkpoint") }.count == 2, "\(messages.all)")
        for l in 0..<2 {
            #expect(a.cells[0][l].correlators.g4c.data == b.cells[0][l].correlators.g4c.data)
            #expect(a.cells[0][l].acceptance == b.cells[0][l].acceptance)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(files.filter { $0.hasPrefix("chain_N6_l") && $0.hasSuffix(".json") }.count == 4)
        store.clear()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}

final class MessageLog: @unchecked Sendable {
    private var messages: [String] = []
    private let lock = NSLock()
    func append(_ m: String) { lock.lock(); messages.append(m); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return messages }
}

/// Sample checkpoints keep the generation before the newest: a garbled newest manifest or sample file falls back to
/// it (samples only grow by appending, so the older count's prefix is exact); settings of another run still refuse.
@Suite struct SampleCheckpointGenerationTests {
    @Test func garbledNewestFallsBackToThePreviousGeneration() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sample-ckpt-\(UUID().uuidString)")
        let store = SampleCheckpoint(directory: dir, fingerprint: "settings A")
        let P = 3
        let all = (0..<(20 * P)).map { Double($0) * 0.25 - 1 }, inter = (0..<20).map { Double($0) + 0.5 }
        try store.save(FreeFieldSamples(pointCount: P, fields: Array(all[0..<(10 * P)]), interactions: Array(inter[0..<10])), width: 7, count: 10)
        try store.save(FreeFieldSamples(pointCount: P, fields: all, interactions: inter), width: 7, count: 20)
        #expect(try store.load(width: 7, pointCount: P)?.fields == all)
        // A garbled manifest: the previous one (10 networks) with the newest arrays' prefix.
        let manifest = dir.appendingPathComponent("checkpoint.json")
        try Data("{garbled".utf8).write(to: manifest)
        try store.validate()
        let a = try #require(try store.load(width: 7, pointCount: P))
        #expect(a.fields == Array(all[0..<(10 * P)]) && a.interactions == Array(inter[0..<10]))
        // A truncated newest sample file under a good manifest: the previous generation's manifest and file.
        try FileManager.default.removeItem(at: manifest)
        try FileManager.default.copyItem(at: manifest.appendingPathExtension("prev"), to: manifest)
        try Data("\u{93}NUMPY".utf8).write(to: dir.appendingPathComponent("samples_N7_fields.npy"))
        let b = try #require(try store.load(width: 7, pointCount: P))
        #expect(b.fields == Array(all[0..<(10 * P)]))
        // Both generations unreadable: an error; other settings: a mismatch, not a fallback.
        try Data("x".utf8).write(to: dir.appendingPathComponent("samples_N7_fields.npy.prev"))
        #expect(throws: (any Error).self) { try store.load(width: 7, pointCount: P) }
        #expect(throws: CheckpointMismatch.self) { try SampleCheckpoint(directory: dir, fingerprint: "settings B").validate() }
    }
}

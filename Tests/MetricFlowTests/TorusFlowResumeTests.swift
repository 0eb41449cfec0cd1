import Foundation
import Testing
@testable import MetricFlow
import NumericCore

/// `TorusFlowExperiment` stopped by a signal at a chosen poll — inside the arm's time stepping, inside Perelman's λ,
/// inside the reference flow — and resumed from its checkpoint ends with the same bits as a run that never stopped,
/// for every kind of time stepper (adaptive ETDRK4 conformal and Ricci–DeTurck, explicit Euler kernel arms, network
/// gradient descent).
@Suite struct TorusFlowResumeTests {
    /// Every number of a result that a resumed run must reproduce, as bit patterns.
    static func bits(_ r: TorusFlowResult) -> [UInt64] {
        func trajectory(_ t: FlowTrajectory?) -> [Double] {
            guard let t else { return [] }
            return t.times + t.metrics.flatMap(\.components) + t.velocities.flatMap { $0 } + (t.conformalFactors ?? []).flatMap { $0 }
                + [Double(t.statistics.accepted), Double(t.statistics.rejected), Double(t.statistics.evaluations), t.breakdown?.time ?? -1]
        }
        var v = trajectory(r.trajectory) + trajectory(r.reference) + r.area + r.lambda + r.perelmanF + (r.meanU ?? []) + [r.step ?? -1]
        if let c = r.comparison { v += c.velocityCosine + c.matchedTime + c.distance + [c.speedFactor] }
        for w in r.ntkDrift.keys.sorted() { v += r.ntkDrift[w]! }
        if let e = r.driftExponent { v += [e.value, e.error] }
        return v.map(\.bitPattern)
    }

    /// Runs `config` whole, counting the polls of `stop` (P); then stops it by SIGINT at each fraction f of P in
    /// turn (run j stops at its (f_j − f_{j−1})·P-th poll), resuming each time from the checkpoint, and finally
    /// resumes it to the end; returns how many stops it took.
    static func checkResume(_ config: TorusFlowConfig, stopAt fractions: [Double]) throws -> Int {
        let e = try TorusFlowExperiment(config: config)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tfr-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var total = 0
        let whole = try e.run(checkpoints: dir.appendingPathComponent("whole"), stop: { total += 1; return nil })
        let polls = zip(fractions, [0] + fractions).map { max(1, Int(Double(total) * ($0 - $1))) }
        var stops = 0
        for (attempt, k) in polls.enumerated() {
            var count = 0
            let stop: () -> Int32? = { count += 1; return count >= k ? SIGINT : nil }
            do {
                _ = try e.run(checkpoints: dir, resume: attempt > 0, stop: stop)
                Issue.record("run \(attempt) was not stopped at poll \(k)")
            } catch let i as StopRequest.Interrupted {
                #expect(i.signal == SIGINT && i.detail.contains("rerun with --resume"), "\(i)")
                stops += 1
            }
        }
        var logged: [String] = []
        let resumed = try e.run(checkpoints: dir, resume: true, log: { logged.append($0) })
        #expect(total > 10, "only \(total) polls")
        #expect(logged.contains { $0.hasPrefix("resuming:") }, "\(logged)")
        let a = bits(whole), b = bits(resumed)
        #expect(a.count == b.count && a == b, "resumed result differs: \(a.count) vs \(b.count) numbers, first difference at \(a.indices.first { $0 < b.count && a[$0] != b[$0] } ?? -1)")
        return stops
    }

    @Test func conformalRicciWithCompare() throws {
        var c = TorusFlowConfig()
        c.grid = 16; c.tEnd = 2; c.compare = true
        // Inside the arm's stepping, then (the reference having many more steps) inside the reference flow.
        #expect(try Self.checkResume(c, stopAt: [0.02, 0.1, 0.6]) == 3)
    }

    @Test func deTurckRicciInThreeDimensions() throws {
        var c = TorusFlowConfig()
        c.dimension = 3; c.metric = .components; c.grid = 8; c.tEnd = 1; c.initExpression = "u = 0.3*cos(x)*sin(y+z)"
        #expect(try Self.checkResume(c, stopAt: [0.3, 0.7]) == 2)
    }

    @Test(arguments: [TorusFlowKind.local, .heat, .gaussian]) func kernelArms(flow: TorusFlowKind) throws {
        var c = TorusFlowConfig()
        c.flow = flow; c.grid = 16; c.tEnd = 1
        #expect(try Self.checkResume(c, stopAt: [0.3, 0.8]) == 2)
    }

    @Test(arguments: [TorusFlowKind.frozen, .network]) func networkArms(flow: TorusFlowKind) throws {
        var c = TorusFlowConfig()
        c.flow = flow; c.grid = 16; c.tEnd = 0.5; c.widths = [8, 16]; c.networks = 2; c.step = 0.01
        #expect(try Self.checkResume(c, stopAt: [0.2, 0.5, 0.9]) == 3)
    }
}

import Foundation
import NumericCore

/// The checkpoint of a `flow torus` run in DIR/checkpoints: `flow.json` (a `RunCheckpoint` tied to the run's
/// settings) holds, per time-stepping run ("arm", "network_N_m", "reference"), its latest `FlowResumePoint`, and
/// Perelman's λ and F of the states done so far; the saved states of each run are `RUN/state_I.npz` (metric,
/// velocity and, for conformal flows, u), written once each. The checkpoint is written at most every 10 s, when a
/// stepping run completes and when the run stops for a signal; a resumed run continues every stepping run from its
/// point and takes the λ and F already computed, with the same bits as a run that never stopped.
final class TorusFlowCheckpoint {
    struct State: Codable {
        var points: [String: FlowResumePoint] = [:]
        var lambda: [Double] = []
        var perelmanF: [Double] = []
    }

    let file: RunCheckpoint<State>
    let directory: URL
    let grid: TorusGrid
    let stop: () -> Int32?
    var state = State()
    /// Saved states already on disk, per stepping run.
    var written: [String: Int] = [:]
    var lastSave = Date()

    /// The checkpoint under `directory` of the run with `config`; with `resume`, loads what an earlier run saved
    /// (a checkpoint of other settings is refused).
    init(directory: URL, config: TorusFlowConfig, grid: TorusGrid, resume: Bool, stop: @escaping () -> Int32?,
         log: (String) -> Void) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let settings = String(decoding: try encoder.encode(config), as: UTF8.self)
        file = RunCheckpoint(url: directory.appendingPathComponent("flow.json"), fingerprint: "flow torus v1 " + settings, command: "flow torus")
        self.directory = directory; self.grid = grid; self.stop = stop
        if resume, let s = try file.load(warn: log) {
            state = s
            written = s.points.mapValues(\.saved)
            log("resuming: " + s.points.keys.sorted().map { "\($0) at t = \(String(format: "%.6g", s.points[$0]!.time))" }.joined(separator: ", ")
                + (s.lambda.isEmpty ? "" : "; λ of \(s.lambda.count) states"))
        }
    }

    /// Where stepping run `key` stands and its saved states, if the checkpoint has it.
    func resume(_ key: String) throws -> (point: FlowResumePoint, trajectory: FlowTrajectory)? {
        guard let p = state.points[key] else { return nil }
        var t = FlowTrajectory(grid: grid)
        let n = grid.dimension, M = grid.count
        for i in 0..<p.saved {
            let url = stateURL(key, i)
            let z: NPZ
            do { z = try NPZ.read(url) } catch { throw InputError("checkpoint state \(url.path) is unreadable (\(error)); expected one written by nntheory flow torus (delete DIR/checkpoints to start afresh)") }
            guard case .float64(let g)? = try z.array("metric"), g.shape == [M, n, n],
                  case .float64(let v)? = try z.array("velocity"), v.shape == [M, n, n],
                  case .float64(let time)? = try z.array("time"), time.data.count == 1 else {
                throw InputError("checkpoint state \(url.path) lacks metric/velocity [\(M), \(n), \(n)] or time; expected one written by nntheory flow torus")
            }
            var u: [Double]? = nil
            if case .float64(let a)? = try z.array("u") { u = a.data }
            t.append(time: time.data[0], metric: GridMetric(grid: grid, components: g.data), conformalFactor: u, velocity: v.data)
        }
        return (p, t)
    }

    /// The checkpointing of stepping run `key`: saves at most every 10 s and when the run stops for a signal
    /// (`finished` saves when it returns).
    func checkpointing(_ key: String) -> FlowCheckpointing {
        FlowCheckpointing(stop: stop, save: { [self] point, trajectory in
            state.points[key] = point
            guard stop() != nil || Date().timeIntervalSince(lastSave) > 10 else { return }
            try write(key, trajectory)
        })
    }

    /// Saves stepping run `key` as it returned (complete, or ended by a breakdown that a resumed run reaches again
    /// from the last saved point).
    func finished(_ key: String, _ trajectory: FlowTrajectory) throws { try write(key, trajectory) }

    /// Records λ and F of the states done so far; saves at most every 10 s.
    func perelman(lambda: [Double], F: [Double]) throws {
        state.lambda = lambda; state.perelmanF = F
        if Date().timeIntervalSince(lastSave) > 10 { try write(nil, nil) }
    }

    /// Writes the new saved states of `key` (from `trajectory`), then flow.json.
    func write(_ key: String?, _ trajectory: FlowTrajectory?) throws {
        // A checkpoint: flushed to the disk before it replaces the previous one.
        try AtomicFile.durably {
            if let key, let trajectory, let p = state.points[key] {
                try FileManager.default.createDirectory(at: directory.appendingPathComponent(key), withIntermediateDirectories: true)
                let n = grid.dimension, M = grid.count
                for i in (written[key] ?? 0)..<min(p.saved, trajectory.times.count) {
                    var z = NPZ()
                    z.add("time", NDArray(shape: [1], data: [trajectory.times[i]]))
                    z.add("metric", NDArray(shape: [M, n, n], data: trajectory.metrics[i].components))
                    z.add("velocity", NDArray(shape: [M, n, n], data: trajectory.velocities[i]))
                    if let u = trajectory.conformalFactors?[i] { z.add("u", NDArray(shape: [M], data: u)) }
                    try z.write(to: stateURL(key, i))
                }
                written[key] = p.saved
            }
            try file.save(state)
            lastSave = Date()
        }
    }

    func stateURL(_ key: String, _ i: Int) -> URL { directory.appendingPathComponent(key).appendingPathComponent("state_\(i).npz") }
}

import Foundation
import Networks
import NumericCore
import Optimization

/// The scalar part of a training checkpoint (`state.json`): at least the step counter and the optimiser's kind
/// and update count; each kind of training adds what its run needs to continue (its configuration, histories).
public protocol CheckpointState: Codable, Sendable {
    /// The step (or epoch) the checkpoint was written at: its folder's number.
    var step: Int { get }
    /// The optimiser in use.
    var optimizer: OptimizerKind { get }
    /// The optimiser's update count t (Adam's bias correction).
    var optimizerUpdates: Int { get }
}

/// A training checkpoint: everything a run needs to continue bit-identically — parameters, optimiser state,
/// loss histories and the run's own `State` (for torus training: the step counter, which is also the counter of
/// every random stream the run draws from, the volume target and the snapshot records; for CY training the epoch
/// and the per-epoch history).
///
/// Layout: `DIR/checkpoints/step_SSSSSSSS/` with `params.npy`, `opt_m.npy`, `opt_v.npy`, `lbfgs_s.npy`,
/// `lbfgs_y.npy` (as present), `loss.npy`, `init_loss.npy` and `state.json`. The folder is written under a
/// temporary name and renamed into place, so a checkpoint is complete or absent.
public struct TrainingCheckpoint<State: CheckpointState>: Sendable {

    /// Step counter, seed, configuration and snapshot records.
    public var state: State

    /// θ at this step (`params.npy`, flat layout of `ParameterLayout`).
    public var parameters: [Double]
    /// The optimiser state (Adam moments, SGD buffer or L-BFGS pairs).
    public var optimizer: OptimizerState
    /// Main-phase losses so far (`loss.npy`).
    public var losses: [Double]
    /// MSE-fit losses so far (`init_loss.npy`).
    public var initLosses: [Double]

    static func folderName(_ step: Int) -> String { String(format: "step_%08ld", step) }

    /// Writes the checkpoint under `root/checkpoints/`, keeping the newest `keep` checkpoints.
    public func write(root: URL, keep: Int = 3) throws {
        // A checkpoint: flushed to the disk before it replaces the previous one.
        try AtomicFile.durably {
            let base = root.appendingPathComponent("checkpoints")
            try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
            let tmp = base.appendingPathComponent(".tmp-\(UUID().uuidString)")
            AtomicFile.register(tmp)   // removed on any exit path before it is moved into place
            defer { AtomicFile.unregister(tmp); try? FileManager.default.removeItem(at: tmp) }   // gone after the move
            try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
            try NPY.write(parameters, to: tmp.appendingPathComponent("params.npy"))
            if !optimizer.m.isEmpty { try NPY.write(optimizer.m, to: tmp.appendingPathComponent("opt_m.npy")) }
            if !optimizer.v.isEmpty { try NPY.write(optimizer.v, to: tmp.appendingPathComponent("opt_v.npy")) }
            if !optimizer.s.isEmpty {
                let k = optimizer.s.count, N = parameters.count
                try NPY.write(Matrix(rows: k, cols: N, data: optimizer.s.flatMap { $0 }), to: tmp.appendingPathComponent("lbfgs_s.npy"))
                try NPY.write(Matrix(rows: k, cols: N, data: optimizer.y.flatMap { $0 }), to: tmp.appendingPathComponent("lbfgs_y.npy"))
            }
            try NPY.write(losses, to: tmp.appendingPathComponent("loss.npy"))
            try NPY.write(initLosses, to: tmp.appendingPathComponent("init_loss.npy"))
            try JSONOutput.write(state, to: tmp.appendingPathComponent("state.json"))
            let dest = base.appendingPathComponent(Self.folderName(state.step))
            if FileManager.default.fileExists(atPath: dest.path) { try FileManager.default.removeItem(at: dest) }
            try FileManager.default.moveItem(at: tmp, to: dest)
            // The folder's rename is durable only with `checkpoints/`'s own entry (its files were flushed above).
            try AtomicFile.flushDirectory(base)
            let all = Self.steps(in: root)
            for s in all.dropLast(keep) { try? FileManager.default.removeItem(at: base.appendingPathComponent(Self.folderName(s))) }
        }
    }

    /// Steps of the complete checkpoints under `root/checkpoints/`, ascending.
    public static func steps(in root: URL) -> [Int] {
        let base = root.appendingPathComponent("checkpoints")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("step_"), let s = Int(name.dropFirst(5)),
                  FileManager.default.fileExists(atPath: base.appendingPathComponent(name).appendingPathComponent("state.json").path) else { return nil }
            return s
        }.sorted()
    }

    /// The newest readable checkpoint under `root`, or nil when there is none. A checkpoint that cannot be read (a
    /// corrupted state or array) is passed over for the one before it, with `warn` told which and why (by default a
    /// "warning:" line on stderr); when none can be read the newest one's error is thrown.
    public static func newest(in root: URL, warn: (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }) throws -> TrainingCheckpoint? {
        let all = steps(in: root)
        guard !all.isEmpty else { return nil }
        var first: Error? = nil
        for s in all.reversed() {
            do {
                let c = try load(root.appendingPathComponent("checkpoints").appendingPathComponent(folderName(s)))
                if first != nil { warn("resuming from the checkpoint of step \(s) instead") }
                return c
            } catch {
                warn("\(error); passing over the checkpoint of step \(s)")
                if first == nil { first = error }
            }
        }
        throw first!
    }

    /// The checkpoint in `dir` (one `step_…` folder).
    static func load(_ dir: URL) throws -> TrainingCheckpoint {
        func arr(_ name: String) throws -> [Double]? {
            let u = dir.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: u.path) ? try NPY.readDoubles(u).data : nil
        }
        let state: State
        do {
            state = try JSONOutput.decode(State.self, from: Data(contentsOf: dir.appendingPathComponent("state.json")))
        } catch {
            throw InputError("\(dir.path)/state.json is unreadable (\(error)), expected a checkpoint state")
        }
        guard let params = try arr("params.npy") else { throw InputError("\(dir.path)/params.npy is missing, expected a checkpoint's parameters") }
        var opt = OptimizerState(kind: state.optimizer, parameters: params.count)
        opt.t = state.optimizerUpdates
        if let m = try arr("opt_m.npy") { opt.m = m }
        if let v = try arr("opt_v.npy") { opt.v = v }
        if let s = try arr("lbfgs_s.npy"), let y = try arr("lbfgs_y.npy") {
            let N = params.count
            opt.s = stride(from: 0, to: s.count, by: N).map { Array(s[$0..<($0 + N)]) }
            opt.y = stride(from: 0, to: y.count, by: N).map { Array(y[$0..<($0 + N)]) }
        }
        return TrainingCheckpoint(state: state, parameters: params, optimizer: opt,
                                  losses: try arr("loss.npy") ?? [], initLosses: try arr("init_loss.npy") ?? [])
    }
}

/// The state of a `train torus` checkpoint.
public struct TorusCheckpointState: CheckpointState, Equatable {
    /// Global step reached (MSE-fit steps first, then main steps).
    public var step: Int
    /// The optimiser in use at this step.
    public var optimizer: OptimizerKind
    /// The optimiser's update count t (Adam's bias correction).
    public var optimizerUpdates: Int
    /// Volume V₀ held by the curvature losses (nil: not yet fixed, or no constraint).
    public var volumeTarget: Double?
    /// The run's seed.
    public var seed: UInt64
    /// The stream index of the next step's random draws (= `step`).
    public var nextRandomCounter: Int
    /// Snapshots written so far.
    public var snapshots: [SnapshotRecord]
    /// The run's configuration.
    public var config: TorusTrainingConfig
}

import Foundation
import NumericCore

/// Where a flow run stands between two of its steps: enough, with the trajectory saved so far, to continue it with
/// the same bits as a run that never stopped. Every time stepper of the torus flows keeps its whole state here:
/// `ExponentialIntegrator` (y, t and the next trial step), `KernelFlow` (u, and v = e^u of the local arm, which is
/// updated in v rather than u), `NetworkFlow` (θ of the network arm, u of the frozen arm, and the records so far).
public struct FlowResumePoint: Codable, Sendable, Equatable {
    /// How many of the requested times have been reached and saved (the trajectory holds that many states).
    public var saved: Int
    /// The flow time reached.
    public var time: Double
    /// The next trial step of an adaptive stepper (nil for fixed-step gradient descent).
    public var trialStep: Double? = nil
    /// The stepper's state arrays, in the order its `run` documents.
    public var fields: [[Double]]
    /// Step statistics so far (adaptive steppers).
    public var statistics: ExponentialIntegrator.Statistics? = nil
    /// Records kept per saved time besides the trajectory (`NetworkFlow`: drift, loss), by name.
    public var records: [String: [Double]] = [:]

    /// A point at `time` after `saved` saved states, with the stepper's `fields`.
    public init(saved: Int, time: Double, trialStep: Double? = nil, fields: [[Double]],
                statistics: ExponentialIntegrator.Statistics? = nil, records: [String: [Double]] = [:]) {
        self.saved = saved; self.time = time; self.trialStep = trialStep; self.fields = fields
        self.statistics = statistics; self.records = records
    }
}

/// How a flow run is made stoppable and resumable. `stop` is polled after every step; `save` receives where the run
/// stands and the trajectory so far — after every saved time, and at the step (or saved time) reached before the run
/// stops for a signal (it then throws `StopRequest.Interrupted`).
public struct FlowCheckpointing {
    /// A signal number when the run should stop (nil: go on).
    public let stop: () -> Int32?
    /// Persists a resume point with the trajectory it belongs to.
    public let save: (FlowResumePoint, FlowTrajectory) throws -> Void

    /// Checkpointing through `save`, stopping when `stop` returns a signal.
    public init(stop: @escaping () -> Int32?, save: @escaping (FlowResumePoint, FlowTrajectory) throws -> Void) {
        self.stop = stop; self.save = save
    }

    /// After a saved time: hands `point` to `save`, then stops there if a signal came and times remain.
    func saved(_ point: FlowResumePoint, of count: Int, _ trajectory: FlowTrajectory) throws {
        try save(point, trajectory)
        if point.saved < count, let sig = stop() { try stopping(sig, at: point, trajectory) }
    }

    /// Saves `point` and throws `StopRequest.Interrupted` for `signal`, naming the flow time reached.
    func stopping(_ signal: Int32, at point: FlowResumePoint, _ trajectory: FlowTrajectory) throws -> Never {
        try save(point, trajectory)
        throw StopRequest.Interrupted(signal: signal, detail: "at t = \(String(format: "%.6g", point.time))")
    }
}

import Foundation
import Networks
import NumericCore

/// Kernel drift during gradient-descent training, and actual training against the linearised prediction.
///
/// For each width N and network m, the network is trained by full-batch gradient descent on
/// L = (1/2n)‖f(X) − Y‖² (`MSEGradientDescent`) with step η; at the recorded steps k (time t = η k):
/// - drift(t) = ‖Θ_t − Θ_0‖_F / ‖Θ_0‖_F, the full tensor empirical NTK on the training points;
/// - gap(t) = ‖f_k(X) − f^lin_k(X)‖_F / ‖f₀(X) − Y‖_F, against the linearised network trained by the same
///   k discrete steps, f^lin_k = Y + (I − ηΘ₀/n)^k (f₀ − Y) (exact for the linear model); the same on test
///   points when given, through Θ₀(x*, X);
/// - gapFlow(t): the same against neural-tangents' continuous-time `gradient_descent_mse` at t = ηk, which
///   differs from discrete steps by O(η).
/// In the NTK parameterisation both drift and gap vanish like N^{-1/2} at fixed t (Jacot et al.
/// 1806.07572; Lee et al. 1902.06720): the fitted exponents of their final values are reported.
public struct NTKDrift: Sendable {
    /// The SPEC architecture; its hidden Dense layers are set to each width (`Serial.withHiddenWidth`).
    public let network: Serial
    /// Training inputs X [P, d].
    public let trainX: Matrix
    /// Training targets Y [P, O].
    public let trainY: Matrix
    /// Test inputs x* [P*, d] for the test gap (nil: none).
    public let testX: Matrix?
    /// The widths N of the hidden Dense layers.
    public let widths: [Int]
    /// Independently initialised networks per width.
    public let networks: Int
    /// Gradient-descent steps per network.
    public let steps: Int
    /// Record the curves every this many steps (and at the last step).
    public let recordEvery: Int
    /// Seed: network m of width N draws from stream m under the key derived from (seed, N).
    public let seed: UInt64
    /// Step size η; nil: η = n/λ_max(Θ_∞), half the largest stable step of the infinite-width linear model.
    public let learningRate: Double?

    /// The default targets y_a(x) = sin(x_1 + … + x_d + a) of output a = 0…O−1, [P, O].
    public static func defaultTargets(_ x: Matrix, outputs O: Int) -> Matrix {
        Matrix(rows: x.rows, cols: O, data: (0..<(x.rows * O)).map { k in sin(x.row(k / O).reduce(0, +) + Double(k % O)) })
    }

    /// An experiment; throws unless the widths are positive, networks, steps and recordEvery ≥ 1, η (if given) is
    /// positive and finite, and X, Y and x* have matching shapes.
    public init(network: Serial, trainX: Matrix, trainY: Matrix, testX: Matrix? = nil, widths: [Int], networks: Int = 1,
                steps: Int, recordEvery: Int, learningRate: Double? = nil, seed: UInt64) throws {
        guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 }) else { throw InputError("widths \(widths), expected positive integers") }
        guard network.isDenseChain else {
            throw InputError("'\(network.description)': gradient descent here trains chains of Dense layers and elementwise nonlinearities")
        }
        guard networks >= 1 else { throw InputError("networks per width \(networks), expected at least 1") }
        guard steps >= 1 else { throw InputError("steps \(steps), expected at least 1") }
        guard recordEvery >= 1 else { throw InputError("record interval \(recordEvery), expected at least 1") }
        if let η = learningRate, !(η > 0 && η.isFinite) { throw InputError("learning rate \(η), expected a positive number") }
        guard trainY.rows == trainX.rows else { throw InputError("\(trainY.rows) targets for \(trainX.rows) training points") }
        let O = network.outputWidth(inputWidth: trainX.cols)
        guard trainY.cols == O else { throw InputError("targets with \(trainY.cols) columns, the network has \(O) outputs") }
        if let t = testX, t.cols != trainX.cols { throw InputError("test points of dimension \(t.cols), expected \(trainX.cols)") }
        self.network = network
        self.trainX = trainX
        self.trainY = trainY
        self.testX = testX
        self.widths = widths
        self.networks = networks
        self.steps = steps
        self.recordEvery = recordEvery
        self.learningRate = learningRate
        self.seed = seed
    }

    /// Curves for one width: means over the networks (standard errors where networks ≥ 2).
    public struct WidthResult: Sendable {
        /// The hidden width N.
        public let width: Int
        /// The recorded steps k (`recordedSteps`).
        public let steps: [Int]
        /// t = η·k at the recorded steps.
        public let time: [Double]
        /// Mean training loss L = (1/2n)‖f_k(X) − Y‖² at the recorded steps.
        public let loss: [Double]
        /// Mean kernel drift ‖Θ_k − Θ₀‖_F/‖Θ₀‖_F at the recorded steps.
        public let drift: [Double]
        /// Standard errors of `drift` (nil for one network).
        public let driftError: [Double]?
        /// Mean gap ‖f_k(X) − f^lin_k(X)‖_F/‖f₀(X) − Y‖_F to the discrete-step linearised network.
        public let gap: [Double]
        /// Standard errors of `gap` (nil for one network).
        public let gapError: [Double]?
        /// Mean gap to the continuous-time linearised network at t = η·k.
        public let gapFlow: [Double]
        /// Mean gap on the test points, ‖f_k(x*) − f^lin_k(x*)‖_F/‖f₀(X) − Y‖_F (nil without test points).
        public let testGap: [Double]?
        /// Network 0's outputs on the training points at the recorded steps, actual and linearised: [T, P, O].
        public let trainOutputs: NDArray<Double>
        /// Network 0's linearised (discrete-step) outputs on the training points at the recorded steps, [T, P, O].
        public let linearTrainOutputs: NDArray<Double>
    }

    /// The step used, the per-width curves and the power-law fits of the final drift and gap against N.
    public struct Result: Sendable {
        /// The step size η used (given, or n/λ_max(Θ_∞)).
        public let learningRate: Double
        /// One result per width, in the order of `widths`.
        public let widths: [WidthResult]
        /// Final drift and final gap against width.
        public let driftFit: PowerLawFit?
        /// A·N^b fitted to the final gap against width.
        public let gapFit: PowerLawFit?
    }

    /// The recorded steps 0, r, 2r, …, and the last step.
    public var recordedSteps: [Int] {
        var s = Array(stride(from: 0, through: steps, by: recordEvery))
        if s.last != steps { s.append(steps) }
        return s
    }

    /// What the curves depend on besides the width and the network index: the SPEC, the training and test points and
    /// targets (bit patterns), the steps, the record interval, the learning rate and the seed.
    public var fingerprint: String {
        func bits(_ m: Matrix?) -> String {
            m?.exactDescription ?? "none"
        }
        return "ntk drift v1 \(network.description) seed=\(seed) steps=\(steps) every=\(recordEvery) "
            + "lr=\(learningRate.map { String($0.bitPattern, radix: 16) } ?? "default") x=\(bits(trainX)) y=\(bits(trainY)) xtest=\(bits(testX))"
    }

    /// The recorded curves of one trained network (network 0 also keeps its outputs, actual and linearised).
    struct NetworkCurves: Codable {
        var loss: [Double] = [], drift: [Double] = [], gap: [Double] = [], gapFlow: [Double] = []
        var testGap: [Double]? = nil
        var outputs: [Double]? = nil, linearOutputs: [Double]? = nil
    }

    // The checkpoint (`checkpoints/drift.json`, a `WidthScanCheckpoint`): the curves of the networks finished so far, keyed
    // by width.

    /// Thrown inside one network's training when `stop` returned a signal; the network's partial curves are dropped.
    private struct Stopped: Error { let signal: Int32; let step: Int }

    /// Trains every network of every width, recording loss, drift and gaps (means over the networks); `progress` gets
    /// one line per width. With `checkpoints`, the curves of the finished networks are saved there (every 10 s, after
    /// every width and when stopped) and, with `resume`, taken instead of recomputed — the same bits. `stop` is
    /// polled after every gradient step: a signal number drops the network in training, saves the checkpoint and
    /// throws `StopRequest.Interrupted`.
    public func run(progress: (String) -> Void = { _ in }, checkpoints: URL? = nil, resume: Bool = false,
                    stop: () -> Int32? = { nil }) throws -> Result {
        let O = trainY.cols, P = trainX.rows
        let n = Double(P * O)
        let η: Double
        if let lr = learningRate {
            η = lr
        } else {
            let ntk = try network.kernels(trainX).ntkMatrix
            let λmax = try LinearAlgebra.symmetricEigen(ntk).values.max() ?? 0
            guard λmax > 0 else { throw SettingError("learningRate", "unset and the analytic NTK vanishes on the training points, expected a learning rate") }
            η = n / λmax
        }
        let record = recordedSteps
        var checkpoint = try WidthScanCheckpoint<NetworkCurves>(directory: checkpoints, name: "drift.json", fingerprint: fingerprint,
                                                                command: "ntk drift", resume: resume, progress: progress)
        var results: [WidthResult] = []
        for N in widths {
            var curves = checkpoint.items(width: N, limit: networks)
            for m in curves.count..<networks {
                do {
                    curves.append(try train(width: N, index: m, learningRate: η, record: record, stop: stop))
                } catch let s as Stopped {
                    try checkpoint.save()
                    throw StopRequest.Interrupted(signal: s.signal, detail: "at width \(N) after step \(s.step) of \(steps) of network \(m + 1) of \(networks) (redone on resume)"
                        + " (\(checkpoint.networkCount) networks finished)" + checkpoint.resumeAdvice)
                }
                try checkpoint.record(width: N, curves)
            }
            try checkpoint.save()
            let (dm, de) = NTKDrift.meanAndError(curves.map(\.drift)), (gm, ge) = NTKDrift.meanAndError(curves.map(\.gap))
            let T = record.count
            results.append(WidthResult(
                width: N, steps: record, time: record.map { η * Double($0) }, loss: NTKDrift.meanAndError(curves.map(\.loss)).0,
                drift: dm, driftError: de, gap: gm, gapError: ge, gapFlow: NTKDrift.meanAndError(curves.map(\.gapFlow)).0,
                testGap: testX == nil ? nil : NTKDrift.meanAndError(curves.map { $0.testGap ?? [] }).0,
                trainOutputs: NDArray(shape: [T, P, O], data: curves[0].outputs ?? []),
                linearTrainOutputs: NDArray(shape: [T, P, O], data: curves[0].linearOutputs ?? [])))
            progress(String(format: "width %ld: final loss %.3g, kernel drift %.3g, gap to linearised %.3g",
                            N, results.last!.loss.last!, dm.last!, gm.last!))
        }
        let x = results.map { Double($0.width) }
        let driftErrors = results.compactMap { $0.driftError?.last }
        let gapErrors = results.compactMap { $0.gapError?.last }
        return Result(
            learningRate: η, widths: results,
            driftFit: PowerLawFit(x: x, y: results.map { $0.drift.last! }, errors: driftErrors.count == x.count ? driftErrors : nil),
            gapFit: PowerLawFit(x: x, y: results.map { $0.gap.last! }, errors: gapErrors.count == x.count ? gapErrors : nil))
    }

    /// Trains network `m` of width `N` for `steps` steps of size η, recording its curves at `record`; throws
    /// `Stopped` when `stop` returns a signal after a step.
    private func train(width N: Int, index m: Int, learningRate η: Double, record: [Int], stop: () -> Int32?) throws -> NetworkCurves {
        let O = trainY.cols, P = trainX.rows
        let n = Double(P * O)
        var gd = MSEGradientDescent(try network.initializeMember(width: N, index: m, inputWidth: trainX.cols, seed: seed))
        let e0 = gd.ntk
        let (k0, f0, _) = try e0.kernelAndOutputs(trainX)
        let norm0 = LinearizedTraining.flatten(k0).frobeniusNorm
        let lin = try LinearizedTraining(tensorKernel: k0)
        let r0 = Matrix(rows: P, cols: O, data: zip(f0.data, trainY.data).map { $0 - $1 }).frobeniusNorm
        let test = try testX.map { try e0.kernelAndOutputs($0, trainX) }
        let kst = test?.ntk, f0s = test?.outputs
        var c = NetworkCurves()
        if testX != nil { c.testGap = [] }
        if m == 0 { c.outputs = []; c.linearOutputs = [] }
        var k = 0
        for target in record {
            while k < target {
                try gd.step(trainX, trainY, learningRate: η)
                k += 1
                if k < steps, let sig = stop() { throw Stopped(signal: sig, step: k) }
            }
            let e = gd.ntk
            let (kernel, f, _) = try e.kernelAndOutputs(trainX)
            guard f.data.allSatisfy(\.isFinite) else {
                throw InputError("outputs became non-finite after step \(k) of \(steps) (width \(N), network \(m + 1)); lower the learning rate (\(η))")
            }
            let kt = LinearizedTraining.flatten(kernel)
            c.drift.append((kt - LinearizedTraining.flatten(k0)).frobeniusNorm / norm0)
            c.loss.append(zip(f.data, trainY.data).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / (2 * n))
            let fl = try lin.trainOutputs(.steps(k, learningRate: η), initial: f0, targets: trainY)
            let ff = try lin.trainOutputs(.time(η * Double(k)), initial: f0, targets: trainY)
            c.gap.append((f - fl).frobeniusNorm / r0)
            c.gapFlow.append((f - ff).frobeniusNorm / r0)
            if let xs = testX, let kst, let f0s {
                let fs = e.outputs(xs)
                let fsl = try lin.testOutputs(.steps(k, learningRate: η), testTrain: kst, initialTrain: f0,
                                              initialTest: f0s, targets: trainY)
                c.testGap?.append((fs - fsl).frobeniusNorm / r0)
            }
            if m == 0 { c.outputs! += f.data; c.linearOutputs! += fl.data }
        }
        return c
    }

    /// Elementwise mean over rows and its standard error (nil for a single row).
    static func meanAndError(_ rows: [[Double]]) -> ([Double], [Double]?) {
        guard let first = rows.first else { return ([], nil) }
        let m = Double(rows.count)
        let mean = first.indices.map { i in rows.reduce(0) { $0 + $1[i] } / m }
        guard rows.count > 1 else { return (mean, nil) }
        let se = first.indices.map { i in
            (rows.reduce(0) { $0 + ($1[i] - mean[i]) * ($1[i] - mean[i]) } / (m - 1) / m).squareRoot()
        }
        return (mean, se)
    }
}

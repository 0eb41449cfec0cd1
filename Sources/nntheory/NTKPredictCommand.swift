import ArgumentParser
import Foundation
import NTK
import Networks
import NumericCore

struct NTKPredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predictions of an infinite ensemble of infinitely wide networks trained by gradient descent on the MSE (gradient_descent_mse_ensemble, gp_inference).",
        discussion: HelpText.paragraphs("""
        The outputs at the test points x* of infinitely many infinitely wide networks, drawn from their prior and
        trained on (X, Y) by gradient flow on L = (1/2n)‖f(X) − Y‖² (n = Y.count) up to time t (learning rate ×
        steps; neural-tangents' t · learning_rate), are Gaussian (Lee et al. 1902.06720). Regimes: nngp (the
        flow in the NNGP K: only the readout trained; at t = inf the Bayesian posterior), ntk (every layer
        trained: the flow in the NTK Θ, the spread from the NNGP prior), ntkgp (a GP with prior Θ, 2007.05864).
        With G the regime's train-train kernel (K(X, X), or Θ(X, X) for ntk and ntkgp) plus ε·I and
        A(t) = G⁻¹(I − e^{−Gt/n}) (A(∞) = G⁻¹; modes of G below 10⁻¹² of its largest eigenvalue are dropped):
        mean G(x*, X) A(t) Y; covariance, for nngp and ntkgp,
        G(x*, x*) − G(x*, X) A(2t) G(X, x*); for ntk, K** + T K Tᵀ − T K(X, x*) − (T K(X, x*))ᵀ with
        T = Θ(x*, X) A(t) and K the NNGP without ε. t = 0 gives the prior, t = inf gp_inference's posterior.
        --diag-reg ε is relative to the mean diagonal of G (neural-tangents' default); --diag-reg-absolute makes
        it absolute.

        Writes times.npy [T], the inputs (x_train.npy, y_train.npy, x_test.npy) and, for each regime R, R_mean.npy [T, P*, O] and R_covariance.npy [T, P*, P*] (the
        output channels are independent and share it), summary.json (regimes, times, ε, the largest predictive
        standard deviation per regime and time) and prediction.svg (mean ± one standard deviation of output 0 at the last time
        against x* for 1-D inputs, else against the test point's index, with the training targets).

        Examples:
          nntheory ntk predict \\
              --net "Dense(512, W_std=1.5, b_std=0.05) Erf Dense(1, W_std=1.5)" \\
              --x-train "-1;-0.3;0.4;1" --y-train "0.5;-0.2;0.3;0.8" \\
              --x-test "-1.5;-1;-0.5;0;0.5;1;1.5" --time 1,10,inf --out pred
          nntheory ntk predict --net "Dense(512) Relu Dense(512) Relu Dense(1)" \\
              --x-train x.npy --y-train y.npy --x-test xt.npy --regime ntk \\
              --diag-reg 1e-4 --no-covariance --out p2
        """)
    )

    @OptionGroup var network: NetworkOptions

    @Option(name: .customLong("x-train"), parsing: .unconditional, help: "Training points X: .npy [P, d] or inline rows '1,0;0,1'.")
    var xTrain: String

    @Option(name: .customLong("y-train"), parsing: .unconditional, help: "Training targets Y [P, O] (O = the network's outputs): .npy or inline rows.")
    var yTrain: String

    @Option(name: .customLong("x-test"), parsing: .unconditional, help: "Test points x* [P*, d] (the training points for regularised train-set predictions).")
    var xTest: String

    @Option(parsing: .unconditional, help: "Comma-separated times t ≥ 0 (learning rate × steps); inf for the end of training.")
    var time: String = "inf"

    @Option(parsing: .unconditional, help: "Comma-separated regimes: nngp, ntk, ntkgp.")
    var regime: String = "nngp,ntk"

    @Option(name: .customLong("diag-reg"), parsing: .unconditional, help: "Diagonal regulariser ε ≥ 0, relative to the mean diagonal of the train-train kernel.")
    var diagReg: Double = 0

    @Flag(name: .customLong("diag-reg-absolute"), help: "Take --diag-reg as an absolute ε.")
    var diagRegAbsolute = false

    @Flag(name: .customLong("no-covariance"), help: "Only the means (skips the test-test kernel).")
    var noCovariance = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        try output.run { dir in
            let serial = try network.resolve()
            let (x, axes) = try naming("--x-train") { try PointSet.parseShaped(xTrain) }
            let y = try naming("--y-train") { try PointSet.parse(yTrain) }
            let xt = try naming("--x-test") { () throws -> Matrix in
                let (m, other) = try PointSet.parseShaped(xTest, dimension: x.cols)
                guard other == axes else { throw InputError("points of shape \(other), expected \(axes) like --x-train") }
                return m
            }
            let inputShape = TensorShape(pointAxes: axes)
            let times = try parseList(time, option: "--time", expected: "a time t ≥ 0 or inf") { s in
                let t = ["inf", "infinity", "∞"].contains(s.lowercased()) ? Double.infinity : Double(s)
                return t.flatMap { $0 >= 0 ? $0 : nil }
            }
            let regimes = try parseList(regime, option: "--regime", expected: "nngp, ntk or ntkgp") { PredictionRegime(rawValue: $0.lowercased()) }
            // Train-train kernels and eigenvectors (≈ 6 P²), test-train products (≈ 6 P·P*), covariances (≈ 4 P*² per time).
            let (P, Q) = (Double(x.rows), Double(xt.rows))
            try MemoryBudget.check(8 * (6 * P * P + 6 * P * Q + Q * Q * (3 + Double(noCovariance ? 0 : times.count * regimes.count))),
                                   for: "the kernels of \(x.rows) training and \(xt.rows) test points", option: "--x-train/--x-test")
            guard diagReg >= 0, diagReg.isFinite else { throw InputError("--diag-reg \(diagReg), expected a finite ε ≥ 0") }
            let run = try EnsemblePredictionRun(network: serial, xTrain: x, yTrain: y, xTest: xt, inputShape: inputShape, times: times, regimes: regimes,
                                                regularization: diagRegAbsolute ? .absolute(diagReg) : .relative(diagReg),
                                                covariance: !noCovariance)
            try write(run, serial: serial, x: x, y: y, xt: xt, pointAxes: axes, to: dir)
        }
    }

    func write(_ run: EnsemblePredictionRun, serial: Serial, x: Matrix, y: Matrix, xt: Matrix, pointAxes: [Int], to dir: URL) throws {
        let T = run.times.count, Q = xt.rows, O = y.cols
        var files = ["times.npy", "x_train.npy", "y_train.npy", "x_test.npy"]
        try NPY.write(run.times, to: dir.appendingPathComponent("times.npy"), allowingNonFinite: true)   // t = inf is a time
        try NPY.write(NDArray(shape: [x.rows] + pointAxes, data: x.data), to: dir.appendingPathComponent("x_train.npy"))
        try NPY.write(y, to: dir.appendingPathComponent("y_train.npy"))
        try NPY.write(NDArray(shape: [xt.rows] + pointAxes, data: xt.data), to: dir.appendingPathComponent("x_test.npy"))
        var largestStd: [String: [Double]] = [:]
        for (r, preds) in zip(run.regimes, run.predictions) {
            try namingInputs(["x-test": xt], axes: [nil, "x-test", nil]) {
                try NPY.write(NDArray(shape: [T, Q, O], data: preds.flatMap(\.mean.data)), to: dir.appendingPathComponent("\(r.rawValue)_mean.npy"))
            }
            files.append("\(r.rawValue)_mean.npy")
            if preds.first?.covariance != nil {
                try namingInputs(["x-test": xt], axes: [nil, "x-test", "x-test"]) {
                    try NPY.write(NDArray(shape: [T, Q, Q], data: preds.flatMap { $0.covariance!.data }),
                                  to: dir.appendingPathComponent("\(r.rawValue)_covariance.npy"))
                }
                files.append("\(r.rawValue)_covariance.npy")
                largestStd[r.rawValue] = preds.map { $0.standardDeviation!.max() ?? 0 }
            }
        }
        let summary = Summary(net: serial.description, regimes: run.regimes.map(\.rawValue), times: run.times,
                              train_points: x.rows, test_points: Q, outputs: O,
                              diag_reg: diagReg, diag_reg_absolute: diagRegAbsolute,
                              nngp_regularization: run.regularizationAmounts.nngp, ntk_regularization: run.regularizationAmounts.ntk,
                              largest_standard_deviation: largestStd.isEmpty ? nil : largestStd, files: files + ["prediction.svg"])
        try plot(run, x: x, y: y, xt: xt).write(to: dir.appendingPathComponent("prediction.svg"))
        try JSONOutput.writeSummary(summary, to: dir.appendingPathComponent("summary.json"))
        for (r, preds) in zip(run.regimes, run.predictions) {
            let last = preds.last!
            let sd = last.standardDeviation.map { $0.max() ?? 0 }
            print(String(format: "%@ at t = %@: mean output 0 in [%.6g, %.6g]%@", r.rawValue, Self.format(run.times.last!),
                         (0..<Q).map { last.mean[$0, 0] }.min() ?? 0, (0..<Q).map { last.mean[$0, 0] }.max() ?? 0,
                         sd.map { String(format: ", largest standard deviation %.4g", $0) } ?? ""))
        }
        print("\(serial.description): \(run.regimes.count) regime(s) × \(T) time(s) at \(Q) test points → \(output.out)")
    }

    static func format(_ t: Double) -> String { t.isInfinite ? "∞" : String(format: "%g", t) }

    func plot(_ run: EnsemblePredictionRun, x: Matrix, y: Matrix, xt: Matrix) -> SVGPlot {
        let oneD = xt.cols == 1
        let tLast = Self.format(run.times.last!)
        var p = SVGPlot(title: "Infinite-ensemble prediction at t = \(tLast) (output 0, ± one standard deviation)",
                        xLabel: oneD ? "x" : "test point", yLabel: "f(x)")
        p.integerX = !oneD
        let xs = (0..<xt.rows).map { oneD ? xt[$0, 0] : Double($0) }
        for (i, (r, preds)) in zip(run.regimes, run.predictions).enumerated() {
            let last = preds.last!
            var s = SVGPlot.Series(label: "\(r.rawValue) mean", x: xs, y: (0..<xt.rows).map { last.mean[$0, 0] },
                                   color: SVGPlot.palette[i % SVGPlot.palette.count], lines: oneD)
            s.errors = last.standardDeviation
            p.series.append(s)
        }
        if oneD {
            p.series.append(SVGPlot.Series(label: "training targets", x: (0..<x.rows).map { x[$0, 0] }, y: (0..<y.rows).map { y[$0, 0] },
                                           color: SVGPlot.palette[7], lines: false))
        }
        return p
    }

    struct Summary: Encodable {
        var net: String
        var regimes: [String]
        var times: [Double]
        var train_points: Int, test_points: Int, outputs: Int
        var diag_reg: Double, diag_reg_absolute: Bool
        var nngp_regularization: Double, ntk_regularization: Double
        /// Per regime, per time: the largest standard deviation at a test point.
        var largest_standard_deviation: [String: [Double]]?
        var files: [String]
    }
}

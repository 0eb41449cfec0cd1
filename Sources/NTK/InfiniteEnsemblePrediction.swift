import Foundation
import Networks
import NumericCore

/// Which Gaussian an infinite ensemble of infinitely wide networks trained on the mean squared error follows
/// (neural-tangents' `get`).
public enum PredictionRegime: String, CaseIterable, Codable, Sendable {
    /// Gradient flow in the NNGP K alone (only the readout layer trained, or the Bayesian posterior at t = ∞):
    /// mean K(x*, X) A_K(t) Y, covariance K(x*, x*) − K(x*, X) B_K(t) K(X, x*).
    case nngp
    /// Every layer trained (gradient flow in the NTK Θ), the networks drawn from their NNGP prior: mean
    /// Θ(x*, X) A_Θ(t) Y, covariance K** + T K Tᵀ − T K(X, x*) − (T K(X, x*))ᵀ with T = Θ(x*, X) A_Θ(t).
    case ntk
    /// A Gaussian process with prior covariance Θ (He, Lakshminarayanan & Teh, 2007.05864): the `nngp` formulas
    /// with Θ in place of K, prior Θ(x*, x*).
    case ntkgp

    /// Whether the regime's flow runs in the NTK (else in the NNGP).
    var flowsInNTK: Bool { self != .nngp }
}

/// The diagonal regulariser ε·I added to the train-train kernel G of a regime before its flow is solved
/// (neural-tangents' `diag_reg`).
public enum DiagonalRegularization: Sendable, Equatable {
    /// ε · tr(G)/P: relative to the mean diagonal of G (neural-tangents' default, `diag_reg_absolute_scale=False`).
    case relative(Double)
    /// ε itself (`diag_reg_absolute_scale=True`).
    case absolute(Double)

    /// The ε added to the diagonal of g.
    public func amount(for g: Matrix) -> Double {
        switch self {
        case .absolute(let e): return e
        case .relative(let e):
            guard g.rows > 0 else { return 0 }
            return e * (0..<g.rows).reduce(0) { $0 + g[$1, $1] } / Double(g.rows)
        }
    }
}

/// Mean [P*, O] and covariance [P*, P*] of the ensemble's outputs at the test points at one time. The output
/// channels are independent and share the covariance (the kernels are Θ ⊗ I_O, neural-tangents' `trace_axes=(-1,)`).
public struct EnsemblePrediction: Sendable {
    public var mean: Matrix
    public var covariance: Matrix?

    /// √Σ(x*_q, x*_q) per test point (a diagonal entry below zero by round-off counts as 0); nil without covariance.
    public var standardDeviation: [Double]? {
        covariance.map { c in (0..<c.rows).map { max(c[$0, $0], 0).squareRoot() } }
    }
}

/// The distribution of f_t(x*) over an infinite ensemble of infinitely wide networks trained by gradient descent
/// on L = (1/2n)‖f(X) − Y‖² (n = Y.count = P·O), at gradient-flow time t (t = learning rate × steps; neural-tangents'
/// `gradient_descent_mse_ensemble` with `t · learning_rate` = t, and `gp_inference` at t = ∞). Lee et al. 1902.06720
/// §2.3–2.4, eqs. (13)–(16).
///
/// With G the regime's train-train kernel plus ε·I, G = V diag(λ) Vᵀ (λ clamped at 0):
///   A(t) = V diag((1 − e^{−λt/n})/λ) Vᵀ   (G⁺, the pseudo-inverse, at t = ∞; modes with λ ≤ 10⁻¹² λ_max dropped),
///   B(t) = A at 2t                         (the variance removed along the flow of a GP: ∫ of e^{−2Gs/n}),
/// the networks' initial outputs are f₀ ~ GP(0, K) (or GP(0, Θ) for `ntkgp`) and a linearised network moves as
/// f_t = f₀ + G(·, X) A(t) (Y − f₀(X)). Hence the formulas of `PredictionRegime`; at t = 0 the prior, at t = ∞
/// the posterior of gp_inference: for `nngp` the Bayesian posterior K*X (K + εI)⁻¹ Y, K** − K*X (K + εI)⁻¹ KX*;
/// on a training point with ε = 0 the mean is the target and the `nngp`/`ntkgp` variance 0.
public struct InfiniteEnsemblePredictor: Sendable {
    /// K(X, X) and Θ(X, X) [P, P], unregularised.
    public let nngp: Matrix
    public let ntk: Matrix
    /// Y [P, O].
    public let targets: Matrix
    public let regularization: DiagonalRegularization
    /// Eigen-decompositions of K + εI and Θ + εI, as far as the regimes asked for need them.
    let nngpFlow: LinearizedTraining?
    let ntkFlow: LinearizedTraining?

    /// - Parameters: nngp, ntk: the train-train kernels [P, P]; targets: Y [P, O]; regimes: those `predict` will
    ///   be asked for (each kernel's eigen-decomposition is made only when one needs it).
    public init(nngp: Matrix, ntk: Matrix, targets: Matrix, regularization: DiagonalRegularization = .absolute(0),
                regimes: Set<PredictionRegime> = Set(PredictionRegime.allCases)) throws {
        let P = targets.rows
        guard nngp.rows == P, nngp.cols == P, ntk.rows == P, ntk.cols == P else {
            throw InputError("train-train kernels of shapes [\(nngp.rows), \(nngp.cols)] and [\(ntk.rows), \(ntk.cols)], expected [\(P), \(P)] for \(P) targets")
        }
        guard targets.cols >= 1 else { throw InputError("targets of shape [\(P), 0], expected at least one output") }
        guard targets.data.allSatisfy(\.isFinite) else { throw InputError("targets contain NaN or infinity") }
        self.nngp = nngp; self.ntk = ntk; self.targets = targets; self.regularization = regularization
        nngpFlow = regimes.contains(.nngp)
            ? try LinearizedTraining(scalarKernel: nngp, outputs: 1, diagonalRegularization: regularization.amount(for: nngp)) : nil
        ntkFlow = regimes.contains(.ntk) || regimes.contains(.ntkgp)
            ? try LinearizedTraining(scalarKernel: ntk, outputs: 1, diagonalRegularization: regularization.amount(for: ntk)) : nil
    }

    /// n = Y.count, the loss normalisation (neural-tangents: `y_train.size`).
    public var normalization: Double { Double(targets.rows * targets.cols) }

    /// The ε added to the diagonal of K and of Θ.
    public var regularizationAmounts: (nngp: Double, ntk: Double) {
        (regularization.amount(for: nngp), regularization.amount(for: ntk))
    }

    /// Mean and (with `testTest`) covariance at the test points x* at each time in `times` (∞ allowed).
    /// - Parameters: testTrain: K(x*, X) and Θ(x*, X) [P*, P]; testTest: the prior covariance at x* [P*, P*] —
    ///   K(x*, x*) for `nngp` and `ntk`, Θ(x*, x*) for `ntkgp`; nil for the mean alone.
    public func predict(_ regime: PredictionRegime, times: [Double], nngpTestTrain: Matrix, ntkTestTrain: Matrix,
                        testTest: Matrix?) throws -> [EnsemblePrediction] {
        for t in times where !(t >= 0) { throw InputError("time \(t), expected t ≥ 0 (or inf)") }
        return try predict(regime, schedules: times.map { .time($0) }, nngpTestTrain: nngpTestTrain, ntkTestTrain: ntkTestTrain,
                           testTest: testTest)
    }

    /// The same after each schedule: gradient flow for a time t (`.time`), or k discrete steps of size η
    /// (`.steps(k, learningRate: η)`), which the linearised networks follow exactly: A = V diag((1 − (1 − ηλ/n)^k)/λ) Vᵀ
    /// and, for the GP regimes, B = A after 2k steps.
    public func predict(_ regime: PredictionRegime, schedules: [LinearizedTraining.Schedule], nngpTestTrain: Matrix,
                        ntkTestTrain: Matrix, testTest: Matrix?) throws -> [EnsemblePrediction] {
        let P = targets.rows, Q = nngpTestTrain.rows
        guard nngpTestTrain.cols == P, ntkTestTrain.rows == Q, ntkTestTrain.cols == P else {
            throw InputError("test-train kernels of shapes [\(nngpTestTrain.rows), \(nngpTestTrain.cols)] and [\(ntkTestTrain.rows), \(ntkTestTrain.cols)], expected [P*, \(P)]")
        }
        if let s = testTest, s.rows != Q || s.cols != Q {
            throw InputError("test-test kernel of shape [\(s.rows), \(s.cols)], expected [\(Q), \(Q)]")
        }
        guard let flow = regime.flowsInNTK ? ntkFlow : nngpFlow else {
            throw InputError("the predictor was made without the \(regime.rawValue) regime")
        }
        let n = normalization
        let λ = flow.eigenvalues, V = flow.eigenvectors
        let tiny = (λ.max() ?? 0) * 1e-12
        // G(x*, X) V [Q, P] and Vᵀ Y [P, O], once for every time.
        let gStar = regime.flowsInNTK ? ntkTestTrain : nngpTestTrain
        let gv = Matrix.multiply(gStar, V)
        let vy = Matrix.multiply(V, targets, transposeA: true)
        /// A as spectral weights: (1 − e^{−λt/n})/λ (or (1 − (1 − ηλ/n)^k)/λ), 1/λ at t = ∞. Modes of G at or below
        /// 10⁻¹² λ_max get 0 at every time: G(x*, X) vanishes on them in exact arithmetic, and their weight (t/n in
        /// the limit) would multiply the round-off of G(x*, X)·v without bound as t grows.
        func weights(_ s: LinearizedTraining.Schedule) -> [Double] {
            λ.map { $0 > tiny ? -s.factorMinusOneOverλ($0, n, tiny: tiny) : 0 }
        }
        func doubled(_ s: LinearizedTraining.Schedule) -> LinearizedTraining.Schedule {
            switch s {
            case .time(let t): return .time(2 * t)
            case .steps(let k, let η): return .steps(2 * k, learningRate: η)
            }
        }
        return schedules.map { t in
            let a = weights(t)
            var ay = vy
            for k in 0..<P { for o in 0..<targets.cols { ay[k, o] *= a[k] } }
            let mean = Matrix.multiply(gv, ay)
            guard let prior = testTest else { return EnsemblePrediction(mean: mean, covariance: nil) }
            var cov: Matrix
            switch regime {
            case .nngp, .ntkgp:
                // prior − G*X B(t) GX*, B = A at 2t.
                let b = weights(doubled(t))
                var gvb = gv
                for q in 0..<Q { for k in 0..<P { gvb[q, k] *= b[k] } }
                cov = prior - Matrix.multiply(gvb, gv, transposeB: true)
            case .ntk:
                // K** + T K Tᵀ − T KX* − (T KX*)ᵀ, T = Θ*X A(t) = (Θ*X V) diag(a) Vᵀ.
                var gva = gv
                for q in 0..<Q { for k in 0..<P { gva[q, k] *= a[k] } }
                let T = Matrix.multiply(gva, V, transposeB: true)
                let tk = Matrix.multiply(T, nngp)
                let cross = Matrix.multiply(T, nngpTestTrain, transposeB: true)
                cov = prior + Matrix.multiply(tk, T, transposeB: true) - cross - cross.transposed
            }
            // Symmetric by construction; remove the round-off asymmetry of the products.
            for i in 0..<Q { for j in (i + 1)..<max(i + 1, Q) {
                let s = 0.5 * (cov[i, j] + cov[j, i]); cov[i, j] = s; cov[j, i] = s
            } }
            return EnsemblePrediction(mean: mean, covariance: cov)
        }
    }
}

/// `nntheory ntk predict`: the analytic kernels of a network at the training and test points, then the ensemble's
/// prediction in each regime at each time.
public struct EnsemblePredictionRun: Sendable {
    public let times: [Double]
    public let regimes: [PredictionRegime]
    /// predictions[r][k]: regime regimes[r] at times[k].
    public let predictions: [[EnsemblePrediction]]
    /// ε added to the diagonal of K(X, X) and Θ(X, X).
    public let regularizationAmounts: (nngp: Double, ntk: Double)

    /// - Parameters: network: the architecture (its infinite-width kernels); xTrain [P, d], yTrain [P, O] with O the
    ///   network's output width; xTest [P*, d]; inputShape: the shape of one point (images, signals; rows flattened),
    ///   vectors when nil; times t ≥ 0 (∞ allowed); covariance: also the covariances.
    public init(network: Serial, xTrain: Matrix, yTrain: Matrix, xTest: Matrix, inputShape: TensorShape? = nil, times: [Double],
                regimes: [PredictionRegime], regularization: DiagonalRegularization, covariance: Bool) throws {
        let shape = inputShape ?? .vector(xTrain.cols)
        guard yTrain.rows == xTrain.rows else {
            throw InputError("targets of shape [\(yTrain.rows), \(yTrain.cols)], expected [\(xTrain.rows), O] (one row per training point)")
        }
        let O = try network.outputShape(shape).channels
        guard yTrain.cols == O else {
            throw InputError("targets with \(yTrain.cols) columns, expected \(O) (the network's outputs)")
        }
        guard xTest.cols == xTrain.cols else {
            throw InputError("test points of dimension \(xTest.cols), expected \(xTrain.cols) (the training points')")
        }
        guard !regimes.isEmpty, !times.isEmpty else { throw InputError("no regime or no time to predict at") }
        let train = try network.kernels(xTrain, inputShape: shape)
        let cross = try network.kernels(xTest, xTrain, inputShape: shape)
        let prior = covariance ? try network.kernels(xTest, inputShape: shape) : nil
        let predictor = try InfiniteEnsemblePredictor(nngp: train.nngpMatrix, ntk: train.ntkMatrix, targets: yTrain,
                                                      regularization: regularization, regimes: Set(regimes))
        self.times = times
        self.regimes = regimes
        self.regularizationAmounts = predictor.regularizationAmounts
        self.predictions = try regimes.map { r in
            try predictor.predict(r, times: times, nngpTestTrain: cross.nngpMatrix, ntkTestTrain: cross.ntkMatrix,
                                  testTest: prior.map { r == .ntkgp ? $0.ntkMatrix : $0.nngpMatrix })
        }
    }
}

import Foundation
import Testing
@testable import NTK
@testable import Networks
@testable import NumericCore
import TestSupport

/// The infinite ensemble's Gaussian (`InfiniteEnsemblePredictor`) against independent routes: linear solves for the
/// t = ∞ posterior, a Runge–Kutta integration of the linearised flow for finite t, the prior and interpolation
/// limits, and Monte Carlo over finite wide networks trained by gradient descent.
@Suite struct InfiniteEnsemblePredictionTests {
    static let spec = "Dense(64, W_std=1.5, b_std=0.3) Erf Dense(64, W_std=1.3, b_std=0.2) Relu Dense(2, W_std=1.2, b_std=0.1)"

    /// Training points X [6, 3], targets Y [6, 2], test points x* [4, 3], and the kernels of `spec`.
    struct Setup {
        let x: Matrix, y: Matrix, xt: Matrix
        let train: KernelState, cross: KernelState, test: KernelState
        init(spec: String = InfiniteEnsemblePredictionTests.spec, points: Int = 6, tests: Int = 4, outputs: Int = 2, seed: UInt64 = 3) throws {
            var rng = RandomStream(seed: seed, stream: 1)
            x = rng.normalMatrix(points, 3); y = rng.normalMatrix(points, outputs); xt = rng.normalMatrix(tests, 3)
            let net = try NetworkSpec.parse(spec)
            train = try net.kernels(x); cross = try net.kernels(xt, x); test = try net.kernels(xt)
        }
        init(x: Matrix, y: Matrix, xt: Matrix, train: KernelState, cross: KernelState, test: KernelState) {
            self.x = x; self.y = y; self.xt = xt; self.train = train; self.cross = cross; self.test = test
        }
        func predictor(_ reg: DiagonalRegularization = .absolute(0)) throws -> InfiniteEnsemblePredictor {
            try InfiniteEnsemblePredictor(nngp: train.nngpMatrix, ntk: train.ntkMatrix, targets: y, regularization: reg)
        }
        func predict(_ p: InfiniteEnsemblePredictor, _ r: PredictionRegime, _ times: [Double]) throws -> [EnsemblePrediction] {
            try p.predict(r, times: times, nngpTestTrain: cross.nngpMatrix, ntkTestTrain: cross.ntkMatrix,
                          testTest: r == .ntkgp ? test.ntkMatrix : test.nngpMatrix)
        }
    }

    static func maxDifference(_ a: Matrix, _ b: Matrix) -> Double { zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0 }
    static func maxAbs(_ a: Matrix) -> Double { a.data.map(abs).max() ?? 0 }

    /// t = ∞ is the posterior of gp_inference, here by LU solves instead of the eigenbasis:
    /// mean G*X (G + εI)⁻¹ Y; nngp/ntkgp covariance G** − G*X (G + εI)⁻¹ GX*; ntk covariance
    /// K** + T K Tᵀ − T KX* − (T KX*)ᵀ with T = Θ*X (Θ + εI)⁻¹. Both routes are backward stable: agreement to
    /// cond(G + εI)·10⁻¹⁵ relative (cond ≤ 10⁴ here, checked).
    @Test(arguments: [0.0, 1e-3])
    func infiniteTimeIsTheGaussianProcessPosterior(epsilon: Double) throws {
        let s = try Setup()
        let p = try s.predictor(.relative(epsilon))
        for r in PredictionRegime.allCases {
            let G = r == .nngp ? s.train.nngpMatrix : s.train.ntkMatrix
            let Gs = r == .nngp ? s.cross.nngpMatrix : s.cross.ntkMatrix
            var Greg = G
            let e = DiagonalRegularization.relative(epsilon).amount(for: G)
            for i in 0..<G.rows { Greg[i, i] += e }
            let eig = try LinearAlgebra.symmetricEigen(Greg).values
            let cond = eig.max()! / eig.min()!
            #expect(cond < 1e4, "cond \(cond)")
            // Both routes are backward stable: each result carries ≈ P·ε·cond(G + εI) relative error (ε = 2⁻⁵², P = 6);
            // a factor 8 covers the products around the solves.
            let tol = 8 * Double(G.rows) * Double.ulpOfOne * cond
            let got = try s.predict(p, r, [.infinity])[0]
            let mean = Matrix.multiply(Gs, try LinearAlgebra.solve(Greg, s.y))
            #expect(Self.maxDifference(got.mean, mean) <= tol * Self.maxAbs(mean), "\(r): mean")
            let solved = try LinearAlgebra.solve(Greg, Gs.transposed)          // (G + εI)⁻¹ GX*
            let cov: Matrix
            if r == .ntk {
                let T = solved.transposed
                let cross = Matrix.multiply(T, s.cross.nngpMatrix, transposeB: true)
                cov = s.test.nngpMatrix + Matrix.multiply(Matrix.multiply(T, s.train.nngpMatrix), T, transposeB: true) - cross - cross.transposed
            } else {
                cov = (r == .ntkgp ? s.test.ntkMatrix : s.test.nngpMatrix) - Matrix.multiply(Gs, solved)
            }
            let scale = Self.maxAbs(r == .ntkgp ? s.test.ntkMatrix : s.test.nngpMatrix)
            #expect(Self.maxDifference(got.covariance!, cov) <= tol * scale, "\(r): covariance \(Self.maxDifference(got.covariance!, cov))")
        }
    }

    /// Finite t against the linearised flow integrated by classical Runge–Kutta (no eigenvectors): a member moves as
    /// f_t(X) = Y + E_t (f₀(X) − Y), f_t(x*) = f₀(x*) + L_t (f₀(X) − Y) with dE/dt = −G E/n, dL/dt = −G(x*, X) E/n,
    /// E₀ = I, L₀ = 0; over f₀ ~ GP(0, K) (GP(0, Θ) for ntkgp) the mean is −L_t Y and the covariance
    /// prior(x*, x*) + L prior(X, X) Lᵀ + L prior(X, x*) + (L prior(X, x*))ᵀ.
    /// Tolerance from the integrator: twice |RK4(h) − RK4(h/2)| (its error at h/2 is 1/16 of the difference's).
    @Test func finiteTimeFollowsTheLinearisedFlow() throws {
        let s = try Setup()
        let p = try s.predictor()
        let n = Double(s.y.data.count)
        let P = s.x.rows
        for r in PredictionRegime.allCases {
            let G = r == .nngp ? s.train.nngpMatrix : s.train.ntkMatrix
            let Gs = r == .nngp ? s.cross.nngpMatrix : s.cross.ntkMatrix
            let prior = r == .ntkgp ? s.train.ntkMatrix : s.train.nngpMatrix
            let priorCross = r == .ntkgp ? s.cross.ntkMatrix : s.cross.nngpMatrix
            let priorTest = r == .ntkgp ? s.test.ntkMatrix : s.test.nngpMatrix
            let t = 1.5 * n / (try LinearAlgebra.symmetricEigen(G).values.max()!)
            func integrate(steps: Int) -> (mean: Matrix, cov: Matrix) {
                var E = Matrix.identity(P), L = Matrix(rows: s.xt.rows, cols: P)
                let h = t / Double(steps)
                func rate(_ E: Matrix) -> (Matrix, Matrix) { ((-1 / n) * Matrix.multiply(G, E), (-1 / n) * Matrix.multiply(Gs, E)) }
                for _ in 0..<steps {
                    let (a1, b1) = rate(E)
                    let (a2, b2) = rate(E + (h / 2) * a1)
                    let (a3, b3) = rate(E + (h / 2) * a2)
                    let (a4, b4) = rate(E + h * a3)
                    E = E + (h / 6) * (a1 + 2 * a2 + 2 * a3 + a4)
                    L = L + (h / 6) * (b1 + 2 * b2 + 2 * b3 + b4)
                }
                let mean = (-1) * Matrix.multiply(L, s.y)
                let lk = Matrix.multiply(L, priorCross, transposeB: true)
                return (mean, priorTest + Matrix.multiply(Matrix.multiply(L, prior), L, transposeB: true) + lk + lk.transposed)
            }
            let (m1, c1) = integrate(steps: 40), (m2, c2) = integrate(steps: 80)
            let got = try s.predict(p, r, [t])[0]
            let meanTol = 2 * Self.maxDifference(m1, m2) + 1e-13 * Self.maxAbs(m2)
            let covTol = 2 * Self.maxDifference(c1, c2) + 1e-13 * Self.maxAbs(c2)
            #expect(Self.maxDifference(got.mean, m2) <= meanTol, "\(r): mean off by \(Self.maxDifference(got.mean, m2)), tolerance \(meanTol)")
            #expect(Self.maxDifference(got.covariance!, c2) <= covTol, "\(r): covariance off by \(Self.maxDifference(got.covariance!, c2)), tolerance \(covTol)")
            #expect(meanTol < 1e-6 * Self.maxAbs(m2) && covTol < 1e-6 * Self.maxAbs(c2), "integrator too coarse to test")
        }
    }

    /// t = 0 is the prior (mean 0, covariance K(x*, x*), or Θ(x*, x*) for ntkgp); at t = ∞ without regulariser a
    /// training point is interpolated: mean = its target, variance 0 — for every regime (the ntk ensemble's
    /// members all reach Y on X).
    @Test func limitsAreThePriorAndInterpolation() throws {
        let s = try Setup()
        let p = try s.predictor()
        for r in PredictionRegime.allCases {
            let zero = try s.predict(p, r, [0])[0]
            #expect(Self.maxAbs(zero.mean) == 0)
            #expect(zero.covariance! == (r == .ntkgp ? s.test.ntkMatrix : s.test.nngpMatrix))
            let onTrain = try p.predict(r, times: [.infinity], nngpTestTrain: s.train.nngpMatrix, ntkTestTrain: s.train.ntkMatrix,
                                        testTest: r == .ntkgp ? s.train.ntkMatrix : s.train.nngpMatrix)[0]
            #expect(Self.maxDifference(onTrain.mean, s.y) < 1e-10 * Self.maxAbs(s.y), "\(r): \(Self.maxDifference(onTrain.mean, s.y))")
            #expect(Self.maxAbs(onTrain.covariance!) < 1e-10 * Self.maxAbs(s.train.nngpMatrix), "\(r)")
        }
    }

    /// A singular train-train kernel (a training point given twice, ε = 0): the prediction at huge finite t tends to
    /// the t = ∞ one (the pseudo-inverse's) instead of amplifying round-off on the zero mode, whose weight would be
    /// t/n; at t = 10³⁰⁰ it is still finite and equal to t = ∞.
    @Test func zeroModesDoNotAmplifyRoundOff() throws {
        var s = try Setup(points: 5, tests: 3)
        var x = s.x
        for c in 0..<x.cols { x[4, c] = x[3, c] }                        // point 4 repeats point 3 …
        var y = s.y
        for c in 0..<y.cols { y[4, c] = y[3, c] }                        // … with the same target
        let net = try NetworkSpec.parse(Self.spec)
        s = Setup(x: x, y: y, xt: s.xt, train: try net.kernels(x), cross: try net.kernels(s.xt, x), test: s.test)
        let p = try s.predictor()
        #expect(try LinearAlgebra.symmetricEigen(s.train.ntkMatrix).values.min()! < 1e-12 * (try LinearAlgebra.symmetricEigen(s.train.ntkMatrix).values.max()!))
        for r in PredictionRegime.allCases {
            let out = try s.predict(p, r, [1e15, 1e300, .infinity])
            for k in 0..<2 {
                #expect(Self.maxDifference(out[k].mean, out[2].mean) <= 1e-9 * Self.maxAbs(out[2].mean), "\(r) t[\(k)]: mean off by \(Self.maxDifference(out[k].mean, out[2].mean))")
                #expect(Self.maxDifference(out[k].covariance!, out[2].covariance!) <= 1e-9 * Self.maxAbs(s.test.ntkMatrix), "\(r) t[\(k)]: covariance")
            }
        }
    }

    /// The relative regulariser is ε·tr(G)/P (neural-tangents' default scale); the absolute one ε.
    @Test func regularizationScales() {
        let g = Matrix(rows: 2, cols: 2, data: [3, 1, 1, 5])
        #expect(DiagonalRegularization.relative(0.1).amount(for: g) == 0.1 * 4)
        #expect(DiagonalRegularization.absolute(0.1).amount(for: g) == 0.1)
    }

    /// The ntk regime is what finite networks do: M = 400 networks of hidden width 1024 (NTK parameterisation),
    /// each trained by 60 full-batch gradient-descent steps of size η on the MSE, give outputs at x* whose sample mean
    /// and variance agree with the prediction after the same 60 discrete steps (`Schedule.steps`, which the
    /// linearised networks follow exactly) within 4 standard errors (mean: sd/√M; variance: sd²·√(2/(M − 1)),
    /// Gaussian outputs); the finite-width offset, O(1/N) relative, is far below them.
    @Test func finiteNetworksTrainedByGradientDescentFollowTheNTKRegime() throws {
        let spec = "Dense(1024, W_std=1.5, b_std=0.2) Erf Dense(1, W_std=1.5, b_std=0.1)"
        let s = try Setup(spec: spec, points: 4, tests: 3, outputs: 1, seed: 9)
        let net = try NetworkSpec.parse(spec)
        let n = Double(s.y.data.count)
        let λmax = try LinearAlgebra.symmetricEigen(s.train.ntkMatrix).values.max()!
        let η = 0.05 * n / λmax, steps = 60
        let pred = try s.predictor().predict(.ntk, schedules: [.steps(steps, learningRate: η)], nngpTestTrain: s.cross.nngpMatrix,
                                             ntkTestTrain: s.cross.ntkMatrix, testTest: s.test.nngpMatrix)[0]
        let M = 400
        let outputs = try (0..<M).map { m in
            var gd = MSEGradientDescent(try net.initializeMember(width: 1024, index: m, inputWidth: 3, seed: 17))
            for _ in 0..<steps { try gd.step(s.x, s.y, learningRate: η) }
            return gd.ntk.outputs(s.xt).data
        }
        for q in 0..<s.xt.rows {
            let v = outputs.map { $0[q] }
            let mean = v.reduce(0, +) / Double(M)
            let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(M - 1)
            let predictedVariance = pred.covariance![q, q]
            let meanSE = (predictedVariance / Double(M)).squareRoot()
            let varianceSE = predictedVariance * (2 / Double(M - 1)).squareRoot()
            #expect(abs(mean - pred.mean[q, 0]) < 4 * meanSE, "x*[\(q)]: mean \(mean) vs \(pred.mean[q, 0]) ± \(meanSE)")
            #expect(abs(variance - predictedVariance) < 4 * varianceSE, "x*[\(q)]: variance \(variance) vs \(predictedVariance) ± \(varianceSE)")
            #expect(predictedVariance > 1e-3, "a variance too small to test")
        }
    }
}

import Foundation
import Testing
@testable import NTK
@testable import Networks
@testable import NumericCore
import TestSupport

/// Gradient descent on the MSE, the closed-form linearised dynamics, kernel drift and convergence with width.
@Suite struct TrainingDynamicsTests {
    static let spec = "Dense(9, W_std=1.4, b_std=0.3) Tanh Dense(7, W_std=1.2, b_std=0.2) Relu Dense(2, W_std=1.1, b_std=0.1)"

    static func data(points: Int = 5, dimension: Int = 3, outputs: Int = 2, seed: UInt64 = 11) -> (Matrix, Matrix) {
        var rng = RandomStream(seed: seed, stream: 7)
        let x = rng.normalMatrix(points, dimension)
        let y = rng.normalMatrix(points, outputs)
        return (x, y)
    }

    static func trainer(_ spec: String = spec, seed: UInt64 = 5, inputWidth: Int = 3) throws -> MSEGradientDescent {
        let net = try NetworkSpec.parse(spec)
        var rng = RandomStream(seed: seed, stream: 0)
        return MSEGradientDescent(try Network(net, inputWidth: inputWidth, using: &rng))
    }

    /// L(θ) through the forward map (an independent route from the backpropagated pass).
    static func loss(_ gd: MSEGradientDescent, _ theta: [Double], _ x: Matrix, _ y: Matrix) -> Double {
        let f = gd.network.architecture.apply(gd.network.layout.split(theta), x)
        return zip(f.data, y.data).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(2 * y.data.count)
    }

    /// ∇_θ L by backpropagation against central differences of L in every stored parameter
    /// (h = 10⁻⁵: truncation ~h²·L''' ~ 10⁻¹⁰, round-off ~10⁻¹¹).
    @Test(arguments: [spec, "Dense(6, W_std=1.5, b_std=None, parameterization=standard) Erf Dense(1, W_std=0.9, b_std=0.3, parameterization=standard)"])
    func gradientMatchesFiniteDifferences(spec: String) throws {
        let gd = try Self.trainer(spec)
        let (x, y) = Self.data(outputs: gd.ntk.outputWidth)
        let (loss, g) = try gd.lossAndGradient(x, y)
        #expect(abs(loss - Self.loss(gd, gd.network.parameters, x, y)) < 1e-14 * max(1, loss))
        let fds = centralDifferenceGradient(at: gd.network.parameters, step: 1e-5) { Self.loss(gd, $0, x, y) }
        for (k, fd) in fds.enumerated() { #expect(abs(g[k] - fd) < 1e-8 * max(1, abs(fd)), "θ[\(k)]: \(g[k]) vs \(fd)") }
        #expect(fds.count >= 25)
    }

    /// A gradient step of size η moves the outputs by −(η/n) Θ r + O(η²), Θ the empirical NTK from the
    /// per-layer Gram path: the remainder falls by 4 when η halves (second order) and is small against the step.
    @Test func stepMovesOutputsAlongTheNTK() throws {
        let gd = try Self.trainer()
        let (x, y) = Self.data()
        let n = Double(y.data.count)
        let f0 = gd.ntk.outputs(x)
        let theta = LinearizedTraining.flatten(try gd.ntk.kernel(x))
        let r = Matrix(rows: y.data.count, cols: 1, data: zip(f0.data, y.data).map { $0 - $1 })
        let predicted = Matrix.multiply(theta, r, alpha: -1 / n)
        func remainder(_ η: Double) throws -> (Double, Double) {
            var g = gd
            try g.step(x, y, learningRate: η)
            let df = g.ntk.outputs(x) - f0
            var rem = 0.0
            for i in df.data.indices { rem += pow(df.data[i] - η * predicted.data[i], 2) }
            return (rem.squareRoot(), η * predicted.frobeniusNorm)
        }
        let (r1, s1) = try remainder(1e-3), (r2, _) = try remainder(5e-4)
        #expect(r1 < 1e-2 * s1)
        let ratio = r1 / r2
        #expect(ratio > 3.6 && ratio < 4.4, "remainder ratio \(ratio), expected 4 (O(η²))")
    }

    static func spdKernel(_ n: Int, seed: UInt64) -> Matrix {
        var rng = RandomStream(seed: seed, stream: 1)
        let a = rng.normalMatrix(n, n + 2)
        return Matrix.multiply(a, a, transposeB: true)
    }

    /// The closed form against RK4 integration of the linear ODEs df/dt = −Θ(f − Y)/n, df*/dt = −Θ*(f − Y)/n
    /// (dt = 10⁻³ of the fastest time scale: RK4 error ~dt⁴ ≈ 10⁻¹²).
    @Test func closedFormMatchesODEIntegration() throws {
        let P = 6, Pt = 3, O = 1
        let all = Self.spdKernel(P + Pt, seed: 3)
        var k = Matrix(rows: P, cols: P), kst = Matrix(rows: Pt, cols: P)
        for i in 0..<P { for j in 0..<P { k[i, j] = all[i, j] } }
        for i in 0..<Pt { for j in 0..<P { kst[i, j] = all[P + i, j] } }
        var rng = RandomStream(seed: 9, stream: 2)
        let f0 = rng.normalMatrix(P, O)
        let fs0 = rng.normalMatrix(Pt, O)
        let y = rng.normalMatrix(P, O)
        let lin = try LinearizedTraining(scalarKernel: k, outputs: O)
        let n = Double(P * O), t = 2.5 * n / (lin.eigenvalues.max()!)
        func rhs(_ f: [Double]) -> ([Double], [Double]) {
            let r = Matrix(rows: P, cols: 1, data: zip(f, y.data).map { $0 - $1 })
            return (Matrix.multiply(k, r, alpha: -1 / n).data, Matrix.multiply(kst, r, alpha: -1 / n).data)
        }
        var f = f0.data, fs = fs0.data
        let stepsODE = 4000
        let dt = t / Double(stepsODE)
        for _ in 0..<stepsODE {
            let (k1, s1) = rhs(f)
            let (k2, s2) = rhs(zip(f, k1).map { $0 + 0.5 * dt * $1 })
            let (k3, s3) = rhs(zip(f, k2).map { $0 + 0.5 * dt * $1 })
            let (k4, s4) = rhs(zip(f, k3).map { $0 + dt * $1 })
            for i in f.indices { f[i] += dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) }
            for i in fs.indices { fs[i] += dt / 6 * (s1[i] + 2 * s2[i] + 2 * s3[i] + s4[i]) }
        }
        let ft = try lin.trainOutputs(at: t, initial: f0, targets: y)
        let fst = try lin.testOutputs(at: t, testTrain: NDArray(shape: [Pt, P], data: kst.data), initialTrain: f0, initialTest: fs0, targets: y)
        for i in 0..<P { #expect(abs(ft.data[i] - f[i]) < 1e-9, "train \(i)") }
        for i in 0..<Pt { #expect(abs(fst.data[i] - fs[i]) < 1e-9, "test \(i)") }
    }

    /// t = ∞ is kernel regression f₀* + Θ*Θ⁻¹(Y − f₀) (LAPACK solve); the discrete schedule equals iterating
    /// f ← f − (η/n)Θ(f − Y); a scalar kernel with O outputs equals the tensor kernel Θ ⊗ I.
    @Test func limitsAndDiscreteStepsAndKronecker() throws {
        let P = 5, Pt = 2, O = 2
        let all = Self.spdKernel(P + Pt, seed: 4)
        var k = Matrix(rows: P, cols: P), kst = Matrix(rows: Pt, cols: P)
        for i in 0..<P { for j in 0..<P { k[i, j] = all[i, j] } }
        for i in 0..<Pt { for j in 0..<P { kst[i, j] = all[P + i, j] } }
        var rng = RandomStream(seed: 10, stream: 2)
        let f0 = rng.normalMatrix(P, O)
        let fs0 = rng.normalMatrix(Pt, O)
        let y = rng.normalMatrix(P, O)
        let lin = try LinearizedTraining(scalarKernel: k, outputs: O)
        let kstND = NDArray(shape: [Pt, P], data: kst.data)
        // t = ∞ against a direct solve.
        let inf = try lin.testOutputs(at: .infinity, testTrain: kstND, initialTrain: f0, initialTest: fs0, targets: y)
        let sol = try LinearAlgebra.solve(k, y - f0)
        let direct = fs0 + Matrix.multiply(kst, sol)
        #expect((inf - direct).frobeniusNorm < 1e-10 * direct.frobeniusNorm)
        #expect((try lin.trainOutputs(at: .infinity, initial: f0, targets: y) - y).frobeniusNorm < 1e-12)
        // Discrete steps against iteration.
        let n = Double(P * O), η = 0.7 * n / lin.eigenvalues.max()!
        var f = f0, fs = fs0
        for _ in 0..<25 {
            let r = f - y
            f = f - Matrix.multiply(k, r, alpha: η / n)
            fs = fs - Matrix.multiply(kst, r, alpha: η / n)
        }
        let fk = try lin.trainOutputs(.steps(25, learningRate: η), initial: f0, targets: y)
        let fsk = try lin.testOutputs(.steps(25, learningRate: η), testTrain: kstND, initialTrain: f0, initialTest: fs0, targets: y)
        #expect((fk - f).frobeniusNorm < 1e-11 * f.frobeniusNorm)
        #expect((fsk - fs).frobeniusNorm < 1e-11 * fs.frobeniusNorm)
        // Θ ⊗ I as a tensor kernel.
        var tensor = [Double](repeating: 0, count: P * P * O * O), tst = [Double](repeating: 0, count: Pt * P * O * O)
        for p in 0..<P { for q in 0..<P { for a in 0..<O { tensor[((p * P + q) * O + a) * O + a] = k[p, q] } } }
        for p in 0..<Pt { for q in 0..<P { for a in 0..<O { tst[((p * P + q) * O + a) * O + a] = kst[p, q] } } }
        let linT = try LinearizedTraining(tensorKernel: NDArray(shape: [P, P, O, O], data: tensor))
        let a = try lin.testOutputs(at: 1.3, testTrain: kstND, initialTrain: f0, initialTest: fs0, targets: y)
        let b = try linT.testOutputs(at: 1.3, testTrain: NDArray(shape: [Pt, P, O, O], data: tst), initialTrain: f0, initialTest: fs0, targets: y)
        #expect((a - b).frobeniusNorm < 1e-12 * a.frobeniusNorm)
    }

    @Test func hiddenWidthKeepsTheReadout() throws {
        let net = try NetworkSpec.parse(Self.spec).withHiddenWidth(33)
        let widths = net.layers.compactMap { ($0 as? Dense)?.width }
        #expect(widths == [33, 33, 2])
        #expect(net.outputWidth(inputWidth: 3) == 2)
    }

    /// The relative error of the empirical NTK falls like N^{-1/2} (central limit); 40 networks per width (standard
    /// error of the exponent ≈ 0.025, not 0.05 with 10). The tolerance: 4 standard
    /// errors of the fitted exponent plus 0.05 for the O(N^{-1/2}) relative sub-leading correction over N ≥ 128.
    @Test func empiricalNTKConvergesLikeInverseSquareRootOfWidth() throws {
        let net = try NetworkSpec.parse("Dense(1, W_std=1.5, b_std=0.1) Relu Dense(1, W_std=1.5, b_std=0.1) Erf Dense(1, W_std=1.2)")
        var rng = RandomStream(seed: 21, stream: 0)
        let x = rng.normalMatrix(5, 3)
        let scan = try NTKConvergence(network: net, points: x, widths: [128, 256, 512, 1024, 2048], networks: 40, seed: 4)
        let r = try scan.run()
        let fit = try #require(r.fit)
        let se = try #require(fit.exponentError)
        #expect(abs(fit.exponent + 0.5) < 4 * se + 0.05, "exponent \(fit.exponent) ± \(se)")
        #expect(r.widths.last!.mean < 0.1)
    }

    /// Drift of the NTK and the gap between actual and linearised training vanish with width: at least as fast
    /// as N^{-1/2} (the bound of Lee et al. 1902.06720, Thm 2.1), and at the 1/N rate of Dyer & Gur-Ari
    /// (1909.11304) for the time derivative of Θ — the fitted exponent lies in [−1, −1/2] within 4 standard
    /// errors (+0.05 for sub-leading corrections). The training loss falls.
    /// `NTKDrift.defaultTargets`: y_a(x) = sin(x_1 + … + x_d + a), against the values written out.
    @Test func defaultTargetsAreShiftedSines() {
        let x = Matrix(rows: 2, cols: 3, data: [0.1, 0.2, 0.3, -1, 0.5, 2])
        let y = NTKDrift.defaultTargets(x, outputs: 2)
        #expect(y.rows == 2 && y.cols == 2)
        let expected = [sin(0.6), sin(1.6), sin(1.5), sin(2.5)]
        for (a, b) in zip(y.data, expected) { #expect(abs(a - b) <= 1e-15) }
    }

    @Test func driftAndLinearisationGapShrinkWithWidth() throws {
        let net = try NetworkSpec.parse("Dense(1, W_std=1.5, b_std=0.1) Erf Dense(1, W_std=1.5, b_std=0.1) Erf Dense(1, W_std=1.2)")
        var rng = RandomStream(seed: 2, stream: 0)
        let x = rng.normalMatrix(6, 2)
        let y = Matrix(rows: 6, cols: 1, data: (0..<6).map { x.data[2 * $0] * 0.8 + sin(x.data[2 * $0 + 1]) })
        let d = try NTKDrift(network: net, trainX: x, trainY: y, testX: Matrix(rows: 2, cols: 2, data: [0.3, -0.2, 1, 0.5]),
                             widths: [64, 128, 256, 512, 1024], networks: 8, steps: 40, recordEvery: 20, seed: 8)
        let r = try d.run()
        for w in r.widths { #expect(w.loss.last! < 0.5 * w.loss.first!, "width \(w.width): loss \(w.loss)") }
        let df = try #require(r.driftFit), gf = try #require(r.gapFit)
        for fit in [df, gf] {
            let se = try #require(fit.exponentError)
            #expect(fit.exponent < -0.5 + 4 * se, "exponent \(fit.exponent) ± \(se): slower than Lee et al.'s N^{-1/2} bound")
            #expect(fit.exponent > -1.05 - 4 * se, "exponent \(fit.exponent) ± \(se): faster than the 1/N rate")
        }
        #expect(r.widths.first!.drift.first! == 0)
    }

    @Test func powerLawFitRecoversExponent() throws {
        let x = [10.0, 20, 40, 80, 160]
        let fit = try #require(PowerLawFit(x: x, y: x.map { 3 * pow($0, -0.7) }))
        #expect(abs(fit.exponent + 0.7) < 1e-12 && abs(fit.prefactor - 3) < 1e-11)
        let w = try #require(PowerLawFit(x: x, y: x.map { 3 * pow($0, -0.7) }, errors: x.map { 0.03 * pow($0, -0.7) }))
        #expect(abs(w.exponent + 0.7) < 1e-12)
        // σ_b = 1/√Σ w (log x − mean)², w = (y/σ)² = 10⁴.
        let lx = x.map(log), m = lx.reduce(0, +) / 5
        #expect(abs(w.exponentError! - 1 / (1e4 * lx.reduce(0) { $0 + ($1 - m) * ($1 - m) }).squareRoot()) < 1e-12)
    }
}

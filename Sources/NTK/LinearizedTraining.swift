import Foundation
import Networks
import NumericCore

/// Closed-form gradient-descent dynamics of the linearised network f^lin_θ = f_θ₀ + J₀ (θ − θ₀) on the mean
/// squared error L = (1/2n)‖f(X) − Y‖², n = Y.count (every entry: points × outputs), as in Lee et al.
/// (1902.06720) and neural-tangents' `predict.gradient_descent_mse`.
///
/// Gradient flow in continuous time t measured in units of the learning rate (t = η · steps):
///   f_t(X)  = Y + e^{−tΘ/n} (f₀(X) − Y),
///   f_t(x*) = f₀(x*) + Θ(x*, X) Θ⁻¹ (e^{−tΘ/n} − I) (f₀(X) − Y),
///   t = ∞:    f₀(x*) + Θ(x*, X) Θ⁻¹ (Y − f₀(X)),
/// with Θ = Θ(X, X). Outputs are flattened point-major, index p·O + a, so Θ is the full tensor kernel
/// Θ_ab(x_p, x_q) as a [P·O, P·O] matrix (`init(tensorKernel:)`), or a scalar kernel applied to each output
/// channel (`init(scalarKernel:outputs:)`, Θ ⊗ I_O — neural-tangents' traced kernel). Like neural-tangents,
/// negative eigenvalues of Θ (round-off) are clamped to zero; at t = ∞ zero modes are dropped (pseudo-inverse).
public struct LinearizedTraining: Sendable {
    /// Eigenvalues λ_k ≥ 0 and eigenvectors (columns) of the train-train kernel Θ.
    public let eigenvalues: [Double]
    /// Orthonormal eigenvectors of Θ as the columns of a [P·O, P·O] matrix, in the order of `eigenvalues`.
    public let eigenvectors: Matrix
    /// Points P and outputs O of the training set (n = P·O).
    public let points: Int
    /// Number O of outputs per point.
    public let outputs: Int
    /// Optional diagonal regulariser: Θ + diagonalRegularization · I (neural-tangents' `diag_reg`, absolute).
    public let diagonalRegularization: Double

    /// From the full tensor kernel Θ_ab(x_p, x_q), shape [P, P, O, O].
    public init(tensorKernel k: NDArray<Double>, diagonalRegularization: Double = 0) throws {
        guard k.shape.count == 4, k.shape[0] == k.shape[1], k.shape[2] == k.shape[3] else {
            throw InputError("train kernel of shape \(k.shape), expected [P, P, O, O]")
        }
        try self.init(flatKernel: LinearizedTraining.flatten(k), points: k.shape[0], outputs: k.shape[2],
                      diagonalRegularization: diagonalRegularization)
    }

    /// From a scalar kernel Θ(x_p, x_q) [P, P] shared by the O output channels (Θ ⊗ I_O).
    public init(scalarKernel k: Matrix, outputs: Int, diagonalRegularization: Double = 0) throws {
        guard k.rows == k.cols else { throw InputError("train kernel of shape [\(k.rows), \(k.cols)], expected square") }
        try self.init(flatKernel: LinearizedTraining.kron(k, outputs), points: k.rows, outputs: outputs,
                      diagonalRegularization: diagonalRegularization)
    }

    init(flatKernel: Matrix, points: Int, outputs: Int, diagonalRegularization: Double) throws {
        var a = flatKernel
        guard a.data.allSatisfy(\.isFinite) else { throw InputError("train kernel contains NaN or infinity") }
        for i in 0..<a.rows { a[i, i] += diagonalRegularization }
        let e = try LinearAlgebra.symmetricEigen(a)
        self.eigenvalues = e.values.map { max($0, 0) }
        self.eigenvectors = e.vectors
        self.points = points
        self.outputs = outputs
        self.diagonalRegularization = diagonalRegularization
    }

    /// n = P·O, the loss normalisation (neural-tangents: `y_train.size`).
    public var normalization: Double { Double(points * outputs) }

    /// V diag(φ(λ)) Vᵀ v for a spectral function φ.
    func spectral(_ v: [Double], _ phi: (Double) -> Double) -> [Double] {
        let n = v.count
        let c = Matrix.multiply(eigenvectors, Matrix(rows: n, cols: 1, data: v), transposeA: true)
        var scaled = c
        for k in 0..<n { scaled.data[k] *= phi(eigenvalues[k]) }
        return Matrix.multiply(eigenvectors, scaled).data
    }

    /// The linear map applied to the initial residual: continuous gradient flow e^{−tΘ/n} (t = ∞ allowed),
    /// or k discrete steps of size η, (I − ηΘ/n)^k, which the linearised network follows exactly.
    public enum Schedule: Sendable {
        case time(Double)
        case steps(Int, learningRate: Double)

        /// The spectral factor for eigenvalue λ and normalisation n.
        func factor(_ λ: Double, _ n: Double) -> Double {
            switch self {
            case .time(let t): return t.isInfinite ? 0 : exp(-t * λ / n)
            case .steps(let k, let η): return pow(1 - η * λ / n, Double(k))
            }
        }

        /// (factor(λ) − 1)/λ, with its λ → 0 limit and, for t = ∞, the pseudo-inverse (zero modes dropped).
        func factorMinusOneOverλ(_ λ: Double, _ n: Double, tiny: Double) -> Double {
            switch self {
            case .time(let t):
                if t.isInfinite { return λ > tiny ? -1 / λ : 0 }
                return λ > tiny ? expm1(-t * λ / n) / λ : -t / n
            case .steps(let k, let η):
                return λ > tiny ? (pow(1 - η * λ / n, Double(k)) - 1) / λ : -Double(k) * η / n
            }
        }
    }

    /// f_t(X) [P, O] on the training points after continuous time t (units of η), from f₀(X) and Y ([P, O]).
    public func trainOutputs(at t: Double, initial f0: Matrix, targets y: Matrix) throws -> Matrix {
        try trainOutputs(.time(t), initial: f0, targets: y)
    }

    /// f(X) [P, O] on the training points under a schedule: Y + S(Θ)(f₀(X) − Y).
    public func trainOutputs(_ schedule: Schedule, initial f0: Matrix, targets y: Matrix) throws -> Matrix {
        try check(f0, "f0(X)"); try check(y, "Y")
        let n = normalization
        let r0 = zip(f0.data, y.data).map { $0 - $1 }
        let decayed = spectral(r0) { schedule.factor($0, n) }
        return Matrix(rows: points, cols: outputs, data: zip(y.data, decayed).map { $0 + $1 })
    }

    /// f_t(x*) [P*, O] on test points after continuous time t: `testTrain` is Θ(x*, X) as [P*, P, O, O]
    /// (or [P*, P] for a scalar kernel), f0Test = f₀(x*) [P*, O]. t = .infinity gives the converged predictor.
    public func testOutputs(at t: Double, testTrain: NDArray<Double>, initialTrain f0: Matrix, initialTest f0Test: Matrix,
                            targets y: Matrix) throws -> Matrix {
        try testOutputs(.time(t), testTrain: testTrain, initialTrain: f0, initialTest: f0Test, targets: y)
    }

    /// f(x*) = f₀(x*) + Θ(x*, X) Θ⁻¹ (S(Θ) − I)(f₀(X) − Y) under a schedule.
    public func testOutputs(_ schedule: Schedule, testTrain: NDArray<Double>, initialTrain f0: Matrix, initialTest f0Test: Matrix,
                            targets y: Matrix) throws -> Matrix {
        try check(f0, "f0(X)"); try check(y, "Y")
        let O = outputs, P = points
        let kst: Matrix
        if testTrain.shape.count == 4, testTrain.shape[1] == P, testTrain.shape[2] == O, testTrain.shape[3] == O {
            kst = LinearizedTraining.flatten(testTrain)
        } else if testTrain.shape.count == 2, testTrain.shape[1] == P {
            kst = LinearizedTraining.kron(Matrix(rows: testTrain.shape[0], cols: P, data: testTrain.data), O)
        } else {
            throw InputError("test-train kernel of shape \(testTrain.shape), expected [P*, \(P), \(O), \(O)] or [P*, \(P)]")
        }
        guard f0Test.rows * O == kst.rows, f0Test.cols == O else {
            throw InputError("f0(x*) of shape [\(f0Test.rows), \(f0Test.cols)], expected [\(kst.rows / O), \(O)]")
        }
        let n = normalization
        let r0 = zip(f0.data, y.data).map { $0 - $1 }
        let tiny = (eigenvalues.max() ?? 0) * 1e-12
        let w = spectral(r0) { schedule.factorMinusOneOverλ($0, n, tiny: tiny) }
        let shift = Matrix.multiply(kst, Matrix(rows: w.count, cols: 1, data: w))
        return Matrix(rows: f0Test.rows, cols: O, data: zip(f0Test.data, shift.data).map { $0 + $1 })
    }

    func check(_ m: Matrix, _ name: String) throws {
        guard m.rows == points, m.cols == outputs else {
            throw InputError("\(name) of shape [\(m.rows), \(m.cols)], expected [\(points), \(outputs)]")
        }
    }

    /// [P1, P2, O, O] → [P1·O, P2·O] with rows p·O + a and columns q·O + b.
    public static func flatten(_ k: NDArray<Double>) -> Matrix {
        let (P1, P2, O) = (k.shape[0], k.shape[1], k.shape[2])
        var m = Matrix(rows: P1 * O, cols: P2 * O)
        for p in 0..<P1 { for q in 0..<P2 { for a in 0..<O { for b in 0..<O {
            m[p * O + a, q * O + b] = k.data[((p * P2 + q) * O + a) * O + b]
        } } } }
        return m
    }

    /// Θ ⊗ I_O as a [P1·O, P2·O] matrix.
    static func kron(_ k: Matrix, _ O: Int) -> Matrix {
        var m = Matrix(rows: k.rows * O, cols: k.cols * O)
        for p in 0..<k.rows { for q in 0..<k.cols { for a in 0..<O { m[p * O + a, q * O + a] = k[p, q] } } }
        return m
    }
}

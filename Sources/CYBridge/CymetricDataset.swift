import Foundation
import NumericCore
import Numerics

/// A sample in cymetric's on-disk format (arXiv 2205.13408; `cymetric.pointgen.nphelper.prepare_dataset` and
/// `prepare_basis`), so that cymetric's models and callbacks train and score on our points and weights:
///
/// - `dataset.npz`: `X_train`, `X_val` = [Re z, Im z] of the patch-normalised points [N, 2D] (float64); `y_train`,
///   `y_val` = [w, |Ω|²] [N, 2] with the weights normalised as cymetric's `normalize_to_vol_j` (mean(w det g_FS(1)/|Ω|²)
///   = Vol_K(1), the same normalisation as ours, `IntegrationWeights`); `val_pullbacks` = J [N_val, n, D]
///   (complex128). The first int((1 − val_split)·N) points train, the rest validate (cymetric's split).
/// - `basis.npz` (cymetric's npz basis; load with `prepare_tf_basis(np.load('basis.npz'))`): per equation a,
///   `DQDZB{a}` [D, M, D] the exponents of the monomials of ∂Q_a/∂z_i (zero-padded to M, stored as complex as cymetric
///   does) and `DQDZF{a}` [D, M] their coefficients; `QB{a}`, `QF{a}` the monomials and coefficients of Q_a;
///   `AMBIENT` the n_r; `KMODULI` t; `NFOLD`, `NHYPER`; `INTNUMS` the intersection tensor d_{r₁…r_n} [F, …, F];
///   `KAPPA` = Vol_K/Vol_CY of the training points.
public enum CymetricDataset {
    /// Writes dataset.npz and basis.npz of `s` at Kähler moduli `t` into `dir`.
    public static func write(_ s: PointSample, kahler t: [Double], validationFraction: Double = 0.1, to dir: URL, threads: Int? = nil) throws {
        guard validationFraction > 0, validationFraction < 1 else {
            throw InputError("validation fraction \(validationFraction), expected a number in (0, 1)")
        }
        let v = s.variety, D = v.coordinateCount, n = v.dimension, N = s.count
        let nTrain = Int((1 - validationFraction) * Double(N))
        guard nTrain >= 1, nTrain < N else { throw InputError("\(N) points split \(nTrain)/\(N - nTrain), expected at least one of each") }
        func x(_ r: Range<Int>) -> NDArray<Double> {
            var d = [Double](repeating: 0, count: r.count * 2 * D)
            for (k, i) in r.enumerated() { for c in 0..<D {
                d[k * 2 * D + c] = s.points[i * D + c].real
                d[k * 2 * D + D + c] = s.points[i * D + c].imaginary
            } }
            return NDArray(shape: [r.count, 2 * D], data: d)
        }
        func y(_ r: Range<Int>) -> NDArray<Double> {
            NDArray(shape: [r.count, 2], data: r.flatMap { [s.weights[$0], s.omegaSquared[$0]] })
        }
        let J = PullbackJacobian.jacobians(of: s, threads: threads)
        var data = NPZ()
        data.add("X_train", x(0..<nTrain)); data.add("y_train", y(0..<nTrain))
        data.add("X_val", x(nTrain..<N)); data.add("y_val", y(nTrain..<N))
        data.add("val_pullbacks", NDArray(shape: [N - nTrain, n, D], data: Array(J[(nTrain * n * D)..<(N * n * D)])))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try data.write(to: dir.appendingPathComponent("dataset.npz"))

        var basis = NPZ()
        for (a, q) in v.equations.enumerated() {
            let M = q.monomialCount
            // ∂Q/∂z_i: the monomials with e_i > 0, exponent e − δ_i, coefficient c·e_i.
            var rows: [[(exps: [Int], coef: ComplexDouble)]] = []
            for i in 0..<D {
                var r: [(exps: [Int], coef: ComplexDouble)] = []
                for m in 0..<M where q.exponents[m * D + i] > 0 {
                    var e = Array(q.exponents[(m * D)..<((m + 1) * D)])
                    let k = e[i]; e[i] -= 1
                    r.append((e, q.coefficients[m] * ComplexDouble(Double(k), 0)))
                }
                rows.append(r)
            }
            let width = max(1, rows.map(\.count).max() ?? 1)
            var b = [ComplexDouble](repeating: .zero, count: D * width * D), f = [ComplexDouble](repeating: .zero, count: D * width)
            for i in 0..<D { for (k, term) in rows[i].enumerated() {
                for c in 0..<D { b[(i * width + k) * D + c] = ComplexDouble(Double(term.exps[c]), 0) }
                f[i * width + k] = term.coef
            } }
            basis.add("DQDZB\(a)", NDArray(shape: [D, width, D], data: b))
            basis.add("DQDZF\(a)", NDArray(shape: [D, width], data: f))
            basis.add("QB\(a)", NDArray(shape: [M, D], data: q.exponents.map(Int64.init)))
            basis.add("QF\(a)", NDArray(shape: [M], data: q.coefficients))
        }
        let F = v.ambient.factorCount
        basis.add("AMBIENT", NDArray(shape: [F], data: v.ambient.dimensions.map(Int64.init)))
        basis.add("KMODULI", NDArray(shape: [F], data: t))
        basis.add("NFOLD", NDArray(shape: [], data: [Int64(n)]))
        basis.add("NHYPER", NDArray(shape: [], data: [Int64(v.equationCount)]))
        var tensor = [Double](repeating: 0, count: Int(pow(Double(F), Double(n))))
        for (idx, d) in IntersectionNumbers.numbers(of: v) {
            // Every permutation of the sorted index list holds the same number.
            func permutations(_ a: [Int]) -> [[Int]] {
                a.count <= 1 ? [a] : a.indices.flatMap { i in permutations(Array(a[..<i] + a[(i + 1)...])).map { [a[i]] + $0 } }
            }
            for p in Set(permutations(idx)) { tensor[p.reduce(0) { $0 * F + $1 }] = d }
        }
        basis.add("INTNUMS", NDArray(shape: [Int](repeating: F, count: n), data: tensor))
        let trainSample = Array(0..<nTrain)
        let fsDet = s.fubiniStudyDeterminants(kahler: t)
        let volK = trainSample.reduce(0.0) { $0 + s.weights[$1] * fsDet[$1] / s.omegaSquared[$1] } / Double(nTrain)
        let volCY = trainSample.reduce(0.0) { $0 + s.weights[$1] } / Double(nTrain)
        basis.add("KAPPA", NDArray(shape: [], data: [volK / volCY]))
        try basis.write(to: dir.appendingPathComponent("basis.npz"))
    }

    /// A dataset read back: its variety (given, or rebuilt from basis.npz), the Kähler moduli of basis.npz (nil without
    /// one), the training and validation points as samples of the variety, and how far the file's |Ω|² and weights
    /// are from the variety's own at those points.
    public struct Loaded: Sendable {
        public let variety: Variety
        public let kahler: [Double]?
        public let training: PointSample
        public let validation: PointSample
        /// max_i |Ω_file|²/|Ω_ours|² − 1 (0 for our own files; cymetric's own datasets are float32-rounded).
        public let omegaDeviation: Double
        /// max_i |w_file/w_ours · mean(w_ours)/mean(w_file) − 1|: the weights up to their normalisation.
        public let weightDeviation: Double
    }

    /// Reads `dir`/dataset.npz (cymetric's `prepare_dataset` output, written by numpy's `savez_compressed`, or ours)
    /// and, when present, `dir`/basis.npz. The points become samples of `variety` (or of the variety of basis.npz:
    /// its QB/QF polynomials and AMBIENT): patches, dependent coordinates, |Ω|² and weights are recomputed from them
    /// (`PointSampler.evaluate`), and the file's |Ω|² must agree with ours to 1e-5 relative (cymetric stores float32
    /// in places), else the points are not on that variety.
    /// - Throws: `InputError` naming the file and what is wrong.
    public static func read(_ dir: URL, variety given: Variety? = nil, threads: Int? = nil) throws -> Loaded {
        let dataURL = dir.appendingPathComponent("dataset.npz"), basisURL = dir.appendingPathComponent("basis.npz")
        let data = try NPZ.read(dataURL)
        var variety = given, kahler: [Double]? = nil
        if FileManager.default.fileExists(atPath: basisURL.path) {
            let basis = try NPZ.read(basisURL)
            func ints(_ key: String) throws -> [Int] {
                switch try basis.array(key) {
                case .int64(let a)?: return a.data.map { Int($0) }
                case .float64(let a)?: return a.data.map { Int($0.rounded()) }
                case .complex128(let a)?: return a.data.map { Int($0.real.rounded()) }
                case nil: throw InputError("\(basisURL.path): no member \(key), expected cymetric's basis")
                }
            }
            if case .float64(let k)? = try basis.array("KMODULI") { kahler = k.data }
            if variety == nil {
                let dims = try ints("AMBIENT")
                let D = dims.reduce(0) { $0 + $1 + 1 }
                var equations: [Polynomial] = []
                var a = 0
                while let qb = try basis.array("QB\(a)") {
                    // Coefficients complex (ours) or real (cymetric's own for real polynomials).
                    let qf: [ComplexDouble]
                    switch try basis.array("QF\(a)") {
                    case .complex128(let c)?: qf = c.data
                    case .float64(let c)?: qf = c.data.map { ComplexDouble($0, 0) }
                    default: qf = []
                    }
                    guard qb.shape.count == 2, qb.shape[1] == D, qf.count == qb.shape[0] else {
                        throw InputError("\(basisURL.path): QB\(a) of shape \(qb.shape) with \(qf.count) coefficients QF\(a), expected [M, \(D)] and M")
                    }
                    let e = try ints("QB\(a)")
                    equations.append(try Polynomial(variableCount: D, exponents: (0..<qb.shape[0]).map { Array(e[($0 * D)..<(($0 + 1) * D)]) }, coefficients: qf))
                    a += 1
                }
                variety = try Variety(name: "cymetric:" + dir.lastPathComponent, ambient: try ProjectiveAmbient(dims), equations: equations)
            }
        }
        guard let v = variety else {
            throw InputError("\(dir.path): no basis.npz, expected --variety naming the variety of dataset.npz")
        }
        let D = v.coordinateCount
        func part(_ x: String, _ y: String) throws -> (sample: PointSample, omega: Double, weight: Double) {
            guard case .float64(let X)? = try data.array(x), X.rank == 2, X.shape[1] == 2 * D else {
                throw InputError("\(dataURL.path): \(x) missing or not float64 [N, \(2 * D)], expected [Re z, Im z] of \(v.name)")
            }
            guard case .float64(let Y)? = try data.array(y), Y.rank == 2, Y.shape[0] == X.shape[0], Y.shape[1] >= 2 else {
                throw InputError("\(dataURL.path): \(y) missing or not float64 [\(X.shape[0]), 2], expected [w, |Ω|²]")
            }
            let N = X.shape[0]
            let z = (0..<(N * D)).map { k in ComplexDouble(X.data[(k / D) * 2 * D + k % D], X.data[(k / D) * 2 * D + D + k % D]) }
            let s = try PointSampler(variety: v).evaluate(points: z, threads: threads)
            let w = Y.shape[1]
            var omega = 0.0, worst = 0
            for i in 0..<N {
                let d = abs(Y.data[i * w + 1] / s.omegaSquared[i] - 1)
                if d > omega { omega = d; worst = i }
            }
            guard omega <= 1e-5 else {
                throw InputError("\(dataURL.path): \(y)'s |Ω|² at point \(worst) is \(Y.data[worst * w + 1]) where \(v.name) has \(s.omegaSquared[worst]), expected the points of \(v.name)")
            }
            let meanFile = (0..<N).reduce(0.0) { $0 + Y.data[$1 * w] } / Double(N), meanOurs = s.weights.reduce(0, +) / Double(N)
            let dev = (0..<N).reduce(0.0) { max($0, abs(Y.data[$1 * w] / s.weights[$1] * meanOurs / meanFile - 1)) }
            return (s, omega, dev)
        }
        let train = try part("X_train", "y_train"), val = try part("X_val", "y_val")
        return Loaded(variety: v, kahler: kahler, training: train.sample, validation: val.sample,
                      omegaDeviation: max(train.omega, val.omega), weightDeviation: max(train.weight, val.weight))
    }
}

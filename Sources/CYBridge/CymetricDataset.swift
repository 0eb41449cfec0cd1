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
}

import Foundation
import NumericCore
import Numerics

/// The files of balanced metrics in a directory written by `nntheory cy donaldson` (docs/cy.md): per degree k,
/// h_k{K}.npy (complex128 [N_k, N_k], the form h of ψ = sᵀ h s̄) and sections_k{K}.npy (int64 [N_k, D], the exponent
/// vectors of the sections s_α in the order of h's rows); summary.json's "kahler" is the class t of the metrics.
public enum BalancedMetricDirectory {
    /// Why a directory does not hold the balanced metric asked for.
    public enum LoadError: Error, CustomStringConvertible, Sendable {
        /// The path is not a directory.
        case notADirectory(path: String)
        /// The directory has no h_k{K}.npy.
        case noForms(directory: String)
        /// Degree k is asked for but only `present` are in the directory.
        case degreeAbsent(Int, present: [Int], directory: String)
        /// A file of the directory has the wrong type or shape (`detail` names the file and what was expected).
        case malformed(detail: String)

        /// One line naming the value and what was expected.
        public var description: String {
            switch self {
            case let .notADirectory(path):
                return "balanced metrics: '\(path)' is not a directory, expected one written by `nntheory cy donaldson`"
            case let .noForms(dir): return "balanced metrics: no h_k{K}.npy in \(dir)"
            case let .degreeAbsent(k, present, dir):
                return "balanced metrics: degree \(k) is absent, \(dir) has h_k for k = \(present.map(String.init).joined(separator: ","))"
            case let .malformed(detail): return "balanced metrics: \(detail)"
            }
        }
    }

    /// The degrees k with an h_k{K}.npy in `dir`, ascending (empty when there are none or `dir` cannot be read).
    public static func degrees(in dir: URL) -> [Int] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return files.compactMap { f -> Int? in
            guard f.hasPrefix("h_k"), f.hasSuffix(".npy") else { return nil }
            return Int(f.dropFirst(3).dropLast(4))
        }.sorted()
    }

    /// The balanced metric of degree k (default: the largest present) on `variety`, rebuilt from h_k{K}.npy and
    /// sections_k{K}.npy.
    /// - Throws: `LoadError`, or the NPY reader's and `AlgebraicMetric`'s errors.
    public static func load(_ dir: URL, degree: Int? = nil, variety v: Variety) throws -> (metric: AlgebraicMetric, degree: Int) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw LoadError.notADirectory(path: dir.path)
        }
        let present = degrees(in: dir)
        guard let k = degree ?? present.last else { throw LoadError.noForms(directory: dir.path) }
        guard present.contains(k) else { throw LoadError.degreeAbsent(k, present: present, directory: dir.path) }
        guard case let .complex128(h) = try NPY.read(dir.appendingPathComponent("h_k\(k).npy")), h.rank == 2, h.shape[0] == h.shape[1] else {
            throw LoadError.malformed(detail: "h_k\(k).npy is not a complex128 square matrix")
        }
        guard case let .int64(sec) = try NPY.read(dir.appendingPathComponent("sections_k\(k).npy")), sec.rank == 2,
              sec.shape[0] == h.shape[0], sec.shape[1] == v.coordinateCount else {
            throw LoadError.malformed(detail: "sections_k\(k).npy must be int64 [\(h.shape[0]), \(v.coordinateCount)] for \(v.name)")
        }
        let rows = (0..<sec.shape[0]).map { r in (0..<sec.shape[1]).map { Int(sec.data[r * sec.shape[1] + $0]) } }
        let basis = try SectionBasis(exponents: rows, factorSizes: v.ambient.dimensions.map { $0 + 1 })
        let metric = try AlgebraicMetric(basis: basis, h: ComplexMatrix(rows: h.shape[0], cols: h.shape[1], data: h.data), degree: k)
        return (metric, k)
    }

    /// The Kähler class t of the balanced metrics in `dir` ("kahler" of its summary.json), or nil without one.
    public static func kahlerClass(_ dir: URL) -> [Double]? {
        struct Written: Decodable { let kahler: [Double]? }
        guard let data = try? Data(contentsOf: dir.appendingPathComponent("summary.json")) else { return nil }
        return (try? JSONDecoder().decode(Written.self, from: data))?.kahler
    }

    /// Writes h_k{K}.npy and sections_k{K}.npy for the balanced form `h` on `basis` at degree k into `dir`.
    public static func write(form h: ComplexMatrix, basis b: SectionBasis, degree k: Int, to dir: URL) throws {
        try NPY.write(NDArray<Complex<Double>>(shape: [h.rows, h.cols], data: h.data), to: dir.appendingPathComponent("h_k\(k).npy"))
        try NPY.write(NDArray<Int64>(shape: [b.count, b.variables], data: b.exponents.map { Int64($0) }),
                      to: dir.appendingPathComponent("sections_k\(k).npy"))
    }
}

import Foundation
import NumericCore
import Numerics

/// `summary.json` of a sample directory written by `nntheory cy sample` (field names as in the file).
public struct SampleSummary: Codable, Sendable {
    /// "dropped": counts of roots not kept, by reason (`DroppedPoints`), and their total.
    public struct Dropped: Codable, Sendable {
        /// Counts by reason (`DroppedPoints`), and the total.
        public var residual = 0, near_singular = 0, non_finite = 0, missing_roots = 0, total = 0
        /// No points dropped.
        public init() {}
        /// The counts of `d`.
        public init(_ d: DroppedPoints) {
            residual = d.residual; near_singular = d.nearSingular; non_finite = d.nonFinite; missing_roots = d.missingRoots; total = d.total
        }
    }
    /// "singular": a point where Q = dQ = 0 (`Variety.findSingularPoint`).
    public struct Singular: Codable, Sendable {
        /// Real and imaginary parts of its patch-normalised coordinates, and the relative residual ‖(Q, Σ_a λ_a ∇Q_a)‖
        /// (`SingularPoint`).
        public var point_re: [Double] = [], point_im: [Double] = [], residual = 0.0
        /// No point yet (empty coordinates, residual 0), to be filled in.
        public init() {}
    }
    /// Variety name; `variety_spec` is what was passed (`Variety.resolve` rebuilds it with `psi` and `ambient`).
    public var variety = "", variety_spec = ""
    /// ψ as [real, imaginary].
    public var psi: [Double] = [0, 0]
    /// Ambient dimensions n_r, degrees q_{ar} per equation, and the sampler's degrees d_r.
    public var ambient: [Int] = [], multidegrees: [[Int]] = [], sampling_degrees: [Int] = []
    /// Complex dimension n, points N, lines drawn, roots per draw, worker threads.
    public var dimension = 0, points = 0, draws = 0, roots_per_draw = 0, threads = 0
    /// c₁ = 0 (Σ_a q_ar = n_r + 1); otherwise Ω, |Ω|² and κ have no global meaning.
    public var calabi_yau: Bool? = nil
    /// The Kähler moduli t of the written FS pullbacks.
    public var kahler: [Double] = []
    /// The sampler's seed.
    public var seed: UInt64 = 0
    /// The roots not kept.
    public var dropped = Dropped()
    /// max|Q| over the points; at t: κ = Vol_K/Vol_CY, Vol_K (Monte Carlo) and the intersection volume Vol_K(t);
    /// Vol_CY = mean(w) and its batch-means error.
    public var max_abs_Q = 0.0, kappa = 0.0, vol_k = 0.0, vol_k_intersection = 0.0, vol_cy = 0.0, vol_cy_error = 0.0
    /// σ of FS at t.
    public var sigma_fs = 0.0
    /// Present only when a singular point was found.
    public var singular: Singular? = nil
    /// Wall times (s): sampling, det g_FS, the whole command.
    public var seconds_sampling = 0.0, seconds_pullbacks = 0.0, seconds_total = 0.0
    /// An empty summary, to be filled in.
    public init() {}
}

extension Variety {
    /// A built-in by name (`builtIn`) or equations as text (`Variety.parse`, with `ambient` dimensions if given).
    public static func resolve(_ spec: String, psi: ComplexDouble = .zero, ambient: [Int]? = nil) throws -> Variety {
        if let b = builtIn(spec, psi: psi) {
            guard ambient == nil else { throw InputError("ambient dimensions are only for a polynomial; \(spec) is a built-in") }
            return b
        }
        guard spec.contains("z") else {
            throw InputError("variety '\(spec)': expected one of \(builtInNames.joined(separator: ", ")) or a polynomial in z0, z1, …")
        }
        return try parse(spec, ambient: ambient, psi: psi)
    }
}

/// Reading a sample directory written by `nntheory cy sample` (points.npy, summary.json; docs/cy.md).
public enum SampleDirectory {
    /// The summary and the sample, recomputed from points.npy on the variety of the summary: patches, dependent
    /// coordinates, |Ω|², weights and det g_FS(1) are deterministic functions of the points, so they equal the
    /// written ones (`PointSampler.evaluate`).
    ///
    /// A directory in cymetric's format (dataset.npz and basis.npz, `CymetricDataset`; e.g. `cy sample --cymetric`'s
    /// `cymetric/` or a cymetric dataset with its basis saved as npz) loads too: its training and validation points
    /// together, the variety rebuilt from basis.npz, the summary's Kähler moduli from its KMODULI.
    public static func load(_ dir: URL, threads: Int? = nil) throws -> (sample: PointSample, summary: SampleSummary, variety: Variety) {
        let url = dir.appendingPathComponent("summary.json")
        if !FileManager.default.fileExists(atPath: url.path), FileManager.default.fileExists(atPath: dir.appendingPathComponent("dataset.npz").path) {
            let c = try CymetricDataset.read(dir, threads: threads)
            let z = c.training.points + c.validation.points
            let s = try PointSampler(variety: c.variety).evaluate(points: z, threads: threads)
            var summary = SampleSummary()
            summary.variety = c.variety.name
            summary.kahler = c.kahler ?? [Double](repeating: 1, count: c.variety.ambient.factorCount)
            summary.ambient = c.variety.ambient.dimensions
            return (s, summary, c.variety)
        }
        guard let data = try? Data(contentsOf: url) else {
            throw InputError("sample: cannot read \(url.path), expected a directory written by `nntheory cy sample`")
        }
        guard let summary = try? JSONDecoder().decode(SampleSummary.self, from: data), summary.psi.count == 2 else {
            throw InputError("sample: \(url.path) is not a cy sample summary")
        }
        let v = try Variety.resolve(summary.variety_spec, psi: ComplexDouble(summary.psi[0], summary.psi[1]),
                                    ambient: Variety.builtIn(summary.variety_spec) == nil ? summary.ambient : nil)
        let arr = try NPY.read(dir.appendingPathComponent("points.npy"))
        guard case let .complex128(a) = arr, a.rank == 2, a.shape[1] == v.coordinateCount else {
            throw InputError("sample: points.npy has shape \(arr.shape), expected complex128 [N, \(v.coordinateCount)]")
        }
        let s = try PointSampler(variety: v).evaluate(points: a.data, seed: summary.seed, threads: threads)
        return (s, summary, v)
    }
}

import NumericCore
import Numerics

/// Counts of sampled roots that were not kept: no root is dropped silently, each is counted under its reason.
public struct DroppedPoints: Sendable, Codable, Equatable {
    /// |Q_a| ≥ `PointSampler.residualTolerance` after Newton polishing.
    public var residual = 0
    /// Too close to the singular locus: |det B| / ∏_a (deg_a Σ|c|) below `PointSampler.singularTolerance`
    /// (hypersurface: the largest |∂Q/∂z_j| relative to the polynomial's scale).
    public var nearSingular = 0
    /// Non-finite coordinates, |Ω|², ρ or weight (e.g. roots at infinity).
    public var nonFinite = 0
    /// Roots lost because the reduced polynomial of a draw dropped degree (leading coefficient ≈ 0).
    public var missingRoots = 0

    /// No points dropped.
    public init() {}
    /// All dropped roots.
    public var total: Int { residual + nearSingular + nonFinite + missingRoots }
    static func + (a: DroppedPoints, b: DroppedPoints) -> DroppedPoints {
        var c = a
        c.residual += b.residual; c.nearSingular += b.nearSingular; c.nonFinite += b.nonFinite; c.missingRoots += b.missingRoots
        return c
    }
}

/// A Shiffman–Zelditch sample of points on a variety with everything cymetric's `prepare_dataset` computes.
///
/// Layout (row-major, N = `count`, D = coordinates, F = factors, K = equations, n = dimension):
/// * `points` [N, D]: homogeneous coordinates, patch-normalised (the largest coordinate of each factor is 1 + 0i);
/// * `patch` [N, F]: index of that coordinate per factor; `dependent` [N, K]: the eliminated coordinates
///   (`Patch`); local coordinates are the remaining n indices in increasing order;
/// * `omegaSquared` [N]: |Ω|² = 1/|det B|²; `rawWeights` [N]: |Ω|²/ρ; `weights` [N]: normalised weights
///   (`IntegrationWeights`): mean(w det g_FS(1)/|Ω|²) = Vol_K(1);
/// * `detFubiniStudy` [N]: det of the pulled-back FS metric at t = 1 (all factors).
/// Points are ordered by draw (line) index, so a sample is a pure function of (variety, seed, count).
public struct PointSample: Sendable {
    /// The variety the points lie on.
    public let variety: Variety
    /// The seed of `PointSampler.sample` (draw i used Philox stream i).
    public let seed: UInt64
    /// N, the number of points.
    public let count: Int
    /// Homogeneous coordinates [N, D], the largest coordinate of each factor = 1.
    public let points: [ComplexDouble]
    /// The coordinate set to 1 per factor, [N, F].
    public let patch: [Int]
    /// The eliminated coordinates, [N, K].
    public let dependent: [Int]
    /// |Ω|² = 1/|det ∂Q_a/∂z_{dep b}|², [N].
    public let omegaSquared: [Double]
    /// Raw weights |Ω|²/ρ (ρ the density of the mixed FS sampling measure), [N].
    public let rawWeights: [Double]
    /// Normalised weights, mean(w det g_FS(1)/|Ω|²) = Vol_K(1), [N] (`IntegrationWeights`).
    public let weights: [Double]
    /// det g_FS of the pulled-back FS metric at t = (1, …, 1), [N].
    public let detFubiniStudy: [Double]
    /// The pulled-back FS metric at `pullbackKahler` [N, n, n], when requested from `PointSampler.sample`.
    public let pullbackFubiniStudy: [ComplexDouble]?
    /// The Kähler moduli of `pullbackFubiniStudy` (nil when it was not requested).
    public let pullbackKahler: [Double]?
    /// Number of lines (linear spaces) drawn to obtain the points.
    public let draws: Int
    /// The roots that were not kept, by reason.
    public let dropped: DroppedPoints
    /// max_i max_a |Q_a(z_i)| over the kept points.
    public let maxResidual: Double
    /// The factor w/w_raw applied to the raw weights.
    public let normalisation: Double

    init(variety: Variety, seed: UInt64, points: [ComplexDouble], patch: [Int], dependent: [Int], omegaSquared: [Double],
         rawWeights: [Double], detFubiniStudy: [Double], draws: Int, dropped: DroppedPoints, maxResidual: Double,
         pullbackFubiniStudy: [ComplexDouble]? = nil, pullbackKahler: [Double]? = nil) {
        self.pullbackFubiniStudy = pullbackFubiniStudy; self.pullbackKahler = pullbackKahler
        self.variety = variety; self.seed = seed; self.count = omegaSquared.count
        self.points = points; self.patch = patch; self.dependent = dependent
        self.omegaSquared = omegaSquared; self.rawWeights = rawWeights; self.detFubiniStudy = detFubiniStudy
        self.draws = draws; self.dropped = dropped; self.maxResidual = maxResidual
        // cymetric: w ← w · V(1)/mean(w det g_FS(1)/|Ω|²)
        var m = 0.0
        for i in 0..<omegaSquared.count { m += rawWeights[i] * detFubiniStudy[i] / omegaSquared[i] }
        m /= Double(max(1, omegaSquared.count))
        let v1 = variety.kahlerVolume([Double](repeating: 1, count: variety.ambient.factorCount))
        normalisation = v1 / m
        weights = rawWeights.map { $0 * v1 / m }
    }

    /// Coordinates of point i (length D).
    public func point(_ i: Int) -> [ComplexDouble] { Array(points[(i * variety.coordinateCount)..<((i + 1) * variety.coordinateCount)]) }

    /// Vol_CY = mean(w).
    public var calabiYauVolume: Double { IntegrationWeights.calabiYauVolume(weights: weights) }

    /// Vol_K = mean(w det g/|Ω|²) for a metric given by its determinants `det` at the points.
    public func kahlerVolume(determinants det: [Double]) -> Double {
        IntegrationWeights.kahlerVolume(weights: weights, omegaSquared: omegaSquared, determinants: det)
    }

    /// det g_FS(t) of the pulled-back Fubini–Study metric with Kähler moduli t at every point: the sampler's own
    /// `detFubiniStudy` when all t_r = 1, else `FubiniStudy.determinants` (computed on `threads` workers).
    public func fubiniStudyDeterminants(kahler t: [Double], threads: Int? = nil) -> [Double] {
        t.allSatisfy({ $0 == 1 }) ? detFubiniStudy : FubiniStudy.determinants(of: self, kahler: t, threads: threads)
    }

    /// Monte Carlo Vol_K of the FS metric with Kähler moduli t (equals the intersection volume: exactly for a
    /// single P^n, to MC precision on products).
    public func kahlerVolumeFubiniStudy(kahler t: [Double]) -> Double {
        kahlerVolume(determinants: fubiniStudyDeterminants(kahler: t))
    }

    /// κ = Vol_K/Vol_CY with Vol_K from the FS metric at t (cymetric `compute_kappa`).
    public func kappa(kahler t: [Double]) -> Double { kahlerVolumeFubiniStudy(kahler: t) / calabiYauVolume }
}

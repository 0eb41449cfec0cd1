import NumericCore

/// A weighted sample prepared for scoring metrics (`MetricScore`): the pullback Jacobians J = ∂z/∂x of all its points
/// (for det g_pb = det(J g Jᵀ̄) of an algebraic metric) and, for the Ricci measure, the Jacobian derivatives ∂J of its
/// first `ricciPoints` points (`AlgebraicMetric.jacobianDerivatives`). Preparing once lets one sample score many metrics
/// (`DonaldsonScan` scores every k on the same evaluation sample).
public struct ScoringSample: Sendable {
    /// The sample (points, weights w, |Ω|²).
    public let sample: PointSample
    /// Pullback Jacobians, row-major [N, n, D].
    public let jacobians: [ComplexDouble]
    /// The number of leading points the Ricci measure is taken on: min(requested, N).
    public let ricciPoints: Int
    /// ∂J of the first `ricciPoints` points, [m, n, n, D].
    let ricciJacobianDerivatives: [ComplexDouble]
    /// Worker threads for the Jacobians and finite differences (nil: all cores; results do not depend on it).
    let threads: Int?
    /// The ranks that share the points of an algebraic metric's det g_pb and R (one process by default): rank r
    /// evaluates its share in whole blocks of `AlgebraicMetric.pointBlockSize`, the values are exchanged in point order,
    /// so every rank holds the same bits for every K. (FS determinants, finite-difference Ricci scalars and neural
    /// metrics are evaluated on every rank.)
    public var group: any ProcessGroup = ProcessGroups.current

    /// Prepares `sample`, with the Ricci measure on its first min(`ricciPoints`, N) points (0: none).
    /// - Throws: `InputError` when `ricciPoints` is negative.
    public init(sample: PointSample, ricciPoints: Int, threads: Int? = nil) throws {
        guard ricciPoints >= 0 else { throw InputError("Ricci points: \(ricciPoints), expected ≥ 0") }
        self.sample = sample
        self.threads = threads
        jacobians = PullbackJacobian.jacobians(of: sample, threads: threads)
        let m = min(ricciPoints, sample.count)
        self.ricciPoints = m
        let v = sample.variety
        ricciJacobianDerivatives = m > 0
            ? AlgebraicMetric.jacobianDerivatives(variety: v, points: Array(sample.points.prefix(m * v.coordinateCount)),
                                                  jacobians: Array(jacobians.prefix(m * v.dimension * v.coordinateCount)),
                                                  dependent: Array(sample.dependent.prefix(m * v.equationCount)))
            : []
    }

    /// The scores of a metric given by det g at every point, with Ricci scalars at the first `ricciPoints` points.
    public func score(determinants det: [Double], ricci: (scalars: [Double], route: RicciRoute)? = nil) -> MetricScore {
        MetricScore(weights: sample.weights, omegaSquared: sample.omegaSquared, determinants: det,
                    dimension: sample.variety.dimension, ricci: ricci)
    }

    /// σ, Vol_K and the analytic Ricci measure of an algebraic metric (det g_pb at every point, R on the first
    /// `ricciPoints`).
    public func score(_ metric: AlgebraicMetric) throws -> MetricScore {
        score(determinants: try determinants(metric), ricci: try ricciScalars(metric).map { ($0, .analytic) })
    }

    /// det g_pb of an algebraic metric at every point.
    public func determinants(_ metric: AlgebraicMetric) throws -> [Double] {
        let v = sample.variety, n = v.dimension, d = v.coordinateCount
        guard group.size > 1 else { return try metric.pullbackDeterminants(points: sample.points, jacobians: jacobians, dimension: n) }
        let mine = group.share(of: sample.count, quantum: metric.pointBlockSize(pointCount: sample.count, order: .first))
        let det = try metric.pullbackDeterminants(points: Array(sample.points[(mine.lowerBound * d)..<(mine.upperBound * d)]),
                                                  jacobians: Array(jacobians[(mine.lowerBound * n * d)..<(mine.upperBound * n * d)]),
                                                  dimension: n)
        return group.allGather(doubles: det)
    }

    /// The analytic Ricci scalars R of an algebraic metric at the first `ricciPoints` points (nil when there are none).
    public func ricciScalars(_ metric: AlgebraicMetric) throws -> [Double]? {
        guard ricciPoints > 0 else { return nil }
        let (points, jac) = ricciPrefix
        let v = sample.variety, n = v.dimension, d = v.coordinateCount
        guard group.size > 1 else {
            return try metric.ricciScalars(points: points, jacobians: jac, jacobianDerivatives: ricciJacobianDerivatives, dimension: n)
        }
        let mine = group.share(of: ricciPoints, quantum: metric.pointBlockSize(pointCount: ricciPoints, order: .second))
        let r = try metric.ricciScalars(points: Array(points[(mine.lowerBound * d)..<(mine.upperBound * d)]),
                                        jacobians: Array(jac[(mine.lowerBound * n * d)..<(mine.upperBound * n * d)]),
                                        jacobianDerivatives: Array(ricciJacobianDerivatives[(mine.lowerBound * n * n * d)..<(mine.upperBound * n * n * d)]),
                                        dimension: n)
        return group.allGather(doubles: r)
    }

    /// The Ricci measure of an algebraic metric on the first `ricciPoints` points alone, its det g_pb computed on those
    /// points only (nil when there are none). It can differ from `score(_:)`'s in the last bits: BLAS blocks the
    /// determinants of a prefix differently from those of the whole sample.
    public func ricciMeasure(_ metric: AlgebraicMetric) throws -> Double? {
        guard let r = try ricciScalars(metric) else { return nil }
        let (points, jac) = ricciPrefix
        let n = sample.variety.dimension, m = ricciPoints
        let det = try metric.pullbackDeterminants(points: points, jacobians: jac, dimension: n)
        return RicciMeasure.measure(weights: Array(sample.weights.prefix(m)), omegaSquared: Array(sample.omegaSquared.prefix(m)),
                                    determinants: det, ricci: r, dimension: n)
    }

    /// The scores of the pulled-back Fubini–Study metric with Kähler moduli t (det g_FS from `FubiniStudy.determinants`).
    /// The Ricci scalars: with `route` .analytic and all t_r equal, analytically — FS at t is t × the algebraic FS metric
    /// of the multi-degree-(1, …, 1) monomials with h = I (`AlgebraicMetric.fubiniStudy`), and R scales as 1/t; otherwise
    /// (unequal moduli, or `route` .finiteDifferences) by finite differences of the FS metric (`RicciMeasure`).
    public func scoreFubiniStudy(kahler t: [Double], route: RicciRoute = .analytic) throws -> MetricScore {
        let v = sample.variety
        guard t.count == v.ambient.factorCount, t.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw InputError("Kähler moduli \(t): expected \(v.ambient.factorCount) positive numbers (one per factor of \(v.ambient))")
        }
        let det = FubiniStudy.determinants(of: sample, kahler: t, threads: threads)
        guard ricciPoints > 0 else { return score(determinants: det) }
        if ScoringSample.fubiniStudyRicciRoute(kahler: t, preferred: route) == .analytic {
            let unit = try AlgebraicMetric.fubiniStudy(factorSizes: v.ambient.dimensions.map { $0 + 1 },
                                                       kahler: [Int](repeating: 1, count: v.ambient.factorCount))
            let r = try ricciScalars(unit)!.map { $0 / t[0] }
            return score(determinants: det, ricci: (r, .analytic))
        }
        let r = RicciMeasure.ricciScalars(sample, metric: RicciMeasure.fubiniStudyMetric(variety: v, kahler: t),
                                          count: ricciPoints, threads: threads)
        return score(determinants: det, ricci: (r, .finiteDifferences))
    }

    /// The route `scoreFubiniStudy` takes for the Ricci scalars of FS at t: analytic only when `preferred` is and all
    /// t_r are equal.
    public static func fubiniStudyRicciRoute(kahler t: [Double], preferred: RicciRoute) -> RicciRoute {
        preferred == .analytic && t.allSatisfy({ $0 == t.first }) ? .analytic : .finiteDifferences
    }

    /// Points and Jacobians of the first `ricciPoints` points.
    var ricciPrefix: (points: [ComplexDouble], jacobians: [ComplexDouble]) {
        let v = sample.variety, m = ricciPoints
        return (Array(sample.points.prefix(m * v.coordinateCount)), Array(jacobians.prefix(m * v.dimension * v.coordinateCount)))
    }
}

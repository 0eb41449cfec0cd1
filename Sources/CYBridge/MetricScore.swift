import NumericCore

/// How the Ricci scalars behind a Ricci measure were computed (the text is what `nntheory cy sigma` reports as
/// "ricci_method").
public enum RicciRoute: String, Sendable, Codable {
    /// Exact derivatives of an algebraic metric (`AlgebraicMetric.ricciScalars`).
    case analytic
    /// Richardson-extrapolated central differences in the local chart (`RicciMeasure.ricciScalars`).
    case finiteDifferences = "finite differences"
}

/// The accuracy scores of one metric g on one weighted sample (cymetric's conventions, arXiv 2205.13408; σ is the
/// accuracy measure of Douglas–Karp–Lukic–Reinbacher, arXiv hep-th/0612075):
///
///   σ = (1/(N Vol_CY)) Σ_i w_i |1 − det g_i/|Ω_i|² · Vol_CY/Vol_K|   (`SigmaMeasure.sigma`), with its jackknife error,
///   Vol_K = mean(w det g/|Ω|²) with its standard error, Vol_CY = mean(w), κ = Vol_K/Vol_CY,
///   ‖R‖ = Vol_K^{1/n}/Vol_CY · mean(w det g/|Ω|² |R|) over a prefix of the points (`RicciMeasure.measure`),
///
/// R = −g^{ab̄}∂_a∂̄_b log det g the standard-sign Ricci scalar (cymetric's is −R).
public struct MetricScore: Sendable, Equatable {
    /// σ.
    public let sigma: Double
    /// Jackknife standard error of σ over 20 contiguous blocks (`SigmaMeasure.jackknifeError`).
    public let sigmaError: Double
    /// Vol_K = mean(w det g/|Ω|²).
    public let volK: Double
    /// Standard error of Vol_K (sample standard deviation of w det g/|Ω|² over √N).
    public let volKError: Double
    /// Vol_CY = mean(w).
    public let volCY: Double
    /// ‖R‖ on the first `ricciPoints` points; nil when no Ricci scalars were computed.
    public let ricciMeasure: Double?
    /// The points the Ricci measure was taken on (0 when it was not).
    public let ricciPoints: Int
    /// How the Ricci scalars were computed; nil when they were not.
    public let ricciRoute: RicciRoute?

    /// κ = Vol_K/Vol_CY.
    public var kappa: Double { volK / volCY }

    /// The scores from weights w, |Ω|² and det g at the same N points, with Ricci scalars R at their first
    /// `ricci.scalars.count` points (nil: no Ricci measure).
    public init(weights w: [Double], omegaSquared o: [Double], determinants det: [Double], dimension n: Int,
                ricci: (scalars: [Double], route: RicciRoute)? = nil) {
        sigma = SigmaMeasure.sigma(weights: w, omegaSquared: o, determinants: det)
        sigmaError = SigmaMeasure.jackknifeError(weights: w, omegaSquared: o, determinants: det)
        let x = (0..<w.count).map { w[$0] * det[$0] / o[$0] }
        volK = x.reduce(0, +) / Double(x.count)
        volKError = IntegrationWeights.standardError(x)
        volCY = IntegrationWeights.calabiYauVolume(weights: w)
        if let (r, route) = ricci, !r.isEmpty {
            let m = r.count
            ricciMeasure = RicciMeasure.measure(weights: Array(w.prefix(m)), omegaSquared: Array(o.prefix(m)),
                                                determinants: Array(det.prefix(m)), ricci: r, dimension: n)
            ricciPoints = m
            ricciRoute = route
        } else {
            ricciMeasure = nil
            ricciPoints = 0
            ricciRoute = nil
        }
    }
}

import NumericCore

/// The σ (Monge–Ampère accuracy) measure of Douglas–Karp–Lukic–Reinbacher (arXiv hep-th/0612075), computed as in
/// cymetric (arXiv 2205.13408), its Donaldson code, cyjax (arXiv 2211.12520) and MLGeometry (arXiv 2012.04797):
///   σ = (1/(N·Vol_CY)) Σ_i w_i |1 − (det g_i/|Ω_i|²) · Vol_CY/Vol_K|,
/// Vol_CY = mean(w), Vol_K = mean(w det g/|Ω|²) recomputed from the metric under test (so σ does not depend on
/// the overall scale of g). σ = 0 iff det g = κ|Ω|² (Ricci-flat) on the sample.
public enum SigmaMeasure {
    /// σ from weights, |Ω|² and det g at the same points.
    public static func sigma(weights w: [Double], omegaSquared o: [Double], determinants det: [Double]) -> Double {
        precondition(w.count == o.count && w.count == det.count && !w.isEmpty, "sigma: arrays of different lengths")
        let volCY = IntegrationWeights.calabiYauVolume(weights: w)
        let volK = IntegrationWeights.kahlerVolume(weights: w, omegaSquared: o, determinants: det)
        var s = 0.0
        for i in 0..<w.count { s += w[i] * abs(1 - det[i] / o[i] * volCY / volK) }
        return s / (Double(w.count) * volCY)
    }

    /// σ of a metric given by its determinants at the sample's points.
    public static func sigma(_ sample: PointSample, determinants det: [Double]) -> Double {
        sigma(weights: sample.weights, omegaSquared: sample.omegaSquared, determinants: det)
    }

    /// σ of the pulled-back Fubini–Study metric with Kähler moduli t.
    public static func fubiniStudy(_ sample: PointSample, kahler t: [Double]? = nil) -> Double {
        let tt = t ?? [Double](repeating: 1, count: sample.variety.ambient.factorCount)
        return sigma(sample, determinants: sample.fubiniStudyDeterminants(kahler: tt))
    }

    /// Jackknife standard error of σ over `blocks` contiguous blocks (the MC error bar of σ).
    public static func jackknifeError(weights w: [Double], omegaSquared o: [Double], determinants det: [Double], blocks: Int = 20) -> Double {
        let n = w.count, b = max(2, min(blocks, n))
        var vals: [Double] = []
        for k in 0..<b {
            let lo = k * n / b, hi = (k + 1) * n / b
            let idx = Array(0..<lo) + Array(hi..<n)
            vals.append(sigma(weights: idx.map { w[$0] }, omegaSquared: idx.map { o[$0] }, determinants: idx.map { det[$0] }))
        }
        let m = vals.reduce(0, +) / Double(b)
        let v = vals.reduce(0) { $0 + ($1 - m) * ($1 - m) } * Double(b - 1) / Double(b)
        return v.squareRoot()
    }
}

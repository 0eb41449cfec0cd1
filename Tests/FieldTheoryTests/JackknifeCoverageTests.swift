import Ensembles
import Foundation
import Testing
@testable import FieldTheory
@testable import NumericCore
import TestSupport

/// Coverage of WeightedCorrelators' delete-one-block jackknife errors. R independent replicates (disjoint network
/// ranges of one seed) of M cos-nets (d = 1, m = 1, Λ = 5, N = 4) at x = 0, 1, each analysed with 16 jackknife
/// blocks. If the jackknife errors are calibrated, E[err²] = Var(est): the ratio mean(err²)/var(est) is 1 up to the
/// sampling error of var(est) (relative standard deviation √((μ₄/σ⁴ − (R − 3)/(R − 1))/R), which is √(2/(R − 1))
/// for a Gaussian estimator; the sample kurtosis is used — G₄c's estimator is heavy-tailed at N = 4, measured
/// kurtosis ≈ 18) and of mean(err²) (relative √(var(err²)/R)/mean(err²)); assert within 4 of their combined
/// standard deviations, for G₂(0, 1) and G₄c(0, 0, 1, 1).
@Suite struct JackknifeCoverageTests {
    static let R = 2000, M = 400
    static let points = Matrix(rows: 2, cols: 1, data: [0, 1])

    static func checkCoverage(_ estimates: [(g2: (value: Double, error: Double), g4: (value: Double, error: Double))], label: String) {
        let R = Double(estimates.count)
        for (name, pairs) in [("G2(0,1)", estimates.map { $0.g2 }), ("G4c(0,0,1,1)", estimates.map { $0.g4 })] {
            let est = pairs.map { $0.value }, err = pairs.map { $0.error * $0.error }
            let m = sampleMean(est), v = sampleVariance(est)
            let kurtosis = est.reduce(0) { $0 + pow($1 - m, 4) } / R / (v * v)
            let relVarOfVar = (kurtosis - (R - 3) / (R - 1)) / R
            let ratio = sampleMean(err) / v
            let sigma = (relVarOfVar + sampleVariance(err) / (R * sampleMean(err) * sampleMean(err))).squareRoot()
            #expect(abs(ratio - 1) < 4 * sigma, "\(label) \(name): mean(err²)/var(est) = \(ratio), σ = \(sigma), kurtosis \(kurtosis)")
        }
    }

    /// Unit weights (free cos-net samples).
    @Test func jackknifeErrorsMatchReplicateSpread() throws {
        let e = try FreeFieldExperiment(dimension: 1, mass: 1, cutoff: 5, width: 4, sampling: .ball, points: Self.points)
        let estimates = (0..<Self.R).map { r in
            let c = WeightedCorrelators(fields: e.sampleFields(networks: (r * Self.M)..<((r + 1) * Self.M), seed: 17),
                                        pointCount: 2, blocks: 16)
            return (c.twoPoint(0, 1), c.connectedFourPoint(0, 0, 1, 1))
        }
        Self.checkCoverage(estimates, label: "free")
    }

    /// Importance weights w = e^{−(λ/24)∫_Vφ⁴} at λ = 1 on the box [−1, 1] (the ratio estimator's weight
    /// fluctuations must be carried by the jackknife too).
    @Test func reweightedJackknifeErrorsMatchReplicateSpread() throws {
        let theory = try Phi4Theory(ensemble: CosNetEnsemble(width: 4, dimension: 1, mass: 1, cutoff: 5), box: Box(side: 2, dimension: 1))
        let rw = ImportanceReweighting(theory: theory)
        let estimates = (0..<Self.R).map { r in
            let c = ImportanceReweighting.estimate(rw.sample(points: Self.points, networks: (r * Self.M)..<((r + 1) * Self.M), seed: 19),
                                                   coupling: 1, blocks: 16)
            return (c.twoPoint(0, 1), c.connectedFourPoint(0, 0, 1, 1))
        }
        Self.checkCoverage(estimates, label: "λ = 1")
    }
}

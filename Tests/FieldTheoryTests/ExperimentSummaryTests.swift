import Ensembles
import Foundation
import Testing
@testable import FieldTheory
@testable import NumericCore

/// The summary numbers the field-theory commands print and write, each against a route of its own.
@Suite struct ExperimentSummaryTests {
    /// The largest pulls |MC − exact|/σ of `maxTwoPointPull` / `maxConnectedFourPointPull` against a loop over the
    /// entries through `twoPoint` / `connectedFourPoint`; no four-point pull when the tensors were not computed.
    @Test func maxPullsAgainstEntryLoops() throws {
        let x = Matrix(rows: 3, cols: 1, data: [0, 0.4, 1.1])
        let e = try FreeFieldExperiment(dimension: 1, mass: 1, cutoff: 5, width: 4, sampling: .ball, points: x)
        let c = try e.measure(networks: 400, seed: 2, blocks: 8)
        let g2 = e.exactTwoPoint(), g4 = e.exactConnectedFourPoint()
        var p2 = 0.0, p4 = 0.0
        for i in 0..<3 { for j in 0..<3 {
            let (v, s) = c.twoPoint(i, j)
            p2 = max(p2, abs(v - e.exact.propagator(abs(x[i, 0] - x[j, 0]))) / s)
            for k in 0..<3 { for l in 0..<3 {
                let (v4, s4) = c.connectedFourPoint(i, j, k, l)
                let exact = e.exact.connectedFourPointTimesWidth([[x[i, 0]], [x[j, 0]], [x[k, 0]], [x[l, 0]]]) / 4
                p4 = max(p4, abs(v4 - exact) / s4)
            } }
        } }
        #expect(p2 > 0 && p4 > 0)
        #expect(abs(c.maxTwoPointPull(from: g2)! - p2) <= 1e-9 * p2)
        #expect(abs(c.maxConnectedFourPointPull(from: g4)! - p4) <= 1e-9 * p4)
        let twoPointOnly = WeightedCorrelators(fields: e.sampleFields(networks: 0..<64, seed: 2), pointCount: 3, blocks: 8, fourPoint: false)
        #expect(twoPointOnly.maxConnectedFourPointPull(from: g4) == nil)
    }

    /// `tadpoleTwoPoint(coupling:)` is G_Λ(x − y) plus the O(λ) tadpole of `LeadingOrderPhi4.tadpole` at that λ,
    /// entry by entry, and G_Λ itself at λ = 0.
    @Test func tadpoleTwoPointAgainstLeadingOrder() throws {
        let s = Phi4Experiment.Settings(dimension: 1, mass: 1, cutoff: 4, box: try Box(side: 2, dimension: 1), couplings: [0.5],
                                        widths: [10], sampler: .reweight, networks: 0)
        let pts = [0.0, 0.3, -0.6]
        let r = try Phi4Experiment(settings: s, points: Matrix(rows: 3, cols: 1, data: pts)).run()
        let exact = try FreeScalarExact(dimension: 1, mass: 1, cutoff: 4, sampling: .ball)
        let lo = LeadingOrderPhi4(exact, maxDistance: 3)
        for λ in [0.0, 0.5, 2.0] {
            let t = r.tadpoleTwoPoint(coupling: λ)
            #expect(t.shape == [3, 3])
            for i in 0..<3 { for j in 0..<3 {
                let expected = exact.propagator(abs(pts[i] - pts[j])) + lo.tadpole([pts[i]], [pts[j]], coupling: λ)
                #expect(abs(t.data[i * 3 + j] - expected) <= 1e-12 * max(1, abs(expected)), "λ = \(λ), (\(i), \(j))")
            } }
        }
    }
}

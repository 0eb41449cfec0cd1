import CYBridge
import Foundation
@testable import MetricFlow
import NumericCore
import Numerics
import Testing
import TestSupport
import Training

/// `flow cy`'s arms against identities: the centred model starts at Fubini–Study exactly, the linearised arm's
/// jets are the network's first-order change, its first gradient is the full arm's, the alignment measure on known
/// vectors, and the NTK drift falls with width.
@Suite struct CYFlowTests {
    static func experiment(widths: [Int] = [16], steps: Int = 2, seed: UInt64 = 0) throws -> CYFlowExperiment {
        var c = CYFlowConfig()
        c.seed = seed
        c.widths = widths; c.points = 60; c.validationPoints = 200; c.steps = steps; c.recordEvery = 1
        c.probePoints = 8; c.scorePoints = 0; c.krfDegrees = []; c.rate = 0.2
        return try CYFlowExperiment(config: c)
    }

    /// Centring: at θ₀ every width's metric is Fubini–Study (det g to 1e-12), so every arm starts at σ_FS.
    @Test func centredModelStartsAtFubiniStudy() throws {
        let x = try Self.experiment()
        for w in [8, 64] {
            let m = try x.model(width: w)
            let det = m.determinants(x.validation)
            let fs = x.validation.sample.fubiniStudyDeterminants(kahler: [1])
            for i in 0..<det.count { #expect(abs(det[i] - fs[i]) <= 1e-12 * fs[i]) }
        }
    }

    /// J₀δ by the central difference in θ against the network's own change f(θ₀ + sδ) − f(θ₀) for s = 1e-6: equal to
    /// O(s) relative (the change's second-order term), measured against 1e-5.
    @Test func linearJetsAreTheFirstOrderChange() throws {
        let x = try Self.experiment()
        let m = try x.model(width: 16)
        var rng = RandomStream(seed: 2, stream: 0)
        let d = (0..<m.network.parameterCount).map { _ in rng.normal() }
        let idx = Array(0..<10)
        let lin = CYFlowExperiment.linearJets(m, direction: d, x.flow, indices: idx, order: 2)
        let s = 1e-6
        var moved = m
        moved.network.parameters = zip(m.network.parameters, d).map { $0 + s * $1 }
        let input = m.networkInputs(x.flow, indices: idx, order: 2)
        let change = moved.forward(input, keepTape: false).output.map { $0 / s }
        let scale = change.reduce(0) { max($0, abs($1)) }
        for k in 0..<lin.count { #expect(abs(lin[k] - change[k]) <= 1e-5 * scale, "jet entry \(k): \(lin[k]) vs \(change[k])") }
    }

    /// At θ₀ the linearised model is the network: the full and linearised arms have the same loss and the same
    /// gradient there (so the same velocity φ̇ and its alignment with F, to the central difference's 1e-8), and after
    /// one step they differ only by the network's second-order term; the last-layer arm moves only the readout. The
    /// records start at σ_FS with no drift.
    @Test func armsAgreeAtTheStart() throws {
        let x = try Self.experiment(steps: 1)
        let full = try x.run(arm: .full, width: 16), lin = try x.run(arm: .linearized, width: 16), last = try x.run(arm: .lastLayer, width: 16)
        let v = x.validation.sample
        let fs = SigmaMeasure.sigma(weights: v.weights, omegaSquared: v.omegaSquared, determinants: v.fubiniStudyDeterminants(kahler: [1]))
        for r in [full, lin, last] { #expect(abs(r.sigma[0] - fs) <= 1e-12) ; #expect(r.drift[0] == 0) }
        #expect(abs(full.loss[0] - lin.loss[0]) <= 1e-14 * full.loss[0])
        #expect(abs(full.krfCosine[0] - lin.krfCosine[0]) <= 1e-8 && abs(full.krfSpeed[0] - lin.krfSpeed[0]) <= 1e-8 * abs(full.krfSpeed[0]))
        #expect(abs(full.sigma[1] - lin.sigma[1]) < 0.1 * abs(full.sigma[1] - full.sigma[0]), "second-order gap \(full.sigma[1] - lin.sigma[1]) against the first-order change \(full.sigma[1] - full.sigma[0])")
        #expect(full.sigma[1] != last.sigma[1])
    }

    /// The alignment of b with itself is (1, 1), of 3b + const with b is (1, 3), of −b is (−1, −1), in any weights.
    @Test func alignmentOnKnownVectors() {
        var rng = RandomStream(seed: 4, stream: 0)
        let b = (0..<50).map { _ in rng.normal() }, w = (0..<50).map { _ in 0.5 + rng.uniform() }
        let a1 = CYFlowExperiment.alignment(b, b, weights: w)
        let a3 = CYFlowExperiment.alignment(b.map { 3 * $0 + 7 }, b, weights: w)
        let am = CYFlowExperiment.alignment(b.map { -$0 }, b, weights: w)
        #expect(abs(a1.cosine - 1) <= 1e-14 && abs(a1.speed - 1) <= 1e-14)
        #expect(abs(a3.cosine - 1) <= 1e-14 && abs(a3.speed - 3) <= 1e-13)
        #expect(abs(am.cosine + 1) <= 1e-14 && abs(am.speed + 1) <= 1e-14)
    }

    /// Lazy training: the relative drift of the NTK after the same flow time falls with width — at least as 1/√w
    /// (the bound of the NTK limit; for one hidden layer the cancellations of the random readout signs make it 1/w,
    /// Dyer–Gur-Ari, arXiv 1909.11304): from width 16 to 256 the N^{-1/2} law predicts a fall by 4 and the 1/N law
    /// by 16; the mean drifts over 4 seeds (sample points and initialisation) must fall by more than the log-midpoint 8.
    @Test func driftFallsWithWidth() throws {
        var d16 = 0.0, d256 = 0.0
        for seed: UInt64 in 0..<4 {
            let x = try Self.experiment(widths: [16, 256], steps: 3, seed: seed)
            let a = try x.run(arm: .full, width: 16).drift.last!, b = try x.run(arm: .full, width: 256).drift.last!
            #expect(a > 0 && b > 0)
            print("CY drift seed \(seed): \(a) at 16, \(b) at 256, ratio \(a / b)")
            d16 += a / 4; d256 += b / 4
        }
        #expect(d16 / d256 > 8, "mean drift \(d16) at width 16, \(d256) at 256")
    }
}

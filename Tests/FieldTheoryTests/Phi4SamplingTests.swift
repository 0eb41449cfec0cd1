import Ensembles
import Foundation
import Testing
@testable import FieldTheory
@testable import NumericCore
import TestSupport

@Suite struct Phi4SamplingTests {
    static func theory(d: Int = 1, width: Int, cutoff: Double = 6, box: Double = 3, sampling: MomentumSampling = .ball) throws -> Phi4Theory {
        try Phi4Theory(ensemble: CosNetEnsemble(width: width, dimension: d, mass: 1, cutoff: cutoff, sampling: sampling),
                       box: Box(side: box, dimension: d))
    }

    /// The grid integral of φ⁴ is exact: against the analytic sinc sum for a small net.
    @Test func interactionGridIsExact() throws {
        let t = try Self.theory(d: 2, width: 6, cutoff: 5, box: 2)
        var rng = RandomStream(seed: 3, stream: 0)
        let modes = t.ensemble.network.modes(t.ensemble.density.sample(using: &rng))
        let grid = t.grid.field(modes).withUnsafeBufferPointer { t.grid.fourthPowerIntegral($0) }
        let exact = QuarticAction.analyticIntegral(modes, box: t.box)
        #expect(abs(grid - exact) < 1e-11 * exact)
    }

    /// HMC's ∂U/∂q against central differences of U (both samplings, d = 1 and 2).
    @Test(arguments: [(1, MomentumSampling.ball), (2, .ball), (2, .propagator)])
    func hamiltonianGradientMatchesFiniteDifferences(d: Int, sampling: MomentumSampling) throws {
        let t = try Self.theory(d: d, width: 5, cutoff: 4, box: 2, sampling: sampling)
        let hmc = try HamiltonianSampler(theory: t, coupling: 2.5)
        var rng = RandomStream(seed: 11, stream: 0)
        let θ = t.ensemble.density.sample(using: &rng)
        let q = θ.a + θ.b.data + θ.c
        var phi = [Double](repeating: 0, count: t.grid.nodeCount)
        var g = [Double](repeating: 0, count: q.count)
        _ = g.withUnsafeMutableBufferPointer { hmc.potential(q, gradient: $0, phi: &phi) }
        let U = hmc.potential(q, gradient: nil, phi: &phi).U
        for k in q.indices {
            let step = 1e-5 * max(1, abs(q[k]))
            func shifted(_ h: Double) -> Double {
                var qh = q
                qh[k] += h
                return hmc.potential(qh, gradient: nil, phi: &phi).U
            }
            let fd = centralDifference(step: step, shifted)
            let fd4 = fourthOrderCentralDifference(step: step, shifted)
            // Richardson: the central difference's truncation error h²/6·U‴ is estimated by fd − fd4 (fd4's own is
            // O(h⁴)); round-off: U is a sum of ~n = nodeCount + |q| terms, each rounded to ε relative, divided by 2h.
            let n = Double(t.grid.nodeCount + q.count)
            let tol = 2 * abs(fd - fd4) + n * Double.ulpOfOne * abs(U) / step
            #expect(abs(fd - g[k]) < tol, "component \(k): \(g[k]) vs \(fd), tol \(tol)")
        }
    }

    /// At λ = 0 both chains sample the free ensemble: G₂ against the exact G_Λ within 4 jackknife σ (which carry
    /// τ_int). HMC runs in d = 2, where b reflects off the disc |b| = Λ and c wraps.
    @Test(arguments: ["metropolis", "hmc"]) func chainsAtZeroCouplingReproduceTheFreePropagator(sampler: String) throws {
        let d = sampler == "hmc" ? 2 : 1
        let t = try Self.theory(d: d, width: 8, cutoff: 3, box: 1)
        let points = d == 2 ? Matrix(rows: 3, cols: 2, data: [0, 0, 0.4, 0, 0.3, 0.5]) : Matrix(rows: 3, cols: 1, data: [0, 0.4, 0.9])
        let record: MarkovChainRecord
        if sampler == "metropolis" {
            record = try MetropolisSampler(theory: t, coupling: 0).run(points: points, sweeps: 3000, thermalization: 20, seed: 5)
        } else {
            record = try HamiltonianSampler(theory: t, coupling: 0, stepSize: 0.3, steps: 6).run(points: points, trajectories: 1200, thermalization: 20, seed: 5)
            #expect(record.acceptance > 0.9)   // λ = 0: only the leapfrog error of the Gaussian a-sector
        }
        let c = record.correlators()
        let exact = try FreeScalarExact(dimension: d, mass: 1, cutoff: 3)
        for i in 0..<3 { for j in 0..<3 {
            var r2 = 0.0
            for k in 0..<d { r2 += pow(points[i, k] - points[j, k], 2) }
            let (v, e) = c.twoPoint(i, j)
            #expect(abs(v - exact.propagator(r2.squareRoot())) < 4 * e, "\(sampler) G2(\(i),\(j)) = \(v) ± \(e) vs \(exact.propagator(r2.squareRoot()))")
        } }
    }

    /// Reweighting, Metropolis and HMC sample the same deformed density: ⟨∫φ⁴⟩_λ and G₂(x, x) agree within
    /// 4 combined σ at λ where the effective sample size is large (d = 1).
    @Test func reweightingAgreesWithMarkovChains() throws {
        let t = try Self.theory(width: 10, cutoff: 6, box: 3)
        let λ = 1.0
        let points = Matrix(rows: 2, cols: 1, data: [0, 0.7])
        let rw = ImportanceReweighting(theory: t)
        let free = rw.sample(points: points, networks: 0..<40_000, seed: 2)
        let w = free.interactions.map { exp(-λ / 24 * $0) }
        let sw = w.reduce(0, +)
        let meanI = zip(w, free.interactions).reduce(0) { $0 + $1.0 * $1.1 } / sw
        // Ratio-estimator error of ⟨I⟩ by the delta method.
        let varI = zip(w, free.interactions).reduce(0) { $0 + $1.0 * $1.0 * ($1.1 - meanI) * ($1.1 - meanI) } / (sw * sw)
        let rwCorr = ImportanceReweighting.estimate(free, coupling: λ)
        #expect(rwCorr.effectiveSampleSize > 0.5 * Double(free.count))
        let metro = try MetropolisSampler(theory: t, coupling: λ).run(points: points, sweeps: 6000, thermalization: 50, seed: 9)
        let hmc = try HamiltonianSampler(theory: t, coupling: λ, stepSize: 0.2, steps: 10).run(points: points, trajectories: 4000, thermalization: 50, seed: 9)
        for (name, rec) in [("metropolis", metro), ("hmc", hmc)] {
            let n = Double(rec.count)
            let m = sampleMean(rec.interactions), v = sampleVariance(rec.interactions)
            let err = (2 * rec.tauInteraction.tau * v / n).squareRoot()
            #expect(abs(m - meanI) < 4 * (err * err + varI).squareRoot(), "\(name): ⟨I⟩ = \(m) ± \(err) vs reweighting \(meanI) ± \(varI.squareRoot())")
            let c = rec.correlators()
            for i in 0..<2 {
                let (a, ea) = c.twoPoint(i, i), (b, eb) = rwCorr.twoPoint(i, i)
                #expect(abs(a - b) < 4 * (ea * ea + eb * eb).squareRoot(), "\(name) G2(\(i),\(i)) = \(a) ± \(ea) vs \(b) ± \(eb)")
            }
            #expect(rec.acceptance > 0.3 && rec.acceptance <= 1)
        }
        // The coupling lowers ⟨∫φ⁴⟩ below its free value 3G_Λ(0)²·|V| (to first order by (λ/24)Var I > 0).
        let exact = try FreeScalarExact(dimension: 1, mass: 1, cutoff: 6)
        let freeMean = sampleMean(free.interactions)
        #expect(meanI < freeMean)
        #expect(abs(freeMean - 3 * pow(exact.propagatorAtZero, 2) * 3 - freeMeanFiniteWidthCorrection(t, exact)) < 5 * sqrt(sampleVariance(free.interactions) / Double(free.count)))
    }

    /// E_free[∫_V φ⁴] = ∫_V G₄(x,x,x,x) = |V|(3G_Λ(0)² + G_c⁽⁴⁾(x,x,x,x)) with the exact 1/N term.
    func freeMeanFiniteWidthCorrection(_ t: Phi4Theory, _ exact: FreeScalarExact) -> Double {
        t.box.volume * exact.connectedFourPointTimesWidth([[0], [0], [0], [0]]) / Double(t.width)
    }

    /// The integrated autocorrelation time of an AR(1) series x_t = ρx_{t−1} + ε_t is (1 + ρ)/(2(1 − ρ)).
    @Test func autocorrelationTimeOfAnAR1Series() {
        var rng = RandomStream(seed: 4, stream: 0)
        let ρ = 0.8, n = 200_000
        var x = [Double](repeating: 0, count: n)
        for t in 1..<n { x[t] = ρ * x[t - 1] + rng.normal() }
        let tau = IntegratedAutocorrelation(x)
        let exact = (1 + ρ) / (2 * (1 - ρ))
        #expect(abs(tau.tau - exact) < 4 * tau.tauError, "\(tau.tau) ± \(tau.tauError) vs \(exact)")
    }

    /// At λ = 0 the weights are equal (ESS = M) and the estimator is the plain sample mean; ESS falls as λ grows.
    @Test func effectiveSampleSize() throws {
        let t = try Self.theory(width: 6, cutoff: 6, box: 3)
        let s = ImportanceReweighting(theory: t).sample(points: Matrix(rows: 1, cols: 1, data: [0]), networks: 0..<2000, seed: 1)
        let e0 = ImportanceReweighting.estimate(s, coupling: 0).effectiveSampleSize
        #expect(abs(e0 - 2000) < 1e-9)
        let e1 = ImportanceReweighting.estimate(s, coupling: 1).effectiveSampleSize, e5 = ImportanceReweighting.estimate(s, coupling: 5).effectiveSampleSize
        #expect(e5 < e1 && e1 < e0)
        let mean0 = stride(from: 0, to: s.fields.count, by: 1).reduce(0) { $0 + s.fields[$1] * s.fields[$1] } / 2000
        #expect(abs(ImportanceReweighting.estimate(s, coupling: 0).twoPoint(0, 0).value - mean0) < 1e-12 * mean0)
    }

    /// Sharded draws equal one run: the networks are counter-based (stream = network index).
    @Test func reweightingSamplesDoNotDependOnSharding() throws {
        let t = try Self.theory(width: 5, cutoff: 4, box: 2)
        let rw = ImportanceReweighting(theory: t)
        let pts = Matrix(rows: 2, cols: 1, data: [0, 0.5])
        let all = rw.sample(points: pts, networks: 0..<300, seed: 8)
        let a = rw.sample(points: pts, networks: 0..<130, seed: 8), b = rw.sample(points: pts, networks: 130..<300, seed: 8)
        #expect(all.fields == a.fields + b.fields && all.interactions == a.interactions + b.interactions)
    }
}

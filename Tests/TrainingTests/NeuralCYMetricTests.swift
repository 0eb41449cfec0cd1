import CYBridge
import Foundation
import Networks
import NumericCore
import Numerics
import Testing
import TestSupport
@testable import Training

/// The φ-model g = g_FS + ∂∂̄φ on the Fermat quintic against independent routes: the Fubini–Study determinant for
/// φ = 0, the complex Hessian by finite differences of the network in its inputs, and the Monge–Ampère loss's
/// parameter gradient by finite differences in θ.
@Suite struct NeuralCYMetricTests {
    static let quintic = Variety.fermatQuintic

    static func sample(_ count: Int, seed: UInt64 = 7) throws -> CYTrainingSample {
        let s = try PointSampler(variety: quintic).sample(count: count, seed: seed)
        return CYTrainingSample(sample: s, kahler: [1])
    }

    static func metric(_ spec: String = "Dense(16, b_std=0, parameterization=standard) Gelu Dense(16, b_std=0, parameterization=standard) Tanh Dense(1, W_std=0.05, parameterization=standard)", seed: UInt64 = 3) throws -> NeuralCYMetric {
        try NeuralCYMetric(variety: quintic, kahler: [1], architecture: try NetworkSpec.parse(spec, defaultParameterization: .standard), seed: seed)
    }

    /// φ = 0 (a zero readout): det g is det g_FS,pb of CYBridge's own route, to round-off.
    @Test func zeroPotentialIsFubiniStudy() throws {
        let s = try Self.sample(200)
        var m = try Self.metric()
        let layout = m.network.layout
        var theta = m.network.parameters
        let last = layout.slices.last { $0.hasWeight }!
        for k in last.weightOffset..<(last.weightOffset + last.fanIn * last.fanOut) { theta[k] = 0 }
        m.network.parameters = theta
        let det = m.determinants(s)
        let fs = s.sample.fubiniStudyDeterminants(kahler: [1])
        for i in 0..<s.count { #expect(abs(det[i] - fs[i]) <= 1e-12 * fs[i], "point \(i): \(det[i]) vs \(fs[i])") }
    }

    /// ∂_i∂̄_j φ from the network's second-order input jet against central second differences of φ(x, y) in the real
    /// inputs at steps h = 2e-3 and h/2: the tolerance is twice Richardson's estimate |F(h) − F(h/2)|/3 of the h/2
    /// difference's O(h²) truncation, plus its round-off 4ε·max|φ|/(h/2)², per entry.
    @Test func complexHessianMatchesFiniteDifferences() throws {
        let s = try Self.sample(4)
        let m = try Self.metric()
        let D = 5, R = 10, P = s.count
        let ix = JetIndexSet(dimension: R, order: 2)
        let jet = m.network.forward(inputJet: TaylorJet(inputs: s.inputs, order: 2).data, indexSet: ix, points: P, keepTape: false).output
        let blocks = NeuralCYMetric.hessianBlocks(ix)
        let h = 2e-3
        func phi(_ x: [Double]) -> Double { m.network.outputs(Matrix(rows: 1, cols: R, data: x)).data[0] }
        for p in 0..<P {
            var a = [ComplexDouble](repeating: .zero, count: D * D)
            jet.withUnsafeBufferPointer { jb in blocks.withUnsafeBufferPointer { bb in a.withUnsafeMutableBufferPointer { ab in
                NeuralCYMetric.complexHessian(jb.baseAddress!, point: p, points: P, coordinates: D, blocks: bb.baseAddress!, into: ab.baseAddress!)
            } } }
            let x0 = Array(s.inputs.data[(p * R)..<((p + 1) * R)])
            func second(_ u: Int, _ v: Int, _ h: Double) -> Double {
                var pp = x0, pm = x0, mp = x0, mm = x0
                pp[u] += h; pp[v] += h; pm[u] += h; pm[v] -= h; mp[u] -= h; mp[v] += h; mm[u] -= h; mm[v] -= h
                return (phi(pp) - phi(pm) - phi(mp) + phi(mm)) / (4 * h * h)
            }
            var scale = 0.0
            for e in a { scale = max(scale, e.length) }
            let roundoff = 4 * 2.2e-16 * abs(phi(x0)) / (h * h / 4)
            for i in 0..<D { for j in 0..<D {
                let f = { (h: Double) -> (Double, Double) in
                    (0.25 * (second(i, j, h) + second(D + i, D + j, h)), 0.25 * (second(i, D + j, h) - second(D + i, j, h)))
                }
                let (re, im) = f(h / 2), (re2, im2) = f(h)
                let tolRe = 2 * abs(re2 - re) / 3 + roundoff, tolIm = 2 * abs(im2 - im) / 3 + roundoff
                #expect(abs(a[i * D + j].real - re) <= tolRe && abs(a[i * D + j].imaginary - im) <= tolIm,
                        "point \(p) (\(i), \(j)): \(a[i * D + j]) vs (\(re), \(im)), tolerances \(tolRe), \(tolIm)")
            } }
            // Hermitian.
            for i in 0..<D { for j in 0..<D { #expect((a[i * D + j] - a[j * D + i].conjugate).length <= 1e-14 * scale) } }
        }
    }

    /// ∂L_MA/∂θ (jet adjoint) against central differences of L_MA along three random directions, power 2 (smooth):
    /// tolerance twice the gap between the second- and fourth-order differences plus the round-off B·ε·|L|/s.
    @Test func mongeAmpereGradientMatchesFiniteDifferences() throws {
        let s = try Self.sample(64)
        let m = try Self.metric()
        let idx = Array(0..<s.count)
        let e0 = m.evaluate(s, indices: idx, power: 2, wantGradient: true)
        #expect(e0.nonPositive == 0)
        let g = try #require(e0.gradient)
        let theta = m.network.parameters
        var rng = RandomStream(seed: 5, stream: 0)
        for _ in 0..<3 {
            var e = (0..<theta.count).map { _ in rng.normal() }
            let n = e.reduce(0) { $0 + $1 * $1 }.squareRoot(); e = e.map { $0 / n }
            func loss(_ d: Double) -> Double {
                var mm = m
                mm.network.parameters = zip(theta, e).map { $0 + d * $1 }
                return mm.evaluate(s, indices: idx, power: 2, wantGradient: false).mongeAmpere
            }
            let st = 1e-4
            let cd = centralDifference(step: st, loss), cd4 = fourthOrderCentralDifference(step: st, loss)
            let analytic = zip(g, e).reduce(0) { $0 + $1.0 * $1.1 }
            let tol = 2 * abs(cd - cd4) + Double(s.count) * 2.2e-16 * abs(e0.mongeAmpere) / st
            #expect(abs(analytic - cd) <= tol, "dL: \(analytic) vs \(cd) (tolerance \(tol))")
        }
    }
}

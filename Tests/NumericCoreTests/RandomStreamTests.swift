import Foundation
import Testing
@testable import NumericCore

@Suite struct RandomStreamTests {
    // Known-answer vectors of Random123 (kat_vectors, philox4x32_10).
    @Test func philoxKnownAnswers() {
        let a = Philox4x32.block(counter: (0, 0, 0, 0), key: (0, 0))
        #expect([a.0, a.1, a.2, a.3] == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
        let b = Philox4x32.block(counter: (0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), key: (0xffff_ffff, 0xffff_ffff))
        #expect([b.0, b.1, b.2, b.3] == [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
        let c = Philox4x32.block(counter: (0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), key: (0xa409_3822, 0x299f_31d0))
        #expect([c.0, c.1, c.2, c.3] == [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }

    @Test func drawsArePureFunctionsOfSeedStreamAndPosition() {
        var s = RandomStream(seed: 42, stream: 7)
        var seq: [UInt64] = []
        for _ in 0..<9 { seq.append(s.nextUInt64()) }
        for p in 0..<9 {
            var t = RandomStream(seed: 42, stream: 7, position: UInt64(p))
            #expect(t.nextUInt64() == seq[p])
            #expect(t.position == UInt64(p + 1))
        }
        var other = RandomStream(seed: 42, stream: 8)
        #expect(other.nextUInt64() != seq[0])
        var otherSeed = RandomStream(seed: 43, stream: 7)
        #expect(otherSeed.nextUInt64() != seq[0])
    }

    /// Moments of 2·10⁵ draws against their exact values, within 5 standard errors.
    @Test func samplerMoments() {
        let n = 200_000
        var s = RandomStream(seed: 1, stream: 0)
        var m1 = 0.0, m2 = 0.0, m4 = 0.0, u1 = 0.0, u2 = 0.0
        for _ in 0..<n {
            let z = s.normal(); m1 += z; m2 += z * z; m4 += z * z * z * z
            let u = s.uniform(); u1 += u; u2 += u * u
            #expect(u >= 0 && u < 1)
        }
        let N = Double(n)
        #expect(abs(m1 / N) < 5 * (1 / N).squareRoot())
        #expect(abs(m2 / N - 1) < 5 * (2 / N).squareRoot())
        #expect(abs(m4 / N - 3) < 5 * (96 / N).squareRoot())
        #expect(abs(u1 / N - 0.5) < 5 * (1 / 12 / N).squareRoot())
        #expect(abs(u2 / N - 1.0 / 3) < 5 * (4.0 / 45 / N).squareRoot())
    }

    /// Uniform in the d-ball: E|b|² = d/(d+2)·R², all |b| < R; on the sphere: |ω| = 1, E[ω_i²] = 1/d.
    @Test(arguments: [1, 2, 3, 5]) func ballAndSphere(d: Int) {
        let n = 100_000, R = 2.5
        var s = RandomStream(seed: 9, stream: UInt64(d))
        var r2 = 0.0, w0 = 0.0
        for _ in 0..<n {
            let b = s.inBall(dimension: d, radius: R)
            let q = b.reduce(0) { $0 + $1 * $1 }
            #expect(q < R * R)
            r2 += q
            let w = s.onSphere(dimension: d)
            #expect(abs(w.reduce(0) { $0 + $1 * $1 } - 1) < 1e-12)
            w0 += w[0] * w[0]
        }
        let N = Double(n)
        let mean = Double(d) / Double(d + 2) * R * R
        // Var |b|² = R⁴ (d/(d+4) − d²/(d+2)²).
        let sd = R * R * (Double(d) / Double(d + 4) - mean * mean / (R * R * R * R)).squareRoot()
        #expect(abs(r2 / N - mean) < 5 * sd / N.squareRoot())
        // ω₀² on S^{d−1}: E ω₀² = 1/d, E ω₀⁴ = 3/(d(d+2)), so Var ω₀² = (2d − 2)/(d²(d + 2)).
        let D = Double(d), v0 = (2 * D - 2) / (D * D * (D + 2))
        if d > 1 { #expect(abs(w0 / N - 1 / D) < 5 * (v0 / N).squareRoot(), "E ω₀² = \(w0 / N), expected \(1 / D)") } else { #expect(w0 / N == 1) }
    }

    /// The ziggurat normals against Φ: Kolmogorov–Smirnov distance of 10⁶ draws below the 0.1% critical
    /// value 1.95/√n, and the frequency of the tail |z| > r (layer 0's exponential sampler) within 5σ
    /// of its binomial expectation, and the far tail |z| > 4 likewise.
    @Test func normalsFollowTheGaussianLaw() {
        let n = 1_000_000
        var s = RandomStream(seed: 11, stream: 3)
        var z = (0..<n).map { _ in s.normal() }
        z.sort()
        var d = 0.0
        for (i, v) in z.enumerated() {
            let cdf = 0.5 * erfc(-v / 2.0.squareRoot())
            d = max(d, abs(cdf - Double(i) / Double(n)), abs(cdf - Double(i + 1) / Double(n)))
        }
        #expect(d < 1.95 / Double(n).squareRoot(), "KS distance \(d)")
        let p = erfc(Ziggurat.r / 2.0.squareRoot())
        let tail = Double(z.filter { abs($0) > Ziggurat.r }.count)
        #expect(abs(tail - p * Double(n)) < 5 * (p * Double(n)).squareRoot(), "tail count \(tail), expected \(p * Double(n))")
        // Far tail: |z| > 4 has probability erfc(4/√2) = 6.334·10⁻⁵, λ = 63.3 expected of 10⁶; the Poisson window
        // λ ± 5√λ = [23.5, 103.1] can fail on either side (a count of 0 fails).
        let far = Double(z.filter { abs($0) > 4 }.count), λ = erfc(4 / 2.0.squareRoot()) * Double(n)
        #expect(abs(far - λ) < 5 * λ.squareRoot(), "far-tail count \(far), expected \(λ)")
    }
}

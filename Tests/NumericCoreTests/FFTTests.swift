import Foundation
import Numerics
import Testing
@testable import NumericCore
import TestSupport

/// Tests of the FFTW wrappers against the O(N²) definition of the DFT, exact transforms of plane waves and
/// impulses, round trips and Parseval's identity.
@Suite struct FFTTests {
    static let eps = Double.ulpOfOne

    static func randomComplex(_ shape: [Int], seed: UInt64) -> NDArray<Complex<Double>> {
        var g = RandomStream(seed: seed, stream: 0)
        return NDArray(shape: shape, data: g.symmetricComplexes(shape.reduce(1, *)))
    }

    static func randomReal(_ shape: [Int], seed: UInt64) -> NDArray<Double> {
        var g = RandomStream(seed: seed, stream: 0)
        return NDArray(shape: shape, data: g.symmetrics(shape.reduce(1, *)))
    }

    /// The O(N²) definition X_k = Σ_n x_n e^{sign·2πi k·n/N} over all axes, with twiddles e^{sign·2πi m/N_a}
    /// tabulated per axis for m = (k_a n_a mod N_a) so that the phases stay exact.
    static func naiveDFT(_ x: NDArray<Complex<Double>>, sign: Double = -1) -> NDArray<Complex<Double>> {
        let shape = x.shape, rank = shape.count, total = x.count
        let twiddles = shape.map { n in
            (0..<n).map { m in Complex(cos(sign * 2 * .pi * Double(m) / Double(n)), sin(sign * 2 * .pi * Double(m) / Double(n))) }
        }
        var out = NDArray<Complex<Double>>(shape: shape)
        var k = [Int](repeating: 0, count: rank), n = k
        for kf in 0..<total {
            var s = Complex<Double>.zero
            for a in 0..<rank { n[a] = 0 }
            for nf in 0..<total {
                var w = Complex<Double>.one
                for a in 0..<rank { w = w * twiddles[a][(k[a] * n[a]) % shape[a]] }
                s = s + x.data[nf] * w
                // Advance the row-major multi-index n.
                var a = rank - 1
                while a >= 0 { n[a] += 1; if n[a] < shape[a] { break }; n[a] = 0; a -= 1 }
            }
            out.data[kf] = s
            var a = rank - 1
            while a >= 0 { k[a] += 1; if k[a] < shape[a] { break }; k[a] = 0; a -= 1 }
        }
        return out
    }

    static func maxDiff(_ a: NDArray<Complex<Double>>, _ b: NDArray<Complex<Double>>) -> Double {
        #expect(a.shape == b.shape)
        return maxAbsDifference(a.data, b.data)
    }

    /// Error budget of a size-N transform whose outputs are sums of N terms of magnitude ≤ max|x|.
    static func tolerance(_ n: Int, scale: Double) -> Double { 1e-12 * Double(max(n, 1)) * max(scale, 1) }

    static let shapes: [[Int]] = [[1], [2], [7], [16], [30], [64], [4, 6], [5, 3], [1, 9], [3, 4, 5], [2, 2, 2], [6, 1, 4]]

    @Test(arguments: shapes)
    func forwardAndBackwardMatchTheNaiveDFT(shape: [Int]) {
        let x = Self.randomComplex(shape, seed: UInt64(shape.reduce(17) { $0 &* 31 &+ $1 }))
        let n = x.count, scale = maxAbs(x.data)
        let fx = FFT.forward(x)
        #expect(fx.shape == shape)
        #expect(Self.maxDiff(fx, Self.naiveDFT(x, sign: -1)) <= Self.tolerance(n, scale: scale))
        #expect(Self.maxDiff(FFT.backward(x), Self.naiveDFT(x, sign: +1)) <= Self.tolerance(n, scale: scale))
        // Parseval: Σ|X_k|² = N Σ|x_n|².
        let ex = x.data.reduce(0) { $0 + $1.lengthSquared }, efx = fx.data.reduce(0) { $0 + $1.lengthSquared }
        #expect(abs(efx - Double(n) * ex) <= 1e-12 * Double(n) * Double(n) * ex)
    }

    @Test(arguments: shapes)
    func roundTrips(shape: [Int]) {
        let x = Self.randomComplex(shape, seed: 99 &+ UInt64(shape.reduce(1, *)))
        let n = x.count
        // inverse(forward(x)) = x and backward(forward(x)) = N·x.
        #expect(Self.maxDiff(FFT.inverse(FFT.forward(x)), x) <= Self.tolerance(n, scale: 1) / Double(n) * 10)
        var nx = x
        for k in 0..<n { nx.data[k] = Complex(x.data[k].real * Double(n), x.data[k].imaginary * Double(n)) }
        #expect(Self.maxDiff(FFT.backward(FFT.forward(x)), nx) <= Self.tolerance(n, scale: Double(n)))
        #expect(Self.maxDiff(FFT.forward(FFT.inverse(x)), x) <= Self.tolerance(n, scale: 1) / Double(n) * 10)
    }

    @Test func planeWavesAndImpulses() {
        // x_n = e^{2πi m·n/N} ⇒ X_k = N δ_{k,m}; on shape [6, 5] with m = (2, 3).
        let shape = [6, 5], m = [2, 3], n = 30
        var wave = NDArray<Complex<Double>>(shape: shape)
        for i in 0..<6 { for j in 0..<5 {
            let phase = 2 * Double.pi * (Double(m[0] * i) / 6 + Double(m[1] * j) / 5)
            wave[[i, j]] = Complex(cos(phase), sin(phase))
        } }
        let spectrum = FFT.forward(wave)
        for i in 0..<6 { for j in 0..<5 {
            let expected = (i == m[0] && j == m[1]) ? Complex(Double(n), 0) : .zero
            #expect((spectrum[[i, j]] - expected).length <= Self.tolerance(n, scale: 1))
        } }
        // A unit impulse at the origin transforms to all ones (exactly, for FFTW's codelets).
        var impulse = NDArray<Complex<Double>>(shape: [3, 4, 2])
        impulse.data[0] = .one
        #expect(FFT.forward(impulse).data.allSatisfy { ($0 - .one).length <= Self.eps })
        // 1-D closed form: x = [1, 2, 3, 4] ⇒ X = [10, −2+2i, −2, −2−2i].
        let x = NDArray(shape: [4], data: [1.0, 2, 3, 4].map { Complex($0, 0) })
        let expected = [Complex(10.0, 0), Complex(-2, 2), Complex(-2, 0), Complex(-2, -2)]
        #expect(Self.maxDiff(FFT.forward(x), NDArray(shape: [4], data: expected)) <= 8 * Self.eps)
    }

    @Test(arguments: [[1], [9], [8], [4, 7], [5, 6], [3, 4, 6], [2, 3, 5]])
    func realTransformIsTheHalfSpectrum(shape: [Int]) {
        let real = Self.randomReal(shape, seed: 3 &+ UInt64(shape.reduce(1, *)))
        let n = real.count
        let full = FFT.forward(NDArray(shape: shape, data: real.data.map { Complex($0, 0) }))
        let half = FFT.realForward(real)
        let last = shape[shape.count - 1], h = last / 2 + 1
        #expect(half.shape == Array(shape.dropLast()) + [h])
        #expect(FFT.halfSpectrumShape(shape) == half.shape)
        var worst = 0.0
        for k in 0..<half.count {
            let outer = k / h, j = k % h
            worst = max(worst, (half.data[k] - full.data[outer * last + j]).length)
        }
        #expect(worst <= Self.tolerance(n, scale: 1))
        // c2r round trip: realInverse(realForward(x)) = x and realBackward = N·realInverse.
        let back = FFT.realInverse(half, lastExtent: last)
        #expect(back.shape == shape)
        #expect(zip(back.data, real.data).allSatisfy { abs($0 - $1) <= Self.tolerance(n, scale: 1) / Double(n) * 10 })
        let unnormalised = FFT.realBackward(half, lastExtent: last)
        #expect(zip(unnormalised.data, real.data).allSatisfy { abs($0 - Double(n) * $1) <= Self.tolerance(n, scale: Double(n)) })
        // The input half spectrum is not overwritten by the c2r transform.
        #expect(half == FFT.realForward(real))
    }

    @Test func emptyArraysAndConcurrentCalls() async throws {
        #expect(FFT.forward(NDArray<Complex<Double>>(shape: [0, 3])).shape == [0, 3])
        #expect(FFT.realForward(NDArray<Double>(shape: [0, 4])).shape == [0, 3])
        // Planner calls are serialised by a lock: concurrent transforms agree with serial ones.
        let inputs = (0..<16).map { Self.randomComplex([8, 12], seed: UInt64(1000 + $0)) }
        let serial = inputs.map { FFT.forward($0) }
        let concurrent = await withTaskGroup(of: (Int, NDArray<Complex<Double>>).self) { group in
            for (i, x) in inputs.enumerated() { group.addTask { (i, FFT.forward(x)) } }
            var out = [NDArray<Complex<Double>>?](repeating: nil, count: inputs.count)
            for await (i, y) in group { out[i] = y }
            return out
        }
        for (s, c) in zip(serial, concurrent) {
            let c = try #require(c)
            #expect(Self.maxDiff(c, s) <= Self.tolerance(96, scale: 1))
        }
    }
}

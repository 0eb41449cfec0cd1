import Foundation
import Numerics
import Testing
@testable import NumericCore

@Suite struct FFTTests {
    static func random(_ shape: [Int], seed: UInt64) -> NDArray<Complex<Double>> {
        var g = RandomStream(seed: seed, stream: 2)
        return NDArray(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Complex(g.normal(), g.normal()) })
    }

    /// The O(N²) definition X_k = Σ_n x_n e^{−2πi k·n/N}.
    static func naiveDFT(_ x: NDArray<Complex<Double>>) -> NDArray<Complex<Double>> {
        let shape = x.shape, strides = x.strides, total = x.count
        func index(_ flat: Int) -> [Int] { shape.indices.map { (flat / strides[$0]) % shape[$0] } }
        var out = NDArray<Complex<Double>>(shape: shape)
        for kf in 0..<total {
            let k = index(kf)
            var s = Complex<Double>.zero
            for nf in 0..<total {
                let n = index(nf)
                var phase = 0.0
                for a in shape.indices { phase += Double(k[a] * n[a]) / Double(shape[a]) }
                s = s + x.data[nf] * Complex(cos(-2 * .pi * phase), sin(-2 * .pi * phase))
            }
            out.data[kf] = s
        }
        return out
    }

    static func maxDiff(_ a: NDArray<Complex<Double>>, _ b: NDArray<Complex<Double>>) -> Double {
        zip(a.data, b.data).map { ($0 - $1).length }.max() ?? 0
    }

    @Test(arguments: [[1], [8], [13], [17], [30], [4, 6], [5, 3], [3, 4, 5]])
    func forwardMatchesNaiveDFT(shape: [Int]) {
        let x = Self.random(shape, seed: UInt64(shape.reduce(7, *)))
        let n = Double(x.count)
        #expect(Self.maxDiff(FFT.forward(x), Self.naiveDFT(x)) < 1e-13 * n * 4)
        // Round trip: inverse(forward(x)) = x, backward = N · inverse.
        #expect(Self.maxDiff(FFT.inverse(FFT.forward(x)), x) < 1e-14 * n * 4)
        let bx = FFT.backward(FFT.forward(x))
        #expect(zip(bx.data, x.data).map { ($0 - $1 * Complex(n, 0)).length }.max()! < 1e-13 * n * n)
    }

    @Test(arguments: [[9], [8], [4, 7], [3, 4, 6]]) func realTransformIsTheHalfSpectrum(shape: [Int]) {
        var g = RandomStream(seed: 3, stream: 9)
        let real = NDArray<Double>(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in g.normal() })
        let full = FFT.forward(NDArray(shape: shape, data: real.data.map { Complex($0, 0) }))
        let half = FFT.realForward(real)
        let last = shape.last!
        #expect(half.shape == Array(shape.dropLast()) + [last / 2 + 1])
        for (k, v) in half.data.enumerated() {
            let outer = k / (last / 2 + 1), j = k % (last / 2 + 1)
            #expect((v - full.data[outer * last + j]).length < 1e-12 * Double(real.count))
        }
    }
}

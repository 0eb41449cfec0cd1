import CVectorKernels
import Foundation
import Testing
@testable import NumericCore

/// The AVX2/AVX-512 kernels (CVectorKernels) against the portable Swift code they stand in for, bit for bit.
/// The kernels exist to be fast without changing a single result: any difference in a bit is a failure.
@Suite(.enabled(if: VectorUnit.avx2, "the CPU has no AVX2: only the portable path runs"))
struct VectorKernelTests {
    /// Philox words against RandomStream.nextUInt64, from even and odd positions, across the carry of the block
    /// counter's low 32 bits into its high word, and for stream numbers above 2³².
    static let philoxCases: [(UInt64, UInt64, UInt64)] = [(0, 0, 0), (7, 3, 1), (0xDEAD_BEEF_0123_4567, 1 << 40 | 5, 0x1_FFFF_FFF0),
                                                          (42, 9, 0x2_0000_0001 - 40)]
    @Test(arguments: philoxCases)
    func philoxWordsMatchTheStream(seed: UInt64, stream: UInt64, position: UInt64) {
        let count = 301
        var words = [UInt64](repeating: 0, count: count)
        words.withUnsafeMutableBufferPointer { nnt_philox_words(seed, stream, position, $0.baseAddress, count) }
        var s = RandomStream(seed: seed, stream: stream, position: position)
        let reference = (0..<count).map { _ in s.nextUInt64() }
        let first = (0..<count).first { words[$0] != reference[$0] }
        #expect(first == nil, "first difference at word \(first ?? -1)")
    }

    /// fillNormal's kernel against `normal()` one by one: 2·10⁵ draws hold ≈ 2000 wedge rejections and ≈ 100 tail
    /// draws (layer 0 is hit with probability 1/256, and then leaves the base strip with probability 1 − x₁/x₀ ≈ 0.015
    /// … plus the wedges of the other layers), so every branch of the ziggurat is exercised; counts that are not
    /// multiples of 4 or 8 and odd start positions check the bookkeeping, and the stream position afterwards.
    static let normalCases: [(UInt64, Int)] = [(0, 200_000), (1, 64), (2, 67), (3, 1001), (5, 4099)]
    @Test(arguments: normalCases)
    func vectorNormalsAreTheScalarDraws(position: UInt64, count: Int) {
        for stream in [UInt64(0), 11, 1 << 33] {
            var fast = RandomStream(seed: 2026, stream: stream, position: position)
            var slow = fast
            var a = [Double](repeating: 0, count: count), b = a
            a.withUnsafeMutableBufferPointer { fast.fillNormal($0) }
            b.withUnsafeMutableBufferPointer { slow.fillNormal($0, vectorized: false) }
            let differ = (0..<count).filter { a[$0].bitPattern != b[$0].bitPattern }
            #expect(differ.isEmpty, "stream \(stream): \(differ.count) draws differ, first at \(differ.first ?? -1)")
            #expect(fast.position == slow.position)
            #expect(fast.nextUInt64() == slow.nextUInt64())
        }
    }

    /// The rare branches really ran in the test above: count tail draws (|z| > r) and rejected words (more words
    /// consumed than draws made) in the same 2·10⁵ draws.
    @Test func theComparisonCoversTailsAndRejections() {
        var s = RandomStream(seed: 2026, stream: 0)
        var z = [Double](repeating: 0, count: 200_000)
        z.withUnsafeMutableBufferPointer { s.fillNormal($0, vectorized: false) }
        let tails = z.filter { abs($0) > Ziggurat.r }.count
        #expect(tails > 20, "tail draws: \(tails)")
        #expect(s.position > UInt64(z.count) + 1000, "words consumed: \(s.position)")
    }

    /// The erf kernels (eight lanes with AVX-512, four with AVX2; 4·10⁴ + 4 values, so both run on AVX-512 CPUs)
    /// against FastErf's SIMD4 code: interval boundaries (k/32), the series threshold 1/8,
    /// the saturation point 6, signed zeros, subnormals, infinities, NaN and 4·10⁴ random values.
    @Test func erfKernelIsTheSwiftLanes() {
        var values: [Double] = [0, -0.0, .leastNonzeroMagnitude, -.leastNormalMagnitude, 0.125, 0.125.nextDown, -0.125,
                                6, 6.0.nextDown, -6, 7, .infinity, -.infinity, .nan, 1e-300, -3.7, 5.999_999]
        for k in 0...192 { let b = Double(k) / 32; values += [b, b.nextUp, b.nextDown, -b] }
        var s = RandomStream(seed: 5, stream: 0)
        for _ in 0..<40_000 { values.append(8 * s.uniform() - 4) }
        while values.count % 8 != 4 { values.append(0.5) }
        var out = [Double](repeating: 0, count: values.count)
        let table = FastErf.Evaluator().table
        out.withUnsafeMutableBufferPointer { nnt_erf_values(values, $0.baseAddress, values.count, table) }
        for i in stride(from: 0, to: values.count, by: 4) {
            let v = SIMD4(values[i], values[i + 1], values[i + 2], values[i + 3])
            let r = FastErf.erf(v, table: table)
            for l in 0..<4 {
                #expect(out[i + l].bitPattern == r[l].bitPattern || (out[i + l].isNaN && r[l].isNaN), "erf(\(values[i + l]))")
            }
        }
    }

    /// The Erf-net's lane kernel against the same sum written out in Swift with FastErf's SIMD4 lanes, for d = 1
    /// (the kernel's register path) and d = 3, an even and an odd number of groups (AVX-512 pairs and the AVX2 rest).
    static let laneCases: [(Int, Int)] = [(1, 5), (1, 250), (3, 7), (3, 2)]
    @Test(arguments: laneCases)
    func erfLanesAreTheSwiftLanes(d: Int, groups: Int) {
        let P = 7, stride = d + 2
        var s = RandomStream(seed: 9, stream: UInt64(d * 1000 + groups))
        var normals = [Double](repeating: 0, count: 4 * groups * stride)
        normals.withUnsafeMutableBufferPointer { s.fillNormal($0, vectorized: false) }
        let x = (0..<(P * d)).map { _ in 2 * s.uniform() - 1 }
        let sdW = 1.3 / Double(d).squareRoot(), sdB = 0.7, sdA = 1 / 31.0
        let table = FastErf.Evaluator().table
        var acc = [Double](repeating: 0.25, count: 4 * P)
        acc.withUnsafeMutableBufferPointer { nnt_erf_lanes(normals, groups, d, x, P, $0.baseAddress, table, sdW, sdB, sdA) }
        var ref = [SIMD4<Double>](repeating: SIMD4(repeating: 0.25), count: P)
        for g in 0..<groups {
            func lanes(_ k: Int, _ sd: Double) -> SIMD4<Double> {
                SIMD4((0..<4).map { normals[(4 * g + $0) * stride + k] * sd })
            }
            let b = lanes(d, sdB), a = lanes(d + 1, sdA)
            for p in 0..<P {
                var z = b
                for j in 0..<d { z += lanes(j, sdW) * x[p * d + j] }
                ref[p] += a * FastErf.erf(z, table: table)
            }
        }
        #expect(acc.map(\.bitPattern) == ref.flatMap { [$0[0], $0[1], $0[2], $0[3]] }.map(\.bitPattern))
    }
}

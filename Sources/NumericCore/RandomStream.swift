import CVectorKernels
import Foundation

/// A reproducible stream of random numbers in which every draw is a pure function of
/// `(seed, stream, counter)`.
///
/// The 64-bit `seed` is the Philox key; the 128-bit Philox counter is `(stream, blockIndex)`, with
/// `blockIndex` advancing by one per four 32-bit words. Two streams with different `stream` numbers
/// never overlap, so work can be split across threads and shards by giving each independent unit
/// (one network of an ensemble, say) its own stream: results then do not depend on how the work is
/// scheduled. `position` counts the 64-bit words consumed, and `RandomStream(seed:stream:position:)`
/// jumps to any point in O(1).
///
/// Conventions: `uniform()` is `k · 2⁻⁵³` with `k` the top 53 bits of one 64-bit word, in [0, 1);
/// `normal()` is the ziggurat method (`Ziggurat.swift`), usually one 64-bit word per draw.
public struct RandomStream: @unchecked Sendable {
    /// The Philox key.
    public let seed: UInt64
    /// The stream number, the high half of the Philox counter.
    public let stream: UInt64
    @usableFromInline var blockIndex: UInt64
    @usableFromInline var buffer: (UInt64, UInt64) = (0, 0)
    @usableFromInline var used: Int = 2          // 64-bit words of `buffer` already consumed
    /// The ziggurat tables (immortal, read-only; held here so draws skip the global's lazy-init check).
    @usableFromInline let zigguratTable: UnsafePointer<Double> = Ziggurat.table

    /// A stream positioned at its start.
    public init(seed: UInt64, stream: UInt64) {
        self.seed = seed
        self.stream = stream
        self.blockIndex = 0
    }

    /// A stream positioned after `position` 64-bit words have been drawn.
    public init(seed: UInt64, stream: UInt64, position: UInt64) {
        self.init(seed: seed, stream: stream)
        blockIndex = position / 2
        if position % 2 == 1 { refill(); used = 1 }
    }

    /// Number of 64-bit words consumed so far.
    public var position: UInt64 { blockIndex * 2 - UInt64(2 - used) }

    @inlinable @inline(__always)
    mutating func refill() {
        let key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
        let ctr: Philox4x32.Block = (UInt32(truncatingIfNeeded: blockIndex), UInt32(truncatingIfNeeded: blockIndex >> 32),
                                     UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32))
        let b = Philox4x32.block(counter: ctr, key: key)
        buffer = (UInt64(b.0) | (UInt64(b.1) << 32), UInt64(b.2) | (UInt64(b.3) << 32))
        blockIndex &+= 1
        used = 0
    }

    /// The next 64 random bits.
    @inlinable @inline(__always)
    public mutating func nextUInt64() -> UInt64 {
        if used == 2 { refill() }
        defer { used += 1 }
        return used == 0 ? buffer.0 : buffer.1
    }

    /// Uniform on [0, 1) with 53 random bits.
    @inlinable @inline(__always)
    public mutating func uniform() -> Double {
        Double(nextUInt64() >> 11) * 0x1.0p-53
    }

    /// Uniform on (0, 1]: never zero, safe under a logarithm.
    @inlinable @inline(__always)
    public mutating func uniformPositive() -> Double {
        (Double(nextUInt64() >> 11) + 1) * 0x1.0p-53
    }

    /// Uniform on [a, b).
    @inlinable
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }

    /// N(mean, sd²).
    @inlinable
    public mutating func normal(mean: Double, sd: Double) -> Double { mean + sd * normal() }

    /// Fills `out` with standard normals: exactly the values, and the stream position, of `out.count` calls of
    /// `normal()`. From 64 draws on, on AVX2 CPUs (`VectorUnit`), Philox blocks 8 (AVX-512: 16) at a time and the
    /// ziggurat's common case 4 (8) at a time; `vectorized: false` forces the one-by-one draws.
    public mutating func fillNormal(_ out: UnsafeMutableBufferPointer<Double>, vectorized: Bool = true) {
        if vectorized, out.count >= 64, VectorUnit.avx2, let base = out.baseAddress {
            let end = nnt_fill_normals(seed, stream, position, base, out.count, zigguratTable)
            self = RandomStream(seed: seed, stream: stream, position: end)
            return
        }
        for i in out.indices { out[i] = normal() }
    }

    /// A point uniform on the unit sphere S^{d−1} ⊂ ℝ^d (normalised Gaussian vector), written to `out`.
    @inlinable
    public mutating func onSphere(_ out: UnsafeMutableBufferPointer<Double>) {
        var r2 = 0.0
        repeat {
            r2 = 0
            for i in out.indices { let z = normal(); out[i] = z; r2 += z * z }
        } while r2 == 0
        let s = 1 / r2.squareRoot()
        for i in out.indices { out[i] *= s }
    }

    /// A point uniform in the ball |b| < radius in ℝ^d: a direction on S^{d−1} times radius·U^{1/d}.
    @inlinable
    public mutating func inBall(radius: Double, _ out: UnsafeMutableBufferPointer<Double>) {
        onSphere(out)
        let d = Double(out.count)
        let r = radius * Foundation.pow(uniform(), 1 / d)
        for i in out.indices { out[i] *= r }
    }

    /// Convenience: `d` coordinates uniform on S^{d−1}.
    public mutating func onSphere(dimension d: Int) -> [Double] {
        var v = [Double](repeating: 0, count: d)
        v.withUnsafeMutableBufferPointer { onSphere($0) }
        return v
    }

    /// Convenience: `d` coordinates uniform in the ball of `radius`.
    public mutating func inBall(dimension d: Int, radius: Double) -> [Double] {
        var v = [Double](repeating: 0, count: d)
        v.withUnsafeMutableBufferPointer { inBall(radius: radius, $0) }
        return v
    }
}

/// SplitMix64 finaliser, used to derive independent 64-bit seeds from a seed and a tag
/// (e.g. one key per width of a scan): `derive(seed, tag)` is a bijection in `seed` for each `tag`.
@inlinable
public func deriveSeed(_ seed: UInt64, _ tag: UInt64) -> UInt64 {
    var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* (tag &+ 1)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

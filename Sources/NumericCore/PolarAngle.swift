import CVectorKernels

/// The polar angle atan2(y, x) ∈ [0, π] of a point (x, y) of the closed upper half-plane, without a library
/// call, in three forms that give bit-identical results: scalar, SIMD lanes, and a bulk loop over buffers (for
/// the hot loops of infinite-width kernel maps, where arccos ρ = atan2(√(1 − ρ²), ρ) is the well-conditioned
/// form near ρ = ±1).
///
/// Algorithm (selects and one division, so that it vectorises with baseline SSE2): with lo = min(|x|, y),
/// hi = max(|x|, y), atan(lo/hi) ∈ [0, π/4] is reduced to |u| ≤ tan(π/8) by atan t = π/4 + atan((t − 1)/(t + 1))
/// for t > tan(π/8), and atan u = u + u·z·R(z), z = u², with R a degree-11 least-squares fit at Chebyshev nodes to
/// (atan(√z)/√z − 1)/z on [0, tan²(π/8)] (relative error ≈ 1.1·10⁻¹⁶ in atan u), evaluated by Estrin's scheme
/// (short dependency chains); then π/2 − · when y > |x| and π − · when x < 0.
///
/// Domain and special values: finite y ≥ 0 (−0 counts as +0) and finite x; atan2(0, ±0) = 0 (Foundation: π for −0); one infinite
/// argument gives the limit (π/2, 0 or π); NaN in either argument gives NaN; both infinite give NaN.
/// Error: at most 2 ulp against the correctly rounded atan2 (tested against Foundation's over the domain).
public enum PolarAngle {
    /// Coefficients of R, c₀ (constant term) to c₁₁.
    @usableFromInline static let c0 = -0.3333333333333333, c1 = 0.1999999999999981, c2 = -0.14285714285661172
    @usableFromInline static let c3 = 0.11111111105277102, c4 = -0.09090908759150944, c5 = 0.07692296528186224
    @usableFromInline static let c6 = -0.06666427474809959, c7 = 0.05878957114602006, c8 = -0.05230650466327199
    @usableFromInline static let c9 = 0.04552443484766285, c10 = -0.0345913892781874, c11 = 0.01630779074543549
    /// tan(π/8).
    @usableFromInline static let tanPiOver8 = 0.41421356237309503

    /// atan2(y, x) for y ≥ 0. (The selects are written as additions of 0 or a constant and conditional negations,
    /// the forms that the lane version computes with bit masks.)
    @inlinable @inline(__always)
    public static func angle(_ y: Double, _ x: Double) -> Double {
        let ax = abs(x)
        let yBelow = y < ax
        let lo = yBelow ? y : ax, hi = yBelow ? ax : y
        let reduced = lo > tanPiOver8 * hi
        let num = lo - (reduced ? hi : 0)
        let den = hi + (reduced ? lo : 0)
        let u = num / (den == 0 ? 1 : den)
        let z = u * u
        let z2 = z * z
        let z4 = z2 * z2
        let p0 = c0 + c1 * z, p1 = c2 + c3 * z, p2 = c4 + c5 * z, p3 = c6 + c7 * z, p4 = c8 + c9 * z, p5 = c10 + c11 * z
        let q0 = p0 + p1 * z2, q1 = p2 + p3 * z2, q2 = p4 + p5 * z2
        let r = q0 + z4 * (q1 + z4 * q2)
        var a = u + u * (z * r)
        a = a + (reduced ? Double.pi / 4 : 0)
        let flip = y > ax
        a = (flip ? -a : a) + (flip ? Double.pi / 2 : 0)
        let negative = x < 0
        return (negative ? -a : a) + (negative ? Double.pi : 0)
    }

    /// `angle` on two lanes (one SSE2 register): the same operations in the same order, so each lane equals the
    /// scalar result; selects between a value and 0 and negations are bit masks (and, xor).
    /// (Concrete `SIMD2<Double>`: in a generic `SIMD` context the comparisons and selects would go lane by lane.)
    @inlinable @inline(__always)
    public static func angle(_ y: SIMD2<Double>, _ x: SIMD2<Double>) -> SIMD2<Double> {
        typealias Bits = SIMD2<UInt64>
        let signBit: UInt64 = 0x8000_0000_0000_0000
        @inline(__always) func bits(_ v: SIMD2<Double>) -> Bits { unsafeBitCast(v, to: Bits.self) }
        @inline(__always) func bits(_ m: SIMDMask<SIMD2<Int64>>) -> Bits { unsafeBitCast(m, to: Bits.self) }
        @inline(__always) func real(_ v: Bits) -> SIMD2<Double> { unsafeBitCast(v, to: SIMD2<Double>.self) }
        let ax = real(bits(x) & ~signBit)
        let yBelow = y .< ax
        let lo = ax.replacing(with: y, where: yBelow), hi = y.replacing(with: ax, where: yBelow)
        let reduced = bits(lo .> tanPiOver8 * hi)
        let num = lo - real(bits(hi) & reduced)
        let den = hi + real(bits(lo) & reduced)
        let u = num / den.replacing(with: 1, where: den .== 0)
        let z = u * u
        let z2 = z * z
        let z4 = z2 * z2
        let p0 = c0 + c1 * z, p1 = c2 + c3 * z, p2 = c4 + c5 * z, p3 = c6 + c7 * z, p4 = c8 + c9 * z, p5 = c10 + c11 * z
        let q0 = p0 + p1 * z2, q1 = p2 + p3 * z2, q2 = p4 + p5 * z2
        let r = q0 + z4 * (q1 + z4 * q2)
        var a = u + u * (z * r)
        a = a + real(bits(SIMD2(repeating: Double.pi / 4)) & reduced)
        let flip = bits(y .> ax)
        a = real(bits(a) ^ (flip & signBit)) + real(bits(SIMD2(repeating: Double.pi / 2)) & flip)
        let negative = bits(x .< 0)
        return real(bits(a) ^ (negative & signBit)) + real(bits(SIMD2(repeating: Double.pi)) & negative)
    }

    /// out[i] = atan2(y[i], x[i]) for i < count, every entry bit-identical to `angle(y[i], x[i])`; `out` may alias
    /// `y` or `x`. Runs in eight lanes (AVX-512) or four (AVX2) where the CPU has them (`VectorUnit`, the C kernel
    /// `nnt_polar_angles`: the same operations in the same order), else two independent pairs of SSE2 lanes at a
    /// time and the rest by the scalar form.
    public static func angles(y: UnsafePointer<Double>, x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>,
                              count: Int) {
        if count >= 8 && VectorUnit.avx2 { nnt_polar_angles(y, x, out, count); return }
        portableAngles(y: y, x: x, into: out, count: count)
    }

    /// `angles` on SSE2 lanes whatever the CPU (the baseline path, and the reference of the vector kernels' tests).
    public static func portableAngles(y: UnsafePointer<Double>, x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>,
                                      count: Int) {
        var i = 0
        while i + 4 <= count {
            let a = angle(load2(y + i), load2(x + i)), b = angle(load2(y + i + 2), load2(x + i + 2))
            UnsafeMutableRawPointer(out + i).storeBytes(of: a, as: SIMD2<Double>.self)
            UnsafeMutableRawPointer(out + i + 2).storeBytes(of: b, as: SIMD2<Double>.self)
            i += 4
        }
        while i < count {
            out[i] = angle(y[i], x[i])
            i += 1
        }
    }

    @inline(__always) static func load2(_ p: UnsafePointer<Double>) -> SIMD2<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD2<Double>.self)
    }
}

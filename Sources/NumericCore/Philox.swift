/// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror & Shaw (SC'11, "Parallel random
/// numbers: as easy as 1, 2, 3"; Random123).
///
/// A block of four 32-bit words is a pure function of a 64-bit key and a 128-bit counter:
/// `bits = philox4x32_10(counter, key)`. Ten rounds with multipliers 0xD2511F53, 0xCD9E8D57 and Weyl
/// key increments 0x9E3779B9, 0xBB67AE85. Checked against Random123's known-answer vectors in the tests.
public enum Philox4x32 {
    /// Four 32-bit words: a counter, a key pair, or one output block.
    public typealias Block = (UInt32, UInt32, UInt32, UInt32)

    @inlinable @inline(__always)
    static func mulhilo(_ a: UInt32, _ b: UInt32) -> (hi: UInt32, lo: UInt32) {
        let p = UInt64(a) &* UInt64(b)
        return (UInt32(truncatingIfNeeded: p >> 32), UInt32(truncatingIfNeeded: p))
    }

    /// The Philox4x32-10 bijection of `counter` under `key`.
    @inlinable
    public static func block(counter: Block, key: (UInt32, UInt32)) -> Block {
        var c = counter
        var k0 = key.0, k1 = key.1
        for r in 0..<10 {
            if r > 0 { k0 = k0 &+ 0x9E37_79B9; k1 = k1 &+ 0xBB67_AE85 }
            let (hi0, lo0) = mulhilo(0xD251_1F53, c.0)
            let (hi1, lo1) = mulhilo(0xCD9E_8D57, c.2)
            c = (hi1 ^ c.1 ^ k0, lo1, hi0 ^ c.3 ^ k1, lo0)
        }
        return c
    }
}

import Foundation

/// Tables of the ziggurat method for the standard normal (Marsaglia & Tsang 2000, in the form of
/// Doornik's ZIGNOR, 2005) with C = 256 layers of equal area v.
///
/// x[0] = v/f(r), x[1] = r, x[i+1] = f⁻¹(v/x[i] + f(x[i])) with f(x) = e^{−x²/2}, x[256] = 0;
/// r = 3.6541528853610088, v = 4.92867323399e-3. A draw: U uniform on (−1, 1), i a random layer; if
/// |U| < x[i+1]/x[i] return U·x[i] (≈ 99% of draws); otherwise the layer's wedge is tested exactly
/// against f (layer 0 samples the tail |x| > r by Marsaglia's exponential method). The method is exact:
/// the output has the normal distribution, not an approximation of it.
public enum Ziggurat {
    /// Number C of layers of equal area.
    public static let layers = 256
    /// r, the start of the tail: x[1] of the layer table.
    public static let r = 3.6541528853610088
    static let v = 4.92867323399e-3

    @usableFromInline static let x: [Double] = {
        var x = [Double](repeating: 0, count: layers + 1)
        let f = exp(-0.5 * r * r)
        x[0] = v / f
        x[1] = r
        for i in 2..<layers { x[i] = (-2 * log(v / x[i - 1] + exp(-0.5 * x[i - 1] * x[i - 1]))).squareRoot() }
        x[layers] = 0
        return x
    }()

    @usableFromInline static let ratio: [Double] = (0..<layers).map { x[$0 + 1] / x[$0] }

    /// x[0…256] followed by ratio[0…255] in immortal storage, so that draws index it without reference
    /// counting (a shared array's retain/release would bounce its cache line between threads).
    @usableFromInline nonisolated(unsafe) static let table: UnsafePointer<Double> = {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: 2 * layers + 1)
        p.initialize(from: x, count: layers + 1)
        (p + layers + 1).initialize(from: ratio, count: layers)
        return UnsafePointer(p)
    }()
}

extension RandomStream {
    /// A standard normal N(0, 1) by the ziggurat method (`Ziggurat`): one 64-bit word per draw in ≈ 99%
    /// of cases — bits 0–7 pick the layer, the top 53 bits give U ∈ (−1, 1).
    @inlinable
    public mutating func normal() -> Double {
        while true {
            let bits = nextUInt64()
            let i = Int(bits & 0xFF)
            let u = 2 * (Double(bits >> 11) + 0.5) * 0x1.0p-53 - 1
            let t = zigguratTable
            let ratio = t[Ziggurat.layers + 1 + i]
            let xi = t[i]
            if abs(u) < ratio { return u * xi }
            if i == 0 {
                // Tail beyond r.
                var a = 0.0, b = 0.0
                repeat {
                    a = Foundation.log(uniformPositive()) / Ziggurat.r
                    b = Foundation.log(uniformPositive())
                } while -2 * b < a * a
                return u < 0 ? a - Ziggurat.r : Ziggurat.r - a
            }
            let z = u * xi
            let xn = t[i + 1]
            let f0 = Foundation.exp(-0.5 * (xi * xi - z * z)), f1 = Foundation.exp(-0.5 * (xn * xn - z * z))
            if f1 + uniform() * (f0 - f1) < 1 { return z }
        }
    }
}

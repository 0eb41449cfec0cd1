/// Gaussian-process (free-theory) higher-point functions and connected correlators.
public enum Wick {
    /// All perfect matchings of positions 0..<n (n even): (n−1)!! pairings (3 for n = 4, 15 for n = 6).
    public static func pairings(_ n: Int) -> [[(Int, Int)]] {
        precondition(n % 2 == 0)
        func rec(_ rest: [Int]) -> [[(Int, Int)]] {
            guard let first = rest.first else { return [[]] }
            var out: [[(Int, Int)]] = []
            for j in 1..<rest.count {
                var r = rest; r.remove(at: j); r.removeFirst()
                for tail in rec(r) { out.append([(first, rest[j])] + tail) }
            }
            return out
        }
        return rec(Array(0..<n))
    }

    /// G⁽ⁿ⁾_GP(x_{i₁}…x_{iₙ}) = Σ_{pairings} Π K(x_a, x_b) for a zero-mean Gaussian process with kernel K
    /// (n odd gives 0).
    public static func gaussianCorrelator(_ idx: [Int], kernel: (Int, Int) -> Double) -> Double {
        if idx.count % 2 == 1 { return 0 }
        return pairings(idx.count).reduce(0) { acc, p in acc + p.reduce(1) { $0 * kernel(idx[$1.0], idx[$1.1]) } }
    }

    /// Connected 4-point function of a zero-mean field: G_c⁽⁴⁾ = G⁽⁴⁾ − (G₁₂G₃₄ + G₁₃G₂₄ + G₁₄G₂₃).
    public static func connected4(_ idx: [Int], g4: Double, g2: (Int, Int) -> Double) -> Double {
        g4 - gaussianCorrelator(idx, kernel: g2)
    }

    /// Connected 6-point function of a zero-mean field (odd moments vanish):
    /// G_c⁽⁶⁾ = G⁽⁶⁾ − Σ_{15 pair/quadruple splits} G⁽²⁾G⁽⁴⁾ + 2 Σ_{15 pairings} G⁽²⁾G⁽²⁾G⁽²⁾.
    public static func connected6(_ idx: [Int], g6: Double, g4: ([Int]) -> Double, g2: (Int, Int) -> Double) -> Double {
        precondition(idx.count == 6)
        var s24 = 0.0
        for a in 0..<6 {
            for b in (a + 1)..<6 {
                let rest = (0..<6).filter { $0 != a && $0 != b }.map { idx[$0] }
                s24 += g2(idx[a], idx[b]) * g4(rest)
            }
        }
        return g6 - s24 + 2 * gaussianCorrelator(idx, kernel: g2)
    }
}

import Foundation
import Networks
import NumericCore

/// Quadrature on Tⁿ = [0, 2π)ⁿ: ∫ f dⁿx ≈ Σ_p w_p f(x_p).
///
/// - `grid(side:)`: the uniform grid x = 2π(i₁, …, iₙ)/N with equal weights (2π/N)ⁿ — the trapezoidal rule,
///   exact for trigonometric polynomials of degree < N in each variable and spectrally accurate for smooth
///   periodic integrands (error decays faster than any power of N).
/// - `random(points:seed:stream:)`: P uniform points from `RandomStream(seed:stream:)`, weights (2π)ⁿ/P; the
///   Monte Carlo error of ∫f is (2π)ⁿ·sd(f)/√P, reported by `monteCarloError`.
public struct TorusQuadrature: Sendable {
    /// The nodes x_p, [P, n], in [0, 2π)ⁿ.
    public let points: Matrix
    /// The common weight w of every node ((2π/N)ⁿ on a grid, (2π)ⁿ/P for random points).
    public let weight: Double
    /// Whether the nodes are the full uniform grid (the trapezoidal rule) rather than random points.
    public let isGrid: Bool

    /// The uniform grid x = 2π(i₁, …, iₙ)/N, last coordinate fastest, weights (2π/N)ⁿ.
    public static func grid(dimension n: Int, side N: Int) -> TorusQuadrature {
        let P = Int(pow(Double(N), Double(n)).rounded())
        var x = Matrix(rows: P, cols: n)
        for p in 0..<P {
            var r = p
            for j in stride(from: n - 1, through: 0, by: -1) { x[p, j] = 2 * .pi * Double(r % N) / Double(N); r /= N }
        }
        return TorusQuadrature(points: x, weight: pow(2 * .pi / Double(N), Double(n)), isGrid: true)
    }

    /// P uniform points of [0, 2π)ⁿ from `RandomStream(seed:stream:)` (row by row), weights (2π)ⁿ/P.
    public static func random(dimension n: Int, points P: Int, seed: UInt64, stream: UInt64) -> TorusQuadrature {
        var rng = RandomStream(seed: seed, stream: stream)
        let x = Matrix(rows: P, cols: n, data: (0..<(P * n)).map { _ in 2 * .pi * rng.uniform() })
        return TorusQuadrature(points: x, weight: pow(2 * .pi, Double(n)) / Double(P), isGrid: false)
    }

    /// The grid side N with Nⁿ = P, if P is a perfect n-th power.
    public static func gridSide(points P: Int, dimension n: Int) -> Int? {
        let N = Int(pow(Double(P), 1 / Double(n)).rounded())
        for c in [N - 1, N, N + 1] where c >= 1 && Int(pow(Double(c), Double(n)).rounded()) == P { return c }
        return nil
    }

    /// Σ_p w_p f_p.
    public func integrate(_ f: [Double]) -> Double { weight * f.reduce(0, +) }

    /// Standard error (2π)ⁿ·sd(f)/√P of the Monte Carlo estimate (meaningful for random points).
    public func monteCarloError(_ f: [Double]) -> Double {
        let P = Double(f.count), m = f.reduce(0, +) / P
        let v = f.reduce(0) { $0 + ($1 - m) * ($1 - m) } / max(1, P - 1)
        return weight * P * (v / P).squareRoot()
    }
}

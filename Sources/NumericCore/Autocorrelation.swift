import Foundation

/// The integrated autocorrelation time of a Markov-chain series,
///   τ_int = ½ + Σ_{t=1}^{W} ρ(t),   ρ(t) = Ĉ(t)/Ĉ(0),   Ĉ(t) = (1/n) Σ_{s=1}^{n−t} (x_s − x̄)(x_{s+t} − x̄),
/// with Sokal's automatic window: W the smallest lag with W ≥ c·τ_int(W) (c = 5). The variance of the chain mean
/// is then 2τ_int·Var(x)/n, i.e. n/(2τ_int) effective samples. Also returns Madras–Sokal's error of τ_int,
/// √(2(2W + 1)/n)·τ_int.
public struct IntegratedAutocorrelation: Sendable, Codable, Equatable {
    /// τ_int, in units of the chain's steps (½ for an uncorrelated chain).
    public let tau: Double
    /// Madras–Sokal's error √(2(2W + 1)/n)·τ_int (NaN for fewer than 4 samples).
    public let tauError: Double
    /// The window W at which the sum stopped.
    public let window: Int

    /// A result given directly (e.g. decoded from a checkpoint).
    public init(tau: Double, tauError: Double, window: Int) {
        self.tau = tau
        self.tauError = tauError
        self.window = window
    }

    /// τ_int of the series x with Sokal's window, the smallest W ≥ windowFactor·τ_int(W).
    public init(_ x: [Double], windowFactor: Double = 5) {
        let n = x.count
        guard n >= 4 else { tau = 0.5; tauError = .nan; window = 0; return }
        let mean = x.reduce(0, +) / Double(n)
        var c0 = 0.0
        for v in x { c0 += (v - mean) * (v - mean) }
        c0 /= Double(n)
        guard c0 > 0 else { tau = 0.5; tauError = 0; window = 0; return }
        var t = 0.5, W = 0
        for lag in 1..<(n / 2) {
            var ct = 0.0
            for s in 0..<(n - lag) { ct += (x[s] - mean) * (x[s + lag] - mean) }
            t += ct / Double(n) / c0
            W = lag
            if Double(lag) >= windowFactor * t { break }
        }
        tau = max(t, 0.5)
        window = W
        tauError = (2 * Double(2 * W + 1) / Double(n)).squareRoot() * tau
    }
}

import Foundation

/// Least-squares fit of a power law y = A · x^b on log–log axes, log y = log A + b log x, with the standard
/// error of the exponent.
///
/// With error bars σ_i on y (all positive) the fit is weighted, w_i = (y_i/σ_i)² (the variance of log y is
/// (σ/y)² to first order), and σ_b = 1/√S_xx,w; the reduced χ² tells whether the error bars explain the
/// scatter. Without error bars the exponent's error is the usual residual estimate √(s²/S_xx),
/// s² = Σ residual² / (m − 2) (needs m ≥ 3 points).
public struct PowerLawFit: Sendable, Codable, Equatable {
    /// Exponent b and its standard error (nil when it cannot be estimated).
    public let exponent: Double
    /// Standard error σ_b of the exponent (nil when it cannot be estimated).
    public let exponentError: Double?
    /// Prefactor A.
    public let prefactor: Double
    /// χ²/(m − 2) for the weighted fit, nil otherwise.
    public let reducedChiSquare: Double?
    /// Points used (positive, finite x and y).
    public let count: Int

    enum CodingKeys: String, CodingKey {
        case exponent, prefactor, count, exponentError = "exponent_error", reducedChiSquare = "reduced_chi_square"
    }

    /// Fits y = A x^b; nil with fewer than two usable points or a single distinct x.
    public init?(x: [Double], y: [Double], errors: [Double]? = nil) {
        var rows: [(Double, Double, Double)] = []
        for i in x.indices where x[i] > 0 && y[i] > 0 && x[i].isFinite && y[i].isFinite {
            let s = errors.map { $0[i] / y[i] } ?? 1
            rows.append((log(x[i]), log(y[i]), s))
        }
        let weighted = errors != nil && rows.allSatisfy { $0.2 > 0 && $0.2.isFinite }
        guard rows.count >= 2 else { return nil }
        let w = rows.map { weighted ? 1 / ($0.2 * $0.2) : 1 }
        let sw = w.reduce(0, +)
        let mx = zip(rows, w).reduce(0) { $0 + $1.0.0 * $1.1 } / sw
        let my = zip(rows, w).reduce(0) { $0 + $1.0.1 * $1.1 } / sw
        let sxx = zip(rows, w).reduce(0) { $0 + $1.1 * ($1.0.0 - mx) * ($1.0.0 - mx) }
        guard sxx > 0 else { return nil }
        let sxy = zip(rows, w).reduce(0) { $0 + $1.1 * ($1.0.0 - mx) * ($1.0.1 - my) }
        let b = sxy / sxx, a = my - b * mx
        let rss = zip(rows, w).reduce(0) { $0 + $1.1 * pow($1.0.1 - a - b * $1.0.0, 2) }
        let m = rows.count
        exponent = b
        prefactor = exp(a)
        count = m
        if weighted {
            exponentError = (1 / sxx).squareRoot()
            reducedChiSquare = m > 2 ? rss / Double(m - 2) : nil
        } else {
            exponentError = m > 2 ? (rss / Double(m - 2) / sxx).squareRoot() : nil
            reducedChiSquare = nil
        }
    }
}

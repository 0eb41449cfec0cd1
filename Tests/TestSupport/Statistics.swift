import NumericCore

// Monte Carlo statistics of test samples.

/// The sample mean Σx/n.
public func sampleMean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }

/// The unbiased sample variance Σ(x − x̄)²/(n − 1).
public func sampleVariance(_ x: [Double]) -> Double {
    let m = sampleMean(x)
    return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)
}

/// The sample mean and its standard error √(s²/n), s² the unbiased sample variance (for independent draws, or for
/// batch means as the draws).
public func meanAndStandardError(_ x: [Double]) -> (mean: Double, error: Double) {
    (sampleMean(x), (sampleVariance(x) / Double(x.count)).squareRoot())
}

/// Running sums of a fixed number of Monte Carlo estimators, one sample of all of them at a time: per entry the mean
/// Σv/M and the standard error √((Σv²/M − mean²)/M) of M samples (the plug-in variance; one pass, so it loses
/// digits when the mean is large against the spread).
public struct MomentAccumulator: Sendable {
    public private(set) var count = 0
    public private(set) var sums: [Double]
    public private(set) var sumsOfSquares: [Double]

    public init(entries: Int) {
        sums = [Double](repeating: 0, count: entries)
        sumsOfSquares = sums
    }

    /// Adds one sample of every entry.
    public mutating func add<C: Collection>(_ values: C) where C.Element == Double {
        precondition(values.count == sums.count, "\(values.count) values for \(sums.count) entries")
        for (i, v) in values.enumerated() {
            sums[i] += v
            sumsOfSquares[i] += v * v
        }
        count += 1
    }

    /// The mean of entry i.
    public func mean(_ i: Int) -> Double { sums[i] / Double(count) }

    /// The standard error of the mean of entry i.
    public func standardError(_ i: Int) -> Double {
        let m = mean(i)
        return ((sumsOfSquares[i] / Double(count) - m * m) / Double(count)).squareRoot()
    }
}

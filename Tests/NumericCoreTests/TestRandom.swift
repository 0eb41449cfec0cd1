@testable import NumericCore

extension RandomStream {
    /// Uniform on [−1, 1): random test inputs for the linear-algebra and FFT suites.
    mutating func symmetric() -> Double { 2 * uniform() - 1 }
}

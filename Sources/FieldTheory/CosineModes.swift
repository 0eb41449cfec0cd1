import Foundation
import NumericCore

/// A field written as a finite sum of cosine modes, φ(x) = Σ_i A_i cos(b_i·x + c_i) — every cos-net sample is
/// one (A_i = C a_i s(b_i)).
public struct CosineModes: Sendable, Equatable {
    /// A_i.
    public var amplitudes: [Double]
    /// b_i as rows of an [N, d] matrix.
    public var momenta: Matrix
    /// c_i.
    public var phases: [Double]

    public init(amplitudes: [Double], momenta: Matrix, phases: [Double]) {
        self.amplitudes = amplitudes
        self.momenta = momenta
        self.phases = phases
    }

    public var count: Int { amplitudes.count }
    public var dimension: Int { momenta.cols }

    /// φ at each row of `points` [P, d].
    public func evaluate(at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        let d = dimension
        for p in 0..<points.rows {
            var f = 0.0
            for i in 0..<count {
                var phase = phases[i]
                for j in 0..<d { phase += momenta.data[i * d + j] * points.data[p * d + j] }
                f += amplitudes[i] * cos(phase)
            }
            out[p] = f
        }
    }

    public func evaluate(at points: Matrix) -> [Double] {
        var out = [Double](repeating: 0, count: points.rows)
        out.withUnsafeMutableBufferPointer { evaluate(at: points, into: $0) }
        return out
    }
}

import Foundation
import NumericCore

/// The periodic input embedding of Tⁿ = [0, 2π)ⁿ: x ↦ (cos k x_j, sin k x_j) for j = 0…n−1 and harmonics
/// k = 1…K (feature order: j outer, k, then cos before sin), width 2nK. A network of these features is
/// smooth and 2π-periodic in every x_j. Jets are exact: ∂_j^m cos(kx_j) = k^m cos(kx_j + mπ/2) (sin likewise),
/// mixed derivatives vanish.
public struct TorusEmbedding: Sendable, Equatable {
    /// Dimension n of the torus Tⁿ (1, 2 or 3).
    public let dimension: Int
    /// Number K of harmonics k = 1…K per coordinate.
    public let harmonics: Int
    /// The embedding of Tⁿ with K harmonics; throws unless 1 ≤ n ≤ 3 and 1 ≤ K ≤ 64.
    public init(dimension: Int, harmonics: Int) throws {
        guard dimension >= 1 && dimension <= 3 else { throw InputError("torus dimension \(dimension), expected 1, 2 or 3") }
        guard harmonics >= 1 && harmonics <= 64 else { throw SettingError("harmonics", "\(harmonics), expected 1…64") }
        self.dimension = dimension; self.harmonics = harmonics
    }

    /// Number of features, 2nK.
    public var width: Int { 2 * dimension * harmonics }

    /// The embedding's jet at the rows of x [P, n] up to `order`, [B·P, width] in `JetIndexSet` order.
    public func jet(_ x: Matrix, order: Int) -> TaylorJet {
        precondition(x.cols == dimension)
        let ix = JetIndexSet.shared(dimension: dimension, order: order)
        let P = x.rows, E = width, K = harmonics
        var d = [Double](repeating: 0, count: ix.count * P * E)
        for (b, alpha) in ix.indices.enumerated() {
            let m = alpha.count
            // Only pure derivatives ∂_j^m act on the features of variable j.
            for j in 0..<dimension where alpha.allSatisfy({ $0 == j }) {
                for p in 0..<P {
                    let xj = x[p, j]
                    for k in 1...K {
                        let kd = Double(k), scale = pow(kd, Double(m)), phase = kd * xj + Double(m) * .pi / 2
                        let base = (b * P + p) * E + (j * K + (k - 1)) * 2
                        d[base] = scale * cos(phase)
                        d[base + 1] = scale * sin(phase)
                    }
                }
            }
        }
        return TaylorJet(indexSet: ix, points: P, width: E, data: d)
    }
}

import NumericCore
import Numerics

/// The local holomorphic chart of X around a sample point: patch coordinates fixed to 1, local coordinates
/// x_a = z_{good_a} (`Patch`), dependent coordinates z_{dep} solved from Q_a(z) = 0 by Newton's method
/// (K×K system B δ = −Q). Used for finite-difference derivatives (pullback checks, Ricci curvature).
public struct LocalChart: Sendable {
    /// The variety X.
    public let variety: Variety
    /// Per factor, the homogeneous coordinate fixed to 1.
    public let patch: [Int]
    /// The K coordinates solved from Q = 0 (one per equation).
    public let dependent: [Int]
    /// The n local coordinates x_a = z_{good_a}, in increasing order.
    public let good: [Int]
    /// The point the chart is centred at (patch-normalised).
    public let center: [ComplexDouble]

    /// The chart centred at `point` (patch-normalised, on X) with the given patch and dependent coordinates.
    public init(variety: Variety, point: [ComplexDouble], patch: [Int], dependent: [Int]) {
        self.variety = variety; self.patch = patch; self.dependent = dependent; center = point
        good = Patch.goodCoordinates(coordinates: variety.coordinateCount, patch: patch, dependent: dependent)
    }

    /// Chart of point i of a sample.
    public init(sample s: PointSample, index i: Int) {
        let v = s.variety
        self.init(variety: v, point: s.point(i), patch: Array(s.patch[(i * v.ambient.factorCount)..<((i + 1) * v.ambient.factorCount)]),
                  dependent: Array(s.dependent[(i * v.equationCount)..<((i + 1) * v.equationCount)]))
    }

    /// Local coordinates of the centre.
    public var centerCoordinates: [ComplexDouble] { good.map { center[$0] } }

    /// z(x): the point of X with local coordinates x (Newton from the centre's dependent values); nil if
    /// Newton does not reach max|Q| < 1e-13.
    public func point(at x: [ComplexDouble]) -> [ComplexDouble]? {
        let v = variety, d = v.coordinateCount, k = v.equationCount
        var z = center
        for (a, j) in good.enumerated() { z[j] = x[a] }
        var grad = [ComplexDouble](repeating: .zero, count: d)
        var polished = 0   // one extra Newton step after |Q| < 1e-14 (finite differences need full precision)
        for _ in 0..<40 {
            var b = [ComplexDouble](repeating: .zero, count: k * k), q = [ComplexDouble](repeating: .zero, count: k)
            var res = 0.0
            for a in 0..<k {
                q[a] = z.withUnsafeBufferPointer { pz in grad.withUnsafeMutableBufferPointer { v.equations[a].valueAndGradient(at: pz.baseAddress!, gradient: $0.baseAddress!) } }
                res = max(res, q[a].length)
                for al in 0..<k { b[a * k + al] = grad[dependent[al]] }
            }
            if res < 1e-14 { polished += 1; if polished > 1 { return z } }
            let det = b.withUnsafeMutableBufferPointer { pb in q.withUnsafeMutableBufferPointer { SmallComplexLinearAlgebra.solve(pb.baseAddress!, k, $0.baseAddress!, 1) } }
            if det == .zero { return nil }
            for al in 0..<k { z[dependent[al]] = z[dependent[al]] - q[al] }
        }
        var res = 0.0
        for a in 0..<k { res = max(res, v.equations[a].value(at: z).length) }
        return res < 1e-13 ? z : nil
    }
}

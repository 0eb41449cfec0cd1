import Foundation
import NumericCore

/// A Riemannian metric g_ij(x) on Tⁿ sampled on a `TorusGrid`: `components` is [M, n, n] row-major (point-major,
/// symmetric), the layout of `metric.npy`.
public struct GridMetric: Sendable {
    /// The grid the metric lives on.
    public let grid: TorusGrid
    /// g_ij at every point, [M, n, n].
    public var components: [Double]

    /// A metric from its components [M, n, n] (symmetrised: g_ij ← (g_ij + g_ji)/2).
    public init(grid: TorusGrid, components: [Double]) {
        let n = grid.dimension
        precondition(components.count == grid.count * n * n, "GridMetric: \(components.count) values, expected \(grid.count * n * n)")
        self.grid = grid
        var c = components
        for p in 0..<grid.count { for i in 0..<n { for j in (i + 1)..<max(i + 1, n) {
            let s = 0.5 * (c[(p * n + i) * n + j] + c[(p * n + j) * n + i])
            c[(p * n + i) * n + j] = s; c[(p * n + j) * n + i] = s
        } } }
        self.components = c
    }

    /// The conformally flat metric g = e^{u}δ.
    public static func conformal(_ u: [Double], grid: TorusGrid) -> GridMetric {
        let n = grid.dimension
        var c = [Double](repeating: 0, count: grid.count * n * n)
        for p in 0..<grid.count { let v = exp(u[p]); for i in 0..<n { c[(p * n + i) * n + i] = v } }
        return GridMetric(grid: grid, components: c)
    }

    /// The upper-triangle components as fields, field-major [n(n+1)/2][M] in the order (0,0), (0,1), …, (n−1,n−1).
    public var upperTriangleFields: [Double] {
        let n = grid.dimension, M = grid.count
        var out = [Double](repeating: 0, count: M * n * (n + 1) / 2)
        var f = 0
        for i in 0..<n { for j in i..<n {
            for p in 0..<M { out[f * M + p] = components[(p * n + i) * n + j] }
            f += 1
        } }
        return out
    }

    /// The metric from its upper-triangle fields (the inverse of `upperTriangleFields`).
    public init(grid: TorusGrid, upperTriangleFields y: [Double]) {
        let n = grid.dimension, M = grid.count
        precondition(y.count == M * n * (n + 1) / 2, "GridMetric: \(y.count) values, expected \(M * n * (n + 1) / 2)")
        var c = [Double](repeating: 0, count: M * n * n)
        var f = 0
        for i in 0..<n { for j in i..<n {
            for p in 0..<M { c[(p * n + i) * n + j] = y[f * M + p]; c[(p * n + j) * n + i] = y[f * M + p] }
            f += 1
        } }
        self.grid = grid; components = c
    }

    /// The first point (index) where g is not finite or not positive definite (Sylvester: all leading minors > 0),
    /// nil when g is a Riemannian metric everywhere.
    public func firstNonPositivePoint() -> Int? {
        let n = grid.dimension
        for p in 0..<grid.count {
            let b = p * n * n
            var finite = true
            for k in 0..<(n * n) where !components[b + k].isFinite { finite = false }
            if !finite { return p }
            let g = { (i: Int, j: Int) in self.components[b + i * n + j] }
            let m1 = g(0, 0), m2 = g(0, 0) * g(1, 1) - g(0, 1) * g(1, 0)
            if !(m1 > 0 && m2 > 0) { return p }
            if n == 3 && !(Self.determinant3(components, b) > 0) { return p }
        }
        return nil
    }

    /// Throws a `SettingError` naming `what`, the first point where g is not a Riemannian metric and its
    /// coordinates, when there is one.
    public func validate(_ what: String) throws {
        guard let p = firstNonPositivePoint() else { return }
        let n = grid.dimension
        let x = (0..<n).map { String(format: "%.4g", grid.coordinate(p, axis: $0)) }.joined(separator: ", ")
        let g = (0..<(n * n)).map { String(format: "%.4g", components[p * n * n + $0]) }.joined(separator: ", ")
        throw SettingError(what, "is not a positive-definite metric at x = (\(x)): g = [\(g)], expected a symmetric positive-definite g_ij")
    }

    static func determinant3(_ c: [Double], _ b: Int) -> Double {
        c[b] * (c[b + 4] * c[b + 8] - c[b + 5] * c[b + 7]) - c[b + 1] * (c[b + 3] * c[b + 8] - c[b + 5] * c[b + 6])
            + c[b + 2] * (c[b + 3] * c[b + 7] - c[b + 4] * c[b + 6])
    }

    /// √det g at every point.
    public var volumeDensity: [Double] {
        let n = grid.dimension
        return (0..<grid.count).map { p in
            let b = p * n * n
            return sqrt(n == 2 ? components[b] * components[b + 3] - components[b + 1] * components[b + 2] : Self.determinant3(components, b))
        }
    }

    /// Vol(g) = ∫ √det g dⁿx (the area in 2-D).
    public var volume: Double { grid.integrate(volumeDensity) }
}

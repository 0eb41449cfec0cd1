import Foundation
import NumericCore

extension Serial {
    /// Whether any layer computes its kernel map by quadrature (`ElementwiseNumerical`, Tanh, Softplus, Elu, …).
    public var usesQuadrature: Bool {
        leaves.contains { ($0 as? Nonlinearity)?.activation.quadratureDegree != nil }
    }

    /// The same network with every quadrature degree n replaced by `transform(n)`.
    public func withQuadratureDegrees(_ transform: (Int) -> Int) -> Serial {
        Serial(layers.map { l -> any Layer in
            if let p = l as? Parallel { return Parallel(p.branches.map { $0.withQuadratureDegrees(transform) }) }
            guard let nl = l as? Nonlinearity, let n = nl.activation.quadratureDegree else { return l }
            return Nonlinearity(nl.activation.withQuadratureDegree(transform(n)))
        })
    }

    /// The largest entrywise relative error max_e err_e/|v_e| of kernel values v with error estimates err (|v| below
    /// 10⁻³⁰⁰ counts as 10⁻³⁰⁰); 0 for no entries.
    public static func largestRelativeError(_ err: [Double], of v: [Double]) -> Double {
        zip(err, v).map { $0 / Swift.max(Swift.abs($1), 1e-300) }.max() ?? 0
    }

    /// An error estimate for the kernels of a network with quadrature activations: entrywise
    ///   ΔK = max(|K(n) − K(⌈n/2⌉)|, |K(n) − K(⌈3n/4⌉)|),  ΔΘ likewise,
    /// the differences between the kernels with each quadrature layer at its degree n and at lower degrees. While
    /// the quadrature converges (geometrically in n for analytic φ, and for φ with a kink at 0 declared to the split
    /// rule) the lower degrees' errors dominate the differences, so they bound the error of K(n), Θ(n) from above,
    /// usually by orders of magnitude; two comparisons guard against a coincidence of oscillating errors (Gauss–
    /// Hermite errors change sign with n). Costs ≈ 0.8 of `kernels`. `reference` is `kernels(x1, x2,
    /// diagonalOnly:)` if already computed. nil when no layer uses quadrature.
    public func quadratureErrorEstimate(_ x1: Matrix, _ x2: Matrix? = nil, inputShape: TensorShape? = nil, diagonalOnly: Bool = false,
                                        reference: KernelState? = nil) throws -> (nngp: [Double], ntk: [Double])? {
        guard usesQuadrature else { return nil }
        let shape = inputShape ?? .vector(x1.cols)
        let full = try reference ?? kernels(x1, x2, inputShape: shape, diagonalOnly: diagonalOnly)
        var dk = [Double](repeating: 0, count: full.nngp.count), dt = dk
        for lower in [{ (n: Int) in (n + 1) / 2 }, { (n: Int) in (3 * n + 3) / 4 }] {
            let coarse = try withQuadratureDegrees { max(2, min($0 - 1, lower($0))) }.kernels(x1, x2, inputShape: shape, diagonalOnly: diagonalOnly)
            precondition(full.nngp.count == coarse.nngp.count, "quadratureErrorEstimate: reference of another shape")
            for e in dk.indices {
                dk[e] = max(dk[e], abs(full.nngp[e] - coarse.nngp[e]))
                dt[e] = max(dt[e], abs(full.ntk[e] - coarse.ntk[e]))
            }
        }
        return (dk, dt)
    }
}

import Ensembles
import Foundation
import NumericCore

/// The Gauss–Legendre grid on which S_int = (λ/4!) ∫_V φ⁴ dᵈx is evaluated exactly for every cos-net of cutoff Λ.
///
/// φ⁴ of modes with |b| < Λ is a trigonometric polynomial with wavenumbers up to 4Λ per axis; over a side L_j its
/// phase excursion is κ_j = 2ΛL_j, and n_j ≥ 0.75κ_j + 30 Legendre nodes integrate it to round-off (the same
/// rule as `QuarticAction.grid(for:box:)`, here with the cutoff in place of the sample's largest |b_j|, so that
/// one grid serves a whole Markov chain). The field is kept on the nodes, so replacing one mode costs O(#nodes)
/// (Metropolis) and the parameter gradient of S_int costs O(N·#nodes) (HMC).
public struct InteractionGrid: Sendable {
    /// The box V.
    public let box: Box
    /// The Gauss–Legendre grid with n_j = ⌈0.75·2ΛL_j + 30⌉ nodes on side j.
    public let grid: QuadratureGrid

    /// The grid on `box` for fields with cutoff Λ.
    public init(box: Box, cutoff Λ: Double) {
        self.box = box
        grid = QuadratureGrid(box: box, counts: box.sides.map { Int((0.75 * 2 * Λ * $0 + 30).rounded(.up)) })
    }

    /// The number of nodes Π_j n_j.
    public var nodeCount: Int { grid.weights.count }

    /// ∫_V φ⁴ for φ given at the nodes.
    public func fourthPowerIntegral(_ phi: UnsafeBufferPointer<Double>) -> Double {
        var s = 0.0
        grid.weights.withUnsafeBufferPointer { w in
            for p in 0..<phi.count { let v = phi[p] * phi[p]; s += w[p] * v * v }
        }
        return s
    }

    /// Adds A cos(b·x + c) at every node to `phi` (A < 0 subtracts).
    public func addMode(amplitude A: Double, momentum b: UnsafeBufferPointer<Double>, phase c: Double,
                        to phi: UnsafeMutableBufferPointer<Double>) {
        let d = box.dimension
        grid.nodes.data.withUnsafeBufferPointer { x in
            for p in 0..<phi.count {
                var t = c
                for j in 0..<d { t += b[j] * x[p * d + j] }
                phi[p] += A * cos(t)
            }
        }
    }

    /// ∫_V (φ + δ)⁴ − ∫_V φ⁴ where δ = A_new cos(b_new·x + c_new) − A_old cos(b_old·x + c_old), with the
    /// changed mode written into `delta` (so an accepted move is φ += δ).
    public func fourthPowerChange(_ phi: UnsafeBufferPointer<Double>,
                                  old: (A: Double, b: UnsafeBufferPointer<Double>, c: Double),
                                  new: (A: Double, b: UnsafeBufferPointer<Double>, c: Double),
                                  delta: UnsafeMutableBufferPointer<Double>) -> Double {
        let d = box.dimension
        var s = 0.0
        grid.nodes.data.withUnsafeBufferPointer { x in grid.weights.withUnsafeBufferPointer { w in
            for p in 0..<phi.count {
                var t0 = old.c, t1 = new.c
                for j in 0..<d { t0 += old.b[j] * x[p * d + j]; t1 += new.b[j] * x[p * d + j] }
                let dp = new.A * cos(t1) - old.A * cos(t0)
                delta[p] = dp
                let f = phi[p], g = f + dp
                let f2 = f * f, g2 = g * g
                s += w[p] * (g2 * g2 - f2 * f2)
            }
        } }
        return s
    }

    /// φ at the nodes for the modes.
    public func field(_ f: CosineModes) -> [Double] { grid.field(f) }
}

import Ensembles
import Foundation
import NumericCore

/// φ⁴ theory as a neural-network field theory (Demirtas–Halverson–Maiti–Schwartz–Stoner, arXiv 2307.03223; also
/// Gukov–Halverson–Ruehle, arXiv 2402.13321, eq. 13): the free cos-net density deformed
/// by the interaction over a box V,
///   P_λ(θ) ∝ P(θ) exp(−S_int[φ_θ]),   S_int = (λ/4!) ∫_V φ_θ(x)⁴ dᵈx,
/// so that to leading order in λ the connected four-point function is −λ ∫_V dᵈy Π_i G_Λ(x_i − y)
/// (`LeadingOrderPhi4`), on top of the free theory's own 1/N part (`FreeScalarExact`).
public struct Phi4Theory: Sendable {
    /// The free cos-net ensemble P(θ).
    public let ensemble: CosNetEnsemble
    /// The box V.
    public let box: Box
    /// The grid on which ∫_V φ⁴ is exact for every cos-net of this cutoff.
    public let grid: InteractionGrid

    /// The deformed theory of `ensemble` over `box`; throws `InputError` unless the box has the field's dimension.
    public init(ensemble: CosNetEnsemble, box: Box) throws {
        guard box.dimension == ensemble.network.dimension else {
            throw InputError("box has dimension \(box.dimension); expected the field's dimension \(ensemble.network.dimension)")
        }
        self.ensemble = ensemble
        self.box = box
        grid = InteractionGrid(box: box, cutoff: ensemble.network.cutoff)
    }

    /// The width N.
    public var width: Int { ensemble.network.width }
    /// The dimension d.
    public var dimension: Int { ensemble.network.dimension }

    /// ∫_V φ⁴ for one parameter draw (exact on `grid`).
    public func interactionIntegral(_ θ: CosNetParameters) -> Double {
        let phi = grid.field(ensemble.network.modes(θ))
        return phi.withUnsafeBufferPointer { grid.fourthPowerIntegral($0) }
    }

    /// −log P(θ) up to a constant (the free density).
    public func priorPotential(_ θ: CosNetParameters) -> Double { -ensemble.density.logDensity(θ) }
}

/// Free cos-net samples with what reweighting needs: φ_k at the points and I_k = ∫_V φ_k⁴ per draw.
public struct FreeFieldSamples: Sendable {
    /// The number of points P.
    public let pointCount: Int
    /// φ_k(x_p), row-major [M, P].
    public var fields: [Double]
    /// I_k = ∫_V φ_k⁴ dᵈx.
    public var interactions: [Double]
    /// The number of draws M.
    public var count: Int { pointCount == 0 ? 0 : fields.count / pointCount }

    /// Samples from fields [M·P] and interactions [M] (or [] when not needed).
    public init(pointCount: Int, fields: [Double], interactions: [Double]) {
        self.pointCount = pointCount
        self.fields = fields
        self.interactions = interactions
    }
}

/// Importance reweighting of the free ensemble to the φ⁴ density: draw θ_k ~ P(θ) (network k uses
/// `RandomStream(seed:, stream: k)`, so the draws do not depend on the thread count or on how the run is split)
/// and weight by w_k = exp(−(λ/24) I_k). One set of draws serves every λ, so G(λ) − G(0) is estimated on the
/// same samples; the effective sample size (Σw)²/Σw² says how far a λ can be pushed.
public struct ImportanceReweighting: Sendable {
    /// The theory whose free ensemble is drawn.
    public let theory: Phi4Theory

    /// Reweighting for `theory`.
    public init(theory: Phi4Theory) { self.theory = theory }

    /// Draws networks `range` (stream indices) and returns φ at `points` and ∫_V φ⁴, on all cores.
    public func sample(points: Matrix, networks range: Range<Int>, seed: UInt64) -> FreeFieldSamples {
        let M = range.count, P = points.rows
        var fields = [Double](repeating: 0, count: M * P), inter = [Double](repeating: 0, count: M)
        let theory = self.theory
        fields.withUnsafeMutableBufferPointer { fb in inter.withUnsafeMutableBufferPointer { ib in
            let f = SendablePointer(fb.baseAddress!), s = SendablePointer(ib.baseAddress!)
            let chunk = 64
            DispatchQueue.concurrentPerform(iterations: (M + chunk - 1) / chunk) { t in
                var phiGrid = [Double](repeating: 0, count: theory.grid.nodeCount)
                for k in (t * chunk)..<min(M, (t + 1) * chunk) {
                    var rng = RandomStream(seed: seed, stream: UInt64(range.lowerBound + k))
                    let modes = theory.ensemble.network.modes(theory.ensemble.density.sample(using: &rng))
                    modes.evaluate(at: points, into: UnsafeMutableBufferPointer(start: f.pointer + k * P, count: P))
                    phiGrid.withUnsafeMutableBufferPointer { g in
                        modes.evaluate(at: theory.grid.grid.nodes, into: g)
                        s.pointer[k] = theory.grid.fourthPowerIntegral(UnsafeBufferPointer(g))
                    }
                }
            }
        } }
        return FreeFieldSamples(pointCount: P, fields: fields, interactions: inter)
    }

    /// The correlators at coupling λ from free samples: log w_k = −(λ/24) I_k.
    public static func estimate(_ samples: FreeFieldSamples, coupling λ: Double, blocks: Int = 32) -> WeightedCorrelators {
        WeightedCorrelators(fields: samples.fields, pointCount: samples.pointCount,
                            logWeights: samples.interactions.map { -λ / 24 * $0 }, blocks: blocks)
    }
}

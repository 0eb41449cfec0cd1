import Ensembles
import Foundation
import NumericCore

/// A box V = Π_j [lower_j, upper_j] ⊂ ℝᵈ, the region over which the φ⁴ interaction is integrated.
public struct Box: Sendable, Equatable, Codable {
    /// The lower corner (lower_j).
    public let lower: [Double]
    /// The upper corner (upper_j).
    public let upper: [Double]

    /// The box Π_j [lower_j, upper_j]; throws `InputError` unless the corners have one dimension and lower_j < upper_j are finite.
    public init(lower: [Double], upper: [Double]) throws {
        guard lower.count == upper.count, !lower.isEmpty else { throw InputError("box bounds of dimensions \(lower.count) and \(upper.count)") }
        for j in lower.indices where !(upper[j] > lower[j]) || !lower[j].isFinite || !upper[j].isFinite {
            throw InputError("box side \(j): [\(lower[j]), \(upper[j])], expected finite lower < upper")
        }
        self.lower = lower
        self.upper = upper
    }

    /// The centred cube [−L/2, L/2]ᵈ.
    public init(side L: Double, dimension d: Int) throws {
        guard L > 0, L.isFinite else { throw InputError("box side \(L), expected a positive length") }
        try self.init(lower: [Double](repeating: -L / 2, count: d), upper: [Double](repeating: L / 2, count: d))
    }

    /// The dimension d.
    public var dimension: Int { lower.count }
    /// vol(V) = Π_j (upper_j − lower_j).
    public var volume: Double { zip(lower, upper).reduce(1) { $0 * ($1.1 - $1.0) } }
    /// The centre (lower + upper)/2.
    public var center: [Double] { zip(lower, upper).map { ($0 + $1) / 2 } }
    /// The side lengths L_j = upper_j − lower_j.
    public var sides: [Double] { zip(lower, upper).map { $1 - $0 } }

    /// Whether lower_j ≤ x_j ≤ upper_j for every j (the boundary counts as inside).
    public func contains(_ x: [Double]) -> Bool { x.indices.allSatisfy { x[$0] >= lower[$0] && x[$0] <= upper[$0] } }

    /// ∫_V cos(k·x + φ) dᵈx = cos(φ + k·x₀) Π_j L_j sinc(k_j L_j/2), x₀ the centre, sinc t = sin t / t.
    public func cosineIntegral(wavevector k: UnsafeBufferPointer<Double>, phase φ: Double) -> Double {
        var shift = φ, prod = 1.0
        for j in 0..<dimension {
            let L = upper[j] - lower[j], x0 = (upper[j] + lower[j]) / 2
            shift += k[j] * x0
            let t = k[j] * L / 2
            prod *= abs(t) < 1e-8 ? L * (1 - t * t / 6) : L * sin(t) / t
        }
        return cos(shift) * prod
    }
}

/// The φ⁴ interaction of a cos-net field over a box, S_int = (λ/4!) ∫_V φ(x)⁴ dᵈx (the deformation of arXiv 2307.03223,
/// restricted to a finite box so that it is finite for every network), for
/// φ = Σ_i A_i cos(b_i·x + c_i).
///
/// Analytic route: with θ_k = b_k·x + c_k, Π_{k=1}^4 cos θ_k = ⅛ Σ_{ε∈{±1}³} cos(θ₁ + ε₂θ₂ + ε₃θ₃ + ε₄θ₄) and
/// each term integrates to sinc factors (`Box.cosineIntegral`); the sum runs over unordered index quadruples
/// i ≤ j ≤ k ≤ l with their multinomial multiplicities: O(N⁴/24). Quadrature route: tensor Gauss–Legendre
/// with n_j ≥ 0.75 κ_j + 30 nodes per axis, κ_j = 2 max_i|b_ij| L_j the largest phase excursion of φ⁴ over the
/// side, which integrates the trigonometric polynomial φ⁴ to round-off (the Legendre coefficients of e^{iκt}
/// fall like (eκ/4n)^{2n}): O(N·Π n_j). `integral` uses the analytic sum for N ≤ 24 and quadrature above.
public struct QuarticAction: Sendable {
    /// The box V.
    public let box: Box
    /// λ ≥ 0.
    public let coupling: Double

    /// The action over `box` at coupling λ (a finite λ ≥ 0).
    public init(box: Box, coupling λ: Double) throws {
        self.box = box
        self.coupling = try Self.validatedCoupling(λ)
    }

    /// λ itself when it is a valid φ⁴ coupling, a finite λ ≥ 0 (the density P(θ)e^{−S_int} is normalisable);
    /// otherwise an `InputError` naming λ.
    public static func validatedCoupling(_ λ: Double) throws -> Double {
        guard λ >= 0, λ.isFinite else { throw InputError("coupling λ = \(λ); expected a finite λ ≥ 0") }
        return λ
    }

    /// S_int = (λ/24) ∫_V φ⁴.
    public func action(_ f: CosineModes) -> Double { coupling / 24 * integral(f) }

    /// ∫_V φ⁴ dᵈx.
    public func integral(_ f: CosineModes) -> Double {
        f.count <= 24 ? QuarticAction.analyticIntegral(f, box: box) : QuarticAction.quadratureIntegral(f, box: box)
    }

    /// ∫_V φ⁴ by the sinc sum over unordered quadruples.
    public static func analyticIntegral(_ f: CosineModes, box: Box) -> Double {
        let N = f.count, d = f.dimension
        var total = 0.0
        withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { k in
            let kb = UnsafeBufferPointer(k)
            f.momenta.data.withUnsafeBufferPointer { b in
                for i in 0..<N { for j in i..<N { for l in j..<N { for m in l..<N {
                    // Multiplicity 4!/Π(repeats)!.
                    var mult = 24.0
                    let idx = [i, j, l, m]
                    var run = 1
                    for q in 1..<4 {
                        if idx[q] == idx[q - 1] { run += 1; mult /= Double(run) } else { run = 1 }
                    }
                    let amp = f.amplitudes[i] * f.amplitudes[j] * f.amplitudes[l] * f.amplitudes[m]
                    var s = 0.0
                    for signs in 0..<8 {
                        let e2: Double = signs & 1 == 0 ? 1 : -1, e3: Double = signs & 2 == 0 ? 1 : -1, e4: Double = signs & 4 == 0 ? 1 : -1
                        for q in 0..<d { k[q] = b[i * d + q] + e2 * b[j * d + q] + e3 * b[l * d + q] + e4 * b[m * d + q] }
                        let phase = f.phases[i] + e2 * f.phases[j] + e3 * f.phases[l] + e4 * f.phases[m]
                        s += box.cosineIntegral(wavevector: kb, phase: phase)
                    }
                    total += mult * amp * s / 8
                } } } }
            }
        }
        return total
    }

    /// The tensor Gauss–Legendre grid that integrates φ⁴ of these modes to round-off.
    public static func grid(for f: CosineModes, box: Box) -> QuadratureGrid {
        let d = box.dimension
        var counts: [Int] = []
        for j in 0..<d {
            var bmax = 0.0
            for i in 0..<f.count { bmax = max(bmax, abs(f.momenta[i, j])) }
            let kappa = 2 * bmax * (box.upper[j] - box.lower[j])
            counts.append(Int((0.75 * kappa + 30).rounded(.up)))
        }
        return QuadratureGrid(box: box, counts: counts)
    }

    /// ∫_V φ⁴ by tensor Gauss–Legendre quadrature.
    public static func quadratureIntegral(_ f: CosineModes, box: Box, grid: QuadratureGrid? = nil) -> Double {
        let g = grid ?? QuarticAction.grid(for: f, box: box)
        let phi = g.field(f)
        var s = 0.0
        for p in 0..<phi.count { let v = phi[p] * phi[p]; s += g.weights[p] * v * v }
        return s
    }
}

/// A tensor-product Gauss–Legendre grid on a box: nodes [P, d] and weights [P], P = Π n_j.
public struct QuadratureGrid: Sendable {
    /// The box the grid covers.
    public let box: Box
    /// Nodes per axis n_j.
    public let counts: [Int]
    /// The nodes, [Π n_j, d], last axis fastest.
    public let nodes: Matrix
    /// The product weights Π_j w_j, [Π n_j]; Σ_p w_p f(x_p) ≈ ∫_V f.
    public let weights: [Double]

    /// The grid with n_j = counts[j] Gauss–Legendre nodes on side j.
    public init(box: Box, counts: [Int]) {
        self.box = box
        self.counts = counts
        let rules = counts.indices.map { QuadratureRule.gaussLegendre(counts[$0], on: box.lower[$0], box.upper[$0]) }
        let P = counts.reduce(1, *), d = counts.count
        var x = Matrix(rows: P, cols: d), w = [Double](repeating: 1, count: P)
        for p in 0..<P {
            var rest = p
            for j in stride(from: d - 1, through: 0, by: -1) {
                let k = rest % counts[j]
                rest /= counts[j]
                x[p, j] = rules[j].nodes[k]
                w[p] *= rules[j].weights[k]
            }
        }
        nodes = x
        weights = w
    }

    /// φ at every node.
    public func field(_ f: CosineModes) -> [Double] { f.evaluate(at: nodes) }
}

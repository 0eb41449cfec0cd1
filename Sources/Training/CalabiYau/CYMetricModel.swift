import CYBridge
import NumericCore
import Numerics

/// How a network builds a Kähler metric on a Calabi–Yau n-fold X (cymetric's models, Larfors–Lukas–Ruehle–Schneider,
/// arXiv 2205.13408 and 2111.01436). g_ref is the pulled-back reference metric: Fubini–Study at the Kähler moduli t,
/// or an algebraic (Donaldson balanced) metric of the same class.
public enum CYMetricModel: String, Sendable, Codable, CaseIterable {
    /// g = g_ref + ∂∂̄φ with φ the network's one real output: Kähler by construction, and in the class of t — so Vol_K
    /// is fixed — when φ is one function on X (patch-invariant inputs; with cymetric's coordinates only as far as the
    /// transition loss makes it so). ∂_i∂̄_j φ is taken in the ambient homogeneous coordinates z_i = x_i + i y_i of the
    /// patch-normalised point and pulled back, ∂_i∂̄_j φ = ¼[(∂_{x_i}∂_{x_j} + ∂_{y_i}∂_{y_j})φ + i(∂_{x_i}∂_{y_j} −
    /// ∂_{y_i}∂_{x_j})φ], g_ab̄ = g^ref_ab̄ + J_a^i (∂_i∂̄_j φ) conj(J_b^j) with the pullback Jacobian J.
    case phi
    /// g = g_ref + H(NN): the network's n² outputs packed into a Hermitian n×n matrix H in the point's local chart
    /// (`hermitian`), added to the pulled-back reference (cymetric's `AddFSModel`).
    case additive
    /// g = g_ref ⊙ (1 + H(NN)), the entrywise (Hadamard) product with the packed outputs (cymetric's `MultFSModel`):
    /// the network learns a relative correction of each entry.
    case multiplicative
    /// g = H(NN): the packed outputs are the metric itself (cymetric's `FreeModel`). The readout bias starts at c·1
    /// with cⁿ = κ·median|Ω|² (`NeuralCYMetric.init`), so that the metric starts positive definite at the scale of the
    /// Monge–Ampère equation det g = κ|Ω|².
    case free

    /// Network outputs the model takes on a CY n-fold: 1 (φ) or n² (a Hermitian matrix).
    public func outputWidth(dimension n: Int) -> Int { self == .phi ? 1 : n * n }

    /// Whether the metric is closed (dω = 0) for every network: the φ-model's.
    public var isKahlerByConstruction: Bool { self == .phi }

    /// Whether g involves the reference metric g_ref.
    public var usesReference: Bool { self != .free }

    /// The coefficient of output o_m in H_ab: cymetric's packing (`FreeModel.to_hermitian`) of n² reals o into a
    /// Hermitian matrix, H_aa = o_{aa}, and for a < b H_ab = o_{ab} − i o_{ba}, H_ba = o_{ab} + i o_{ba} (the upper
    /// triangle holds the real parts, the strict lower triangle the imaginary parts of the lower entries).
    /// Returns the two outputs (row-major indices) and the coefficient of the second: H_ab = o[first] + c·o[second]
    /// (c = 0 on the diagonal, −i above, +i below).
    @inline(__always)
    public static func packing(_ a: Int, _ b: Int, _ n: Int) -> (first: Int, second: Int, coefficient: ComplexDouble) {
        if a == b { return (a * n + a, a * n + a, .zero) }
        let lo = min(a, b), hi = max(a, b)
        return (lo * n + hi, hi * n + lo, ComplexDouble(0, a < b ? -1 : 1))
    }

    /// H = the packed matrix of the n² values `o` (real outputs, or their complex derivatives — the packing is
    /// ℂ-linear) read as o(m) for m < n².
    @inline(__always)
    public static func hermitian(_ n: Int, into h: UnsafeMutablePointer<ComplexDouble>, _ o: (Int) -> ComplexDouble) {
        for a in 0..<n { for b in 0..<n {
            let (f, s, c) = packing(a, b, n)
            h[a * n + b] = a == b ? o(f) : o(f) + c * o(s)
        } }
    }

    /// The adjoint of the packing: for dL = Re Σ_ab X_ab dH_ab, the n² complex numbers Y_m = Σ_ab X_ab ∂H_ab/∂o_m
    /// (so ∂L/∂o_m = Re Y_m for real outputs, and dL = Re Σ_m Y_m do_m for complex increments).
    @inline(__always)
    public static func packingAdjoint(_ n: Int, _ x: UnsafePointer<ComplexDouble>, into y: UnsafeMutablePointer<ComplexDouble>) {
        for m in 0..<(n * n) { y[m] = .zero }
        for a in 0..<n { for b in 0..<n {
            let (f, s, c) = packing(a, b, n)
            let xab = x[a * n + b]
            y[f] = y[f] + xab
            if a != b { y[s] = y[s] + c * xab }
        } }
    }

    /// g from the packed H and the reference g_ref at one point (n×n): H (free), g_ref + H (additive),
    /// g_ref ⊙ (1 + H) (multiplicative). Not for φ.
    @inline(__always)
    func assemble(_ n: Int, packed h: UnsafePointer<ComplexDouble>, reference r: UnsafePointer<ComplexDouble>?, into g: UnsafeMutablePointer<ComplexDouble>) {
        for e in 0..<(n * n) {
            switch self {
            case .free: g[e] = h[e]
            case .additive: g[e] = r![e] + h[e]
            case .multiplicative: g[e] = r![e] + r![e] * h[e]
            case .phi: preconditionFailure("assemble: the φ-model's metric is g_ref + J ∂∂̄φ J†")
            }
        }
    }

    /// Adds to the n² output values' adjoint (at `out`) that of a functional of g with dL = Re tr(G dg): dg = C ⊙ dH
    /// (C = 1, or g_ref for multiplicative), so X_ab = G_ba C_ab and the outputs' adjoints are Re Y_m of the packing's
    /// adjoint. `x` and `y` hold n² entries each. Not for φ.
    @inline(__always)
    func addOutputAdjoint(_ G: UnsafePointer<ComplexDouble>, n: Int, reference ref: UnsafePointer<ComplexDouble>?,
                          scratch x: UnsafeMutablePointer<ComplexDouble>, _ y: UnsafeMutablePointer<ComplexDouble>, into out: UnsafeMutablePointer<Double>) {
        for a in 0..<n { for b in 0..<n { x[a * n + b] = G[b * n + a] * entryScale(a * n + b, reference: ref) } }
        Self.packingAdjoint(n, x, into: y)
        for m in 0..<(n * n) { out[m] += y[m].real }
    }

    /// ∂g_ab/∂H_ab (entrywise): 1 (free, additive) or g_ref,ab (multiplicative).
    @inline(__always)
    func entryScale(_ e: Int, reference r: UnsafePointer<ComplexDouble>?) -> ComplexDouble {
        self == .multiplicative ? r![e] : ComplexDouble(1, 0)
    }
}

import Foundation
import NumericCore

/// The optimisers over a flat parameter vector θ ∈ ℝᴺ with gradient g = ∇f(θ) and learning rate η (all minimise f).
/// The raw values are the names `nntheory train --optimizer` takes and training checkpoints store.
///
/// - `adam` (Kingma & Ba; PyTorch's defaults β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸): m ← β₁m + (1−β₁)g,
///   v ← β₂v + (1−β₂)g², θ ← θ − η·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
/// - `sgd`: heavy-ball momentum μ (default 0.9) in PyTorch's form: b ← μb + g, θ ← θ − η·b.
/// - `lbfgs`: limited-memory BFGS with a line search, see `LBFGS` (needs re-evaluations, driven by the caller).
/// - `gd`: plain gradient descent θ ← θ − η·g, no state.
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    /// Adam with bias correction: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − η·(m/(1−β₁ᵗ))/(√(v/(1−β₂ᵗ)) + ε),
    /// squares and roots elementwise, t the update count after this update.
    case adam
    /// Heavy-ball momentum (PyTorch's form, the rate outside the buffer): b ← μb + g, θ ← θ − η·b, b₀ = 0.
    case sgd
    /// Limited-memory BFGS: θ ← θ + α·d with d = −H·g from the stored curvature pairs and α from a weak-Wolfe line
    /// search started at η; steps go through `LBFGS.step`, not `OptimizerState.update`.
    case lbfgs
    /// Plain gradient descent: θ ← θ − η·g.
    case gd
}

/// An optimiser's state: its kind, the update count, the buffers and `sgd`'s momentum μ. Training checkpoints store
/// all of it but μ (the trainer always uses the default), so a resumed run continues bit-identically.
public struct OptimizerState: Sendable, Equatable {
    /// Which update rule `update` applies (`lbfgs` uses `s`, `y` through `LBFGS.step`).
    public var kind: OptimizerKind
    /// Updates made so far (Adam's t of the bias correction 1 − βᵗ; counted by every kind).
    public var t: Int = 0
    /// Adam's first moment m, or SGD's momentum buffer b (length N; empty for `gd` and `lbfgs`).
    public var m: [Double]
    /// Adam's second moment v (length N; empty for the other kinds).
    public var v: [Double]
    /// L-BFGS displacements s_k = θ_{k+1} − θ_k, oldest first (at most `LBFGS.memory`).
    public var s: [[Double]] = []
    /// L-BFGS gradient changes y_k = g_{k+1} − g_k, paired with `s`.
    public var y: [[Double]] = []
    /// Heavy-ball momentum μ of `sgd` (b ← μb + g); unused by the other kinds.
    public var momentum: Double

    /// Adam's β₁ = 0.9 (first-moment decay), β₂ = 0.999 (second-moment decay) and ε = 10⁻⁸ (added to √v̂).
    public static let beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
    /// `sgd`'s default momentum μ = 0.9 (the value every stored `sgd` run used).
    public static let defaultMomentum = 0.9

    /// Fresh state for N = `parameters` coordinates: t = 0 and zero buffers (m, v for `adam`, b for `sgd`, none for
    /// `gd`; no curvature pairs for `lbfgs`). `momentum` is `sgd`'s μ, 0 ≤ μ < 1 (μ = 0 is plain gradient descent).
    public init(kind: OptimizerKind, parameters: Int, momentum: Double = OptimizerState.defaultMomentum) {
        precondition(momentum >= 0 && momentum < 1, "momentum \(momentum) outside [0, 1)")
        self.kind = kind
        self.momentum = momentum
        m = kind == .adam || kind == .sgd ? [Double](repeating: 0, count: parameters) : []
        v = kind == .adam ? [Double](repeating: 0, count: parameters) : []
    }

    /// One update of θ in place with gradient g and rate η by the rule of `kind` (`adam`, `sgd` or `gd`; see
    /// `OptimizerKind`), t ← t + 1. `lbfgs` needs re-evaluations of f and goes through `LBFGS.step` instead.
    public mutating func update(_ theta: inout [Double], gradient g: [Double], rate eta: Double) {
        precondition(g.count == theta.count)
        t += 1
        switch kind {
        case .adam:
            let b1 = Self.beta1, b2 = Self.beta2
            let c1 = 1 - Foundation.pow(b1, Double(t)), c2 = 1 - Foundation.pow(b2, Double(t))
            for k in 0..<theta.count {
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k]
                theta[k] -= eta * (m[k] / c1) / ((v[k] / c2).squareRoot() + Self.epsilon)
            }
        case .sgd:
            for k in 0..<theta.count {
                m[k] = momentum * m[k] + g[k]
                theta[k] -= eta * m[k]
            }
        case .gd:
            for k in 0..<theta.count { theta[k] -= eta * g[k] }
        case .lbfgs:
            preconditionFailure("L-BFGS steps go through LBFGS.step")
        }
    }
}

/// Gradient clipping by the global norm (TensorFlow's `clip_by_global_norm`, which cymetric applies at norm 5):
/// g ← g · c/‖g‖₂ when ‖g‖₂ > c, unchanged otherwise. Returns ‖g‖₂ before clipping.
@discardableResult
public func clipByGlobalNorm(_ g: inout [Double], maximum c: Double) -> Double {
    var s = 0.0
    for v in g { s += v * v }
    let norm = s.squareRoot()
    if norm > c, norm.isFinite {
        let f = c / norm
        for k in 0..<g.count { g[k] *= f }
    }
    return norm
}

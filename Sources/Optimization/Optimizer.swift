import Foundation
import NumericCore

/// First-order optimisers over a flat parameter vector, with their state (for checkpoints).
///
/// - `adam` (Kingma & Ba; PyTorch's defaults β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸): m ← β₁m + (1−β₁)g,
///   v ← β₂v + (1−β₂)g², θ ← θ − η·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
/// - `sgd` with momentum μ = 0.9 (PyTorch's form): b ← μb + g, θ ← θ − η·b.
/// - `lbfgs`: see `LBFGS.swift` (needs re-evaluations, driven by the trainer).
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    case adam, sgd, lbfgs
}

public struct OptimizerState: Sendable, Equatable {
    public var kind: OptimizerKind
    /// Updates made so far.
    public var t: Int = 0
    /// Adam's first moment / SGD's momentum buffer.
    public var m: [Double]
    /// Adam's second moment.
    public var v: [Double]
    /// L-BFGS curvature pairs, oldest first.
    public var s: [[Double]] = []
    public var y: [[Double]] = []

    public static let beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, momentum = 0.9

    public init(kind: OptimizerKind, parameters: Int) {
        self.kind = kind
        m = kind == .lbfgs ? [] : [Double](repeating: 0, count: parameters)
        v = kind == .adam ? [Double](repeating: 0, count: parameters) : []
    }

    /// One Adam or SGD update of θ with gradient g and rate η.
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
                m[k] = Self.momentum * m[k] + g[k]
                theta[k] -= eta * m[k]
            }
        case .lbfgs:
            preconditionFailure("L-BFGS steps go through LBFGS.step")
        }
    }
}

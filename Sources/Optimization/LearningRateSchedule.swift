import Foundation
import NumericCore

/// Learning rate η(step) from the base rate η₀, in absolute steps (independent of the run's length, so a
/// resumed run follows the same schedule):
///
/// - `constant`: η₀
/// - `exp:H`: η₀·2^{−step/H} (half-life H steps)
/// - `step:K:F`: η₀·F^{⌊step/K⌋}
/// - `cosine:T`: η₀·(0.01 + 0.99·½(1 + cos(π·min(step, T)/T))), annealing to η₀/100 at step T
public enum LearningRateSchedule: Sendable, Equatable, CustomStringConvertible {
    /// η = η₀ (text `constant`).
    case constant
    /// η = η₀·2^{−step/H}, H = `halfLife` steps (text `exp:H`).
    case exponential(halfLife: Double)
    /// η = η₀·F^{⌊step/K⌋}, K = `every`, F = `factor` (text `step:K:F`).
    case step(every: Int, factor: Double)
    /// η = η₀·(0.01 + 0.99·½(1 + cos(π·min(step, T)/T))), T = `steps`: cosine annealing from η₀ to η₀/100 at step T,
    /// constant after (text `cosine:T`).
    case cosine(steps: Int)

    /// The schedule of a `--schedule` text: `constant`, `exp:H`, `step:K:F` or `cosine:T` (case-insensitive; H, F
    /// positive numbers, K and T positive counts, truncated to integers and at least 1).
    /// - Throws: `InputError` naming the text, one line.
    public static func parse(_ text: String) throws -> LearningRateSchedule {
        let parts = text.lowercased().split(separator: ":").map(String.init)
        func num(_ s: String) throws -> Double {
            guard let v = Double(s), v.isFinite, v > 0 else { throw InputError("--schedule '\(text)': '\(s)' is not a positive number") }
            return v
        }
        switch (parts.first ?? "", parts.count) {
        case ("constant", 1): return .constant
        case ("exp", 2): return .exponential(halfLife: try num(parts[1]))
        case ("step", 3): return .step(every: max(1, Int(try num(parts[1]))), factor: try num(parts[2]))
        case ("cosine", 2): return .cosine(steps: max(1, Int(try num(parts[1]))))
        default: throw InputError("--schedule '\(text)', expected constant, exp:HALFLIFE, step:EVERY:FACTOR or cosine:STEPS")
        }
    }

    /// The text `parse` reads back to this schedule (`constant`, `exp:H`, `step:K:F`, `cosine:T`).
    public var description: String {
        switch self {
        case .constant: return "constant"
        case .exponential(let h): return "exp:\(h)"
        case .step(let k, let f): return "step:\(k):\(f)"
        case .cosine(let t): return "cosine:\(t)"
        }
    }

    /// η(step) from the base rate η₀ = `base` by the case's formula; `step` counts from 0.
    public func rate(_ base: Double, step: Int) -> Double {
        switch self {
        case .constant: return base
        case .exponential(let h): return base * Foundation.pow(2, -Double(step) / h)
        case .step(let k, let f): return base * Foundation.pow(f, Double(step / k))
        case .cosine(let t): return base * (0.01 + 0.99 * 0.5 * (1 + Foundation.cos(Double.pi * Double(min(step, t)) / Double(t))))
        }
    }
}

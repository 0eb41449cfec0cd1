import ArgumentParser
import Ensembles
import FieldTheory
import Foundation
import NumericCore

/// The options that define a cos-net scalar field theory, shared by `freefield` and `phi4`.
struct FieldTheoryOptions: ParsableArguments {
    @Option(name: .customLong("d"), parsing: .unconditional, help: "Space(-time) dimension d: 1, 2 or 3.")
    var dimension: Int = 1

    @Option(parsing: .unconditional, help: "Mass m > 0.")
    var mass: Double = 1

    @Option(parsing: .unconditional, help: "Momentum cutoff Λ > 0.")
    var cutoff: Double = 10

    @Option(help: "Momentum sampling: ball (arXiv 2307.03223, 2402.13321 eqs. 11–12: b uniform in |b| < Λ, amplitude 1/√(b²+m²)) or propagator (b ∝ 1/(b²+m²), constant amplitude).")
    var sampling: String = "ball"

    @Option(name: .customLong("x"), parsing: .unconditional, help: "Points: .npy [P, d] or inline ('0,0.5,1' in d = 1; rows separated by ';').")
    var points: String

    func validated() throws -> (sampling: MomentumSampling, points: Matrix) {
        guard (1...3).contains(dimension) else { throw InputError("--d \(dimension), expected 1, 2 or 3") }
        // The propagator 1/(p² + m²) and the fields' amplitudes are formed in Float64: m², Λ² and Λ/m must be
        // representable with room to spare, hence the bounds 1e-100 … 1e100 (docs/errors.md).
        guard mass >= 1e-100, mass <= 1e100 else { throw InputError("--mass \(mass), expected 1e-100 ≤ m ≤ 1e100") }
        guard cutoff >= 1e-100, cutoff <= 1e100 else { throw InputError("--cutoff \(cutoff), expected 1e-100 ≤ Λ ≤ 1e100") }
        guard let s = MomentumSampling(rawValue: sampling.lowercased()) else {
            throw InputError("--sampling '\(sampling)', expected ball or propagator")
        }
        let x = try PointSet.parse(points, dimension: dimension)
        guard x.cols == dimension else { throw InputError("--x has points of dimension \(x.cols), expected d = \(dimension)") }
        return (s, x)
    }
}

extension FieldTheoryOptions {
    /// Checks what a run holds at once against the machine's memory (`MemoryBudget`): the sampled fields and
    /// interactions, `networks` × (P + 1) doubles; one cos-net per worker, `width` × (d + 2) doubles each; and
    /// `tensors` four-point tensors of P⁴ doubles (values and errors).
    func checkMemory(width: Int, networks: Int, points P: Int, tensors: Int) throws {
        let cores = Double(activeCores)
        try MemoryBudget.check(Double(width) * Double(dimension + 2) * 8 * cores, for: "one network of width \(width) per worker",
                               option: "--width \(width)")
        try MemoryBudget.check(Double(networks) * Double(P + 1) * 8 + 16 * Double(tensors) * pow(Double(P), 4),
                               for: "the fields of \(networks) networks at \(counted(P, "point")) and the four-point tensors",
                               option: "--networks \(networks)")
    }
}

/// --blocks B: the jackknife blocks of the error bars of sampled networks, shared by `freefield` and `phi4`.
struct JackknifeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Jackknife blocks B ≥ 2 for the error bars of sampled networks (not used by Markov chains).")
    var blocks: Int = 32

    /// Checks B ≥ 2 and that `networks` sampled networks fill the blocks: 0 or at least 2B.
    func check(networks: Int) throws {
        guard blocks >= 2 else { throw InputError("--blocks \(blocks), expected ≥ 2") }
        guard networks == 0 || networks >= 2 * blocks else {
            throw InputError("--networks \(networks), expected 0 or at least 2 × --blocks (\(2 * blocks))")
        }
    }
}

extension ResumeOption {
    /// `body` on the sample checkpoints `store` (and the Markov-chain states `chains`): with --resume they must belong
    /// to these settings, without it they are cleared first. A library `CheckpointMismatch` becomes the command
    /// line's advice: the same line followed by "— use another --out or drop --resume".
    func continuing<T>(_ store: SampleCheckpoint, chains: ChainCheckpoint? = nil, _ body: () throws -> T) throws -> T {
        do {
            if resume {
                try store.validate()
                try chains?.validate()
            } else {
                store.clear()
            }
            return try body()
        } catch let e as CheckpointMismatch {
            throw InputError("\(e) — use another --out or drop --resume")
        }
    }
}

/// A nested JSON array of numbers (tensors in summaries, outermost index first).
indirect enum NestedArray: Encodable {
    case number(Double)
    case list([NestedArray])

    init(_ a: NDArray<Double>) { self = NestedArray.build(a.shape, a.data[...]) }

    static func build(_ shape: [Int], _ data: ArraySlice<Double>) -> NestedArray {
        guard let n = shape.first else { return .number(data.first ?? .nan) }
        let inner = shape.dropFirst().reduce(1, *)
        return .list((0..<n).map { k in build(Array(shape.dropFirst()), data[(data.startIndex + k * inner)..<(data.startIndex + (k + 1) * inner)]) })
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let v): try c.encode(v)
        case .list(let l): try c.encode(l)
        }
    }
}

/// Writes an NDArray as .npy under `dir`.
func writeNPY(_ a: NDArray<Double>, _ name: String, in dir: URL) throws {
    try NPY.write(a, to: dir.appendingPathComponent(name))
}

/// Stacks equally shaped arrays along a new leading axis.
func stack(_ arrays: [NDArray<Double>]) -> NDArray<Double> {
    NDArray(shape: [arrays.count] + (arrays.first?.shape ?? []), data: arrays.flatMap(\.data))
}

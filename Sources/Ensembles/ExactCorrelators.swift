import Foundation

/// Exact finite-width correlators of any field of the form
/// φ(x) = Σ_{a=1}^N v_a h_a(x) + β, v_a ~ N(0, σ_v²/N), β ~ N(0, σ_β²), with i.i.d. neurons h_a
/// (the single-layer nets of 2008.08601 and the cos-net; 2008.08601, 2112.04527):
///
/// G⁽ⁿ⁾ = Σ_{S ⊆ [n], |S| even} (|S|−1)!! σ_β^{|S|} · Σ_{partitions π of [n]∖S into even blocks}
///        N(N−1)…(N−|π|+1) Π_{B∈π} (|B|−1)!! (σ_v²/N)^{|B|/2} μ(B),
///
/// where μ(B) = E[Π_{k∈B} h(x_k)] is the neuron moment of the block's points. The expansion in 1/N is
/// exact and finite: G⁽⁴⁾ = G⁽⁴⁾_GP + O(1/N) with no 1/N² term, G⁽⁶⁾ has 1/N and 1/N² terms.
public struct ExactCorrelators: Sendable {
    /// Width N (a Double, so that N → ∞ limits can be taken).
    public let width: Double
    /// σ_v², the variance scale of the output weights v_a ~ N(0, σ_v²/N).
    public let outputWeightVariance: Double
    /// σ_β², the variance of the output bias β.
    public let outputBiasVariance: Double
    /// μ(sorted multiset of point indices) = E[Π h(x_k)].
    public let moment: @Sendable ([Int]) -> Double

    /// The exact correlators of φ = Σ_a v_a h_a + β given the neuron moments μ.
    public init(width: Double, outputWeightVariance: Double, outputBiasVariance: Double,
                moment: @escaping @Sendable ([Int]) -> Double) {
        self.width = width
        self.outputWeightVariance = outputWeightVariance
        self.outputBiasVariance = outputBiasVariance
        self.moment = moment
    }

    static func doubleFactorial(_ n: Int) -> Double { n <= 0 ? 1 : Double(n) * doubleFactorial(n - 2) }

    /// The GP kernel K(x_i, x_j) = σ_v² μ({i, j}) + σ_β² (the N → ∞ two-point function).
    public func gpKernel(_ i: Int, _ j: Int) -> Double {
        outputWeightVariance * moment([min(i, j), max(i, j)]) + outputBiasVariance
    }

    /// G⁽ⁿ⁾_GP by Wick contraction with `gpKernel`.
    public func gpCorrelator(_ idx: [Int]) -> Double { Wick.gaussianCorrelator(idx, kernel: gpKernel) }

    /// The exact finite-N correlator E[φ(x_{i₁})…φ(x_{iₙ})].
    public func correlator(_ idx: [Int]) -> Double {
        let n = idx.count
        var total = 0.0
        // Subsets S (bitmask) of positions carried by the output bias β.
        for mask in 0..<(1 << n) where mask.nonzeroBitCount % 2 == 0 {
            let s = mask.nonzeroBitCount
            let biasFactor = s == 0 ? 1 : Self.doubleFactorial(s - 1) * pow(outputBiasVariance, Double(s / 2))
            if biasFactor == 0 { continue }
            let rest = (0..<n).filter { mask & (1 << $0) == 0 }.map { idx[$0] }
            total += biasFactor * neuronSum(rest)
        }
        return total
    }

    /// E[Π_k g(x_k)] for g = Σ_a v_a h_a: sum over partitions of the positions into even blocks.
    func neuronSum(_ points: [Int]) -> Double {
        if points.isEmpty { return 1 }
        if points.count % 2 == 1 { return 0 }
        var total = 0.0
        var blocks: [[Int]] = []
        func rec(_ rest: [Int]) {
            guard let first = rest.first else {
                let nb = blocks.count
                var falling = 1.0
                for k in 0..<nb { falling *= width - Double(k) }
                if falling == 0 { return }
                var prod = falling
                for b in blocks {
                    prod *= Self.doubleFactorial(b.count - 1) * pow(outputWeightVariance / width, Double(b.count / 2))
                        * moment(b.sorted())
                }
                total += prod
                return
            }
            let others = Array(rest.dropFirst())
            // Choose an odd-size subset of the others to join `first` (so the block is even).
            for mask in 1..<(1 << others.count) where mask.nonzeroBitCount % 2 == 1 {
                var block = [first], remaining: [Int] = []
                for (k, p) in others.enumerated() { if mask & (1 << k) != 0 { block.append(p) } else { remaining.append(p) } }
                blocks.append(block)
                rec(remaining)
                blocks.removeLast()
            }
        }
        rec(points)
        return total
    }
}

/// A thread-safe memo for neuron moments keyed by sorted multisets.
final class MomentCache: @unchecked Sendable {
    private let lock = NSLock()
    private var table: [[Int]: Double] = [:]
    private let compute: @Sendable ([Int]) -> Double

    init(_ compute: @escaping @Sendable ([Int]) -> Double) { self.compute = compute }

    func callAsFunction(_ key: [Int]) -> Double {
        lock.lock()
        if let v = table[key] { lock.unlock(); return v }
        lock.unlock()
        let v = compute(key)
        lock.lock(); table[key] = v; lock.unlock()
        return v
    }
}

import Foundation
import NumericCore

/// Two- and connected four-point functions from field samples φ_k(x_p), k = 1…M, with weights w_k (importance
/// reweighting) or w_k = 1 (Markov chains):
///   G₂(i, j) = Σ_k w_k φ_k(x_i)φ_k(x_j) / Σ_k w_k,
///   G₄c(i, j, k, l) = G₄(i, j, k, l) − G₂(i, j)G₂(k, l) − G₂(i, k)G₂(j, l) − G₂(i, l)G₂(j, k),
/// the odd correlators vanishing exactly (the free density and S_int are both even under a → −a).
///
/// Errors: delete-one-block jackknife over `blocks` contiguous blocks of samples — it carries the ratio estimator's
/// weight fluctuations and, for a chain, the autocorrelation when a block is much longer than τ_int.
/// Effective sample size of the weights: ESS = (Σw)²/Σw².
public struct WeightedCorrelators: Sendable {
    /// The number of points P.
    public let pointCount: Int
    /// The number of samples M.
    public let sampleCount: Int
    /// G₂ [P, P] and its jackknife error.
    public let g2: NDArray<Double>
    /// The jackknife error of G₂, [P, P].
    public let g2Error: NDArray<Double>
    /// G₄c [P, P, P, P] and its jackknife error.
    public let g4c: NDArray<Double>
    /// The jackknife error of G₄c, [P, P, P, P].
    public let g4cError: NDArray<Double>
    /// ESS = (Σw)²/Σw² (M for unit weights).
    public let effectiveSampleSize: Double
    /// The delete-one-block replicates of G₄c, [B][P⁴] (paired replicates give errors of differences).
    public let g4cReplicates: [[Double]]

    /// - Parameters:
    ///   - fields: φ_k(x_p) row-major [M, P].
    ///   - logWeights: log w_k (nil: all equal); shifted by their maximum before exponentiation.
    ///   - blocks: jackknife blocks (≥ 2, ≤ M).
    ///   - fourPoint: false skips G₄c (its tensors are then empty) — for many points, where P⁴ is too large.
    public init(fields: [Double], pointCount P: Int, logWeights: [Double]? = nil, blocks: Int = 32, fourPoint: Bool = true) {
        let M = fields.count / P
        precondition(M * P == fields.count && M >= 2, "fields must be [M, P] with M ≥ 2")
        let B = max(2, min(blocks, M))
        pointCount = P
        sampleCount = M
        var w = [Double](repeating: 1, count: M)
        if let lw = logWeights {
            let top = lw.max() ?? 0
            for k in 0..<M { w[k] = exp(lw[k] - top) }
        }
        let sw = w.reduce(0, +), sw2 = w.reduce(0) { $0 + $1 * $1 }
        effectiveSampleSize = sw * sw / sw2
        let P2 = P * P, P4 = fourPoint ? P2 * P2 : 0
        // Per-block weighted sums of 1, φφ and φφφφ.
        var W = [Double](repeating: 0, count: B)
        var S2 = [Double](repeating: 0, count: B * P2), S4 = [Double](repeating: 0, count: B * P4)
        fields.withUnsafeBufferPointer { f in S2.withUnsafeMutableBufferPointer { s2 in S4.withUnsafeMutableBufferPointer { s4 in
            var pair = [Double](repeating: 0, count: P2)
            for k in 0..<M {
                let b = k * B / M
                let wk = w[k]
                W[b] += wk
                let row = f.baseAddress! + k * P
                for i in 0..<P { for j in 0..<P { pair[i * P + j] = row[i] * row[j] } }
                let o2 = b * P2, o4 = b * P4
                for ij in 0..<P2 {
                    let v = wk * pair[ij]
                    s2[o2 + ij] += v
                    if fourPoint { for kl in 0..<P2 { s4[o4 + ij * P2 + kl] += v * pair[kl] } }
                }
            }
        } } }
        func estimate(excluding skip: Int?) -> (g2: [Double], g4c: [Double]) {
            var w0 = 0.0
            var t2 = [Double](repeating: 0, count: P2), t4 = [Double](repeating: 0, count: P4)
            for b in 0..<B where b != skip {
                w0 += W[b]
                for i in 0..<P2 { t2[i] += S2[b * P2 + i] }
                for i in 0..<P4 { t4[i] += S4[b * P4 + i] }
            }
            for i in 0..<P2 { t2[i] /= w0 }
            for i in 0..<P4 { t4[i] /= w0 }
            if fourPoint { for i in 0..<P { for j in 0..<P { for k in 0..<P { for l in 0..<P {
                let idx = ((i * P + j) * P + k) * P + l
                t4[idx] -= t2[i * P + j] * t2[k * P + l] + t2[i * P + k] * t2[j * P + l] + t2[i * P + l] * t2[j * P + k]
            } } } } }
            return (t2, t4)
        }
        let full = estimate(excluding: nil)
        var e2 = [Double](repeating: 0, count: P2), e4 = [Double](repeating: 0, count: P4)
        var m2 = e2, m4 = e4
        var reps: [([Double], [Double])] = []
        for b in 0..<B { reps.append(estimate(excluding: b)) }
        for r in reps { for i in 0..<P2 { m2[i] += r.0[i] / Double(B) }; for i in 0..<P4 { m4[i] += r.1[i] / Double(B) } }
        for r in reps {
            for i in 0..<P2 { e2[i] += (r.0[i] - m2[i]) * (r.0[i] - m2[i]) }
            for i in 0..<P4 { e4[i] += (r.1[i] - m4[i]) * (r.1[i] - m4[i]) }
        }
        let scale = Double(B - 1) / Double(B)
        g2 = NDArray(shape: [P, P], data: full.g2)
        g2Error = NDArray(shape: [P, P], data: e2.map { ($0 * scale).squareRoot() })
        let shape4 = fourPoint ? [P, P, P, P] : [0]
        g4c = NDArray(shape: shape4, data: full.g4c)
        g4cError = NDArray(shape: shape4, data: e4.map { ($0 * scale).squareRoot() })
        g4cReplicates = reps.map { $0.1 }
    }

    /// G₄c(self) − G₄c(other) with the jackknife error of the difference; both must come from the same samples
    /// and blocks (e.g. one set of free draws reweighted to two couplings), so that their fluctuations cancel.
    public func connectedFourPointDifference(from other: WeightedCorrelators) -> (value: NDArray<Double>, error: NDArray<Double>) {
        precondition(other.g4cReplicates.count == g4cReplicates.count && other.pointCount == pointCount)
        let B = g4cReplicates.count, n = g4c.count
        var mean = [Double](repeating: 0, count: n), err = mean
        for b in 0..<B { for i in 0..<n { mean[i] += (g4cReplicates[b][i] - other.g4cReplicates[b][i]) / Double(B) } }
        for b in 0..<B { for i in 0..<n { let t = g4cReplicates[b][i] - other.g4cReplicates[b][i] - mean[i]; err[i] += t * t } }
        let scale = Double(B - 1) / Double(B)
        return (NDArray(shape: g4c.shape, data: (0..<n).map { g4c.data[$0] - other.g4c.data[$0] }),
                NDArray(shape: g4c.shape, data: err.map { ($0 * scale).squareRoot() }))
    }

    /// G₄c(i, j, k, l) and its error.
    public func connectedFourPoint(_ i: Int, _ j: Int, _ k: Int, _ l: Int) -> (value: Double, error: Double) {
        let idx = ((i * pointCount + j) * pointCount + k) * pointCount + l
        return (g4c.data[idx], g4cError.data[idx])
    }

    /// G₂(i, j) and its error.
    public func twoPoint(_ i: Int, _ j: Int) -> (value: Double, error: Double) {
        (g2.data[i * pointCount + j], g2Error.data[i * pointCount + j])
    }

    /// max |G₂ − exact|/σ over the entries: how many errors the Monte Carlo G₂ strays from `exact` [P, P] at most.
    public func maxTwoPointPull(from exact: NDArray<Double>) -> Double? { Self.maxPull(g2, g2Error, exact) }

    /// max |G₄c − exact|/σ over the entries of `exact` [P, P, P, P]; nil when the four-point tensors were not computed.
    public func maxConnectedFourPointPull(from exact: NDArray<Double>) -> Double? { Self.maxPull(g4c, g4cError, exact) }

    static func maxPull(_ value: NDArray<Double>, _ error: NDArray<Double>, _ exact: NDArray<Double>) -> Double? {
        zip(zip(value.data, error.data), exact.data).map { abs($0.0 - $1) / $0.1 }.max()
    }
}

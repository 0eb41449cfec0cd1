import Ensembles
import Foundation
import NumericCore

/// The free-scalar check behind `nntheory freefield`: M cos-nets of width N (network k on Philox stream k, so
/// the numbers do not depend on the thread count) give G₂ and G₄c at the points with jackknife errors, beside the
/// exact values — G_Λ(x_i − x_j) and the exact finite-N connected four-point function (`FreeScalarExact`; cos-net of
/// Halverson, arXiv 2112.04527).
public struct FreeFieldExperiment: Sendable {
    /// The width-N cos-net ensemble that is sampled.
    public let ensemble: CosNetEnsemble
    /// The exact statements (G_Λ, N·G₄c) the samples are set against.
    public let exact: FreeScalarExact
    /// The points x_p, [P, d].
    public let points: Matrix

    /// Four-point tensors have P⁴ entries: computed for P ≤ `maxFourPointPoints`.
    public static let maxFourPointPoints = 8

    /// The experiment for d ∈ {1, 2, 3}, m > 0, Λ > 0, width N ≥ 1 and points [P, d]; throws `InputError` naming
    /// the value otherwise.
    public init(dimension d: Int, mass m: Double, cutoff Λ: Double, width N: Int, sampling: MomentumSampling, points: Matrix) throws {
        exact = try FreeScalarExact(dimension: d, mass: m, cutoff: Λ, sampling: sampling)
        guard N >= 1 else { throw InputError("width N = \(N), expected N ≥ 1") }
        guard points.cols == d else { throw InputError("points have dimension \(points.cols), expected d = \(d)") }
        ensemble = CosNetEnsemble(width: N, dimension: d, mass: m, cutoff: Λ, sampling: sampling)
        self.points = points
    }

    /// Whether four-point tensors are computed: P ≤ `maxFourPointPoints`.
    public var hasFourPoint: Bool { points.rows <= Self.maxFourPointPoints }

    /// G_Λ(x_i − x_j), [P, P].
    public func exactTwoPoint() -> NDArray<Double> {
        let P = points.rows, d = points.cols
        var out = [Double](repeating: 0, count: P * P)
        for i in 0..<P { for j in i..<P {
            var r2 = 0.0
            for k in 0..<d { r2 += (points[i, k] - points[j, k]) * (points[i, k] - points[j, k]) }
            out[i * P + j] = exact.propagator(r2.squareRoot()); out[j * P + i] = out[i * P + j]
        } }
        return NDArray(shape: [P, P], data: out)
    }

    /// The exact G₄c = (1/N)·[N·G₄c] for every quadruple, [P, P, P, P].
    public func exactConnectedFourPoint() -> NDArray<Double> {
        let P = points.rows
        let x = (0..<P).map { i in (0..<points.cols).map { points[i, $0] } }
        var out = [Double](repeating: 0, count: P * P * P * P)
        let N = Double(ensemble.network.width)
        for i in 0..<P { for j in 0..<P { for k in 0..<P { for l in 0..<P {
            out[((i * P + j) * P + k) * P + l] = exact.connectedFourPointTimesWidth([x[i], x[j], x[k], x[l]]) / N
        } } } }
        return NDArray(shape: [P, P, P, P], data: out)
    }

    /// φ_k(x_p) for networks `range`, [M, P], on all cores.
    public func sampleFields(networks range: Range<Int>, seed: UInt64) -> [Double] {
        let M = range.count, P = points.rows
        var fields = [Double](repeating: 0, count: M * P)
        let ens = ensemble, pts = points
        fields.withUnsafeMutableBufferPointer { fb in
            let f = SendablePointer(fb.baseAddress!)
            let chunk = 256
            DispatchQueue.concurrentPerform(iterations: (M + chunk - 1) / chunk) { t in
                for k in (t * chunk)..<min(M, (t + 1) * chunk) {
                    var rng = RandomStream(seed: seed, stream: UInt64(range.lowerBound + k))
                    ens.sampleField(using: &rng, at: pts, into: UnsafeMutableBufferPointer(start: f.pointer + k * P, count: P))
                }
            }
        }
        return fields
    }

    /// Monte Carlo correlators of `networks` cos-nets (G₄c only when `hasFourPoint`; otherwise its tensors are
    /// empty). With a `checkpoint` the fields are saved after every slice (a tenth of the run) and a saved prefix is
    /// continued. `stop` is polled after every slice: a signal number ends the run there, its checkpoint saved, by
    /// throwing `StopRequest.Interrupted`.
    public func measure(networks M: Int, seed: UInt64, blocks: Int = 32, progress: ((String) -> Void)? = nil,
                        checkpoint: SampleCheckpoint? = nil, stop: () -> Int32? = { nil }) throws -> WeightedCorrelators {
        let P = points.rows, N = ensemble.network.width
        var samples = try checkpoint?.load(width: N, pointCount: P) ?? FreeFieldSamples(pointCount: P, fields: [], interactions: [])
        if samples.count > M { samples.fields = Array(samples.fields[0..<(M * P)]) } else if samples.count > 0 {
            progress?("freefield: resuming after \(samples.count) networks")
        }
        let step = max(10_000, M / 10)
        while samples.count < M {
            let r = samples.count..<min(M, samples.count + step)
            samples.fields += sampleFields(networks: r, seed: seed)
            try checkpoint?.save(samples, width: N, count: samples.count)
            progress?("freefield: \(r.upperBound)/\(M) networks")
            if samples.count < M, let sig = stop() { throw StopRequest.Interrupted(signal: sig, detail: Self.stopDetail(samples.count, M, checkpoint)) }
        }
        return WeightedCorrelators(fields: samples.fields, pointCount: P, blocks: blocks, fourPoint: hasFourPoint)
    }

    /// Where a stopped sampling run stands and how to continue it, one line.
    static func stopDetail(_ done: Int, _ total: Int, _ checkpoint: SampleCheckpoint?) -> String {
        "after \(done) of \(total) networks" + (checkpoint.map { "; the checkpoint is in \($0.directory.path): rerun with --resume to continue" } ?? "")
    }

    /// The settings the samples depend on (for checkpoints).
    public var fingerprint: String {
        "d=\(exact.dimension) m=\(exact.mass) cutoff=\(exact.cutoff) sampling=\(exact.sampling.rawValue) points=\(points.data)"
    }
}

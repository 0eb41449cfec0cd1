import Foundation
import Networks
import NumericCore

/// Convergence of the empirical NTK of finite networks to the frozen infinite-width NTK as the width N grows.
///
/// For each width N (every hidden Dense layer of the SPEC set to N) and each of `networks` independently
/// initialised networks, the relative Frobenius error
///   ε = ‖Θ̂_ab(x_p, x_q) − Θ(x_p, x_q) δ_ab‖_F / ‖Θ(x_p, x_q) δ_ab‖_F
/// is computed on the point set, over the full tensor kernel (off-diagonal output blocks included, so a
/// network that averaged over outputs would not pass). Its mean over networks, with the standard error, is
/// fitted to a power law ε ≈ A N^b; the central-limit prediction for fluctuations of Θ̂ at initialisation is
/// b = −1/2 (Jacot et al. 1806.07572; Hanin–Nica 1909.05989).
public struct NTKConvergence: Sendable {
    /// The SPEC architecture; its hidden Dense layers are set to each width (`Serial.withHiddenWidth`).
    public let network: Serial
    /// The points x_p [P, d] on which Θ̂ and Θ are compared (one flattened point per row).
    public let points: Matrix
    /// The shape of one point (a vector of width d unless given: images, signals).
    public let inputShape: TensorShape
    /// The widths N of the hidden Dense layers.
    public let widths: [Int]
    /// Independently initialised networks per width.
    public let networks: Int
    /// Seed: network m of width N draws from stream m under the key derived from (seed, N).
    public let seed: UInt64

    /// An experiment; throws unless the widths are positive, networks ≥ 1 and there is at least one point.
    public init(network: Serial, points: Matrix, inputShape: TensorShape? = nil, widths: [Int], networks: Int, seed: UInt64) throws {
        guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 }) else { throw InputError("widths \(widths), expected positive integers") }
        guard networks >= 1 else { throw InputError("networks per width \(networks), expected at least 1") }
        guard points.rows >= 1 else { throw InputError("no points") }
        self.network = network
        self.points = points
        self.inputShape = inputShape ?? .vector(points.cols)
        guard self.inputShape.size == points.cols else { throw InputError("points of \(points.cols) values, expected \(self.inputShape.size) for shape \(self.inputShape)") }
        self.widths = widths
        self.networks = networks
        self.seed = seed
    }

    /// Per width: the relative errors of each network, their mean and standard error.
    public struct WidthResult: Sendable, Codable {
        /// The hidden width N.
        public let width: Int
        /// ε of each network, in network order.
        public let errors: [Double]
        /// Mean of ε over the networks.
        public let mean: Double
        /// Standard error of the mean, sd/√M (nil for one network).
        public let standardError: Double?
        enum CodingKeys: String, CodingKey { case width, errors, mean, standardError = "standard_error" }
    }

    /// The analytic kernels, the per-width errors and the power-law fit of the mean error against N.
    public struct Result: Sendable {
        /// The analytic (infinite-width) NNGP and NTK on the points, [P, P].
        public let nngp: Matrix
        /// The analytic infinite-width NTK Θ on the points, [P, P].
        public let ntk: Matrix
        /// One result per width, in the order of `widths`.
        public let widths: [WidthResult]
        /// ε ≈ A N^b fitted to the means (weighted by their standard errors when networks ≥ 2).
        public let fit: PowerLawFit?
    }

    /// ‖Θ̂ − Θ ⊗ I‖_F / ‖Θ ⊗ I‖_F for a tensor kernel [P, P, O, O] against a scalar kernel [P, P].
    public static func relativeError(_ empirical: NDArray<Double>, _ analytic: Matrix) -> Double {
        let P1 = empirical.shape[0], P2 = empirical.shape[1], O = empirical.shape[2]
        var num = 0.0, den = 0.0
        for p in 0..<P1 { for q in 0..<P2 {
            let t = analytic[p, q]
            for a in 0..<O { for b in 0..<O {
                let target = a == b ? t : 0
                let d = empirical.data[((p * P2 + q) * O + a) * O + b] - target
                num += d * d
                den += target * target
            } }
        } }
        return (num / den).squareRoot()
    }

    /// What the errors depend on besides the width and the network index: the SPEC, the points (bit patterns) and
    /// the seed (network m of width N is drawn from its own counter-based stream).
    public var fingerprint: String {
        "ntk convergence v1 \(network.description) seed=\(seed) points=\(points.exactDescription)"
            + (inputShape.spatial.isEmpty ? "" : " shape=\(inputShape)")
    }

    // The checkpoint (`checkpoints/convergence.json`, a `WidthScanCheckpoint`): the errors of the networks finished so far,
    // keyed by width.

    /// Runs the scan; `progress` receives one line per width. With `checkpoints`, the errors finished so far are
    /// saved there (every 10 s and when stopped) and, with `resume`, taken instead of recomputed — the same bits.
    /// `stop` is polled after every network: a signal number saves the checkpoint and throws
    /// `StopRequest.Interrupted`.
    public func run(progress: (String) -> Void = { _ in }, checkpoints: URL? = nil, resume: Bool = false,
                    stop: () -> Int32? = { nil }) throws -> Result {
        let analytic = try network.kernels(points, inputShape: inputShape)
        let ntk = analytic.ntkMatrix
        guard ntk.frobeniusNorm > 0 else { throw InputError("the analytic NTK vanishes on these points") }
        var checkpoint = try WidthScanCheckpoint<Double>(directory: checkpoints, name: "convergence.json", fingerprint: fingerprint,
                                                         command: "ntk convergence", resume: resume, progress: progress)
        var results: [WidthResult] = []
        for N in widths {
            var errors = checkpoint.items(width: N, limit: networks)
            for m in errors.count..<networks {
                let e = EmpiricalNTK(try network.initializeMember(width: N, index: m, inputShape: inputShape, seed: seed))
                errors.append(NTKConvergence.relativeError(try e.kernel(points), ntk))
                try checkpoint.record(width: N, errors)
                let last = N == widths.last && m == networks - 1
                if !last, let sig = stop() {
                    try checkpoint.save()
                    throw StopRequest.Interrupted(signal: sig, detail: "at width \(N) after network \(m + 1) of \(networks)" + checkpoint.resumeAdvice)
                }
            }
            let mean = errors.reduce(0, +) / Double(errors.count)
            let se: Double? = errors.count > 1
                ? (errors.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(errors.count - 1) / Double(errors.count)).squareRoot()
                : nil
            results.append(WidthResult(width: N, errors: errors, mean: mean, standardError: se))
            progress(String(format: "width %ld: relative NTK error %.4g", N, mean) + (se.map { String(format: " ± %.2g", $0) } ?? ""))
            try checkpoint.save()
        }
        let errs = results.compactMap(\.standardError)
        let fit = PowerLawFit(x: results.map { Double($0.width) }, y: results.map(\.mean),
                              errors: errs.count == results.count ? errs : nil)
        return Result(nngp: analytic.nngpMatrix, ntk: ntk, widths: results, fit: fit)
    }
}

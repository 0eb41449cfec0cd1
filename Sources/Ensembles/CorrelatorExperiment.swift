import Foundation
import Networks
import NumericCore

/// The architectures `CorrelatorExperiment` can scan.
public enum NetKind: String, Sendable, CaseIterable, Codable {
    case gauss, erf, relu, cos, mlp
}

/// The NN–field-theory scaling experiment of 2008.08601 as a value: for each width N, Monte Carlo
/// correlators G⁽ⁿ⁾ over M networks in K chunks, their exact finite-N values and GP limits, connected
/// 4- and 6-point functions, the deviation m_n(N), the chunk background, power-law fits of m_n against N
/// and the quartic coupling λ_m against the cutoff Λ (d_in = 1).
public struct CorrelatorExperiment: Sendable {
    /// Which architecture (single-layer Gauss/Erf/ReLU-net, cos-net or deep `mlp`).
    public var net: NetKind
    /// The widths N scanned.
    public var widths: [Int]
    /// Networks M per width (0: exact and GP values only).
    public var networks: Int
    /// Chunks K per width, for error bars and the background.
    public var chunks: Int
    /// The points x_i, [P, d_in].
    public var points: Matrix
    /// σ_w: weight scale (single-layer W ~ N(0, σ_w²/fan_in); `mlp`: every Dense layer's W_std).
    public var sigmaW: Double = 1
    /// σ_b: bias scale (`mlp`: every Dense layer's b_std, a bias drawn even when 0).
    public var sigmaB: Double = 1
    /// Correlator orders n among 2, 4, 6.
    public var orders: [Int] = [2, 4, 6]
    /// Seed; width N's ensemble uses the key `seed(width: N)`, network m stream m.
    public var seed: UInt64 = 0
    /// Worker threads (results do not depend on it).
    public var threads: Int = activeCores
    /// Networks per block of the fixed summation tree (results depend on it; part of the fingerprint).
    public var blockSize: Int = 256
    // cos-net
    /// cos-net: mass m.
    public var mass: Double = 1
    /// cos-net: momentum cutoff Λ.
    public var cutoff: Double = 10
    /// cos-net: amplitude scale σ_a.
    public var sigmaA: Double = 1
    // deep nets
    /// `mlp`: number of hidden layers, each of width N.
    public var depth: Int = 2
    /// `mlp`: the activation after every hidden Dense layer (default ReLU).
    public var activation: Activation = .abRelu(a: 0, b: 1)
    /// `mlp`: parameterisation of every Dense layer (the same function-space distribution either way).
    public var parameterization: Dense.Parameterization = .ntk
    /// mlp: the network as a SPEC whose hidden widths are written `N` (e.g. `Dense(N, W_std=1.4) Tanh Dense(1)`);
    /// when given it replaces depth, activation, σ_w, σ_b and the parameterisation.
    public var spec: String? = nil
    // quartic coupling
    /// Cutoffs Λ at which the quartic coupling λ_m is computed (d_in = 1 single-layer nets).
    public var lambdaCutoffs: [Double] = ScalingAnalysis.paperCutoffs
    /// Width at which λ_m is measured (nil: the paper's NGP width of the net).
    public var ngpWidth: Int? = nil

    /// An experiment with the other settings at their defaults (σ_w = σ_b = 1, orders 2, 4, 6, seed 0, …).
    public init(net: NetKind, widths: [Int], networks: Int, chunks: Int, points: Matrix) {
        self.net = net
        self.widths = widths
        self.networks = networks
        self.chunks = chunks
        self.points = points
    }

    /// The highest requested order.
    public var maxOrder: Int { orders.max() ?? 2 }
    /// Orders whose values are computed: the requested ones plus those connected functions need.
    var computedOrders: [Int] { Array(Set(orders + (maxOrder >= 4 ? [2] : []) + (maxOrder >= 6 ? [4] : []))).sorted() }

    /// The paper's "NGP width" at which λ_m is measured: ReLU 20, Gauss 100, Erf 5.
    public var effectiveNGPWidth: Int { ngpWidth ?? [NetKind.relu: 20, .gauss: 100, .erf: 5][net] ?? 5 }

    /// Checks the configuration; throws a one-line `InputError` naming the bad value.
    public func validate() throws {
        if widths.isEmpty { throw SettingError("widths", "empty, expected a list of positive integers") }
        if let w = widths.first(where: { $0 < 1 }) { throw SettingError("widths", "width \(w), expected a positive integer") }
        if networks < 0 { throw SettingError("networks", "\(networks), expected ≥ 0") }
        if chunks < 1 { throw SettingError("chunks", "\(chunks), expected ≥ 1") }
        if networks > 0 && chunks > networks { throw SettingError("chunks", "\(chunks), expected at most the number of networks (\(networks))") }
        if let o = orders.first(where: { ![2, 4, 6].contains($0) }) { throw SettingError("orders", "order \(o), expected 2, 4 or 6") }
        if let o = orders.first(where: { o in orders.filter { $0 == o }.count > 1 }) {
            throw SettingError("orders", "order \(o) given twice in \(orders.map(String.init).joined(separator: ",")), expected distinct orders among 2, 4, 6")
        }
        if let w = widths.first(where: { w in widths.filter { $0 == w }.count > 1 }) {
            throw SettingError("widths", "width \(w) given twice in \(widths.map(String.init).joined(separator: ",")), expected distinct widths")
        }
        for (name, v) in [("sigmaW", sigmaW), ("sigmaB", sigmaB), ("sigmaA", sigmaA)] where !(v.isFinite && v >= 0) {
            throw SettingError(name, "\(v), expected a finite number ≥ 0")
        }
        if net == .cos {
            // m², Λ² and 1/(p² + m²) must be representable in Float64 with room to spare (docs/errors.md).
            if !(mass >= 1e-100 && mass <= 1e100) { throw SettingError("mass", "\(mass), expected 1e-100 ≤ m ≤ 1e100") }
            if !(cutoff >= 1e-100 && cutoff <= 1e100) { throw SettingError("cutoff", "\(cutoff), expected 1e-100 ≤ Λ ≤ 1e100") }
            if !(sigmaA > 0) { throw SettingError("sigmaA", "\(sigmaA), expected > 0") }
            if !(1...3).contains(points.cols) { throw InputError("points: dimension \(points.cols), the cos-net needs d = 1, 2 or 3") }
        }
        if let spec {
            guard net == .mlp else { throw InputError("a network SPEC describes an mlp, not the \(net.rawValue) net") }
            _ = try DeepNetwork(inputDimension: points.cols, architecture: NetworkSpec.parse(spec, width: 1))
        }
        if net == .mlp && depth < 1 { throw SettingError("depth", "\(depth), expected ≥ 1 hidden layer") }
        if threads < 1 { throw SettingError("threads", "\(threads), expected ≥ 1") }
        if let l = lambdaCutoffs.first(where: { !($0 > 0 && $0.isFinite) }) { throw SettingError("lambdaCutoffs", "\(l), expected positive numbers") }
    }

    /// The ensemble at width N.
    public func ensemble(width: Int) -> any NetworkEnsemble {
        switch net {
        case .gauss, .erf, .relu:
            return SingleLayerEnsemble(activation: SingleLayerNetKind(rawValue: net.rawValue)!, width: width,
                                       inputDimension: points.cols, sigmaW: sigmaW, sigmaB: sigmaB)
        case .cos:
            return CosNetEnsemble(width: width, dimension: points.cols, mass: mass, cutoff: cutoff, sigmaA: sigmaA)
        case .mlp:
            return DeepNetEnsemble(network: deepNetwork(width: width))
        }
    }

    func deepNetwork(width: Int) -> DeepNetwork {
        if let spec {
            // `validate` parsed it at width 1.
            return try! DeepNetwork(inputDimension: points.cols, architecture: NetworkSpec.parse(spec, width: width))
        }
        return DeepNetwork(inputDimension: points.cols, hiddenWidths: Array(repeating: width, count: depth), activation: activation,
                           sigmaW: sigmaW, sigmaB: sigmaB, parameterization: parameterization)
    }

    /// Exact finite-N correlators (nil for deep nets, which have none in closed form); `reason` says why not.
    public func exactModel() -> (model: ExactCorrelators?, reason: String?) {
        do {
            switch net {
            case .gauss, .erf, .relu:
                return (try (ensemble(width: 1) as! SingleLayerEnsemble).exactCorrelators(points: points), nil)
            case .cos:
                return ((ensemble(width: 1) as! CosNetEnsemble).exactCorrelators(points: points), nil)
            case .mlp:
                return (nil, "deep networks have no closed-form finite-N correlators; GP values use the NNGP recursion")
            }
        } catch {
            return (nil, "\(error)")
        }
    }

    /// The GP kernel matrix K(x_i, x_j) (closed forms; NNGP recursion for deep nets).
    public func gpKernelMatrix() -> Matrix {
        let P = points.rows
        var K = Matrix(rows: P, cols: P)
        for i in 0..<P {
            for j in i..<P {
                let xi = points.row(i), xj = points.row(j)
                let v: Double
                switch net {
                case .gauss, .erf, .relu: v = (ensemble(width: 1) as! SingleLayerEnsemble).gpKernel(xi, xj)
                case .cos: v = (ensemble(width: 1) as! CosNetEnsemble).gpKernel(xi, xj)
                case .mlp: v = deepNetwork(width: 1).gpKernel(xi, xj)
                }
                K[i, j] = v; K[j, i] = v
            }
        }
        return K
    }

    /// The generator seed of width N's ensemble (independent across widths).
    public func seed(width: Int) -> UInt64 { deriveSeed(seed, UInt64(width)) }

    /// The layout of width N's ensemble: M networks in K chunks of blocks, seeded by `seed(width: N)`.
    public func plan(width: Int) -> EnsemblePlan {
        EnsemblePlan(networks: networks, chunks: chunks, blockSize: blockSize, seed: seed(width: width))
    }

    /// A string that identifies everything the Monte Carlo sums of width N depend on (for checkpoints).
    public func fingerprint(width: Int) -> String {
        var parts = ["net=\(net.rawValue)", "width=\(width)", "sw=\(sigmaW)", "sb=\(sigmaB)", "maxOrder=\(maxOrder)",
                     "seed=\(seed)", "networks=\(networks)", "chunks=\(chunks)", "block=\(blockSize)",
                     "points=\(points.exactDescription)"]
        if net == .cos { parts += ["m=\(mass)", "L=\(cutoff)", "sa=\(sigmaA)"] }
        if net == .mlp {
            if let spec { parts += ["spec=\(spec)"] } else { parts += ["depth=\(depth)", "act=\(activation.name)", "param=\(parameterization.rawValue)"] }
        }
        return parts.joined(separator: ";")
    }
}

/// Results of one width.
public struct WidthResult: Sendable {
    /// The width N.
    public let width: Int
    /// Monte Carlo mean, standard error and chunk means per order (empty without networks).
    public let estimates: CorrelatorEstimates?
    /// Exact finite-N values per order (nil when unavailable).
    public let exact: [Int: [Double]]?
    /// GP values per order.
    public let gp: [Int: [Double]]
    /// Per order n: m_n = mean over multisets of |G_MC − G_GP|/|G_GP| (empty without networks).
    public let deviation: [Int: Double]
    /// Per order n: the same deviation for the exact finite-N values.
    public let exactDeviation: [Int: Double]
    /// Per order n: the chunk background, mean over multisets of sd(chunk means)/|G_GP|.
    public let background: [Int: Double]
    /// Connected functions (orders 4, 6), Monte Carlo and exact.
    public let connected: [Int: [Double]]
    /// Exact connected functions G_c⁽⁴⁾, G_c⁽⁶⁾ (empty without exact values).
    public let connectedExact: [Int: [Double]]
}

import Foundation
import NumericCore

/// Volume of the d-ball of radius Λ: vol(B_Λ^d) = π^{d/2} Λ^d / Γ(d/2 + 1).
public func ballVolume(dimension d: Int, radius: Double) -> Double {
    pow(Double.pi, Double(d) / 2) * pow(radius, Double(d)) / tgamma(Double(d) / 2 + 1)
}

/// How the cos-net draws its momenta b_i; both give the cutoff free propagator G_Λ as two-point function at
/// every width N.
public enum MomentumSampling: String, Sendable, CaseIterable, Codable {
    /// arXiv 2307.03223 (as written in Gukov–Halverson–Ruehle, arXiv 2402.13321, eqs. 11–12): b uniform in the ball |b| < Λ, amplitude s(b) = 1/√(b² + m²), prefactor
    /// C = √(2 vol(B_Λ^d) / (σ_a² (2π)^d)).
    case ball
    /// arXiv 2112.04527 style: b drawn with density ∝ 1/(b² + m²) on the ball, constant amplitude s = 1,
    /// prefactor C = √(2 G_Λ(0)) / σ_a.
    case propagator
}

/// A point θ = (a, b, c) of the cos-net's parameter space: output weights a_i, momenta b_i ∈ ℝ^d, phases c_i
/// (i = 1…N). The field it defines is `CosNetwork.modes(θ)`, whose amplitudes carry C·s(b_i) besides a_i.
public struct CosNetParameters: Sendable, Equatable {
    /// The output weights a_i, [N] (a_i ~ N(0, σ_a²/N) under `CosNetDensity`).
    public var a: [Double]
    /// [N, d]: row i is neuron i's momentum b_i.
    public var b: Matrix
    /// The phases c_i ∈ [−π, π), [N].
    public var c: [Double]

    /// θ from its three blocks: a [N], b [N, d], c [N].
    public init(a: [Double], b: Matrix, c: [Double]) {
        self.a = a
        self.b = b
        self.c = c
    }

    /// |b_i|² = Σ_j b_ij², summed over j = 1…d in order.
    @inline(__always) public func momentumSquared(_ i: Int) -> Double {
        var b2 = 0.0
        for j in 0..<b.cols { b2 += b[i, j] * b[i, j] }
        return b2
    }
}

/// A field written as a finite sum of cosine modes, φ(x) = Σ_i A_i cos(b_i·x + c_i) — every cos-net sample is
/// one (A_i = C a_i s(b_i), `CosNetwork.modes`).
public struct CosineModes: Sendable, Equatable {
    /// A_i.
    public var amplitudes: [Double]
    /// b_i as rows of an [N, d] matrix.
    public var momenta: Matrix
    /// c_i.
    public var phases: [Double]

    /// The modes from amplitudes A_i [N], momenta b_i [N, d] and phases c_i [N].
    public init(amplitudes: [Double], momenta: Matrix, phases: [Double]) {
        self.amplitudes = amplitudes
        self.momenta = momenta
        self.phases = phases
    }

    /// The number of modes N.
    public var count: Int { amplitudes.count }
    /// The dimension d of x.
    public var dimension: Int { momenta.cols }

    /// φ(x_p) = Σ_i A_i cos(b_i·x_p + c_i) at each row x_p of `points` [P, d], summed in mode order i = 1…N
    /// (each phase accumulated as c_i + b_i1 x_p1 + … + b_id x_pd).
    public func evaluate(at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        let d = dimension, out = UnsafeMutableBufferPointer(rebasing: out[0..<points.rows])
        for p in out.indices { out[p] = 0 }
        momenta.data.withUnsafeBufferPointer { b in
            points.data.withUnsafeBufferPointer { xs in
                for i in 0..<count {
                    Self.addMode(amplitude: amplitudes[i], momentum: UnsafeBufferPointer(rebasing: b[(i * d)..<((i + 1) * d)]),
                                 phase: phases[i], points: xs, into: out)
                }
            }
        }
    }

    /// φ at each row of `points` [P, d], as a new array (see `evaluate(at:into:)`).
    public func evaluate(at points: Matrix) -> [Double] {
        var out = [Double](repeating: 0, count: points.rows)
        out.withUnsafeMutableBufferPointer { evaluate(at: points, into: $0) }
        return out
    }

    /// out[p] += A cos(c + Σ_j b_j x_pj) for the `out.count` points x_p, stored row-major (d = b.count) in `points`:
    /// one mode's contribution, the single loop behind every cos-net field evaluation.
    @inline(__always)
    public static func addMode(amplitude A: Double, momentum b: UnsafeBufferPointer<Double>, phase c: Double,
                               points xs: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        let d = b.count
        for p in 0..<out.count {
            var phase = c
            for j in 0..<d { phase += b[j] * xs[p * d + j] }
            out[p] += A * Foundation.cos(phase)
        }
    }
}

/// The cos-net parameter density (2112.04527): a_i ~ N(0, σ_a²/N), b_i in the d-ball of
/// radius Λ — uniform (`.ball`) or with density ∝ 1/(b² + m²) (`.propagator`) — and c_i uniform on [−π, π),
/// all independent.
///
/// Draw order per neuron (`sampleNeuron`): a_i (one normal), b_i (ball: d normals and one uniform, as
/// `RandomStream.inBall`; propagator: d normals for the direction, one uniform for the radius), c_i (one uniform).
public struct CosNetDensity: ParameterDensity {
    /// The width N.
    public let width: Int
    /// The dimension d of the momenta.
    public let dimension: Int
    /// The mass m (enters the density only for `.propagator`).
    public let mass: Double
    /// The momentum cutoff Λ.
    public let cutoff: Double
    /// σ_a: a_i has variance σ_a²/N.
    public let sigmaA: Double
    /// How b_i is drawn.
    public let sampling: MomentumSampling
    /// The radial law |b| ∝ p^{d−1}/(p² + m²) of the propagator variant.
    public let radial: CutoffMomentumRadius

    /// The density of a width-N cos-net in d dimensions with mass m, cutoff Λ, amplitude scale σ_a.
    public init(width: Int, dimension: Int, mass: Double, cutoff: Double, sigmaA: Double = 1, sampling: MomentumSampling = .ball) {
        self.width = width
        self.dimension = dimension
        self.mass = mass
        self.cutoff = cutoff
        self.sigmaA = sigmaA
        self.sampling = sampling
        self.radial = CutoffMomentumRadius(dimension: dimension, mass: mass, cutoff: cutoff)
    }

    /// One neuron's momentum b into `b` (length d): uniform in |b| < Λ, or direction uniform on the sphere and
    /// radius `radial.quantile(u)`.
    @inline(__always)
    public func sampleMomentum(using rng: inout RandomStream, into b: UnsafeMutableBufferPointer<Double>) {
        switch sampling {
        case .ball:
            rng.inBall(radius: cutoff, b)
        case .propagator:
            rng.onSphere(b)
            let r = radial.quantile(rng.uniform())
            for j in b.indices { b[j] *= r }
        }
    }

    /// One neuron (a, b, c) in the draw order a, b, c: a = (σ_a/√N)·normal, b into `b`, c = −π + 2π·uniform.
    @inline(__always)
    public func sampleNeuron(using rng: inout RandomStream, momentum b: UnsafeMutableBufferPointer<Double>) -> (a: Double, c: Double) {
        let a = sigmaA / Double(width).squareRoot() * rng.normal()
        sampleMomentum(using: &rng, into: b)
        let c = -Double.pi + 2 * Double.pi * rng.uniform()
        return (a, c)
    }

    /// θ = (a, b, c), neurons i = 1…N in order, each by `sampleNeuron`.
    public func sample(using rng: inout RandomStream) -> CosNetParameters {
        var a = [Double](repeating: 0, count: width), c = a
        var b = Matrix(rows: width, cols: dimension)
        b.data.withUnsafeMutableBufferPointer { bp in
            for i in 0..<width {
                (a[i], c[i]) = sampleNeuron(using: &rng, momentum: UnsafeMutableBufferPointer(rebasing: bp[(i * dimension)..<((i + 1) * dimension)]))
            }
        }
        return CosNetParameters(a: a, b: b, c: c)
    }

    /// log P(θ) up to a constant: −N Σ_i a_i²/(2σ_a²) [− Σ_i log(b_i² + m²) for `.propagator`; b is uniform for
    /// `.ball`]; −∞ outside the supports |b_i| < Λ, c_i ∈ [−π, π).
    public func logDensity(_ θ: CosNetParameters) -> Double {
        var s = 0.0
        for i in 0..<width {
            s -= Double(width) * θ.a[i] * θ.a[i] / (2 * sigmaA * sigmaA)
            let b2 = θ.momentumSquared(i)
            if b2 >= cutoff * cutoff || θ.c[i] < -Double.pi || θ.c[i] >= Double.pi { return -.infinity }
            if sampling == .propagator { s -= log(b2 + mass * mass) }
        }
        return s
    }
}

/// The free-scalar cos-net (2112.04527)
///   φ(x) = C Σ_{i=1}^N a_i s(b_i) cos(b_i·x + c_i),
/// with s(b) = 1/√(b² + m²) and C = √(2 vol(B_Λ^d)/(σ_a²(2π)^d)) for `.ball`, s = 1 and C = √(2 G_Λ(0))/σ_a for
/// `.propagator`. Either way E[φ(x)φ(y)] = G_Λ(x − y) = ∫_{|p|<Λ} dᵈp/(2π)ᵈ e^{ip·(x−y)}/(p² + m²) exactly at every
/// width N: avg_c cos(α + c)cos(β + c) = ½cos(α − β), and N·(σ_a²/N)·C²·½ E_b[s² cos] is the momentum integral.
public struct CosNetwork: NeuralNetwork {
    /// The width N.
    public let width: Int
    /// The dimension d of x.
    public let dimension: Int
    /// The mass m.
    public let mass: Double
    /// The momentum cutoff Λ.
    public let cutoff: Double
    /// σ_a: a_i has variance σ_a²/N.
    public let sigmaA: Double
    /// How b_i is drawn (fixes s and C).
    public let sampling: MomentumSampling
    /// The prefactor C.
    public let prefactor: Double
    /// d.
    public var inputDimension: Int { dimension }

    /// The network of width N in d dimensions with mass m, cutoff Λ, amplitude scale σ_a; computes C.
    public init(width: Int, dimension: Int, mass: Double, cutoff: Double, sigmaA: Double = 1, sampling: MomentumSampling = .ball) {
        self.width = width
        self.dimension = dimension
        self.mass = mass
        self.cutoff = cutoff
        self.sigmaA = sigmaA
        self.sampling = sampling
        switch sampling {
        case .ball:
            prefactor = (2 * ballVolume(dimension: dimension, radius: cutoff) / (sigmaA * sigmaA * pow(2 * Double.pi, Double(dimension)))).squareRoot()
        case .propagator:
            prefactor = (2 * CutoffPropagator.propagatorAtZero(dimension: dimension, mass: mass, cutoff: cutoff)).squareRoot() / sigmaA
        }
    }

    /// The amplitude s(b) for |b|² = b2: 1/√(b2 + m²) (ball) or 1 (propagator).
    @inline(__always) public func amplitude(momentumSquared b2: Double) -> Double {
        sampling == .ball ? 1 / (b2 + mass * mass).squareRoot() : 1
    }

    /// One neuron's mode amplitude A = C·a·s(b), evaluated as (C·a)·s, for |b|² = b2.
    @inline(__always) public func modeAmplitude(_ a: Double, momentumSquared b2: Double) -> Double {
        prefactor * a * amplitude(momentumSquared: b2)
    }

    /// The network as a sum of modes A_i cos(b_i·x + c_i), A_i = `modeAmplitude`(a_i, |b_i|²).
    public func modes(_ θ: CosNetParameters) -> CosineModes {
        var amp = [Double](repeating: 0, count: width)
        for i in 0..<width { amp[i] = modeAmplitude(θ.a[i], momentumSquared: θ.momentumSquared(i)) }
        return CosineModes(amplitudes: amp, momenta: θ.b, phases: θ.c)
    }

    /// φ(x_p) at each row of `points` [P, d]: `modes(θ).evaluate`.
    public func evaluate(_ θ: CosNetParameters, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        modes(θ).evaluate(at: points, into: out)
    }
}

/// The cos-net ensemble: `CosNetwork` with `CosNetDensity` of the same (N, d, m, Λ, σ_a, sampling). Its fused
/// sampler consumes the generator exactly as `density.sample` and returns the same field as
/// `network.evaluate(density.sample(…))`, bit for bit, without storing θ.
public struct CosNetEnsemble: NetworkEnsemble {
    /// The network φ_θ.
    public let network: CosNetwork
    /// The density P(θ).
    public let density: CosNetDensity

    /// The ensemble of width-N cos-nets in d dimensions with mass m, cutoff Λ, amplitude scale σ_a.
    public init(width: Int, dimension: Int, mass: Double, cutoff: Double, sigmaA: Double = 1, sampling: MomentumSampling = .ball) {
        network = CosNetwork(width: width, dimension: dimension, mass: mass, cutoff: cutoff, sigmaA: sigmaA, sampling: sampling)
        density = CosNetDensity(width: width, dimension: dimension, mass: mass, cutoff: cutoff, sigmaA: sigmaA, sampling: sampling)
    }

    /// φ_θ at the rows of `points` for one θ ~ P(θ), neuron by neuron (`sampleNeuron`, `modeAmplitude`,
    /// `CosineModes.addMode`).
    public func sampleField(using rng: inout RandomStream, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        let d = network.dimension, out = UnsafeMutableBufferPointer(rebasing: out[0..<points.rows])
        withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { b in
            for p in out.indices { out[p] = 0 }
            points.data.withUnsafeBufferPointer { xs in
                for _ in 0..<network.width {
                    let (a, c) = density.sampleNeuron(using: &rng, momentum: b)
                    var b2 = 0.0
                    for j in 0..<d { b2 += b[j] * b[j] }
                    CosineModes.addMode(amplitude: network.modeAmplitude(a, momentumSquared: b2), momentum: UnsafeBufferPointer(b),
                                        phase: c, points: xs, into: out)
                }
            }
        }
    }
}

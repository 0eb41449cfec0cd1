import Ensembles
import Foundation
import NumericCore

/// How the cos-net draws its momenta b_i, both giving the cutoff free propagator G_Λ as two-point function at
/// every width N.
public enum MomentumSampling: String, Sendable, CaseIterable, Codable {
    /// Seeds 004 eqs. (11)–(12): b uniform in the ball |b| < Λ, amplitude s(b) = 1/√(b² + m²), prefactor
    /// C = √(2 vol(B_Λ^d) / (σ_a² (2π)^d)).
    case ball
    /// arXiv 2112.04527 style: b drawn with density ∝ 1/(b² + m²) on the ball, constant amplitude s = 1,
    /// prefactor C = √(2 G_Λ(0)) / σ_a.
    case propagator
}

/// The free-scalar cos-net φ(x) = C Σ_{i=1}^N a_i s(b_i) cos(b_i·x + c_i), a_i ~ N(0, σ_a²/N), c_i uniform
/// on [−π, π), b_i by `sampling`. Then E[φ(x)φ(y)] = G_Λ(x − y) = ∫_{|p|<Λ} dᵈp/(2π)ᵈ e^{ip·(x−y)}/(p² + m²)
/// exactly (nn-theory.md §3.1): avg_c cos(α + c)cos(β + c) = ½cos(α − β) and N·(σ_a²/N)·C²·½ E_b[s² cos] is
/// the momentum integral for either choice of (s, density of b).
public struct FreeScalarNetwork: NeuralNetwork {
    public let width: Int
    public let dimension: Int
    public let mass: Double
    public let cutoff: Double
    public let sigmaA: Double
    public let sampling: MomentumSampling
    /// The prefactor C.
    public let prefactor: Double

    public init(width: Int, dimension: Int, mass: Double, cutoff: Double, sigmaA: Double = 1, sampling: MomentumSampling) {
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

    public var inputDimension: Int { dimension }

    /// The amplitude s(b) for |b|² = b2.
    @inline(__always) public func amplitude(momentumSquared b2: Double) -> Double {
        sampling == .ball ? 1 / (b2 + mass * mass).squareRoot() : 1
    }

    /// The network as a sum of modes A_i cos(b_i·x + c_i), A_i = C a_i s(b_i).
    public func modes(_ θ: CosNetParameters) -> CosineModes {
        var amp = [Double](repeating: 0, count: width)
        for i in 0..<width {
            var b2 = 0.0
            for j in 0..<dimension { b2 += θ.b[i, j] * θ.b[i, j] }
            amp[i] = prefactor * θ.a[i] * amplitude(momentumSquared: b2)
        }
        return CosineModes(amplitudes: amp, momenta: θ.b, phases: θ.c)
    }

    public func evaluate(_ θ: CosNetParameters, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        modes(θ).evaluate(at: points, into: out)
    }
}

/// The parameter density of `FreeScalarNetwork`. Draw order per neuron: a_i (one normal), b_i (ball: d normals
/// and one uniform, as `RandomStream.inBall`; propagator: d normals for the direction, one uniform for the
/// radius), c_i (one uniform) — the ball variant draws exactly as `Ensembles.CosNetDensity`.
public struct FreeScalarDensity: ParameterDensity {
    public let width: Int
    public let dimension: Int
    public let mass: Double
    public let cutoff: Double
    public let sigmaA: Double
    public let sampling: MomentumSampling
    public let radial: CutoffMomentumRadius

    public init(width: Int, dimension: Int, mass: Double, cutoff: Double, sigmaA: Double = 1, sampling: MomentumSampling) {
        self.width = width
        self.dimension = dimension
        self.mass = mass
        self.cutoff = cutoff
        self.sigmaA = sigmaA
        self.sampling = sampling
        self.radial = CutoffMomentumRadius(dimension: dimension, mass: mass, cutoff: cutoff)
    }

    /// One neuron's momentum into `b` (length d).
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

    public func sample(using rng: inout RandomStream) -> CosNetParameters {
        var a = [Double](repeating: 0, count: width), c = a
        var b = Matrix(rows: width, cols: dimension)
        let sdA = sigmaA / Double(width).squareRoot()
        b.data.withUnsafeMutableBufferPointer { bp in
            for i in 0..<width {
                a[i] = sdA * rng.normal()
                sampleMomentum(using: &rng, into: UnsafeMutableBufferPointer(rebasing: bp[(i * dimension)..<((i + 1) * dimension)]))
                c[i] = -Double.pi + 2 * Double.pi * rng.uniform()
            }
        }
        return CosNetParameters(a: a, b: b, c: c)
    }

    /// log P(θ) up to a constant: −N Σ a²/(2σ_a²) + Σ log ρ(b_i) (ρ ∝ 1/(b² + m²) for the propagator
    /// variant, uniform for the ball); −∞ outside the supports.
    public func logDensity(_ θ: CosNetParameters) -> Double {
        var s = 0.0
        for i in 0..<width {
            s -= Double(width) * θ.a[i] * θ.a[i] / (2 * sigmaA * sigmaA)
            var b2 = 0.0
            for j in 0..<dimension { b2 += θ.b[i, j] * θ.b[i, j] }
            if b2 >= cutoff * cutoff || θ.c[i] < -Double.pi || θ.c[i] >= Double.pi { return -.infinity }
            if sampling == .propagator { s -= log(b2 + mass * mass) }
        }
        return s
    }
}

/// The free-scalar ensemble: `FreeScalarNetwork` with `FreeScalarDensity` (fused sampling, same draws).
public struct FreeScalarEnsemble: NetworkEnsemble {
    public let network: FreeScalarNetwork
    public let density: FreeScalarDensity

    public init(width: Int, dimension: Int, mass: Double, cutoff: Double, sigmaA: Double = 1, sampling: MomentumSampling = .ball) {
        network = FreeScalarNetwork(width: width, dimension: dimension, mass: mass, cutoff: cutoff, sigmaA: sigmaA, sampling: sampling)
        density = FreeScalarDensity(width: width, dimension: dimension, mass: mass, cutoff: cutoff, sigmaA: sigmaA, sampling: sampling)
    }

    public func sampleField(using rng: inout RandomStream, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        let d = network.dimension, P = points.rows, C = network.prefactor
        let sdA = density.sigmaA / Double(network.width).squareRoot()
        withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { b in
            for p in 0..<P { out[p] = 0 }
            points.data.withUnsafeBufferPointer { xs in
                for _ in 0..<network.width {
                    let a = sdA * rng.normal()
                    density.sampleMomentum(using: &rng, into: b)
                    let c = -Double.pi + 2 * Double.pi * rng.uniform()
                    var b2 = 0.0
                    for j in 0..<d { b2 += b[j] * b[j] }
                    let amp = C * a * network.amplitude(momentumSquared: b2)
                    for p in 0..<P {
                        var phase = c
                        for j in 0..<d { phase += b[j] * xs[p * d + j] }
                        out[p] += amp * cos(phase)
                    }
                }
            }
        }
    }
}

/// The radius |b| of a momentum with density ∝ 1/(b² + m²) in the d-ball of radius Λ: radial density
/// ∝ p^{d−1}/(p² + m²) on [0, Λ], with CDF numerators F(p) = arctan(p/m)/m (d = 1), ½ ln(1 + p²/m²) (d = 2),
/// p − m arctan(p/m) (d = 3); quantiles in closed form for d = 1, 2 and by safeguarded Newton for d = 3.
public struct CutoffMomentumRadius: Sendable {
    public let dimension: Int
    public let mass: Double
    public let cutoff: Double

    public init(dimension: Int, mass: Double, cutoff: Double) {
        self.dimension = dimension
        self.mass = mass
        self.cutoff = cutoff
    }

    /// The unnormalised CDF F(p).
    public func cumulative(_ p: Double) -> Double {
        let m = mass
        switch dimension {
        case 1: return atan(p / m) / m
        case 2: return 0.5 * log1p(p * p / (m * m))
        default: return p - m * atan(p / m)
        }
    }

    /// The radius with F(p) = u·F(Λ), u ∈ [0, 1).
    public func quantile(_ u: Double) -> Double {
        let m = mass, L = cutoff
        switch dimension {
        case 1: return m * tan(u * atan(L / m))
        case 2: return m * expm1(u * log1p(L * L / (m * m))).squareRoot()
        default:
            let target = u * cumulative(L)
            var lo = 0.0, hi = L
            // Start from the large-p form p ≈ target + mπ/2 or the small-p form p ≈ (3 m² target)^{1/3}.
            var p = min(L, max((3 * m * m * target).squareRoot() > 0 ? cbrt(3 * m * m * target) : 0, target))
            for _ in 0..<60 {
                let f = cumulative(p) - target
                if f > 0 { hi = p } else { lo = p }
                let fp = p * p / (p * p + m * m)
                var next = fp > 0 ? p - f / fp : (lo + hi) / 2
                if !(next > lo && next < hi) { next = (lo + hi) / 2 }
                if abs(next - p) <= 1e-15 * max(1, p) { return next }
                p = next
            }
            return p
        }
    }
}

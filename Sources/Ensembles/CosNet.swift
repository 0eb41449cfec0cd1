import Foundation
import NumericCore

/// Volume of the d-ball of radius Λ: π^{d/2} Λ^d / Γ(d/2 + 1).
public func ballVolume(dimension d: Int, radius: Double) -> Double {
    pow(Double.pi, Double(d) / 2) * pow(radius, Double(d)) / tgamma(Double(d) / 2 + 1)
}

/// Parameters of the cos-net: amplitudes a_i, momenta b_i ∈ ℝ^d, phases c_i.
public struct CosNetParameters: Sendable, Equatable {
    public var a: [Double]
    /// [N, d] momenta.
    public var b: Matrix
    public var c: [Double]

    public init(a: [Double], b: Matrix, c: [Double]) {
        self.a = a
        self.b = b
        self.c = c
    }
}

/// The cos-net parameter density (seeds 004 eq. 12; 2112.04527): a_i ~ N(0, σ_a²/N), b_i uniform in the
/// d-ball of radius Λ, c_i uniform on [−π, π), independent.
///
/// Draw order: for each neuron, a_i (one normal), b_i (`RandomStream.inBall`: d normals, one uniform),
/// c_i (one uniform).
public struct CosNetDensity: ParameterDensity {
    public let width: Int
    public let dimension: Int
    public let cutoff: Double
    public let sigmaA: Double

    public func sample(using rng: inout RandomStream) -> CosNetParameters {
        var a = [Double](repeating: 0, count: width), c = a
        var b = Matrix(rows: width, cols: dimension)
        let sdA = sigmaA / Double(width).squareRoot()
        b.data.withUnsafeMutableBufferPointer { bp in
            for i in 0..<width {
                a[i] = sdA * rng.normal()
                rng.inBall(radius: cutoff, UnsafeMutableBufferPointer(rebasing: bp[(i * dimension)..<((i + 1) * dimension)]))
                c[i] = -Double.pi + 2 * Double.pi * rng.uniform()
            }
        }
        return CosNetParameters(a: a, b: b, c: c)
    }

    /// log-density: −N a²/(2σ_a²) summed (b and c are uniform on their supports; −∞ outside).
    public func logDensity(_ θ: CosNetParameters) -> Double {
        var s = 0.0
        for i in 0..<width {
            s -= Double(width) * θ.a[i] * θ.a[i] / (2 * sigmaA * sigmaA)
            var b2 = 0.0
            for j in 0..<dimension { b2 += θ.b[i, j] * θ.b[i, j] }
            if b2 >= cutoff * cutoff || θ.c[i] < -Double.pi || θ.c[i] >= Double.pi { return -.infinity }
        }
        return s
    }
}

/// The cos-net of seeds 004 eq. (11) (2112.04527):
/// φ(x) = √(2 vol(B_Λ^d) / (σ_a² (2π)^d)) Σ_{i=1}^N a_i cos(b_i·x + c_i) / √(b_i² + m²),
/// whose two-point function is the cutoff free propagator G_Λ(x−y) = ∫_{|p|<Λ} dᵈp/(2π)ᵈ e^{ip·(x−y)}/(p²+m²)
/// at every width N.
public struct CosNetwork: NeuralNetwork {
    public let width: Int
    public let dimension: Int
    public let mass: Double
    public let cutoff: Double
    public let sigmaA: Double
    public var inputDimension: Int { dimension }

    /// The prefactor √(2 vol(B_Λ^d)/(σ_a²(2π)^d)).
    public var prefactor: Double {
        (2 * ballVolume(dimension: dimension, radius: cutoff) / (sigmaA * sigmaA * pow(2 * Double.pi, Double(dimension)))).squareRoot()
    }

    public func evaluate(_ θ: CosNetParameters, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        let A = prefactor, d = dimension
        for p in 0..<points.rows {
            var f = 0.0
            for i in 0..<width {
                var phase = θ.c[i], b2 = 0.0
                for j in 0..<d { phase += θ.b[i, j] * points[p, j]; b2 += θ.b[i, j] * θ.b[i, j] }
                f += θ.a[i] * Foundation.cos(phase) / (b2 + mass * mass).squareRoot()
            }
            out[p] = A * f
        }
    }
}

/// The cos-net free-scalar ensemble (fused sampling; same draw order as `CosNetDensity`).
public struct CosNetEnsemble: NetworkEnsemble {
    public let network: CosNetwork
    public let density: CosNetDensity

    public init(width: Int, dimension: Int, mass: Double, cutoff: Double, sigmaA: Double = 1) {
        network = CosNetwork(width: width, dimension: dimension, mass: mass, cutoff: cutoff, sigmaA: sigmaA)
        density = CosNetDensity(width: width, dimension: dimension, cutoff: cutoff, sigmaA: sigmaA)
    }

    public func sampleField(using rng: inout RandomStream, at points: Matrix, into out: UnsafeMutableBufferPointer<Double>) {
        let d = network.dimension, P = points.rows, A = network.prefactor
        let sdA = density.sigmaA / Double(network.width).squareRoot(), m2 = network.mass * network.mass
        withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { b in
            for p in 0..<P { out[p] = 0 }
            points.data.withUnsafeBufferPointer { xs in
                for _ in 0..<network.width {
                    let a = sdA * rng.normal()
                    rng.inBall(radius: network.cutoff, b)
                    let c = -Double.pi + 2 * Double.pi * rng.uniform()
                    var b2 = 0.0
                    for j in 0..<d { b2 += b[j] * b[j] }
                    let amp = A * a / (b2 + m2).squareRoot()
                    for p in 0..<P {
                        var phase = c
                        for j in 0..<d { phase += b[j] * xs[p * d + j] }
                        out[p] += amp * Foundation.cos(phase)
                    }
                }
            }
        }
    }
}

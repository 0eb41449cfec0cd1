import Foundation
import Testing
@testable import Networks
@testable import NumericCore
import TestSupport

/// E[f(u)g(v)] for a kinked, positively homogeneous integrand of total degree n, by polar coordinates:
/// (u, v) = L·r(cos α, sin α), E = E[rⁿ]·(1/2π)∮ f g dα with E[rⁿ] = 2^{n/2}Γ(1 + n/2), the angle
/// integral split where u or v changes sign (smooth pieces, Gauss–Legendre) — independent of the closed forms.
func polarExpectation(k11: Double, k12: Double, k22: Double, degree n: Double, _ fg: (Double, Double) -> Double) -> Double {
    let a = k11.squareRoot(), c = k12 / a, e = max(0, k22 - c * c).squareRoot()
    // u = a r cos α, v = r (c cos α + e sin α)
    var cuts = [Double.pi / 2, 3 * Double.pi / 2, atan2(-c, e), atan2(-c, e) + Double.pi].map { x -> Double in
        var y = x.truncatingRemainder(dividingBy: 2 * .pi); if y < 0 { y += 2 * .pi }; return y
    }
    cuts += [0, 2 * .pi]
    cuts.sort()
    var total = 0.0
    for k in 1..<cuts.count where cuts[k] - cuts[k - 1] > 1e-15 {
        total += integrateComposite(cuts[k - 1], cuts[k], order: 24) { al in fg(a * cos(al), c * cos(al) + e * sin(al)) }
    }
    return pow(2, n / 2) * tgamma(1 + n / 2) * total / (2 * .pi)
}

@Suite struct KernelMapTests {
    static let covariances: [(Double, Double, Double)] = [(1, 0.3, 0.8), (2.5, -1.2, 1.1), (0.4, 0.39, 0.41), (1, 0, 1)]

    /// Smooth activations: closed-form T and Ṫ against 2-D Gauss–Hermite quadrature of φφ and φ'φ' (degree 120,
    /// converged to round-off for these entire functions at these variances).
    @Test(arguments: ["erf", "erf2", "sin", "cos", "gaussian", "exp", "rbf", "gelu", "identity", "sigmoid_like"])
    func smoothClosedFormsMatchQuadrature(name: String) {
        let l: Nonlinearity = ["erf": Erf(), "erf2": Erf(a: 1.3, b: 0.7, c: 0.2), "sin": Sin(a: 1.1, b: 0.9, c: 0.4),
                               "cos": Cos(a: 0.8, b: 1.2, c: -0.3), "gaussian": Gaussian(a: 1.2, b: -0.35),
                               "exp": Exp(a: 0.9, b: 0.6), "rbf": Rbf(gamma: 0.7), "gelu": Gelu(), "identity": Identity(),
                               "sigmoid_like": SigmoidLike()][name]!
        for (k11, k12, k22) in Self.covariances {
            let (t, td) = l.dual(k11: k11, k12: k12, k22: k22)
            let tq = gaussHermite2D(k11: k11, k12: k12, k22: k22, degree: 120) { l.value($0) * l.value($1) }
            let tdq = gaussHermite2D(k11: k11, k12: k12, k22: k22, degree: 120) { l.derivative($0) * l.derivative($1) }
            #expect(abs(t - tq) < 1e-10 * max(1, abs(tq)), "\(name) T at \((k11, k12, k22)): \(t) vs \(tq)")
            #expect(abs(td - tdq) < 1e-10 * max(1, abs(tdq)), "\(name) Ṫ at \((k11, k12, k22)): \(td) vs \(tdq)")
        }
    }

    /// Kinked activations (positively homogeneous): against polar quadrature split at the kinks.
    @Test func kinkedClosedFormsMatchPolarQuadrature() {
        for l in [Relu(), LeakyRelu(0.1), ABRelu(-0.4, 1.3), Abs(), Sign()] {
            let isSign = l.name == "Sign"
            for (k11, k12, k22) in Self.covariances {
                let (t, td) = l.dual(k11: k11, k12: k12, k22: k22)
                let tq = polarExpectation(k11: k11, k12: k12, k22: k22, degree: isSign ? 0 : 2) { l.value($0) * l.value($1) }
                #expect(abs(t - tq) < 1e-12 * max(1, abs(tq)), "\(l.name) T: \(t) vs \(tq)")
                if !isSign {
                    let tdq = polarExpectation(k11: k11, k12: k12, k22: k22, degree: 0) { l.derivative($0) * l.derivative($1) }
                    #expect(abs(td - tdq) < 1e-12, "\(l.name) Ṫ: \(td) vs \(tdq)")
                }
            }
        }
    }

    /// Polynomial activations: Isserlis' closed form against tensor Gauss–Hermite, which integrates polynomials of
    /// degree ≤ 2n − 1 exactly (n = 40 nodes per axis for total degree ≤ 12), and Price's theorem Ṫ = ∂T/∂K₁₂.
    @Test func polynomialClosedFormsMatchExactQuadrature() throws {
        let layers = [Polynomial([0.3, -1.2, 0.5, 0.25]), Monomial(3), Monomial(0), Monomial(1),
                      try #require(NetworkSpec.parse("Dense(1) Polynomial(coef=[0.1, 1, 0, -0.2, 0.05, 0, 0.01])").layers[1] as? Nonlinearity)]
        for l in layers {
            for (k11, k12, k22) in Self.covariances {
                let (t, td) = l.dual(k11: k11, k12: k12, k22: k22)
                let tq = gaussHermite2D(k11: k11, k12: k12, k22: k22, degree: 40) { l.value($0) * l.value($1) }
                let tdq = gaussHermite2D(k11: k11, k12: k12, k22: k22, degree: 40) { l.derivative($0) * l.derivative($1) }
                #expect(abs(t - tq) < 1e-12 * max(1, abs(tq)) && abs(td - tdq) < 1e-12 * max(1, abs(tdq)),
                        "\(l.name) at \((k11, k12, k22)): (\(t), \(td)) vs (\(tq), \(tdq))")
                let h = 1e-5
                let fd = centralDifference(step: h) { l.dual(k11: k11, k12: k12 + $0, k22: k22).t }
                #expect(abs(fd - td) < 1e-7 * max(1, abs(td)), "\(l.name): Ṫ \(td) vs ∂T/∂K₁₂ \(fd)")
            }
        }
        // Monomial(2): E[u²v²] = K₁₁K₂₂ + 2K₁₂², E[(2u)(2v)] = 4K₁₂ (by hand).
        let (t2, td2) = Monomial(2).dual(k11: 1.5, k12: 0.4, k22: 0.9)
        #expect(abs(t2 - (1.5 * 0.9 + 2 * 0.16)) < 1e-15 && abs(td2 - 1.6) < 1e-15)
        // The SPEC's list argument and its errors.
        #expect(throws: InputError.self) { try NetworkSpec.parse("Dense(1) Polynomial(coef=[1, x])") }
        #expect(throws: InputError.self) { try NetworkSpec.parse("Dense(1) Monomial(2.5)") }
    }

    /// The split polar rule of numerical activations with a kink at 0: ReLU-family closures against the closed
    /// forms (degree 48: geometric convergence, 10⁻¹² reached).
    @Test func splitQuadratureMatchesKinkedClosedForms() {
        for l in [Relu(), LeakyRelu(0.1), ABRelu(-0.4, 1.3), Abs()] {
            let numerical = ElementwiseNumerical(name: l.name, degree: 48, kinkAtZero: true, { l.value($0) }, derivative: { l.derivative($0) })
            for (k11, k12, k22) in Self.covariances {
                let (t, td) = l.dual(k11: k11, k12: k12, k22: k22)
                let (tq, tdq) = numerical.dual(k11: k11, k12: k12, k22: k22)
                #expect(abs(t - tq) < 1e-12 * max(1, abs(t)) && abs(td - tdq) < 1e-12, "\(l.name): (\(t), \(td)) vs (\(tq), \(tdq))")
            }
        }
    }

    /// ELU(α) by the split rule against an independent semi-analytic route: conditioning on u, v | u ~ N(μ, σ²) with
    /// μ = (K₁₂/K₁₁)u, σ² = K₂₂ − K₁₂²/K₁₁, the inner expectations are closed forms,
    ///   E[φ(v)|u] = μΦ(μ/σ) + σϕ(μ/σ) + α(e^{μ+σ²/2}Φ(−(μ+σ²)/σ) − Φ(−μ/σ)),
    ///   E[φ'(v)|u] = Φ(μ/σ) + α e^{μ+σ²/2}Φ(−(μ+σ²)/σ),
    /// and the outer one is a 1-D Gauss–Legendre integral over u split at 0. The SPEC's Elu uses the split rule; plain
    /// tensor Gauss–Hermite at the same degree misses by orders of magnitude more (its kink converges algebraically).
    @Test func eluMatchesConditionalExpectations() throws {
        let alpha = 0.5
        let elu = try #require(NetworkSpec.parse("Dense(1) Elu(alpha=\(alpha))").layers[1] as? Nonlinearity)
        let hermite = ElementwiseNumerical(name: "Elu-GH", degree: 64, { elu.value($0) }, derivative: { elu.derivative($0) })
        func Phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
        func phi(_ x: Double) -> Double { exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
        for (k11, k12, k22) in Self.covariances where abs(k12) < 0.99 * (k11 * k22).squareRoot() {
            let sigma = (k22 - k12 * k12 / k11).squareRoot(), s1 = k11.squareRoot()
            func outer(_ g: (Double) -> Double) -> Double {
                integrateComposite(-14 * s1, 14 * s1, breaks: [0], maxPanel: s1, order: 24) { u in
                    g(u) * phi(u / s1) / s1
                }
            }
            let t = outer { u in
                let mu = k12 / k11 * u, z = mu / sigma
                let inner = mu * Phi(z) + sigma * phi(z) + alpha * (exp(mu + sigma * sigma / 2) * Phi(-(mu + sigma * sigma) / sigma) - Phi(-z))
                return elu.value(u) * inner
            }
            let td = outer { u in
                let mu = k12 / k11 * u
                return elu.derivative(u) * (Phi(mu / sigma) + alpha * exp(mu + sigma * sigma / 2) * Phi(-(mu + sigma * sigma) / sigma))
            }
            let (tq, tdq) = elu.dual(k11: k11, k12: k12, k22: k22)
            #expect(abs(tq - t) < 1e-11 * max(1, abs(t)) && abs(tdq - td) < 1e-11 * max(1, abs(td)),
                    "Elu at \((k11, k12, k22)): (\(tq), \(tdq)) vs (\(t), \(td))")
            let (th, tdh) = hermite.dual(k11: k11, k12: k12, k22: k22)
            #expect(max(abs(th - t), abs(tdh - td)) > 1e3 * max(abs(tq - t), abs(tdq - td), 1e-16))
        }
    }

    /// The quadrature error estimate max(|K(n) − K(⌈n/2⌉)|, |K(n) − K(⌈3n/4⌉)|) bounds the actual error (against degree 150) entrywise, for a
    /// smooth (Tanh) and a kinked (Elu) activation at several degrees; closed-form networks have no estimate.
    @Test(arguments: ["Tanh(deg=N)", "Elu(alpha=0.5, deg=N)"]) func quadratureErrorEstimateBoundsTheError(activation: String) throws {
        let x = Matrix([[1, 0.5], [-0.3, 0.9], [0.2, -1.4]]), x2 = Matrix([[0.7, -0.2], [1.1, 1.0]])
        func spec(_ deg: Int) -> String {
            let a = activation.replacingOccurrences(of: "N", with: "\(deg)")
            return "Dense(8, W_std=1.4, b_std=0.1) \(a) Dense(8, W_std=1.2) \(a) Dense(1)"
        }
        let ref = try NetworkSpec.parse(spec(150)).kernels(x, x2)
        var previousWorst = Double.infinity
        for deg in [12, 16, 24, 32, 48, 64, 96] {
            let net = try NetworkSpec.parse(spec(deg))
            let k = try net.kernels(x, x2)
            let est = try #require(try net.quadratureErrorEstimate(x, x2, reference: k))
            var worst = 0.0
            for e in 0..<6 {
                let errK = abs(k.nngp[e] - ref.nngp[e]), errT = abs(k.ntk[e] - ref.ntk[e])
                // Slack: the round-off of sums of 2n² terms (≈ 10⁻¹⁴ relative), below which neither is resolved.
                #expect(errK <= est.nngp[e] + 1e-14 * max(1, abs(ref.nngp[e])) && errT <= est.ntk[e] + 1e-14 * max(1, abs(ref.ntk[e])),
                        "deg \(deg), entry \(e): errors (\(errK), \(errT)), estimates (\(est.nngp[e]), \(est.ntk[e]))")
                worst = max(worst, est.nngp[e], est.ntk[e])
            }
            #expect(worst < previousWorst || worst < 1e-13)   // the estimate shrinks with the degree down to round-off
            previousWorst = worst
        }
        #expect(try NetworkSpec.parse("Dense(8) Relu Dense(1)").quadratureErrorEstimate(x) == nil)
    }

    /// Price's theorem: Ṫ = ∂T/∂K₁₂, by central differences (step 10⁻⁵, error O(h²) ≈ 10⁻⁹).
    @Test func derivativeKernelIsTheK12Derivative() {
        let layers = [Relu(), LeakyRelu(0.2), Abs(), Erf(a: 1.3, b: 0.7, c: 0.2), Sin(a: 1.1, b: 0.9, c: 0.4),
                      Gaussian(a: 1.2, b: -0.35), Exp(a: 0.9, b: 0.6), Rbf(gamma: 0.7), Gelu(), Identity()]
        let h = 1e-5
        for l in layers {
            for (k11, k12, k22) in Self.covariances where abs(k12) < 0.95 * (k11 * k22).squareRoot() {
                let fd = centralDifference(step: h) { l.dual(k11: k11, k12: k12 + $0, k22: k22).t }
            // Central differences: h²T'''/6 + ε|T|/h ≈ 10⁻¹⁰ at h = 10⁻⁵ for these covariances (|ρ| < 0.95).
            #expect(abs(fd - l.dual(k11: k11, k12: k12, k22: k22).tDot) < 1e-9 * max(1, abs(fd)), "\(l.name)")
            }
        }
    }

    /// Hermite kernels converge with the degree (32·deg quadrature nodes, 16·deg terms): against the largest rule
    /// (1200 nodes), the error at deg 8 is at least ten times smaller than at deg 4 and below 10⁻⁵ relative (tanh's
    /// poles at ±iπ/2 set the rate exp(−(π/2)√(2n/q)) at pre-activation variances q near 2).
    @Test func numericalActivationConverges() throws {
        let x = Matrix([[1, 0.5], [-0.3, 0.9], [0.2, -1.4]])
        func k(_ deg: Int) throws -> KernelState {
            try NetworkSpec.parse("Dense(8, W_std=1.4, b_std=0.1) Tanh(deg=\(deg)) Dense(1)").kernels(x)
        }
        let (a, b, ref) = (try k(4), try k(8), try k(40))
        func err(_ s: KernelState) -> Double {
            var worst = 0.0
            for e in 0..<9 {
                let dk: Double = abs(s.nngp[e] - ref.nngp[e]) / abs(ref.nngp[e])
                let dt: Double = abs(s.ntk[e] - ref.ntk[e]) / abs(ref.ntk[e])
                worst = max(worst, dk, dt)
            }
            return worst
        }
        #expect(err(b) < 0.1 * err(a), "errors \(err(a)), \(err(b))")
        #expect(err(b) < 1e-5)
    }

    /// Kernel matrices of deep nets are symmetric and positive semi-definite.
    @Test(arguments: ["Dense(64, W_std=1.5, b_std=0.05) Relu Dense(64, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5)",
                      "Dense(64, W_std=1.2, b_std=0.3) Erf Dense(64, W_std=1.2) Gelu Dense(1)",
                      "Dense(16, parameterization=standard) Sin Dense(1, W_std=2, b_std=None)"])
    func kernelsAreSymmetricPSD(spec: String) throws {
        var r = RandomStream(seed: 1, stream: 0)
        let x = r.normalMatrix(20, 5)
        let k = try NetworkSpec.parse(spec).kernels(x)
        for m in [k.nngpMatrix, k.ntkMatrix] {
            #expect((m - m.transposed).frobeniusNorm == 0)
            let w = try LinearAlgebra.symmetricEigen(m).values
            #expect(w.first! > -1e-12 * w.last!)
        }
        // The diagonal-only path gives the diagonal.
        let d = try NetworkSpec.parse(spec).kernels(x, diagonalOnly: true)
        for i in 0..<20 {
            #expect(abs(d.nngp[i] - k.nngp[i * 20 + i]) < 1e-13 * abs(k.nngp[i * 20 + i]))
            #expect(abs(d.ntk[i] - k.ntk[i * 20 + i]) < 1e-13 * abs(k.ntk[i * 20 + i]))
        }
    }

    /// The fused, blocked evaluation of `Serial.kernels` (blocks of 128², chunks of rows, upper triangle mirrored,
    /// bulk angles) against the layer-by-layer route (each layer's `kernel` on the whole `KernelState`, the scalar
    /// closed forms): point sets larger than a block with partial blocks, x₁ against itself (mirrored) and against
    /// x₂, input dimension below and above the in-block product threshold, closed forms of both vectorised
    /// families, a generic one (Gelu) and quadrature (not mirrored), both parameterisations. The two routes differ
    /// only in the rounding of the input kernel (BLAS blocks vs one product), amplified at most by the maps'
    /// Lipschitz constants (ρ stays away from ±1 off the diagonal for these points): 10⁻¹² relative to the
    /// largest entry. On the diagonal of K(x, x) both force ρ = 1 exactly, so they agree bit for bit with each
    /// other and with the diagonal-only route.
    @Test(arguments: ["Dense(64, W_std=1.5, b_std=0.05) Relu Dense(64, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5)",
                      "Dense(64, W_std=1.5, b_std=0.05) Erf Dense(64, W_std=1.5, b_std=0.05) Erf Dense(1, W_std=1.5)",
                      "Dense(8, W_std=1.2, b_std=0.3, parameterization=standard) ABRelu(-0.4, 1.3) Dense(8, parameterization=standard) Erf(a=1.3, b=0.7, c=0.2) Dense(2)",
                      "Dense(8, W_std=1.2, b_std=0.3) Gelu Dense(8) LeakyRelu(0.1) Dense(1)",
                      "Dense(8, W_std=1.2, b_std=0.3) Tanh(deg=12) Dense(1)",
                      "Dense(8, W_std=1.2, b_std=0.3) Polynomial(coef=[0.1, 1, 0.3]) Dense(8) Monomial(2) Dense(1)"])
    func fusedBlocksMatchLayerByLayer(spec: String) throws {
        let net = try NetworkSpec.parse(spec)
        var r = RandomStream(seed: 3, stream: 0)
        for d in [10, 40] {
            let x1 = r.normalMatrix(300, d)
            let x2 = r.normalMatrix(141, d)
            for other in [nil, x2] {
                let fused = try net.kernels(x1, other)
                var reference = KernelState(x1: x1, x2: other)
                for l in net.layers { reference = try l.kernel(reference) }
                for (a, b, what) in [(fused.nngp, reference.nngp, "NNGP"), (fused.ntk, reference.ntk, "NTK")] {
                    let scale = maxAbs(b)
                    let worst = maxAbsDifference(a, b)
                    #expect(worst <= 1e-12 * scale, "\(spec), d = \(d), x₂ \(other == nil ? "nil" : "given"): \(what) off by \(worst / scale)")
                }
                if other == nil {
                    let diagonal = try net.kernels(x1, diagonalOnly: true)
                    for i in 0..<300 {
                        #expect(fused.nngp[i * 300 + i] == reference.nngp[i * 300 + i] && fused.nngp[i * 300 + i] == diagonal.nngp[i])
                        #expect(fused.ntk[i * 300 + i] == reference.ntk[i * 300 + i] && fused.ntk[i * 300 + i] == diagonal.ntk[i])
                    }
                    // Bit-exact symmetry where every map is symmetric in floating point (then the lower part is mirrored).
                    let mirrored = net.layers.allSatisfy { ($0 as? any EntrywiseKernelMap)?.isSymmetric ?? false }
                    #expect(fused.nngp == fused.nngpMatrix.transposed.data || !mirrored)
                    #expect(fused.ntk == fused.ntkMatrix.transposed.data || !mirrored)
                }
            }
        }
    }

    /// `rowsReady` hands on every row of K and Θ exactly once, with the bits `kernels` returns: on the fused path
    /// (mirrored x₁ against itself, x₁ against x₂, a quadrature map that is not mirrored) one call per row panel of
    /// `fusedBlock` rows, and all rows in one call on the diagonal-only and layer-by-layer graph paths.
    @Test func rowsReadyDeliversEveryRowOnce() throws {
        final class Rows: @unchecked Sendable {
            let lock = NSLock(); var calls = 0; var seen: [Int] = []; var nngp: [Double] = []; var ntk: [Double] = []
            init(count: Int) { seen = [Int](repeating: 0, count: count); nngp = [Double](repeating: .nan, count: count); ntk = nngp }
        }
        var r = RandomStream(seed: 8, stream: 0)
        let x1 = r.normalMatrix(300, 6), x2 = r.normalMatrix(141, 6)
        let T = Serial.fusedBlock
        for spec in ["Dense(16, W_std=1.5, b_std=0.05) Erf Dense(16, W_std=1.5) Relu Dense(1, W_std=1.5)",
                     "Dense(8, W_std=1.2, b_std=0.3) Tanh(deg=12) Dense(1)"] {
            let net = try NetworkSpec.parse(spec)
            for (other, diagonal) in [(nil, false), (x2, false), (nil, true)] as [(Matrix?, Bool)] {
                let cols = diagonal ? 1 : (other ?? x1).rows
                let got = Rows(count: 300 * cols)
                let k = try net.kernels(x1, other, diagonalOnly: diagonal) { rows, nngp, ntk in
                    got.lock.lock(); defer { got.lock.unlock() }
                    got.calls += 1
                    #expect(nngp.count == rows.count * cols && ntk.count == rows.count * cols)
                    for (n, e) in (rows.lowerBound * cols..<rows.upperBound * cols).enumerated() {
                        got.seen[e] += 1; got.nngp[e] = nngp[n]; got.ntk[e] = ntk[n]
                    }
                }
                let what = "\(spec), x₂ \(other == nil ? "nil" : "given"), diagonal \(diagonal)"
                #expect(got.seen.allSatisfy { $0 == 1 }, "\(what): rows not handed on exactly once")
                #expect(got.nngp == k.nngp && got.ntk == k.ntk, "\(what): rows differ from the result")
                #expect(got.calls == (diagonal ? 1 : (300 + T - 1) / T), "\(what): \(got.calls) calls")
            }
        }
        let graph = try NetworkSpec.parse("Conv(3, 3, padding=SAME, W_std=1.4, b_std=0.1) Relu Flatten Dense(1)")
        let images = r.normalMatrix(20, 7)
        let got = Rows(count: 20 * 20)
        let k = try graph.kernels(images, inputShape: TensorShape(spatial: [7], channels: 1)) { rows, nngp, ntk in
            got.lock.lock(); defer { got.lock.unlock() }
            got.calls += 1
            for e in 0..<nngp.count { got.seen[rows.lowerBound * 20 + e] += 1; got.nngp[rows.lowerBound * 20 + e] = nngp[e]; got.ntk[rows.lowerBound * 20 + e] = ntk[e] }
        }
        #expect(got.calls == 1 && got.seen.allSatisfy { $0 == 1 } && got.nngp == k.nngp && got.ntk == k.ntk)
    }

    /// ReLU on the diagonal of K(x, x): ρ = 1 exactly, so each ReLU layer maps (K, Θ) to (K/2, Θ/2) and each
    /// Dense layer (K, Θ) to (σ_w²K + σ_b², σ_w²K + σ_b² + σ_w²Θ): the fused route reproduces this recursion, done
    /// here by hand, to the last bit.
    @Test func reluDiagonalIsExact() throws {
        let net = try NetworkSpec.parse("Dense(64, W_std=1.5, b_std=0.05) Relu Dense(64, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5)")
        var r = RandomStream(seed: 4, stream: 0)
        let x = r.normalMatrix(260, 10)
        let k = try net.kernels(x)
        for i in 0..<260 {
            var kk = 0.0
            for c in 0..<10 { kk += x[i, c] * x[i, c] }
            kk /= 10
            var th = 0.0
            let (w2, b2) = (1.5 * 1.5, 0.05 * 0.05)
            for (bias, relu) in [(b2, true), (b2, true), (0, false)] {
                let kNew = w2 * kk + bias
                th = kNew + w2 * th
                kk = kNew
                if relu { kk = kk / 2; th = 0.5 * th }
            }
            #expect(k.nngp[i * 260 + i] == kk, "row \(i)")
            #expect(k.ntk[i * 260 + i] == th, "row \(i)")
        }
    }

    @Test func specErrorsAreOneLine() {
        for (spec, needle) in [("Dense(8) Foo Dense(1)", "unknown layer 'Foo'"), ("Dense(8, w_sd=2) Relu", "unknown parameter 'w_sd'"),
                               ("Relu Dense(1)", "must directly follow a Dense"), ("Dense(0)", "positive integer"),
                               ("Dense(8) Relu(2)", "positional"), ("Dense(8", "unbalanced"), ("", "empty")] {
            do {
                _ = try NetworkSpec.parse(spec).kernels(Matrix([[1.0]]))
                Issue.record("'\(spec)' accepted")
            } catch {
                #expect("\(error)".contains(needle), "\(spec): \(error)")
                #expect(!"\(error)".contains("\n"))
            }
        }
    }
}

@Suite struct FiniteNetworkTests {
    /// `Dense.initialize` draws W then b in bulk (`fillNormal`): the same values as one `normal()` per entry in
    /// row-major order, times the parameterisation's scale, and the stream left where the one-by-one draws leave it
    /// (the next draw agrees) — widths below and above the bulk threshold, with and without a bias, both
    /// parameterisations.
    @Test func denseInitialisationIsTheOneByOneDraws() {
        for (nIn, width, bStd, p) in [(3, 5, 0.4, Dense.Parameterization.ntk), (10, 512, 0.05, .standard), (512, 1, nil, .ntk), (7, 64, nil, .standard)] as [(Int, Int, Double?, Dense.Parameterization)] {
            let layer = Dense(width, wStd: 1.3, bStd: bStd, parameterization: p)
            var bulk = RandomStream(seed: 11, stream: 4), single = bulk
            let got = layer.initialize(inputWidth: nIn, using: &bulk)
            let (sw, sb) = p == .ntk ? (1.0, 1.0) : (1.3 / Double(nIn).squareRoot(), bStd ?? 0)
            let w = (0..<(nIn * width)).map { _ in sw * single.normal() }
            let b = bStd == nil ? nil : (0..<width).map { _ in sb * single.normal() }
            #expect(got.weight?.data == w && got.bias == b, "n_in \(nIn), width \(width)")
            #expect(bulk.normal() == single.normal())
        }
    }

    /// The forward maps split large inputs into chunks on all cores (`Nonlinearity.apply`, `multiplyByDerivative`,
    /// `Dense.apply`'s bias): every entry is its own formula — φ(z) by `value`, d·φ'(z) by `derivative` (for each of
    /// O = 3 cotangent rows per point), s_w·(h·W) + s_b·b by the product and the bias alone — bit for bit, for
    /// inputs of 2 to 10 chunks and one below the threshold, for (a, b)-ReLU's select and the generic path.
    @Test func elementwiseMapsInChunksAreEntryByEntry() {
        for (P, width) in [(3, 7), (130, 512), (401, 263)] {
            let z = Matrix(rows: P, cols: width, data: (0..<(P * width)).map { sin(Double($0) * 0.37) * 3 })
            for nl in [LeakyRelu(0.1), Erf(a: 1.2, b: 0.8, c: 0.1), Relu()] {
                let h = nl.apply(.none, z)
                #expect(h.data.map(\.bitPattern) == z.data.map { nl.value($0).bitPattern }, "\(nl.name) \(P)×\(width)")
                let O = 3
                var d = (0..<(P * O * width)).map { cos(Double($0) * 0.11) }
                var expected = d
                for q in 0..<P { for a in 0..<O { for e in 0..<width {
                    expected[(q * O + a) * width + e] *= nl.derivative(z[q, e])
                } } }
                z.data.withUnsafeBufferPointer { zb in
                    d.withUnsafeMutableBufferPointer { nl.multiplyByDerivative(at: zb, block: width, rowsPerPoint: O, $0) }
                }
                #expect(d.map(\.bitPattern) == expected.map(\.bitPattern), "φ' of \(nl.name) \(P)×\(width)")
            }
            let dense = Dense(19, wStd: 1.3, bStd: 0.4)
            var rng = RandomStream(seed: 3, stream: 0)
            let p = dense.initialize(inputWidth: width, using: &rng)
            let (sw, sb) = dense.scales(inputWidth: width)
            let product = Matrix.multiply(z, p.weight!, alpha: sw), out = dense.apply(p, z)
            for i in 0..<P { for j in 0..<19 {
                #expect(out[i, j].bitPattern == (product[i, j] + sb * p.bias![j]).bitPattern)
            } }
        }
    }

    /// `Network.layerParameters` is θ split per layer whether the network keeps the arrays it was built from or splits
    /// θ: the same values, a bias only where the layout has one (one given for a layer without bias is not kept), and
    /// θ's new values once it is set.
    @Test func layerParametersAreThetaSplit() throws {
        let net = try NetworkSpec.parse("Dense(6, W_std=1.5, b_std=0.1) Tanh Dense(2, W_std=1.2, b_std=None)")
        let drawn = try Network(net, inputWidth: 3, seed: 7)
        #expect(drawn.layerParameters == drawn.layout.split(drawn.parameters))
        var given = drawn.layerParameters
        given[2].bias = [1, 2]
        var loaded = try Network(net, inputWidth: 3, layerParameters: given)
        #expect(loaded.parameters == drawn.parameters)
        #expect(loaded.layerParameters == drawn.layerParameters && loaded.layerParameters[2].bias == nil)
        loaded.parameters[4] += 1
        #expect(loaded.layerParameters == loaded.layout.split(loaded.parameters))
        #expect(loaded.layerParameters[0].weight!.data[4] == drawn.layerParameters[0].weight!.data[4] + 1)
    }

    /// For one hidden layer, E[f(x)f(x')] = NNGP and E[Θ̂(x, x')] = NTK exactly at every width (the hidden
    /// pre-activations are exactly Gaussian): Monte Carlo over 20 000 networks of width 3, with the empirical NTK
    /// from a hand-written Jacobian, within 5 standard errors — for both parameterisations.
    @Test(arguments: [Dense.Parameterization.ntk, .standard])
    func oneHiddenLayerMonteCarlo(parameterization: Dense.Parameterization) throws {
        let N = 3, sw = 1.3, sb = 0.4
        let net = Serial {
            Dense(N, wStd: sw, bStd: sb, parameterization: parameterization)
            Erf(a: 1.2, b: 0.8, c: 0.1)
            Dense(1, wStd: sw, bStd: sb, parameterization: parameterization)
        }
        let x = Matrix([[0.5, -1], [1.2, 0.3]])
        let k = try net.kernels(x)
        let act = net.layers[1] as! Nonlinearity
        let d1 = net.layers[0] as! Dense, d2 = net.layers[2] as! Dense
        let M = 20_000
        var f2 = MomentAccumulator(entries: 4), ntk = MomentAccumulator(entries: 4)
        var rng = RandomStream(seed: 5, stream: UInt64(parameterization == .ntk ? 0 : 1))
        for _ in 0..<M {
            let p = net.initialize(inputWidth: 2, using: &rng)
            let f = net.apply(p, x)
            let (s1w, s1b) = d1.scales(inputWidth: 2), (s2w, s2b) = d2.scales(inputWidth: N)
            let z = d1.apply(p[0], x)
            // Jacobian rows J(x_i) over (W1, b1, W2, b2), in stored-parameter coordinates.
            var J: [[Double]] = []
            for i in 0..<2 {
                var row: [Double] = []
                for a in 0..<2 { for j in 0..<N { row.append(s2w * p[2].weight![j, 0] * act.derivative(z[i, j]) * s1w * x[i, a]) } }
                for j in 0..<N { row.append(s2w * p[2].weight![j, 0] * act.derivative(z[i, j]) * s1b) }
                for j in 0..<N { row.append(s2w * act.value(z[i, j])) }
                row.append(s2b)
                J.append(row)
            }
            let pairs = [(0, 0), (0, 1), (1, 0), (1, 1)]
            f2.add(pairs.map { i, j in f[i, 0] * f[j, 0] })
            ntk.add(pairs.map { i, j in zip(J[i], J[j]).reduce(0) { $0 + $1.0 * $1.1 } })
        }
        for e in 0..<4 {
            let mf = f2.mean(e), ef = f2.standardError(e)
            let mt = ntk.mean(e), et = ntk.standardError(e)
            #expect(abs(mf - k.nngp[e]) < 5 * ef, "NNGP[\(e)]: MC \(mf) ± \(ef) vs \(k.nngp[e])")
            #expect(abs(mt - k.ntk[e]) < 5 * et, "NTK[\(e)]: MC \(mt) ± \(et) vs \(k.ntk[e])")
        }
    }
}

/// Kernels of activations without a closed form by their Hermite (Mehler) expansion.
@Suite struct HermiteKernelTests {
    /// Hermite (Mehler) kernels against independent routes: for φ = erf given as a plain function (`numerical`, no
    /// closed form known to it) the series must give the closed-form arcsine kernels of `Erf`; for tanh it must agree
    /// with a 2-D Gauss–Hermite rule of 300 nodes per axis (converged to ≈ 1e-11 at these variances: at ρ = 0.97 the rule of 200 nodes is still 2e-9 off, numpy agrees); and the series'
    /// own truncation bound must be below 1e-13 of √(E[φ(u)²]E[φ(v)²]).
    @Test func hermiteExpansionMatchesClosedFormsAndQuadrature() {
        let erfNumerical = Activation.numerical(name: "erf", fn: { erf($0) }, derivative: { 2 / Double.pi.squareRoot() * exp(-$0 * $0) },
                                                degree: 64, kinkAtZero: false)
        let erfClosed = Activation.erf(a: 1, b: 1, c: 0)
        for (k11, k12, k22) in KernelMapTests.covariances + [(3.0, 2.9, 3.0), (0.05, -0.04, 0.2)] {
            let (t, td) = erfNumerical.dual(k11: k11, k12: k12, k22: k22), (te, tde) = erfClosed.dual(k11: k11, k12: k12, k22: k22)
            #expect(abs(t - te) <= 1e-12 * max(1, abs(te)) && abs(td - tde) <= 1e-12 * max(1, abs(tde)),
                    "erf at \((k11, k12, k22)): (\(t), \(td)) vs closed (\(te), \(tde))")
            let tanh = Activation.tanh(degree: 64)
            let (th, tdh) = tanh.dual(k11: k11, k12: k12, k22: k22)
            let (tq, tdq) = tanh.dualByQuadrature2D(k11: k11, k12: k12, k22: k22, degree: 300)
            #expect(abs(th - tq) <= 1e-10 * max(1, abs(tq)) && abs(tdh - tdq) <= 1e-10 * max(1, abs(tdq)),
                    "tanh at \((k11, k12, k22)): (\(th), \(tdh)) vs 2-D quadrature (\(tq), \(tdq))")
            let (f, df) = tanh.quadratureFunctions
            let table = tanh.hermiteExpansion!.table(diagonals: [k11, k22], f, df)
            let bound = table.truncationBound(k11: k11, k22: k22)
            let scale = (tanh.dual(k11: k11, k12: k11, k22: k11).t * tanh.dual(k11: k22, k12: k22, k22: k22).t).squareRoot()
            #expect(bound.t <= 1e-13 * scale, "tail bound \(bound.t) vs scale \(scale)")
        }
    }

    /// A network of Hermite layers: the fused block path equals the layer-by-layer path bit for bit, and the kernel of
    /// a numerical erf network equals the closed-form Erf network's to 1e-11.
    @Test func hermiteNetworksAgreeWithClosedForms() throws {
        let x = Matrix([[1, 0.5], [-0.3, 0.9], [0.2, -1.4], [0.8, 0.8]])
        let erfNumerical = Nonlinearity(.numerical(name: "erf", fn: { erf($0) }, derivative: { 2 / Double.pi.squareRoot() * exp(-$0 * $0) },
                                                   degree: 64, kinkAtZero: false))
        let numerical = Serial([Dense(16, wStd: 1.4, bStd: 0.1), erfNumerical, Dense(16, wStd: 1.3, bStd: 0.05), erfNumerical, Dense(1)])
        let closed = Serial([Dense(16, wStd: 1.4, bStd: 0.1), Erf(), Dense(16, wStd: 1.3, bStd: 0.05), Erf(), Dense(1)])
        let kn = try numerical.kernels(x), kc = try closed.kernels(x)
        for e in 0..<kn.nngp.count {
            #expect(abs(kn.nngp[e] - kc.nngp[e]) <= 1e-11 * max(1, abs(kc.nngp[e])) && abs(kn.ntk[e] - kc.ntk[e]) <= 1e-11 * max(1, abs(kc.ntk[e])))
        }
        let tanhNet = try NetworkSpec.parse("Dense(8, W_std=1.5, b_std=0.05) Tanh Dense(8, W_std=1.5, b_std=0.05) Tanh Dense(1, W_std=1.5)")
        let fused = try tanhNet.kernels(x)
        var k = KernelState(x1: x)
        for l in tanhNet.layers { k = try l.kernel(k) }
        #expect(fused.nngp == k.nngp && fused.ntk == k.ntk)
    }
}

import Foundation
import Testing
@testable import Networks
@testable import NumericCore
@testable import Training
import TestSupport

/// Curvature of network metrics on Tⁿ against closed forms and independent routes.
@Suite struct CurvatureTests {
    static func model(_ par: MetricParametrization, n: Int, act: String = "Tanh", dilaton: Bool = false, seed: UInt64 = 5) throws -> NeuralTorusMetric {
        let O = par.outputCount(dimension: n) + (dilaton ? 1 : 0)
        let spec = try NetworkSpec.parse("Dense(8, W_std=1.5, b_std=0.3) \(act) Dense(6, W_std=1.3, b_std=0.2) \(act) Dense(\(O), W_std=0.4, b_std=0.1)", defaultParameterization: .standard)
        var m = try NeuralTorusMetric(dimension: n, parametrization: par, architecture: spec, harmonics: 2, dilaton: dilaton, seed: seed)
        if par == .components {
            // g_ii = h_ii: shift the output biases of the diagonal entries by 1 so that g ≈ δ is positive definite.
            let b = m.network.layout.slices[4].biasOffset!
            for i in 0..<n { m.network.parameters[b + MetricParametrization.upperIndex(i, i, n)] += 1 }
        }
        return m
    }

    /// The network's u jets: value, gradient, Hessian (symmetric blocks) per point.
    static func uJets(_ m: NeuralTorusMetric, _ x: Matrix) -> (u: [Double], du: [[Double]], ddu: [[[Double]]]) {
        let (J, _) = m.outputJet(x, keepTape: false)
        let n = m.dimension
        var u: [Double] = [], du: [[Double]] = [], ddu: [[[Double]]] = []
        for p in 0..<x.rows {
            u.append(J[[], point: p, unit: 0])
            du.append((0..<n).map { J[[$0], point: p, unit: 0] })
            ddu.append((0..<n).map { i in (0..<n).map { j in J[[i, j], point: p, unit: 0] } })
        }
        return (u, du, ddu)
    }

    static let x2 = TorusQuadrature.random(dimension: 2, points: 12, seed: 9, stream: 0).points
    static let x3 = TorusQuadrature.random(dimension: 3, points: 12, seed: 9, stream: 1).points

    /// n = 2, g = e^u δ: R = −e^{−u}Δu, Ric = (R/2)g, Γ^k_ij = ½(δ_ki ∂_j u + δ_kj ∂_i u − δ_ij ∂_k u).
    @Test(arguments: ["Tanh", "Gelu", "Sin", "Softplus"]) func conformalTwoDimensions(act: String) throws {
        let m = try Self.model(.conformal, n: 2, act: act)
        let ev = m.evaluate(Self.x2)
        let (u, du, ddu) = Self.uJets(m, Self.x2)
        for p in 0..<Self.x2.rows {
            let R = -exp(-u[p]) * (ddu[p][0][0] + ddu[p][1][1])
            #expect(abs(ev.scalar[p] - R) <= 1e-12 * (1 + abs(R)), "R \(ev.scalar[p]) vs \(R)")
            for i in 0..<2 { for j in 0..<2 {
                let ric = R / 2 * (i == j ? exp(u[p]) : 0)
                #expect(abs(ev.ricci[[p, i, j]] - ric) <= 1e-12 * (1 + abs(R)))
                for k in 0..<2 {
                    let G = 0.5 * ((k == i ? du[p][j] : 0) + (k == j ? du[p][i] : 0) - (i == j ? du[p][k] : 0))
                    #expect(abs(ev.christoffel[[p, k, i, j]] - G) <= 1e-13)
                }
            } }
            #expect(abs(ev.volumeForm[p] - exp(u[p])) <= 1e-13 * exp(u[p]))
        }
    }

    /// n = 3, g = e^{2φ}δ (φ = u/2): Ric_ij = −(φ_ij − φ_iφ_j) − (Δφ + |∇φ|²)δ_ij, R = −e^{−2φ}(4Δφ + 2|∇φ|²).
    @Test func conformalThreeDimensions() throws {
        let m = try Self.model(.conformal, n: 3, act: "Gelu")
        let ev = m.evaluate(Self.x3)
        let (u, du, ddu) = Self.uJets(m, Self.x3)
        for p in 0..<Self.x3.rows {
            let f = du[p].map { $0 / 2 }, ff = ddu[p].map { $0.map { $0 / 2 } }
            let lap = ff[0][0] + ff[1][1] + ff[2][2], g2 = f.reduce(0) { $0 + $1 * $1 }
            let R = -exp(-u[p]) * (4 * lap + 2 * g2)
            #expect(abs(ev.scalar[p] - R) <= 1e-12 * (1 + abs(R)), "R \(ev.scalar[p]) vs \(R)")
            for i in 0..<3 { for j in 0..<3 {
                let ric = -(ff[i][j] - f[i] * f[j]) - (i == j ? lap + g2 : 0)
                #expect(abs(ev.ricci[[p, i, j]] - ric) <= 1e-12 * (1 + abs(ric)))
            } }
        }
    }

    /// The flat metric δ pulled back by the torus diffeomorphism y = x + (a sin x₂, b sin x₃, c sin x₁) (n = 3; n = 2
    /// drops x₃): g = JᵀJ is flat, so the full Riemann tensor vanishes although Γ and ∂²g do not.
    @Test func pulledBackFlatMetricHasNoCurvature() {
        for n in [2, 3] {
            let coef = [0.3, -0.45, 0.2]
            let ws = PointCurvature(dimension: n)
            let gj = UnsafeMutablePointer<PointJet>.allocate(capacity: n * n)
            defer { gj.deallocate() }
            var maxGamma = 0.0
            for x in [[0.3, 1.2, 2.0], [2.5, -0.7, 0.4], [4.0, 5.5, 3.3]] {
                // J_mi = ∂y_m/∂x_i as jets in x: y_m = x_m + c_m sin x_{s(m)}, s(m) = m+1 mod n.
                var J = [[PointJet]](repeating: [PointJet](repeating: PointJet(), count: n), count: n)
                for m in 0..<n {
                    J[m][m] = PointJet(constant: 1)
                    let s = (m + 1) % n, c = coef[m], xs = x[s]
                    var e = PointJet(constant: c * cos(xs))
                    e.setD(s, -c * sin(xs)); e.setH(s, s, -c * cos(xs))
                    J[m][s] = J[m][s] + e
                }
                for i in 0..<n { for j in 0..<n {
                    var s = PointJet()
                    for m in 0..<n { s = s + J[m][i] * J[m][j] }
                    gj[i * n + j] = s
                } }
                ws.load(gj)
                #expect(ws.compute())
                for k in 0..<(n * n * n) { maxGamma = max(maxGamma, abs(ws.gamma2[k])) }
                for k in 0..<(n * n * n * n) { #expect(abs(ws.riemann[k]) < 1e-14, "n \(n) R[\(k)] = \(ws.riemann[k])") }
                #expect(abs(ws.scalar) < 1e-14)
            }
            #expect(maxGamma > 0.1)
        }
    }

    /// R_abcd = g_ae R^e_bcd with R^a_bcd = ∂_cΓ^a_bd − ∂_dΓ^a_bc + Γ^a_ec Γ^e_bd − Γ^a_ed Γ^e_bc, the Γ
    /// derivatives by the fourth-order central difference of the evaluated Γ (h = 10⁻³, error ≈ h⁴·C ≲ 10⁻⁹),
    /// for generic LDLᵀ and additive network metrics in n = 3 and 2.
    @Test(arguments: [MetricParametrization.ldl, .additive], [2, 3]) func riemannFromChristoffelDerivatives(par: MetricParametrization, n: Int) throws {
        let m = try Self.model(par, n: n, act: "Tanh")
        let x = n == 2 ? Self.x2 : Self.x3
        let ev = m.evaluate(x)
        let h = 1e-3
        var dGamma: [[Double]] = []   // [c][(p, a, b, d)]
        for c in 0..<n {
            dGamma.append(fourthOrderCentralDifferences(step: h) { s in
                var xs = x
                for p in 0..<x.rows { xs[p, c] += s }
                return m.evaluate(xs).christoffel.data
            })
        }
        var worst = 0.0, scale = 0.0
        for p in 0..<x.rows {
            func G(_ a: Int, _ b: Int, _ c: Int) -> Double { ev.christoffel[[p, a, b, c]] }
            func dG(_ c: Int, _ a: Int, _ b: Int, _ d: Int) -> Double { dGamma[c][((p * n + a) * n + b) * n + d] }
            for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n {
                var r = 0.0
                for e in 0..<n {
                    var up = dG(c, e, b, d) - dG(d, e, b, c)
                    for f in 0..<n { up += G(e, f, c) * G(f, b, d) - G(e, f, d) * G(f, b, c) }
                    r += ev.metric[[p, a, e]] * up
                }
                worst = max(worst, abs(r - ev.riemann[[p, a, b, c, d]]))
                scale = max(scale, abs(r))
            } } } }
        }
        #expect(scale > 1e-2, "curvature too small to test: \(scale)")
        #expect(worst < 1e-8, "\(par) n \(n): worst deviation \(worst) (scale \(scale))")
    }

    /// Any 2-D metric: Ric = (R/2) g; √det g against LAPACK's determinant.
    @Test(arguments: [MetricParametrization.ldl, .additive]) func twoDimensionalIdentity(par: MetricParametrization) throws {
        let m = try Self.model(par, n: 2)
        let ev = m.evaluate(Self.x2)
        for p in 0..<Self.x2.rows {
            let g = Matrix(rows: 2, cols: 2, data: Array(ev.metric.data[(4 * p)..<(4 * p + 4)]))
            #expect(abs(ev.volumeForm[p] - (try LinearAlgebra.determinant(g)).squareRoot()) < 1e-13)
            for k in 0..<4 { #expect(abs(ev.ricci.data[4 * p + k] - ev.scalar[p] / 2 * g.data[k]) < 1e-12 * (1 + abs(ev.scalar[p]))) }
        }
    }

    /// Every loss (with and without the volume normalisation) and every parametrisation: ∂L/∂θ from the reverse
    /// pass against central differences (h = 10⁻⁶) in 40 parameters spread over all layers.
    static let realParametrizations = MetricParametrization.allCases.filter(\.supportsRealCoordinates)

    @Test(arguments: CurvatureLoss.allCases, realParametrizations) func lossGradientMatchesFiniteDifferences(loss: CurvatureLoss, par: MetricParametrization) throws {
        for n in [2, 3] {
            let m = try Self.model(par, n: n, dilaton: loss == .perelman)
            let q = TorusQuadrature.random(dimension: n, points: 10, seed: 4, stream: UInt64(n))
            var target: Matrix? = nil
            if loss == .mse {
                var t = Matrix(rows: q.points.rows, cols: n * n)
                for p in 0..<t.rows { for i in 0..<n { t[p, i * n + i] = exp(0.3 * sin(q.points[p, 0])) } }
                target = t
            }
            for V0: Double? in [nil, 50.0] {
                let e = m.lossAndGradient(loss, quadrature: q, target: target, volumeTarget: V0)
                #expect(e.badPoint == nil)
                let scale = maxAbs(e.gradient)
                var worst = 0.0
                let checked = Array(stride(from: 0, to: m.network.parameterCount, by: max(1, m.network.parameterCount / 40)))
                let fd = centralDifferenceGradient(at: m.network.parameters, step: 1e-6, indices: checked) { theta in
                    var mh = m
                    mh.network.parameters = theta
                    return mh.lossAndGradient(loss, quadrature: q, target: target, volumeTarget: V0, gradient: false).loss
                }
                for (k, d) in zip(checked, fd) { worst = max(worst, abs(d - e.gradient[k])) }
                #expect(worst < 1e-6 * scale, "\(loss) \(par) n \(n) V0 \(String(describing: V0)): worst \(worst), scale \(scale)")
            }
        }
    }
}

/// The reference metric of the additive parametrisation and the exact jets of formulas.
@Suite struct ReferenceMetricTests {
    /// Jets of a formula against the fourth-order central difference of its values (gradient) and of its jet's
    /// gradient (Hessian), h = 10⁻³ (error ≈ h⁴·C ≲ 10⁻¹⁰).
    @Test func formulaJetsMatchFiniteDifferences() throws {
        let e = try TorusExpression("0.5*cos(x) + 0.2*sin(2*y)^2 - x*y^3/(1 + z^2) + exp(tanh(z))*sqrt(2 + sin(x)) + log(3 + cos(y))^1.5 + (2 + sin(z))^(cos(x))", dimension: 3)
        let h = 1e-3
        for x in [[0.3, 1.2, -0.7], [2.1, -0.4, 1.9]] {
            let J = e.jet(x)
            #expect(abs(J.v - e(x)) < 1e-14)
            for i in 0..<3 {
                func shifted(_ s: Double) -> [Double] { var y = x; y[i] += s; return y }
                let fd = fourthOrderCentralDifference(step: h) { e(shifted($0)) }
                #expect(abs(fd - J.d(i)) < 1e-9, "∂\(i): \(J.d(i)) vs \(fd)")
                for j in 0..<3 {
                    let fd2 = fourthOrderCentralDifference(step: h) { e.jet(shifted($0)).d(j) }
                    #expect(abs(fd2 - J.h(i, j)) < 1e-8, "∂\(i)∂\(j): \(J.h(i, j)) vs \(fd2)")
                }
            }
        }
    }

    /// additive metric with the reference e^{u}δ, u = 0.5 cos x + 0.2 sin 2y, and a zero network correction:
    /// R = −e^{−u}Δu with Δu = −0.5 cos x − 0.8 sin 2y in closed form.
    @Test func referenceMetricCurvature() throws {
        let spec = try NetworkSpec.parse("Dense(6, W_std=1.2, b_std=0.3) Tanh Dense(3)", defaultParameterization: .standard)
        let ref = try TorusExpression("u = 0.5*cos(x) + 0.2*sin(2*y)", dimension: 2)
        var m = try NeuralTorusMetric(dimension: 2, parametrization: .additive, architecture: spec, harmonics: 1, reference: ref, seed: 1)
        for k in m.network.layout.slices[2].weightOffset..<m.network.parameterCount { m.network.parameters[k] = 0 }
        let x = TorusQuadrature.random(dimension: 2, points: 10, seed: 3, stream: 0).points
        let ev = m.evaluate(x)
        for p in 0..<x.rows {
            let (a, b) = (x[p, 0], x[p, 1])
            let u = 0.5 * cos(a) + 0.2 * sin(2 * b), lap = -0.5 * cos(a) - 0.8 * sin(2 * b)
            #expect(abs(ev.scalar[p] + exp(-u) * lap) < 1e-13)
            #expect(abs(ev.metric[[p, 0, 0]] - exp(u)) < 1e-15 * exp(u) && ev.metric[[p, 0, 1]] == 0)
        }
        #expect(throws: InputError.self) { try NeuralTorusMetric(dimension: 2, parametrization: .ldl, architecture: spec, harmonics: 1, reference: ref, seed: 1) }
    }
}

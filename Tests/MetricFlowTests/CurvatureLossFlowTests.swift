import Foundation
import Testing
@testable import MetricFlow
import Networks
import NumericCore
import TestSupport
import Training

/// The curvature losses of the network arms (∫R², ∫|Ric|², Perelman's −λ, volume-normalised) against independent
/// routes: Perelman's first-variation formula, finite differences, `train torus`'s point-jet losses on the same
/// network, a dense finite-difference Hessian, and the monotonicity of gradient descent.
@Suite struct CurvatureLossFlowTests {
    static func norm(_ a: [Double]) -> Double { a.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    static func difference(_ a: [Double], _ b: [Double]) -> Double { norm(zip(a, b).map { $0 - $1 }) }

    /// u = 0.5 cos x + 0.3 sin(x + y) − 0.2 cos 2y.
    static func sample(_ grid: TorusGrid) -> [Double] {
        grid.sample { x in 0.5 * cos(x[0]) + 0.3 * sin(x[0] + x[1]) - 0.2 * cos(2 * x[1]) }
    }

    /// The conformal-gauge λ (potential −Δu) and the general route (R√g from the curvature of the sampled
    /// components e^{u}) are two discretisations of the same eigenvalue: on a 32² grid, where the Fourier tail of e^{u}
    /// is below 10⁻¹³, they agree to 10⁻¹⁰ relative (measured 2e-15), and so do the ground states.
    @Test func conformalLambdaIsTheCurvatureLambda() throws {
        let grid = try TorusGrid(dimension: 2, side: 32)
        let u = Self.sample(grid)
        let a = try Perelman.lambda(conformalFactor: u, grid: grid)
        let b = try Perelman.lambda(GridMetric.conformal(u, grid: grid))
        #expect(a.value < 0)
        #expect(abs(a.value - b.value) <= 1e-10 * abs(b.value), "\(a.value) vs \(b.value)")
        #expect(Self.difference(a.groundState, b.groundState) <= 1e-8 * Self.norm(b.groundState))
    }

    /// δλ/δu by Hellmann–Feynman (1) against Perelman's first variation −(R + Δ_g f)e^{−f}√g at the λ-minimising f,
    /// assembled from the curvature route (R from `GridCurvature`, Δ_g f = e^{−u}Δf for g = e^{u}δ): equal to the
    /// grid's spectral accuracy (10⁻⁸ relative on 32²); (2) against central differences of λ along three smooth
    /// directions v on a 16² grid: ⟨w δλ/δu, v⟩ = dλ(u + sv)/ds within twice the gap between the second- and
    /// fourth-order differences plus the eigenvalue's solver error (≤ 10⁻¹² here, far below) over s.
    @Test func lambdaVariationIsPerelmansFirstVariation() throws {
        let grid = try TorusGrid(dimension: 2, side: 32)
        let u = Self.sample(grid), M = grid.count
        let l = try Perelman.lambda(conformalFactor: u, grid: grid)
        let variation = Perelman.lambdaVariation(l, conformalFactor: u, grid: grid)
        let curvature = GridCurvature(GridMetric.conformal(u, grid: grid))
        let f = l.potential, lapF = grid.laplacian(f)
        var perelman = [Double](repeating: 0, count: M)
        for p in 0..<M {
            let r: Double = curvature.scalar[p] + exp(-u[p]) * lapF[p]
            perelman[p] = -r * exp(u[p] - f[p])
        }
        #expect(Self.difference(variation, perelman) <= 1e-8 * Self.norm(perelman), "\(Self.difference(variation, perelman)) vs \(Self.norm(perelman))")

        let small = try TorusGrid(dimension: 2, side: 16)
        let us = Self.sample(small)
        let ls = try Perelman.lambda(conformalFactor: us, grid: small, tolerance: 1e-12)
        let vs = Perelman.lambdaVariation(ls, conformalFactor: us, grid: small)
        let directions: [([Double]) -> Double] = [{ cos($0[0] - $0[1]) }, { sin(2 * $0[1]) + 0.5 }, { exp(cos($0[0])) }]
        for d in directions {
            let v = small.sample(d)
            let analytic = small.cellVolume * zip(vs, v).reduce(0) { $0 + $1.0 * $1.1 }
            let lam = { (s: Double) in try Perelman.lambda(conformalFactor: zip(us, v).map { $0 + s * $1 }, grid: small, tolerance: 1e-12).value }
            let s = 1e-3
            let cd = try centralDifference(step: s, lam), cd4 = try fourthOrderCentralDifference(step: s, lam)
            let tol = 2 * abs(cd - cd4) + 1e-12 / s
            #expect(abs(analytic - cd) <= tol, "dλ: \(analytic) vs \(cd) (tolerance \(tol))")
        }
    }

    /// ∫R² dV and ∫|Ric|² dV of the volume-normalised metric, value and parameter gradient, against `train torus`'s
    /// `CurvatureLoss` on the same conformal network g = e^{h}δ (point jets of the network: exact derivatives, against the
    /// grid's spectral ones here) with the grid quadrature and a target V₀: the two discretisations converge to each
    /// other spectrally (gradient gap 1.4e-3, 1.8e-5, 1.9e-7, 1.4e-11, 1.2e-15 relative on 16², 24², 32², 48², 64²),
    /// so on 64² they agree to 10⁻¹² relative. In 2-D, ∫|Ric|² = ½∫R² (Ric = (R/2)g) holds in both.
    @Test(arguments: [NetworkFlow.Loss.scalar2, .ricci2]) func curvatureLossesAreTrainTorusLosses(loss: NetworkFlow.Loss) throws {
        let side = 64
        let grid = try TorusGrid(dimension: 2, side: side)
        let model = try NeuralTorusMetric(dimension: 2, parametrization: .conformal,
                                          architecture: try NetworkSpec.parse(NetworkFlow.defaultNet, defaultParameterization: .ntk, width: 16),
                                          harmonics: 1, seed: 5)
        let net = model.metricNetwork.network
        let inputs = model.metricNetwork.networkInputs(grid.points)
        let (h, tape) = net.forward(inputJet: inputs.data, indexSet: JetIndexSet(dimension: 1, order: 0), points: inputs.rows, keepTape: true)
        let u = Array(h)
        let a0 = 0.8 * grid.integrate(u.map(exp))
        let (value, variation) = try loss.evaluate(u, grid: grid, targetVolume: a0)
        let gradient = net.parameterGradient(tape: tape!, outputAdjoint: variation.map { grid.cellVolume * $0 })
        tape!.recycle()
        let train = model.lossAndGradient(loss == .scalar2 ? .scalar2 : .ricci2, quadrature: .grid(dimension: 2, side: side), volumeTarget: a0)
        #expect(abs(value - train.loss) <= 1e-12 * abs(train.loss), "\(value) vs \(train.loss)")
        #expect(Self.difference(gradient, train.gradient) <= 1e-12 * Self.norm(train.gradient))
        // The normalisation: invariant under u → u + c.
        #expect(abs(try loss.value(u.map { $0 + 0.7 }, grid: grid, targetVolume: a0) - value) <= 1e-13 * abs(value))
    }

    /// The stable bound of the curvature losses (Lanczos on HΘ with Hessian–vector products by differences)
    /// against the dense route: H by central differences of δL/δu in each grid value (step 10⁻⁴), symmetrised,
    /// Θ^{1/2} from Θ's eigen-decomposition, 2/(w λ_max(Θ^{1/2}HΘ^{1/2})). Both carry difference errors ≈ 10⁻⁵
    /// relative (measured agreement 5e-6 and 1.4e-6): checked to 10⁻⁴.
    @Test(arguments: [NetworkFlow.Loss.scalar2, .ricci2, .perelman]) func stableBoundIsTheDenseHessianBound(loss: NetworkFlow.Loss) throws {
        let grid = try TorusGrid(dimension: 2, side: 12)
        let M = grid.count
        let flow = try NetworkFlowTests.flow(grid, arm: .frozen, loss: loss, width: 48, step: nil)
        let u0 = flow.initialConformalFactor
        let K = try flow.outputNTK(parameters: flow.metricNetwork.network.parameters)
        var H = Matrix(rows: M, cols: M)
        let e = 1e-4
        for j in 0..<M {
            var up = u0, um = u0; up[j] += e; um[j] -= e
            let vp = try flow.evaluateLoss(up).variation, vm = try flow.evaluateLoss(um).variation
            for i in 0..<M { H[i, j] = (vp[i] - vm[i]) / (2 * e) }
        }
        for i in 0..<M { for j in (i + 1)..<M { let s = 0.5 * (H[i, j] + H[j, i]); H[i, j] = s; H[j, i] = s } }
        let root = try symmetricSquareRoot(K)
        let top = try LinearAlgebra.symmetricEigen(root * H * root).values.max()! * grid.cellVolume
        let dense = 2 / top, bound = try flow.initialStableStepBound()
        #expect(abs(bound - dense) <= 1e-4 * dense, "\(bound) vs \(dense)")
    }

    /// Along the network arm (η a quarter of the stable bound, 32² grid): the loss never increases (gradient
    /// descent below the stability limit of its linearisation), the saved metric ĝ keeps the starting area A₀ to
    /// round-off, and the loss recorded at each saved time is the loss of ĝ by an independent route — for `perelman`,
    /// −λ(ĝ) from the curvature route (`Perelman.lambda` of the saved components), so λ of the flowed metric rises,
    /// as along Ricci flow; for scalar2, ∫R² dV of ĝ from `GridCurvature`. The two routes are different
    /// discretisations (spectral derivatives of u, and for λ the full spectral Laplacian, against first derivatives of
    /// the components e^{u}): equal to round-off at t = 0, where u is a trigonometric polynomial; the network's update
    /// h_θ − h_θ₀ is not band-limited (its spectrum falls geometrically to ≈ 2e-4 at the Nyquist, 1.6e-6 of the
    /// largest coefficient, for every loss alike), and the two discretisations alias that tail differently while the
    /// losses fall towards 0, so the gap is measured against the initial loss: ≤ 5.5e-5·L(0) for perelman at the last
    /// time (growing with the tail), ≤ 4e-9·L(0) for scalar2; checked to 10⁻⁴·L(0).
    @Test(arguments: [NetworkFlow.Loss.scalar2, .perelman]) func networkArmDescendsTheLossOfTheSavedMetric(loss: NetworkFlow.Loss) throws {
        let grid = try TorusGrid(dimension: 2, side: 32)
        let probe = try NetworkFlowTests.flow(grid, arm: .network, loss: loss, width: 48, step: nil)
        let bound = try probe.initialStableStepBound()
        let times = (0...6).map { Double($0) * 2 * bound }
        let run = try NetworkFlowTests.flow(grid, arm: .network, loss: loss, width: 48, step: 0.25 * bound).run(times: times)
        #expect(run.trajectory.breakdown == nil && run.loss.count == times.count)
        for i in 1..<run.loss.count { #expect(run.loss[i] < run.loss[i - 1], "L rose at step \(i): \(run.loss)") }
        #expect(run.loss.last! < 0.9 * run.loss.first!)
        for (i, g) in run.trajectory.metrics.enumerated() {
            #expect(abs(g.volume - probe.targetVolume) <= 1e-13 * probe.targetVolume)
            let independent: Double
            if loss == .perelman {
                independent = -(try Perelman.lambda(g).value)
            } else {
                let c = GridCurvature(g)
                independent = grid.integrate((0..<grid.count).map { c.scalar[$0] * c.scalar[$0] * c.volumeDensity[$0] })
            }
            #expect(abs(run.loss[i] - independent) <= 1e-4 * abs(run.loss[0]), "time \(times[i]): \(run.loss[i]) vs \(independent)")
        }
    }
}

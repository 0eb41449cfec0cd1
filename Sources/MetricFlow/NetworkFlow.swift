import Foundation
import Networks
import NTK
import NumericCore
import Training

/// The network realisations of the neural-network metric flow on T²: a conformal metric g = e^{u}δ whose conformal
/// factor is the output of a network, u_θ(x) = u_init(x) + h_θ(φ(x)) − h_θ₀(φ(x)) (`MetricNetwork` with the
/// `conformal` parametrisation, φ the harmonic `TorusEmbedding`, h the network, θ its flat parameters), trained by
/// full-batch gradient descent on a loss of u evaluated on the grid.
///
/// Centring: subtracting the network's output at initialisation makes u(0) = u_init exactly (the same start as the
/// other arms of the flow) while ∂u/∂θ = ∂h/∂θ, so the output NTK is the network's own,
/// Θ(x, y) = Σ_I ∂h(φ(x))/∂θ_I ∂h(φ(y))/∂θ_I (θ the stored parameters: raw N(0, 1) draws under NTK
/// parameterisation).
///
/// Conventions. The loss is a grid sum L(θ) = Σ_x w ℓ(u_θ)(x), w = `grid.cellVolume` (the trapezoidal rule), with
/// derivatives by the grid's spectral calculus; δL/δu(x) = (1/w)∂L/∂u(x) (`Loss`). Gradient descent
/// θ_{k+1} = θ_k − η∇_θL with ∇_θL = J_θᵀ(w δL/δu), J_θ = ∂u(x)/∂θ [M, P] at the M grid points; flow time t = kη
/// (η is the learning rate, as for `KernelFlow`; a last, shorter step lands exactly on each saved time). To first
/// order in η the step moves u by −η Θ w δL/δu, i.e. the metric follows the kernel flow
/// ∂_t u(x) = −Σ_y Θ(x, y) w δL/δu(y), ∂_t g = (∂_t u)·e^{u}δ.
///
/// - `frozen`: linearised training, u_t = u_0 + J_0(θ_t − θ_0) with the Jacobian J_0 at initialisation. In output
///   space the step is u ← u − η Θ_0 w δL/δu with the frozen output NTK Θ_0 = J_0 J_0ᵀ [M, M] (formed once by
///   `EmpiricalNTK`'s per-layer Gram products, BLAS; equal to J_0 J_0ᵀ to round-off): explicit Euler of the kernel
///   flow with the kernel of the network at initialisation. Its kernel drift is 0 by construction.
/// - `network`: the real network, θ updated with the exact parameter gradient (the network's vector–Jacobian product,
///   `Network.parameterGradient`), its output NTK Θ_t recomputed at every saved time.
///
/// Kernel drift: drift(t) = ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F of the scalar output NTK Θ^u = Θ^h over the grid points (the
/// standard measure of lazy training). The metric-NTK of the conformal metric is
/// Θ^g_ijkl(x, y) = e^{u(x)}e^{u(y)}Θ^u(x, y)δ_ijδ_kl; it moves also through the factors e^{u}, which the flow
/// itself moves at O(1), so the drift of Θ^u is the one that isolates the network's departure from its linearisation.
///
/// Stability: explicit Euler of the linearised flow ∂_t δu = −Θ_0 w H δu (H = (1/w)∂²L/∂u²: −Δ for `dirichlet`,
/// diag e^{u}(u + 2) at u_0 for `vlogv`) is stable while η ≤ 2/λ_max(w H^{1/2}Θ_0H^{1/2})
/// (`stableStepBound`; the symmetric form has the spectrum of wΘ_0H). A larger η is refused with the bound; a
/// non-finite state later (the bound moves with u for `vlogv` and with Θ_t for `network`) ends the run with a
/// `FlowBreakdown` recorded in the trajectory.
///
/// Only conformal metrics on T² with a one-output network are flowed (the `components` parametrisation would need
/// the metric-NTK Θ^g_ijkl and a loss of g_ij; it is refused with a `SettingError`).
public struct NetworkFlow: Sendable {
    /// How the network enters the flow.
    public enum Arm: String, Sendable, Codable, CaseIterable {
        /// Linearised training with the empirical output NTK Θ_0 frozen at initialisation (drift 0).
        case frozen
        /// The network itself trained by gradient descent, Θ_t recomputed along training.
        case network
    }

    /// The loss L(u) on the grid (w the cell volume; sums Σ_x are the trapezoidal rule), and its variation
    /// δL/δu = (1/w)∂L/∂u, exact for the discrete L.
    ///
    /// The curvature losses are those of `train torus` (`CurvatureLoss`) specialised to g = e^{u}δ on T², where
    /// √g = e^{u}, R = −e^{−u}Δu and Ric = (R/2)g, and they carry its volume normalisation: the loss is that of
    /// ĝ = (A₀/A)g, A = ∫e^{u}dx the area and A₀ the target area (the area at the start of the flow), which makes it
    /// invariant under u → u + c. The flow saves ĝ (conformal factor û = u + ln(A₀/A)), as `train torus` saves ĝ.
    public enum Loss: String, Sendable, Codable, CaseIterable {
        /// L = ½∫|∇u|² dx, on the grid ½ w Σ_x u·(−Δu) with the spectral Laplacian (this counts the Nyquist modes
        /// with |k|², where the spectral gradient would drop them); δL/δu = −Δu. Linear in u: the frozen arm is
        /// then a linear ODE.
        case dirichlet
        /// L = ∫ v ln v dx with v = e^{u}, on the grid w Σ_x e^{u}u; δL/δu = e^{u}(u + 1). Local (no derivatives of
        /// u), so with a smooth network kernel the flow is not Ricci flow (that needs the kernel −Δδ, `KernelFlow`'s
        /// `local` arm): it drives u towards the minimiser u = −1 through the kernel.
        case vlogv
        /// L = ∫R² dV of ĝ = (A/A₀)·S, S = ∫e^{−u}(Δu)² dx (the Calabi energy; R²√g = e^{−u}(Δu)²);
        /// δS/δu = −e^{−u}(Δu)² + 2Δ(e^{−u}Δu), δL/δu = (A δS/δu + S e^{u})/A₀. With the kernel δ/√g its gradient
        /// flow is the Calabi flow ∂_t u ∝ Δ_g R, fourth order, not Ricci flow.
        case scalar2
        /// L = ∫|Ric|² dV of ĝ: in two dimensions |Ric|² = R²/2 (Ric = (R/2)g), so half of `scalar2`.
        case ricci2
        /// L = −F(ĝ, f) at the λ-minimising f, i.e. −λ(ĝ) = −(A/A₀)λ(g) (λ(s·g) = λ(g)/s), with λ the conformal-gauge
        /// eigenvalue of `Perelman.lambda(conformalFactor:grid:)`; δL/δu = −(A δλ/δu + λ e^{u})/A₀ with
        /// `Perelman.lambdaVariation`. Descending L ascends F in g with f tied to g — Perelman's flow, of which
        /// Ricci flow is the diffeomorphism-equivalent form (math/0211159 §1): the realisation L = −F of the metric-NTK
        /// literature (2310.19870). (`train torus --loss perelman` descends F in metric and dilaton together and so
        /// lowers λ; here f is not a parameter but the exact minimiser at every step.) Near the flat metric
        /// L ≈ (1/4A₀)∫|∇u|²dx: a slow heat flow for a frozen local kernel.
        case perelman

        /// Whether the loss is the volume-normalised loss of ĝ (the curvature losses).
        public var holdsVolume: Bool { self == .scalar2 || self == .ricci2 || self == .perelman }

        /// L(u) and δL/δu on the grid; `targetVolume` is A₀ of the curvature losses (ignored by the others). Throws
        /// an `EigenSolverError` when λ cannot be computed (`perelman`).
        public func evaluate(_ u: [Double], grid: TorusGrid, targetVolume: Double) throws -> (value: Double, variation: [Double]) {
            let w = grid.cellVolume, M = u.count
            switch self {
            case .dirichlet:
                let lap = grid.laplacian(u)
                var s = 0.0
                for p in 0..<M { s -= u[p] * lap[p] }
                return (0.5 * w * s, lap.map { -$0 })
            case .vlogv:
                var s = 0.0
                for p in 0..<M { s += exp(u[p]) * u[p] }
                return (w * s, u.map { exp($0) * ($0 + 1) })
            case .scalar2, .ricci2:
                let c = self == .ricci2 ? 0.5 : 1
                let lap = grid.laplacian(u)
                let q = (0..<M).map { exp(-u[$0]) * lap[$0] }          // e^{−u}Δu = −R
                let lq = grid.laplacian(q)
                let area = grid.integrate(u.map(exp))
                var sum = 0.0
                for p in 0..<M { sum += q[p] * lap[p] }
                let s = c * w * sum
                let variation = (0..<M).map { p in (area * c * (-q[p] * lap[p] + 2 * lq[p]) + s * exp(u[p])) / targetVolume }
                return (area * s / targetVolume, variation)
            case .perelman:
                let l = try Perelman.lambda(conformalFactor: u, grid: grid)
                let dl = Perelman.lambdaVariation(l, conformalFactor: u, grid: grid)
                let area = grid.integrate(u.map(exp))
                return (-area * l.value / targetVolume, (0..<M).map { -(area * dl[$0] + l.value * exp(u[$0])) / targetVolume })
            }
        }

        /// L(u) on the grid (see `evaluate`).
        public func value(_ u: [Double], grid: TorusGrid, targetVolume: Double) throws -> Double {
            try evaluate(u, grid: grid, targetVolume: targetVolume).value
        }

        /// δL/δu at every grid point (see `evaluate`).
        public func variation(_ u: [Double], grid: TorusGrid, targetVolume: Double) throws -> [Double] {
            try evaluate(u, grid: grid, targetVolume: targetVolume).variation
        }

        /// The saved conformal factor: û = u + ln(A₀/A) for the curvature losses (the metric ĝ the loss sees), u
        /// otherwise; with `velocity` ∂_t u, also ∂_t û = ∂_t u − ∫e^{u}∂_t u dx / A.
        public func savedState(_ u: [Double], velocity du: [Double], grid: TorusGrid, targetVolume: Double) -> (u: [Double], velocity: [Double]) {
            guard holdsVolume else { return (u, du) }
            let e = u.map(exp)
            let area = grid.integrate(e)
            let shift = log(targetVolume / area)
            let mean = grid.integrate((0..<u.count).map { e[$0] * du[$0] }) / area
            return (u.map { $0 + shift }, du.map { $0 - mean })
        }
    }

    /// The default network of the flow: two tanh layers of the scanned width N (placeholder), biases with
    /// b_std = 0.1, a bias-free readout, NTK parameterisation (the Dense default of `NetworkSpec.parse`).
    public static let defaultNet = "Dense(N, b_std=0.1) Tanh Dense(N, b_std=0.1) Tanh Dense(1)"

    /// The grid (n = 2) on which the loss is evaluated and the metric saved.
    public let grid: TorusGrid
    /// The metric network at θ_0 (conformal, one output).
    public let metricNetwork: MetricNetwork
    /// The realisation.
    public let arm: Arm
    /// The loss.
    public let loss: Loss
    /// Learning rate η (the step in flow time); nil: half the stable bound at the start (`stableStepBound`).
    public let step: Double?
    /// u_init on the grid: the conformal factor at t = 0.
    public let initialConformalFactor: [Double]
    /// The network's inputs φ(x) at the grid points, [M, embedding width].
    public let inputs: Matrix
    /// h_θ₀ at the grid points (subtracted by the centring).
    let initialOutputs: [Double]
    /// A₀ = ∫e^{u_init}dx, the area the curvature losses hold (`Loss.holdsVolume`).
    public let targetVolume: Double

    /// A network flow from the conformal factor `initialConformalFactor` (one value per grid point) with learning
    /// rate `step` (nil: half the stable bound, found when the run starts). Throws a `SettingError` for n ≠ 2, a
    /// non-positive or non-finite η, a metric network that is not conformal with one output on T², or an initial
    /// factor of the wrong length or with non-finite values.
    public init(grid: TorusGrid, metricNetwork: MetricNetwork, arm: Arm, loss: Loss, step: Double? = nil,
                initialConformalFactor u0: [Double]) throws {
        guard grid.dimension == 2 else {
            throw SettingError("dimension", "\(grid.dimension) for the \(arm.rawValue) network flow, expected 2 (the network arms flow conformal metrics e^u δ of T²)")
        }
        if let step, !(step.isFinite && step > 0) { throw SettingError("step", "\(step), expected a positive learning rate") }
        guard metricNetwork.parametrization == .conformal, metricNetwork.dimension == 2,
              metricNetwork.network.outputWidth == 1 else {
            throw SettingError("metric", "\(metricNetwork.parametrization.rawValue) on a \(metricNetwork.dimension)-manifold with \(metricNetwork.network.outputWidth) network output(s), expected the conformal parametrisation on T² with one output")
        }
        guard u0.count == grid.count else {
            throw SettingError("init", "\(u0.count) values of u, expected one per grid point (\(grid.count))")
        }
        if let bad = u0.firstIndex(where: { !$0.isFinite }) { throw SettingError("init", "u = \(u0[bad]) at point \(bad), expected finite values") }
        self.grid = grid; self.metricNetwork = metricNetwork; self.arm = arm; self.loss = loss; self.step = step
        initialConformalFactor = u0
        inputs = metricNetwork.networkInputs(grid.points)
        initialOutputs = metricNetwork.network.outputs(inputs).data
        targetVolume = grid.integrate(u0.map(exp))
    }

    /// The conformal metric network of T² with `harmonics` harmonics whose network is the SPEC `spec` (one output)
    /// at hidden width `width`: the placeholder N of its Dense layers is replaced by `width`; a SPEC without the
    /// placeholder gets every hidden Dense layer (all but the last) set to `width` (`Serial.withHiddenWidth`); with
    /// `width` nil the SPEC is taken as written (a placeholder is then an error). Dense layers that name no
    /// parameterisation use `parameterization`; parameters are drawn from `seed` as `NeuralTorusMetric` does (layer k
    /// from stream k).
    public static func metricNetwork(spec: String = defaultNet, width: Int?, harmonics: Int = 1,
                                     parameterization: Dense.Parameterization = .ntk, seed: UInt64) throws -> MetricNetwork {
        let architecture: Serial
        if let width {
            guard width >= 1 else { throw SettingError("width", "\(width), expected a positive integer") }
            if let plain = try? NetworkSpec.parse(spec, defaultParameterization: parameterization) {
                architecture = plain.withHiddenWidth(width)
            } else {
                architecture = try NetworkSpec.parse(spec, defaultParameterization: parameterization, width: width)
            }
        } else {
            architecture = try NetworkSpec.parse(spec, defaultParameterization: parameterization)
        }
        return try NeuralTorusMetric(dimension: 2, parametrization: .conformal, architecture: architecture,
                                     harmonics: harmonics, seed: seed).metricNetwork
    }

    /// Number P of network parameters θ.
    public var parameterCount: Int { metricNetwork.network.parameterCount }

    /// The network with parameters θ.
    func network(_ theta: [Double]) -> Network {
        var n = metricNetwork.network
        n.parameters = theta
        return n
    }

    /// The centred conformal factor u_θ = u_init + h_θ − h_θ₀ at the grid points.
    public func conformalFactor(parameters theta: [Double]) -> [Double] {
        let h = network(theta).outputs(inputs).data
        return (0..<h.count).map { initialConformalFactor[$0] + (h[$0] - initialOutputs[$0]) }
    }

    /// L(θ) = L(u_θ) (`Loss.evaluate` with A₀ = `targetVolume`).
    public func lossValue(parameters theta: [Double]) throws -> Double {
        try loss.value(conformalFactor(parameters: theta), grid: grid, targetVolume: targetVolume)
    }

    /// L(u) and δL/δu with this flow's target area.
    public func evaluateLoss(_ u: [Double]) throws -> (value: Double, variation: [Double]) {
        try loss.evaluate(u, grid: grid, targetVolume: targetVolume)
    }

    /// L(θ), ∇_θL = J_θᵀ(w δL/δu) (by the network's reverse pass) and u_θ.
    public func lossAndGradient(parameters theta: [Double]) throws -> (loss: Double, gradient: [Double], conformalFactor: [Double]) {
        let net = network(theta)
        let (h, tape) = net.forward(inputJet: inputs.data, indexSet: JetIndexSet(dimension: 1, order: 0), points: inputs.rows, keepTape: true)
        defer { tape!.recycle() }
        let u = (0..<grid.count).map { initialConformalFactor[$0] + (h[$0] - initialOutputs[$0]) }
        let w = grid.cellVolume
        let (value, variation) = try evaluateLoss(u)
        let gradient = net.parameterGradient(tape: tape!, outputAdjoint: variation.map { w * $0 })
        return (value, gradient, u)
    }

    /// The stable bound at the start: `stableStepBound(kernel:at:)` with Θ_0 and u_init (what `run` checks η against).
    public func initialStableStepBound() throws -> Double {
        try stableStepBound(kernel: try outputNTK(parameters: metricNetwork.network.parameters), at: initialConformalFactor)
    }

    /// The empirical output NTK Θ(x, y) = Σ_I ∂h(φ(x))/∂θ_I ∂h(φ(y))/∂θ_I at the grid points, [M, M].
    public func outputNTK(parameters theta: [Double]) throws -> Matrix {
        let k = try EmpiricalNTK(network(theta)).kernel(inputs)
        return Matrix(rows: grid.count, cols: grid.count, data: k.data)
    }

    /// The largest stable learning rate 2/λ_max(w BΘBᵀ) of explicit Euler for the kernel Θ [M, M] at the conformal
    /// factor u, with H = BᵀB the stiffness (the Hessian (1/w)∂²L/∂u², or its positive part) written as a square;
    /// wBΘBᵀ has the non-zero spectrum of wΘH. B is the spectral multiplier |k| for `dirichlet` (H = −Δ);
    /// diag(max(0, e^{u}(u + 2)))^{1/2} for `vlogv` (the non-convex region u < −2 has no stiffness);
    /// λ_max by Lanczos on x ↦ BΘBᵀx (`largestEigenvalue`, an upper estimate converged to 10⁻¹² relative). The
    /// curvature losses have no such square root in closed form (their Hessians are not sign-definite away from the
    /// flat metric, and perelman's involves the resolvent of λ's operator): for them λ_max(wΘH) comes from Lanczos on
    /// HΘ, self-adjoint in the inner product ⟨a, b⟩_Θ = aᵀΘb, with the Hessian–vector products
    /// Hv = (δL/δu(u + εv) − δL/δu(u − εv))/2ε by central differences (ε = 10⁻⁵·max(1, max|u|)/max|v|;
    /// relative error ≈ 10⁻⁵ from truncation and the loss's own accuracy), converged to 10⁻⁶ relative
    /// (`largestEigenvalue` with the metric Θ).
    public func stableStepBound(kernel: Matrix, at u: [Double]) throws -> Double {
        let M = grid.count
        precondition(kernel.rows == M && kernel.cols == M && u.count == M)
        if let bad = kernel.data.first(where: { !$0.isFinite }) { throw SettingError("kernel", "has the entry \(bad), expected finite values") }
        let apply: ([Double]) -> [Double]
        switch loss {
        case .dirichlet:
            apply = { x in self.grid.filter(kernel * self.grid.filter(x) { $0.squareRoot() }) { $0.squareRoot() } }
        case .vlogv:
            let d = u.map { max(0, exp($0) * ($0 + 2)).squareRoot() }
            apply = { x in zip(d, kernel * zip(d, x).map(*)).map(*) }
        case .scalar2, .ricci2, .perelman:
            let scale = max(1, u.reduce(0) { max($0, abs($1)) })
            let top = try Self.largestEigenvalue(dimension: M, metric: kernel, relativeTolerance: 1e-6) { v in
                let e = 1e-5 * scale / max(v.reduce(0) { max($0, abs($1)) }, 1e-300)
                let plus = try self.evaluateLoss(zip(u, v).map { $0 + e * $1 }).variation
                let minus = try self.evaluateLoss(zip(u, v).map { $0 - e * $1 }).variation
                return zip(plus, minus).map { ($0 - $1) / (2 * e) }
            } * grid.cellVolume
            return top > 0 ? 2 / top : .infinity
        }
        let top = try Self.largestEigenvalue(dimension: M, apply) * grid.cellVolume
        return top > 0 ? 2 / top : .infinity
    }

    /// An upper estimate of the largest eigenvalue of a symmetric operator A on ℝ^M (given by its action) by Lanczos with full
    /// reorthogonalisation from a fixed pseudo-random start: the top Ritz value θ of the Krylov space plus its residual
    /// ‖Ay − θy‖ = β_k|y_k| (some eigenvalue lies within the residual of θ), stopping once the residual is below
    /// `relativeTolerance`·θ (default 10⁻¹²), at an invariant subspace (then exact), or after 160 steps. O(k M²)
    /// instead of the O(M³) of a full eigen-decomposition (k ≈ 15 at M = 64² for an NTK).
    ///
    /// With a symmetric positive semi-definite `metric` K, the eigenvalue is that of KH for H = `apply` (symmetric):
    /// Lanczos on T = HK, self-adjoint in ⟨a, b⟩_K = aᵀKb (with z = K^{1/2}a it is Lanczos on K^{1/2}HK^{1/2}, without
    /// forming the square root); `apply` then receives Kq.
    static func largestEigenvalue(dimension M: Int, metric K: Matrix? = nil, relativeTolerance: Double = 1e-12,
                                  _ apply: ([Double]) throws -> [Double]) throws -> Double {
        if M == 0 { return 0 }
        let metricApply: ([Double]) -> [Double] = { v in K.map { $0 * v } ?? v }
        var rng = RandomStream(seed: 0x4C41_4E43, stream: 0)
        var q = (0..<M).map { _ in rng.normal() }
        var kq = metricApply(q)
        let n0 = max(0, zip(q, kq).reduce(0) { $0 + $1.0 * $1.1 }).squareRoot()
        guard n0 > 0 else { return 0 }
        q = q.map { $0 / n0 }; kq = kq.map { $0 / n0 }
        var basis: [Double] = [], kBasis: [Double] = []   // the Lanczos vectors q_j and K q_j, row-major [k, M]
        var alpha: [Double] = [], beta: [Double] = []
        var estimate = 0.0
        for k in 0..<min(M, 160) {
            basis.append(contentsOf: q); kBasis.append(contentsOf: kq)
            var z = try apply(kq)                           // T q = H K q (A q without a metric)
            alpha.append(zip(kq, z).reduce(0) { $0 + $1.0 * $1.1 })
            // Full reorthogonalisation against every Lanczos vector, twice (z ← z − Q (KQ)ᵀ z).
            let qm = Matrix(rows: k + 1, cols: M, data: basis), km = K == nil ? qm : Matrix(rows: k + 1, cols: M, data: kBasis)
            for _ in 0..<2 {
                let c = km * z
                let back = Matrix.multiply(qm, Matrix(rows: k + 1, cols: 1, data: c), transposeA: true).data
                for i in 0..<M { z[i] -= back[i] }
            }
            let kz = metricApply(z)
            let bk = max(0, zip(z, kz).reduce(0) { $0 + $1.0 * $1.1 }).squareRoot()
            // The tridiagonal T_k and its top Ritz pair.
            let n = k + 1
            var t = Matrix(rows: n, cols: n)
            for i in 0..<n { t[i, i] = alpha[i]; if i + 1 < n { t[i, i + 1] = beta[i]; t[i + 1, i] = beta[i] } }
            let e = try LinearAlgebra.symmetricEigen(t)
            let top = e.values.indices.max { e.values[$0] < e.values[$1] }!
            let theta = e.values[top], residual = bk * abs(e.vectors[n - 1, top])
            estimate = theta + residual
            if residual <= relativeTolerance * abs(theta) || bk <= 1e-14 * max(abs(theta), 1e-300) { break }
            beta.append(bk)
            q = z.map { $0 / bk }; kq = kz.map { $0 / bk }
        }
        return estimate
    }

    /// ∂_t g = (∂_t u)·e^{u}δ, [M, 2, 2].
    static func metricVelocity(_ du: [Double], _ u: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: u.count * 4)
        for p in 0..<u.count { let v = du[p] * exp(u[p]); out[p * 4] = v; out[p * 4 + 3] = v }
        return out
    }

    /// Runs gradient descent with η = `step` (nil: half the stable bound) through `times` (increasing, ≥ 0). At each saved time the trajectory gets the metric
    /// e^{u}δ, u, and the velocity ∂_t g = (∂_t u)e^{u}δ with ∂_t u = −Θ w δL/δu (Θ = Θ_0 for `frozen`, Θ_t for
    /// `network`); the run records L and the kernel drift ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F (0 for `frozen`). Throws a
    /// `SettingError` for bad times or η above `stableStepBound` at the start; a non-finite state ends the run with a
    /// `FlowBreakdown` recorded in the trajectory. `progress` gets the flow time after every step. `checkpointing`
    /// and `resume` make the run stoppable and resumable bit-identically (fields [u, θ, θ at the last saved time];
    /// records "drift" and "loss").
    public func run(times: [Double], progress: (Double) -> Void = { _ in },
                    resume: (point: FlowResumePoint, trajectory: FlowTrajectory)? = nil,
                    checkpointing: FlowCheckpointing? = nil) throws -> NetworkFlowRun {
        guard times.allSatisfy({ $0.isFinite && $0 >= 0 }), zip(times, times.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw SettingError("times", "\(times), expected increasing times ≥ 0")
        }
        let theta0 = metricNetwork.network.parameters
        let kernel0 = try outputNTK(parameters: theta0)
        let bound = try stableStepBound(kernel: kernel0, at: initialConformalFactor)
        let step = self.step ?? 0.5 * bound
        guard step <= bound else {
            throw SettingError("step", "\(step) is above the stable bound \(String(format: "%.6g", bound)) = 2/λ_max(wΘ₀H) of explicit Euler for the \(arm.rawValue) arm with the \(loss.rawValue) loss on a \(grid.side)² grid, expected η ≤ \(String(format: "%.6g", bound))")
        }
        let norm0 = kernel0.frobeniusNorm, w = grid.cellVolume
        var out = NetworkFlowRun(trajectory: resume?.trajectory ?? FlowTrajectory(grid: grid), parameterCount: parameterCount, step: step, stableStepBound: bound)
        var u = initialConformalFactor, theta = theta0, t = 0.0
        if let p = resume?.point, p.fields.count == 3 {
            u = p.fields[0]; theta = p.fields[1]; out.finalParameters = p.fields[2]; t = p.time
            out.drift = p.records["drift"] ?? []; out.loss = p.records["loss"] ?? []
        }
        func point(_ saved: Int) -> FlowResumePoint {
            FlowResumePoint(saved: saved, time: t, fields: [u, theta, out.finalParameters], records: ["drift": out.drift, "loss": out.loss])
        }
        /// L and δL/δu; a loss that cannot be evaluated (λ of a non-finite u or a failed eigensolve, `perelman`)
        /// is a breakdown of the flow.
        func evaluate(_ u: [Double]) throws -> (value: Double, variation: [Double]) {
            do { return try evaluateLoss(u) } catch { throw FlowBreakdown("the \(loss.rawValue) loss failed: \(error)") }
        }
        do {
            for (i, target) in times.enumerated() where i >= (resume?.point.saved ?? 0) {
                while target - t > 1e-12 * max(1, target) {
                    let h = min(step, target - t)
                    switch arm {
                    case .frozen:
                        let du = kernel0 * (try evaluate(u)).variation
                        for p in 0..<u.count { u[p] -= h * w * du[p] }
                    case .network:
                        // u at θ_k comes with the gradient; u after the last step is evaluated once, at the save.
                        let g: (loss: Double, gradient: [Double], conformalFactor: [Double])
                        do { g = try lossAndGradient(parameters: theta) } catch { throw FlowBreakdown("the \(loss.rawValue) loss failed: \(error)") }
                        if let bad = g.conformalFactor.firstIndex(where: { !$0.isFinite }) { throw FlowBreakdown("u became \(g.conformalFactor[bad]) at point \(bad)") }
                        for i in 0..<theta.count { theta[i] -= h * g.gradient[i] }
                    }
                    t = h == step ? t + h : target
                    progress(t)
                    if let c = checkpointing, target - t > 1e-12 * max(1, target), let sig = c.stop() {
                        try c.stopping(sig, at: point(i), out.trajectory)
                    }
                }
                if arm == .network { u = conformalFactor(parameters: theta) }
                if let bad = u.firstIndex(where: { !$0.isFinite }) { throw FlowBreakdown("u became \(u[bad]) at point \(bad)") }
                let kernel = arm == .frozen ? kernel0 : try outputNTK(parameters: theta)
                let (value, variation) = try evaluate(u)
                let du = (kernel * variation).map { -w * $0 }
                let saved = loss.savedState(u, velocity: du, grid: grid, targetVolume: targetVolume)
                out.trajectory.append(time: target, metric: .conformal(saved.u, grid: grid), conformalFactor: saved.u,
                                      velocity: Self.metricVelocity(saved.velocity, saved.u))
                out.drift.append(arm == .frozen ? 0 : (kernel - kernel0).frobeniusNorm / norm0)
                out.loss.append(value)
                out.finalParameters = theta
                try checkpointing?.saved(point(i + 1), of: times.count, out.trajectory)
            }
        } catch var b as FlowBreakdown {
            b.time = t
            out.trajectory.breakdown = b
        }
        return out
    }
}

/// What a `NetworkFlow` run produced: the trajectory (metric e^{u}δ, u and ∂_t g at each saved time) and, per saved
/// time, the loss L(u_t) and the kernel drift ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F of the output NTK over the grid points.
public struct NetworkFlowRun: Sendable {
    /// The saved states.
    public var trajectory: FlowTrajectory
    /// Kernel drift ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F at each saved time (0 for the frozen arm).
    public var drift: [Double] = []
    /// L(u_t) = Σ_x w ℓ(u_t)(x) at each saved time.
    public var loss: [Double] = []
    /// Number P of network parameters θ.
    public let parameterCount: Int
    /// The learning rate η used.
    public let step: Double
    /// The stable bound 2/λ_max(wΘ₀H) the step was checked against.
    public let stableStepBound: Double
    /// θ at the last saved time (`network`; θ_0 for `frozen`, whose linearised parameters are not formed).
    public var finalParameters: [Double] = []

    /// A run with no saved states yet.
    public init(trajectory: FlowTrajectory, parameterCount: Int, step: Double, stableStepBound: Double) {
        self.trajectory = trajectory; self.parameterCount = parameterCount; self.step = step; self.stableStepBound = stableStepBound
    }
}

extension NetworkFlow {
    /// The kernel drift of the `network` arm against hidden width N: per width the mean of drift(t_end) over
    /// independently initialised networks with its standard error s/√S (S networks, s their sample standard
    /// deviation), and the power law drift ≈ A·N^b fitted by weighted least squares on log–log axes
    /// (`PowerLawFit`, weights from the standard errors; b's standard error 1/√S_xx,w). NTK theory predicts
    /// b between −1 (Dyer & Gur-Ari 1909.11304, Hanin & Nica: the NTK's change is O(1/N)) and −1/2 (the bound of
    /// Lee et al. 1902.06720).
    public struct WidthStudy: Sendable {
        /// One width's drift statistics.
        public struct Width: Sendable {
            /// Hidden width N.
            public let width: Int
            /// Number P of parameters at this width.
            public let parameterCount: Int
            /// drift(t_end) of every network.
            public let drifts: [Double]
            /// Their mean.
            public let meanDrift: Double
            /// The standard error of the mean, s/√S (nil for one network).
            public let driftError: Double?
            /// Mean L(u) at t_end.
            public let meanLoss: Double
        }
        /// Per width, in the order given.
        public let widths: [Width]
        /// The fit of the mean drift against N (nil with fewer than two usable widths).
        public let fit: PowerLawFit?
        /// The flow time t_end at which the drift is taken.
        public let time: Double
        /// Learning rate η.
        public let step: Double
    }

    /// Runs the `network` arm to `time` for `networks` networks at every width of `widths` (network m of width N
    /// seeded by deriveSeed(deriveSeed(seed, N), m), SPEC as in `metricNetwork(spec:width:…)`), all with the same
    /// η, loss and u_init, and fits drift(t_end) ∝ N^b. `progress` gets one line per width. Throws when a run refuses
    /// η or breaks down.
    public static func widthStudy(spec: String = defaultNet, widths: [Int], networks: Int, grid: TorusGrid, harmonics: Int = 1,
                                  parameterization: Dense.Parameterization = .ntk, loss: Loss, step: Double, time: Double,
                                  initialConformalFactor u0: [Double], seed: UInt64,
                                  progress: (String) -> Void = { _ in }) throws -> WidthStudy {
        guard !widths.isEmpty, widths.allSatisfy({ $0 >= 1 }) else { throw SettingError("widths", "\(widths), expected positive integers") }
        guard networks >= 1 else { throw SettingError("networks", "\(networks), expected at least 1") }
        guard time.isFinite, time > 0 else { throw SettingError("time", "\(time), expected a positive flow time") }
        var rows: [WidthStudy.Width] = []
        for N in widths {
            var drifts: [Double] = [], losses: [Double] = [], count = 0
            for m in 0..<networks {
                let net = try metricNetwork(spec: spec, width: N, harmonics: harmonics, parameterization: parameterization,
                                            seed: deriveSeed(deriveSeed(seed, UInt64(N)), UInt64(m)))
                let flow = try NetworkFlow(grid: grid, metricNetwork: net, arm: .network, loss: loss, step: step, initialConformalFactor: u0)
                let r = try flow.run(times: [0, time])
                if let b = r.trajectory.breakdown { throw SettingError("step", "\(step): width \(N), network \(m) broke down: \(b)") }
                drifts.append(r.drift.last!); losses.append(r.loss.last!); count = r.parameterCount
            }
            let S = Double(drifts.count), mean = drifts.reduce(0, +) / S
            let sd = drifts.count > 1 ? (drifts.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (S - 1)).squareRoot() : nil
            rows.append(.init(width: N, parameterCount: count, drifts: drifts, meanDrift: mean, driftError: sd.map { $0 / S.squareRoot() },
                              meanLoss: losses.reduce(0, +) / S))
            progress("width \(N): drift \(String(format: "%.4g", mean))\(sd.map { String(format: " ± %.2g", $0 / S.squareRoot()) } ?? "") over \(networks) network(s), \(count) parameters")
        }
        let errors = rows.allSatisfy({ ($0.driftError ?? 0) > 0 }) ? rows.map { $0.driftError! } : nil
        let fit = PowerLawFit(x: rows.map { Double($0.width) }, y: rows.map(\.meanDrift), errors: errors)
        return WidthStudy(widths: rows, fit: fit, time: time, step: step)
    }
}

import CNumericLibs
import CYBridge
import Foundation
import NumericCore
import Numerics

/// The Kähler–Ricci flow of a Calabi–Yau metric, ∂_t g_ab̄ = −R_ab̄, in potential form and projected on the algebraic
/// metrics of degree k — the reference trajectory of `nntheory flow cy`.
///
/// With g = ∂∂̄K in local coordinates (cymetric's normalisation, `AlgebraicMetric`) the Ricci form is
/// R_ab̄ = −∂_a∂̄_b log det g, and log|Ω|² is pluriharmonic (|Ω|² = |f|⁻² with f holomorphic in the chart), so
///
///     ∂_t K = F := log(det g/(κ|Ω|²))   (up to a time-dependent constant)
///
/// gives ∂_t g_ab̄ = ∂_a∂̄_b F = ∂_a∂̄_b log det g = −R_ab̄. κ fixes the constant so that F = 0 exactly at the Ricci-flat
/// metric of the class (det g = κ|Ω|²); the flow stays in the class and converges to it (Cao, 1985).
///
/// On the algebraic metrics K_h = (kπ)⁻¹ log ψ_h, ψ_h = sᵀ h s̄, of the degree-k sections s_α, the flow's velocity
/// ∂_t K_h = (kπ)⁻¹ sᵀ ḣ s̄/ψ_h is linear in the Hermitian ḣ, and the reference takes the ḣ that matches F best in the
/// Calabi–Yau measure (weighted least squares over the sample's points with the integration weights w):
///
///     ḣ = argmin Σ_p w_p [(kπ)⁻¹ s_pᵀ ḣ s̄_p/ψ_p − F_p]²,
///
/// a Galerkin projection of the flow on the functions s_α s̄_β/ψ_h (nested in k: the degree-(k+1) span contains the
/// degree-k one, so the projection error falls with k). ḣ ∝ h is the constant function, so F's constant is
/// absorbed. Integrated by Heun's method (RK2) from Fubini–Study, h = diag(multinomial coefficients) (ψ = |z|^{2k}).
public struct AlgebraicKahlerRicciFlow: Sendable {
    /// The variety.
    public let variety: Variety
    /// The degree-k sections.
    public let basis: SectionBasis
    /// k.
    public let degree: Int
    /// The points the projection integrates over (with their weights, |Ω|², Jacobians).
    public let sample: PointSample
    /// Pullback Jacobians of `sample`.
    public let jacobians: [ComplexDouble]
    /// κ of `sample` at t = 1.
    public let kappa: Double
    /// s_α at the sample's points, [P, N].
    let sections: [ComplexDouble]

    /// The flow of degree k on `sample` (t = 1, the class of the algebraic metrics).
    /// - Throws: `InputError` when the degree-k sections of X are a reduced set (Fubini–Study is then not one of the
    ///   family's metrics) or the variety has more than one factor.
    public init(variety v: Variety, degree k: Int, sample s: PointSample, seed: UInt64 = 0) throws {
        guard v.ambient.factorCount == 1 else {
            throw InputError("flow cy: the Kähler–Ricci reference supports one projective factor, \(v.name) has \(v.ambient.factorCount)")
        }
        let b = try DonaldsonScan.sectionBases(variety: v, degrees: [k], kahler: [1], seed: seed)[0]
        let full = SectionBasis.monomials(factorSizes: [v.coordinateCount], degrees: [k]).count
        guard b.count == full else {
            throw InputError("flow cy: degree \(k) has \(b.count) sections on \(v.name) (reduced from \(full)), expected k below the equation's degree so that Fubini–Study is in the family")
        }
        variety = v; basis = b; degree = k; sample = s
        jacobians = PullbackJacobian.jacobians(of: s)
        kappa = s.kappa(kahler: [1])
        var out = [ComplexDouble](repeating: .zero, count: s.count * b.count)
        s.points.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { b.evaluate(points: pb, pointCount: s.count, order: .values, into: $0) } }
        sections = out
    }

    /// Fubini–Study in this family: h = diag(k!/∏ e_i!), ψ = |z|^{2k}.
    public var fubiniStudy: ComplexMatrix {
        var h = ComplexMatrix(rows: basis.count, cols: basis.count)
        for (a, w) in basis.multinomialWeights().enumerated() { h[a, a] = ComplexDouble(w, 0) }
        return h
    }

    /// The metric of h.
    public func metric(_ h: ComplexMatrix) throws -> AlgebraicMetric { try AlgebraicMetric(basis: basis, h: h, degree: degree) }

    /// F = log(det g_h/(κ|Ω|²)) at the sample's points.
    public func residual(_ h: ComplexMatrix) throws -> [Double] {
        let det = try metric(h).pullbackDeterminants(points: sample.points, jacobians: jacobians, dimension: variety.dimension)
        return (0..<sample.count).map { log(det[$0] / (kappa * sample.omegaSquared[$0])) }
    }

    /// The rows of the least-squares design at h: per point the N² reals (kπ)⁻¹[|s_α|², 2Re(s_α s̄_β), −2Im(s_α s̄_β)]/ψ
    /// (α < β) that multiply ḣ's parameters [ḣ_αα, Re ḣ_αβ, Im ḣ_αβ], each row scaled by √w_p; [P, N²].
    func design(_ h: ComplexMatrix) -> [Double] {
        let P = sample.count, N = basis.count, M = N * N, c = 1 / (Double(degree) * Double.pi)
        var a = [Double](repeating: 0, count: P * M)
        a.withUnsafeMutableBufferPointer { ab in
            nonisolated(unsafe) let out = ab.baseAddress!
            parallelChunks(P, minimum: 64) { range in
                for p in range {
                    let s = p * N
                    var psi = 0.0
                    for x in 0..<N { for y in 0..<N { psi += (sections[s + x] * h[x, y] * sections[s + y].conjugate).real } }
                    let scale = c * sample.weights[p].squareRoot() / psi
                    var m = 0
                    for x in 0..<N {
                        out[p * M + m] = sections[s + x].lengthSquared * scale; m += 1
                        for y in (x + 1)..<max(x + 1, N) {
                            let q = sections[s + x] * sections[s + y].conjugate
                            out[p * M + m] = 2 * q.real * scale; out[p * M + m + 1] = -2 * q.imaginary * scale; m += 2
                        }
                    }
                }
            }
        }
        return a
    }

    /// ḣ of the projection of `target` (one value per sample point; F for the flow) at h, and the weighted relative
    /// residual ‖(kπ)⁻¹ sᵀḣs̄/ψ − target‖_w / ‖target − mean_w target‖_w. Normal equations AᵀA x = Aᵀ(√w·target)
    /// (BLAS dsyrk, LAPACK dgesv) with a ridge of 1e-12·tr(AᵀA)/N² against the near-dependences of the products.
    public func projection(_ h: ComplexMatrix, target: [Double]) throws -> (velocity: ComplexMatrix, relativeResidual: Double) {
        let P = sample.count, N = basis.count, M = N * N
        let a = design(h)
        var b = [Double](repeating: 0, count: P)
        for p in 0..<P { b[p] = sample.weights[p].squareRoot() * target[p] }
        var ata = [Double](repeating: 0, count: M * M), atb = [Double](repeating: 0, count: M)
        a.withUnsafeBufferPointer { ab in ata.withUnsafeMutableBufferPointer { cb in
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(M), Int32(P), 1, ab.baseAddress!, Int32(M), 0, cb.baseAddress!, Int32(M))
        } }
        a.withUnsafeBufferPointer { ab in b.withUnsafeBufferPointer { bb in atb.withUnsafeMutableBufferPointer { xb in
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(P), Int32(M), 1, ab.baseAddress!, Int32(M), bb.baseAddress!, 1, 0, xb.baseAddress!, 1)
        } } }
        var trace = 0.0
        for i in 0..<M { trace += ata[i * M + i] }
        for i in 0..<M { for j in 0..<i { ata[i * M + j] = ata[j * M + i] } ; ata[i * M + i] += 1e-12 * trace / Double(M) }
        let x = try LinearAlgebra.solve(Matrix(rows: M, cols: M, data: ata), atb)
        var hd = ComplexMatrix(rows: N, cols: N)
        var m = 0
        for i in 0..<N {
            hd[i, i] = ComplexDouble(x[m], 0); m += 1
            for j in (i + 1)..<max(i + 1, N) {
                hd[i, j] = ComplexDouble(x[m], x[m + 1]); hd[j, i] = ComplexDouble(x[m], -x[m + 1]); m += 2
            }
        }
        // Residual in the weighted norm, against the target's spread about its weighted mean.
        var fit = [Double](repeating: 0, count: P)
        a.withUnsafeBufferPointer { ab in x.withUnsafeBufferPointer { xb in fit.withUnsafeMutableBufferPointer { fb in
            cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(P), Int32(M), 1, ab.baseAddress!, Int32(M), xb.baseAddress!, 1, 0, fb.baseAddress!, 1)
        } } }
        let wsum = sample.weights.reduce(0, +)
        let mean = zip(sample.weights, target).reduce(0) { $0 + $1.0 * $1.1 } / wsum
        var r2 = 0.0, t2 = 0.0
        for p in 0..<P {
            r2 += (fit[p] - b[p]) * (fit[p] - b[p])
            t2 += sample.weights[p] * (target[p] - mean) * (target[p] - mean)
        }
        return (hd, t2 > 0 ? (r2 / t2).squareRoot() : 0)
    }

    /// One state of the reference: time, h, and the projection's relative residual there.
    public struct State: Sendable {
        public var time: Double
        public var h: ComplexMatrix
        public var relativeResidual: Double
    }

    /// Integrates from Fubini–Study to `time` in `steps` Heun steps, recording every `recordEvery` steps (and the
    /// start). A step that leaves the positive-definite metrics (F not finite at a stage) is redone in 2, 4, … Heun
    /// substeps (up to 1024) before the run is refused.
    public func run(time T: Double, steps: Int, recordEvery: Int, progress: (Int) -> Void = { _ in }) throws -> [State] {
        var h = fubiniStudy
        let dt = T / Double(max(1, steps))
        func finiteResidual(_ h: ComplexMatrix) -> [Double]? {
            guard let f = try? residual(h), f.allSatisfy(\.isFinite) else { return nil }
            return f
        }
        /// `count` Heun steps of size `step` from `start`, whose first-stage velocity `v0` is known; the end state
        /// and its F, or nil when a stage is not positive definite.
        func advance(_ start: ComplexMatrix, velocity v0: ComplexMatrix, step: Double, count: Int) throws -> (h: ComplexMatrix, f: [Double])? {
            var h = start
            for i in 0..<count {
                let v1: ComplexMatrix
                if i == 0 { v1 = v0 } else {
                    guard let f1 = finiteResidual(h) else { return nil }
                    v1 = try projection(h, target: f1).velocity
                }
                var h1 = h
                for e in 0..<h.data.count { h1.data[e] = h.data[e] + v1.data[e] * ComplexDouble(step, 0) }
                guard let f2 = finiteResidual(h1) else { return nil }
                let v2 = try projection(h1, target: f2).velocity
                for e in 0..<h.data.count { h.data[e] = h.data[e] + (v1.data[e] + v2.data[e]) * ComplexDouble(step / 2, 0) }
            }
            guard let f = finiteResidual(h) else { return nil }
            return (h, f)
        }
        // The state's F and projection, computed once: recorded, and the first stage of the next step.
        guard let f0 = finiteResidual(h) else { throw InputError("flow cy: Fubini–Study's Monge–Ampère residual is not finite on the projection points, expected a sample of the variety") }
        var current = try projection(h, target: f0)
        var states: [State] = []
        for step in 0...steps {
            if step % max(1, recordEvery) == 0 || step == steps {
                states.append(State(time: Double(step) * dt, h: h, relativeResidual: current.relativeResidual))
            }
            if step == steps { break }
            var sub = 1
            while true {
                if let next = try advance(h, velocity: current.velocity, step: dt / Double(sub), count: sub) {
                    h = next.h
                    current = try projection(h, target: next.f)
                    break
                }
                sub *= 2
                guard sub <= 1024 else {
                    throw InputError("flow cy: the Kähler–Ricci reference of degree \(degree) leaves the positive-definite metrics at t = \(String(format: "%.4g", Double(step) * dt)) even in 1024 substeps, expected a smaller --krf-time")
                }
            }
            progress(step + 1)
        }
        return states
    }
}

import Foundation
import Networks
import NumericCore

/// Losses on a `NeuralTorusMetric`, integrated by a `TorusQuadrature` (∫ ≈ Σ_p w_p ·):
///
/// - `scalar2`: ∫ R² dV
/// - `ricci2`: ∫ |Ric|² dV = ∫ g^{ac} g^{bd} Ric_ab Ric_cd dV
/// - `perelman`: F(g, f) = ∫ (R + |∇f|²) e^{−f} dV with the dilaton f the network's extra output, under
///   Perelman's normalisation ∫ e^{−f} dV = 1 built in: the loss is F/∫e^{−f}dV (= F at f + ln∫e^{−f}dV), which
///   for a fixed metric is bounded below by λ(g), the lowest eigenvalue of −4Δ_g + R (math/0211159
///   §1–2).
/// - `mse`: ∫ Σ_ij (g_ij − g*_ij)² dⁿx against a target metric g*.
///
/// dV = √det g dⁿx. Volume constraint (curvature losses): the metric used is ĝ = s·g with
/// s = (V₀/V[g])^{2/n}, so Vol(ĝ) = V₀ exactly; the loss of ĝ is s^α·L[g] with α = n/2 − 2 (scalar2, ricci2) or
/// −1 (normalised perelman), and its gradient includes the dependence of s on θ.
public enum CurvatureLoss: String, Sendable, CaseIterable, Codable {
    case scalar2, ricci2, perelman, mse

    /// Scaling exponent α: L[s·g] = s^α·L[g].
    public func scalingExponent(dimension n: Int) -> Double {
        switch self {
        case .scalar2, .ricci2: return Double(n) / 2 - 2
        case .perelman: return -1
        case .mse: return 0
        }
    }
}

/// The value of a loss and its parameter gradient.
public struct LossEvaluation: Sendable {
    /// The loss (of the volume-normalised metric when a target volume is set).
    public var loss: Double
    /// The loss of the unnormalised network metric.
    public var rawLoss: Double
    /// Vol(g) = ∫ √det g dⁿx of the network metric (before normalisation).
    public var volume: Double
    /// s = (V₀/V)^{2/n} (1 without a constraint).
    public var scale: Double
    /// ∂loss/∂θ.
    public var gradient: [Double]
    /// A point where det g ≤ 0 or the density is not finite (nil when all are fine).
    public var badPoint: Int?
    /// Monte Carlo standard error of `loss` for random quadrature points (first order: the error of ∫ℓ scaled like
    /// the loss); nil on a grid, whose error is spectrally small.
    public var standardError: Double? = nil
}

extension NeuralTorusMetric {
    /// One point: loads the outputs, builds g, its curvature and the loss density ℓ; with `adjoint`, runs the
    /// reverse pass with ∂(total)/∂ℓ = cl and ∂(total)/∂√det g = cv into `adjoint` (order-2 jet adjoint).
    @inline(__always)
    func pointPass(_ loss: CurvatureLoss, out: UnsafePointer<Double>, P: Int, p: Int, target: UnsafePointer<Double>?,
                   ws: PointCurvature, h: UnsafeMutablePointer<PointJet>, hbar: UnsafeMutablePointer<PointJet>,
                   g: UnsafeMutablePointer<PointJet>, gbar: UnsafeMutablePointer<PointJet>,
                   cl: Double, cv: Double, cm: Double = 0, reference: PointJet? = nil, adjoint: UnsafeMutablePointer<Double>?) -> (density: Double, sqrtDet: Double, measure: Double) {
        let n = dimension, O = network.outputWidth, n2 = n * n
        Self.loadOutputs(out, P: P, O: O, n: n, p: p, into: h)
        parametrization.metric(h, n: n, into: g, reference: reference)
        ws.load(g)
        let ok = ws.compute()
        let sg = ws.sqrtDet
        var density = 0.0
        var fexp = 0.0, q = 0.0
        let fj = dilaton ? h[metricOutputs] : PointJet()
        switch loss {
        case .scalar2: density = ws.scalar * ws.scalar * sg
        case .ricci2:
            var s = 0.0
            for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n {
                s += ws.ginv[a * n + c] * ws.ginv[b * n + d] * ws.ricci[a * n + b] * ws.ricci[c * n + d]
            } } } }
            density = s * sg
        case .perelman:
            fexp = Foundation.exp(-fj.v)
            for i in 0..<n { for j in 0..<n { q += ws.ginv[i * n + j] * fj.d(i) * fj.d(j) } }
            density = (ws.scalar + q) * fexp * sg
        case .mse:
            for k in 0..<n2 { let e = ws.g[k] - target![k]; density += e * e }
        }
        let measure = loss == .perelman ? fexp * sg : 0
        guard ok, let adj = adjoint else { return (ok ? density : .nan, sg, measure) }
        ws.clearAdjoints()
        ws.sqrtDetbar = cv
        var fbar = PointJet()
        switch loss {
        case .scalar2:
            ws.scalarbar = cl * 2 * ws.scalar * sg
            ws.sqrtDetbar += cl * ws.scalar * ws.scalar
        case .ricci2:
            // ∂/∂Ric_ab tr(g⁻¹Ric g⁻¹Ric) = 2(g⁻¹Ric g⁻¹)_ba, ∂/∂g^{ac} = 2(Ric g⁻¹ Ric)_ca
            for a in 0..<n { for b in 0..<n {
                var m1 = 0.0, m2 = 0.0
                for c in 0..<n { for d in 0..<n {
                    m1 += ws.ginv[b * n + c] * ws.ricci[c * n + d] * ws.ginv[d * n + a]
                    m2 += ws.ricci[b * n + c] * ws.ginv[c * n + d] * ws.ricci[d * n + a]
                } }
                ws.riccibar[a * n + b] = cl * 2 * m1 * sg
                ws.ginvbar[a * n + b] = cl * 2 * m2 * sg
            } }
            ws.sqrtDetbar += cl * density / sg
        case .perelman:
            let c = cl * fexp * sg
            ws.scalarbar = c
            for i in 0..<n { for j in 0..<n { ws.ginvbar[i * n + j] = c * fj.d(i) * fj.d(j) } }
            // density and the measure e^{−f}√det g (adjoint cm)
            ws.sqrtDetbar += cl * (ws.scalar + q) * fexp + cm * fexp
            fbar.v = -cl * density - cm * measure
            for k in 0..<n {
                var s = 0.0
                for j in 0..<n { s += (ws.ginv[k * n + j] + ws.ginv[j * n + k]) * fj.d(j) }
                fbar.setD(k, c * s)
            }
        case .mse:
            for k in 0..<n2 { ws.gbar[k] = cl * 2 * (ws.g[k] - target![k]) }
        }
        ws.backward()
        ws.storeAdjoint(gbar)
        for a in 0..<O { hbar[a] = PointJet() }
        parametrization.metricAdjoint(h, n: n, gbar: gbar, into: hbar)
        if dilaton { hbar[metricOutputs] = hbar[metricOutputs] + fbar }
        Self.storeOutputAdjoints(hbar, P: P, O: O, n: n, p: p, into: adj)
        return (density, sg, measure)
    }

    /// Runs `body(p, workspace…)` over all points in parallel chunks with per-chunk workspaces.
    func forEachPoint(_ P: Int, _ body: (Int, PointCurvature, UnsafeMutablePointer<PointJet>, UnsafeMutablePointer<PointJet>,
                                         UnsafeMutablePointer<PointJet>, UnsafeMutablePointer<PointJet>) -> Void) {
        let n = dimension, O = network.outputWidth
        parallelChunks(P, minimum: 256) { r in
            let ws = PointCurvature(dimension: n)
            let h = UnsafeMutablePointer<PointJet>.allocate(capacity: O), hbar = UnsafeMutablePointer<PointJet>.allocate(capacity: O)
            let g = UnsafeMutablePointer<PointJet>.allocate(capacity: n * n), gbar = UnsafeMutablePointer<PointJet>.allocate(capacity: n * n)
            defer { h.deallocate(); hbar.deallocate(); g.deallocate(); gbar.deallocate() }
            for p in r { body(p, ws, h, hbar, g, gbar) }
        }
    }

    /// The loss over the quadrature points and its gradient with respect to the network parameters.
    /// `target` [P, n·n] is required for `mse`; `volumeTarget` V₀ turns on the volume normalisation
    /// (ignored for `mse`). Sums run over points in a fixed order, so the result does not depend on threads.
    public func lossAndGradient(_ loss: CurvatureLoss, quadrature q: TorusQuadrature, target: Matrix? = nil,
                                volumeTarget: Double? = nil, gradient wantGradient: Bool = true) -> LossEvaluation {
        let x = q.points, P = x.rows, n = dimension
        precondition(loss != .mse || (target?.rows == P && target?.cols == n * n), "mse needs a target [P, n²]")
        precondition(loss != .perelman || dilaton, "perelman needs a dilaton output")
        let (jet, tape) = outputJet(x, keepTape: wantGradient)
        var dens = [Double](repeating: 0, count: P), sq = [Double](repeating: 0, count: P), meas = [Double](repeating: 0, count: P)
        let tgt = target?.data ?? []
        let refs = referenceJets(x)
        jet.data.withUnsafeBufferPointer { ob in
            tgt.withUnsafeBufferPointer { tb in
                dens.withUnsafeMutableBufferPointer { db in
                    sq.withUnsafeMutableBufferPointer { sb in
                        meas.withUnsafeMutableBufferPointer { mb in
                            nonisolated(unsafe) let (op, tp, dp, sp, mp) = (ob.baseAddress!, tb.baseAddress, db.baseAddress!, sb.baseAddress!, mb.baseAddress!)
                            forEachPoint(P) { p, ws, h, hbar, g, gbar in
                                let r = pointPass(loss, out: op, P: P, p: p, target: tp.map { $0 + p * n * n }, ws: ws, h: h, hbar: hbar,
                                                  g: g, gbar: gbar, cl: 0, cv: 0, reference: refs?[p], adjoint: nil)
                                dp[p] = r.density; sp[p] = r.sqrtDet; mp[p] = r.measure
                            }
                        }
                    }
                }
            }
        }
        let bad = (0..<P).first { !dens[$0].isFinite || !(sq[$0] > 0) }
        let N = q.integrate(dens), V = q.integrate(sq)
        let D = loss == .perelman ? q.integrate(meas) : 1       // ∫ e^{−f} dV
        let raw = N / D
        var s = 1.0, alpha = 0.0
        if let V0 = volumeTarget, loss != .mse { s = pow(V0 / V, 2 / Double(n)); alpha = loss.scalingExponent(dimension: n) }
        let total = pow(s, alpha) * raw
        var result = LossEvaluation(loss: total, rawLoss: raw, volume: V, scale: s, gradient: [], badPoint: bad)
        if !q.isGrid && bad == nil { result.standardError = pow(s, alpha) / D * q.monteCarloError(dens) }
        guard wantGradient, bad == nil, total.isFinite else { return result }
        // d(s^α N/D) = s^α (dN/D − N dD/D²) − (2α/n)·s^α·(N/D)·dV/V
        let cl = q.weight * pow(s, alpha) / D
        let cm = loss == .perelman ? -q.weight * pow(s, alpha) * N / (D * D) : 0
        let cv = alpha == 0 ? 0 : -q.weight * (2 * alpha / Double(n)) * pow(s, alpha) * raw / V
        var adj = JetBufferPool.shared.take(jet.data.count)
        jet.data.withUnsafeBufferPointer { ob in
            tgt.withUnsafeBufferPointer { tb in
                adj.withUnsafeMutableBufferPointer { ab in
                    nonisolated(unsafe) let (op, tp, ap) = (ob.baseAddress!, tb.baseAddress, ab.baseAddress!)
                    forEachPoint(P) { p, ws, h, hbar, g, gbar in
                        _ = pointPass(loss, out: op, P: P, p: p, target: tp.map { $0 + p * n * n }, ws: ws, h: h, hbar: hbar,
                                      g: g, gbar: gbar, cl: cl, cv: cv, cm: cm, reference: refs?[p], adjoint: ap)
                    }
                }
            }
        }
        result.gradient = network.parameterGradient(tape: tape!, outputAdjoint: adj)
        tape!.recycle()
        return result
    }
}

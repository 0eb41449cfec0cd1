import CNumericLibs
import Dispatch
import Foundation
import NumericCore

/// A fully connected layer with neural-tangents' conventions.
///
/// NTK parameterisation (default): W, b ~ N(0, 1), z = (σ_w/√n_in)·h·W + σ_b·b; kernel map
/// K ← σ_w² K + σ_b², Θ ← K_new + σ_w² Θ.
/// Standard parameterisation: W ~ N(0, σ_w²/n_in), b ~ N(0, σ_b²), z = h·W + b; the same K map and
/// Θ ← n_in·K + σ_w² Θ (+1 with a bias), which depends on the finite width n_in.
/// `bStd = nil` (the default, as neural-tangents' `b_std=None`) means no bias.
public struct Dense: Layer {
    /// Output width (neural-tangents' `out_dim`).
    public let width: Int
    /// Weight scale σ_w (`W_std`).
    public let wStd: Double
    /// Bias scale σ_b (`b_std`); nil: the layer has no bias parameters at all (0: a bias that starts at 0).
    public let bStd: Double?
    /// How the stored parameters enter the forward map (see the type's description).
    public let parameterization: Parameterization

    /// `ntk`: stored W, b ~ N(0, 1), z = (σ_w/√n_in)·h·W + σ_b·b; `standard`: stored W ~ N(0, σ_w²/n_in),
    /// b ~ N(0, σ_b²), z = h·W + b.
    public enum Parameterization: String, Sendable, CaseIterable, Codable { case ntk, standard }

    /// `Dense(width, W_std=wStd, b_std=bStd, parameterization=…)` in SPEC terms (defaults W_std = 1, no bias, NTK).
    public init(_ width: Int, wStd: Double = 1, bStd: Double? = nil, parameterization: Parameterization = .ntk) {
        self.width = width
        self.wStd = wStd
        self.bStd = bStd
        self.parameterization = parameterization
    }

    /// The SPEC text of the layer; `NetworkSpec` parses it back to the same layer.
    public var name: String {
        "Dense(\(width), W_std=\(wStd), b_std=\(bStd.map { "\($0)" } ?? "None")\(parameterization == .standard ? ", parameterization=standard" : ""))"
    }

    /// The layer's width, whatever the input width.
    public func outputWidth(inputWidth: Int) -> Int { width }

    /// W [n_in, width] then b [width], one standard normal each (times σ_w/√n_in, σ_b under standard
    /// parameterisation). Under NTK parameterisation the raw N(0, 1) draws are stored.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters {
        let (sw, sb) = parameterization == .ntk ? (1.0, 1.0) : (wStd / Double(inputWidth).squareRoot(), bStd ?? 0)
        // W's entries, then b's, in row-major order: the values of one `normal()` call each, drawn in bulk.
        func normals(_ count: Int, times scale: Double) -> [Double] {
            [Double](unsafeUninitializedCapacity: count) { p, initialized in
                rng.fillNormal(p)
                for k in p.indices { p[k] = scale * p[k] }
                initialized = count
            }
        }
        let w = Matrix(rows: inputWidth, cols: width, data: normals(inputWidth * width, times: sw))
        return LayerParameters(weight: w, bias: bStd == nil ? nil : normals(width, times: sb))
    }

    /// Multipliers of the stored W and b in the forward map.
    public func scales(inputWidth: Int) -> (w: Double, b: Double) {
        parameterization == .ntk ? (wStd / Double(inputWidth).squareRoot(), bStd ?? 0) : (1, 1)
    }

    /// log of the initialisation density of the stored parameters up to a constant: Σ −w²/(2s_w²) − b²/(2s_b²)
    /// with (s_w, s_b) = (1, 1) under NTK parameterisation and (W_std/√fan_in, b_std) under standard (a bias of
    /// zero spread is a constant and contributes nothing).
    public func logDensity(_ p: LayerParameters, inputWidth: Int) -> Double {
        let (sw, sb) = parameterization == .ntk ? (1.0, 1.0) : (wStd / Double(inputWidth).squareRoot(), bStd ?? 0)
        var s = 0.0
        for v in p.weight?.data ?? [] { s -= v * v / (2 * sw * sw) }
        if sb > 0 { for v in p.bias ?? [] { s -= v * v / (2 * sb * sb) } }
        return s
    }

    /// z = s_w·h·W + s_b·b on the activations h [P, n_in] with (s_w, s_b) = `scales` (one BLAS product).
    public func apply(_ p: LayerParameters, _ h: Matrix) -> Matrix {
        let (sw, sb) = scales(inputWidth: h.cols)
        var z = Matrix.multiply(h, p.weight!, alpha: sw)
        if let b = p.bias, z.cols > 0 {
            let n = z.cols
            z.data.withUnsafeMutableBufferPointer { zb in
                b.withUnsafeBufferPointer { bb in
                    nonisolated(unsafe) let (zp, bp) = (zb.baseAddress!, bb.baseAddress!)
                    // Row by row, in chunks of rows on all cores for large outputs (the same sum per entry).
                    parallelChunks(z.rows, minimum: max(1, elementwiseEntriesPerChunk / n)) { rows in
                        for i in rows { for j in 0..<n { zp[i * n + j] += sb * bp[j] } }
                    }
                }
            }
        }
        return z
    }

    /// K ← σ_w²K + σ_b² (entries and diagonals); Θ ← K_new + σ_w²Θ (NTK) or Θ ← n_in·K + σ_w²Θ + [bias] (standard,
    /// K the input kernel); the output is Gaussian.
    public func kernel(_ k: KernelState) throws -> KernelState {
        var out = k
        try kernel(inPlace: &out)
        return out
    }

    /// `kernel` in place, in pieces of 2¹⁶ entries on all cores (the same arithmetic entry by entry).
    public func kernel(inPlace k: inout KernelState) throws {
        let w2 = wStd * wStd, b2 = (bStd ?? 0) * (bStd ?? 0)
        let nIn = Double(k.width), one: Double = bStd == nil ? 0 : 1, standard = parameterization == .standard
        let n = k.nngp.count, piece = 1 << 16
        k.nngp.withUnsafeMutableBufferPointer { kb in k.ntk.withUnsafeMutableBufferPointer { tb in
            nonisolated(unsafe) let (kp, tp) = (kb.baseAddress, tb.baseAddress)
            DispatchQueue.concurrentPerform(iterations: (n + piece - 1) / piece) { c in
                guard let kp, let tp else { return }
                for e in (c * piece)..<min(n, (c + 1) * piece) {
                    let kNew = w2 * kp[e] + b2
                    tp[e] = standard ? nIn * kp[e] + w2 * tp[e] + one : kNew + w2 * tp[e]
                    kp[e] = kNew
                }
            }
        } }
        for e in k.diagonal1.indices { k.diagonal1[e] = w2 * k.diagonal1[e] + b2 }
        for e in k.diagonal2.indices { k.diagonal2[e] = w2 * k.diagonal2[e] + b2 }
        k.width = width
        k.isGaussian = true
    }
}

extension Dense: EntrywiseKernelMap {
    var isSymmetric: Bool { true }

    /// `kernel`'s map on a block of entries, in place (same arithmetic).
    func map(_ t: KernelTile) {
        let w2 = wStd * wStd, b2 = (bStd ?? 0) * (bStd ?? 0)
        let nIn = Double(t.width), one: Double = bStd == nil ? 0 : 1
        for r in 0..<t.rows {
            let k = t.nngp + r * t.stride, th = t.ntk + r * t.stride
            switch parameterization {
            case .ntk:
                for c in 0..<t.cols { let kNew = w2 * k[c] + b2; th[c] = kNew + w2 * th[c]; k[c] = kNew }
            case .standard:
                for c in 0..<t.cols { let kNew = w2 * k[c] + b2; th[c] = nIn * k[c] + w2 * th[c] + one; k[c] = kNew }
            }
        }
    }
}

extension Dense {
    /// W [C_in, width] (and b) on inputs with C_in channels (every spatial position shares them).
    public func parameterShape(_ input: TensorShape) -> ParameterShape? {
        ParameterShape(fanIn: input.channels, fanOut: width, hasBias: bStd != nil)
    }

    /// δ_h = s_w·δ_z·Wᵀ; ∂f_r/∂W = s_w·Σ_s h_p[s]ᵀδ_r[s] (one BLAS product per cotangent), ∂f_r/∂b = s_b·Σ_s δ_r[s].
    public func pullback(_ p: LayerParameters, input h: Activations, cotangent d: Matrix, rowsPerPoint O: Int,
                         gradient: JacobianRows?) -> Matrix {
        let (sw, sb) = scales(inputWidth: h.values.cols)
        let S = h.shape.spatialSize, nIn = h.values.cols, nOut = width, R = d.rows / S
        if let g = gradient {
            h.values.data.withUnsafeBufferPointer { hb in d.data.withUnsafeBufferPointer { db in
                nonisolated(unsafe) let (hp, dp) = (hb.baseAddress!, db.baseAddress!)
                let chunks = min(R, 64)
                // The rows on all cores, each product on one OpenBLAS thread (no oversubscription, the same bits anywhere).
                SingleThreadedLAPACK.run { DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    for r in (R * c / chunks)..<(R * (c + 1) / chunks) {
                        let row = g.base + r * g.stride
                        if S == 1 {
                            // An outer product: row-major W[i, j] = s_w·h_i·δ_j.
                            let hq = hp + (r / O) * nIn, dr = dp + r * nOut
                            for i in 0..<nIn { let a = sw * hq[i], w = row + g.weightOffset + i * nOut; for j in 0..<nOut { w[j] = a * dr[j] } }
                        } else {
                            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(nIn), Int32(nOut), Int32(S), sw,
                                        hp + (r / O) * S * nIn, Int32(nIn), dp + r * S * nOut, Int32(nOut), 0,
                                        row + g.weightOffset, Int32(nOut))
                        }
                        if let bo = g.biasOffset {
                            for j in 0..<nOut {
                                var acc = 0.0
                                for s in 0..<S { acc += dp[(r * S + s) * nOut + j] }
                                row[bo + j] = sb * acc
                            }
                        }
                    }
                } }
            } }
        }
        return Matrix.multiply(d, p.weight!, transposeB: true, alpha: sw)
    }
}

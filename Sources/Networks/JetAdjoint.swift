import Foundation
import NumericCore

extension Network {
    /// Reverse pass over the parameters through a jet: given the tape of `forward(…, keepTape: true)` and the
    /// adjoint Ō = ∂L/∂(output jet) [B·P, outputWidth] of a scalar L, returns ∂L/∂θ in θ's layout.
    ///
    /// Adjoints, layer by layer from the top: Dense z = s_w·h·W + s_b·b ⇒ W̄ = s_w·hᵀ·z̄ and h̄ = s_w·z̄·Wᵀ over all
    /// B·P jet rows (two dgemms), b̄ = s_b·Σ over the value rows of z̄; nonlinearity ∂_α a = Σ c·φ⁽ᵏ⁾(z₀)·Π_f ∂_f z ⇒
    /// z̄₀ += ā_α·c·φ⁽ᵏ⁺¹⁾(z₀)·Π_f ∂_f z and z̄_f += ā_α·c·φ⁽ᵏ⁾(z₀)·Π_{f'≠f} ∂_{f'} z. Needs φ up to order K + 1.
    public func parameterGradient(tape: JetTape, outputAdjoint: [Double]) -> [Double] {
        let ix = tape.indexSet, P = tape.points, rows = ix.count * P
        precondition(ix.order + 1 <= maxJetOrder, "parameterGradient: jet order \(ix.order) > \(maxJetOrder - 1)")
        precondition(outputAdjoint.count == rows * outputWidth)
        var grad = [Double](repeating: 0, count: parameters.count)
        var hbar = outputAdjoint
        for l in stride(from: architecture.layers.count - 1, through: 0, by: -1) {
            let slice = layout.slices[l]
            guard let d = architecture.layers[l] as? Dense else {
                let act = (architecture.layers[l] as! Nonlinearity).activation
                let zbar = Self.activationAdjoint(tape.inputs[l], hbar, act, ix, elements: P * slice.fanIn)
                JetBufferPool.shared.give(hbar)
                hbar = zbar
                continue
            }
            let w = slice.fanOut, fan = slice.fanIn
            let (sw, sb) = d.scales(inputWidth: fan)
            let zbar = hbar
            grad.withUnsafeMutableBufferPointer { g in
                tape.inputs[l].withUnsafeBufferPointer { hp in
                    zbar.withUnsafeBufferPointer { zb in
                        gemm(true, false, fan, w, rows, sw, hp.baseAddress!, fan, zb.baseAddress!, w, 0, g.baseAddress! + slice.weightOffset, w)
                        if let bo = slice.biasOffset {
                            let gb = g.baseAddress! + bo
                            for p in 0..<P { for u in 0..<w { gb[u] += sb * zb[p * w + u] } }
                        }
                    }
                }
            }
            if l > 0 {
                hbar = JetBufferPool.shared.take(rows * fan)
                parameters.withUnsafeBufferPointer { th in
                    zbar.withUnsafeBufferPointer { zb in
                        hbar.withUnsafeMutableBufferPointer { nb in
                            gemm(false, true, rows, fan, w, sw, zb.baseAddress!, w, th.baseAddress! + slice.weightOffset, w, 0, nb.baseAddress!, fan)
                        }
                    }
                }
            }
            JetBufferPool.shared.give(zbar)
        }
        return grad
    }

    static func activationAdjoint(_ z: [Double], _ abar: [Double], _ act: Activation, _ ix: JetIndexSet, elements N: Int) -> [Double] {
        let K = ix.order, B = ix.count
        var zbar = JetBufferPool.shared.take(z.count)
        zbar.withUnsafeMutableBufferPointer { ob in
            z.withUnsafeBufferPointer { zb in
                abar.withUnsafeBufferPointer { ab in
                    let zp = zb.baseAddress!, ap = ab.baseAddress!, op = ob.baseAddress!
                    parallelChunks(N, minimum: 2048) { r in
                        let tile = jetTile
                        let ds = UnsafeMutablePointer<Double>.allocate(capacity: (K + 2) * tile)
                        let tmp = UnsafeMutablePointer<Double>.allocate(capacity: tile)
                        let tmp2 = UnsafeMutablePointer<Double>.allocate(capacity: tile)
                        let d = UnsafeMutablePointer<Double>.allocate(capacity: 5)
                        defer { ds.deallocate(); tmp.deallocate(); tmp2.deallocate(); d.deallocate() }
                        var lo = r.lowerBound
                        while lo < r.upperBound {
                            let len = min(tile, r.upperBound - lo)
                            for e in 0..<len {
                                act.derivatives(zp[lo + e], upTo: K + 1, into: d)
                                for k in 0...(K + 1) { ds[k * tile + e] = d[k] }
                            }
                            for b in 0..<B { let o = op + b * N + lo; for e in 0..<len { o[e] = 0 } }
                            for alpha in 0..<B {
                                let abarA = ap + alpha * N + lo
                                for t in ix.terms[alpha] {
                                    let k = t.factors.count, c = t.coefficient
                                    // value adjoint: c·ā·σ^{(k+1)}·Π z_f
                                    for e in 0..<len { tmp[e] = c * abarA[e] }
                                    let dk1 = ds + (k + 1) * tile, dk = ds + k * tile
                                    for e in 0..<len { tmp2[e] = tmp[e] * dk1[e] }
                                    for f in t.factors {
                                        let zf = zp + f * N + lo
                                        for e in 0..<len { tmp2[e] *= zf[e] }
                                    }
                                    let o0 = op + lo
                                    for e in 0..<len { o0[e] += tmp2[e] }
                                    // factor adjoints: c·ā·σ^{(k)}·Π_{f'≠f} z_{f'}
                                    for (q, f) in t.factors.enumerated() {
                                        for e in 0..<len { tmp2[e] = tmp[e] * dk[e] }
                                        for (q2, f2) in t.factors.enumerated() where q2 != q {
                                            let zf = zp + f2 * N + lo
                                            for e in 0..<len { tmp2[e] *= zf[e] }
                                        }
                                        let of = op + f * N + lo
                                        for e in 0..<len { of[e] += tmp2[e] }
                                    }
                                }
                            }
                            lo += len
                        }
                    }
                }
            }
        }
        return zbar
    }
}

import Foundation
import NumericCore

/// A batch of Taylor jets: for P points and a layer of width w, every partial derivative ∂_α h (α in a
/// `JetIndexSet`) of the layer's activations h with respect to the inputs x, stored block-major as a
/// row-major matrix [B·P, w]: block b (multi-index `indexSet.indices[b]`) occupies rows b·P ..< (b+1)·P.
/// Block 0 is the value, the first-order blocks the gradient, the second-order blocks the Hessian's upper
/// triangle (i ≤ j), and so on.
public struct TaylorJet: Sendable {
    /// The multi-indices α of the blocks.
    public let indexSet: JetIndexSet
    /// Number of points P.
    public let points: Int
    /// Number of units w.
    public let width: Int
    /// ∂_α h of point p and unit u at `(b·P + p)·w + u`, b the index of α.
    public var data: [Double]

    /// A jet from its data, [B·P, w] block-major (B = `indexSet.count`).
    public init(indexSet: JetIndexSet, points: Int, width: Int, data: [Double]) {
        precondition(data.count == indexSet.count * points * width, "TaylorJet: \(data.count) values for \(indexSet.count)×\(points)×\(width)")
        self.indexSet = indexSet; self.points = points; self.width = width; self.data = data
    }

    /// The jet of the identity map x ↦ x at the rows of x [P, n]: value x, ∂_i x_j = δ_ij, higher orders 0.
    public init(inputs x: Matrix, order: Int) {
        let ix = JetIndexSet.shared(dimension: x.cols, order: order)
        var d = [Double](repeating: 0, count: ix.count * x.rows * x.cols)
        for k in 0..<(x.rows * x.cols) { d[k] = x.data[k] }
        if order >= 1 {
            for i in 0..<x.cols {
                let b = ix.index([i])
                for p in 0..<x.rows { d[(b * x.rows + p) * x.cols + i] = 1 }
            }
        }
        self.init(indexSet: ix, points: x.rows, width: x.cols, data: d)
    }

    /// The jet of h(x_p + Σ_k t_k d_{p,k}) in the m parameters t at t = 0, for each point p, from this jet of h in x
    /// (order ≤ 2): the chain rule for an affine map, ∂_{t_k} h = Σ_u d_k^u ∂_u h and ∂_{t_k}∂_{t_l} h =
    /// Σ_{u,v} d_k^u d_l^v ∂_u∂_v h. `directions` is [P, m, R] (R = `indexSet.dimension`). Restricting a jet to the
    /// directions that matter (e.g. the tangent space of a submanifold) shrinks every later layer's jet from
    /// O(R²) to O(m²) blocks.
    public func along(_ directions: [Double], count m: Int) -> TaylorJet {
        let R = indexSet.dimension, K = indexSet.order, P = points, w = width
        precondition(K <= 2, "TaylorJet.along: order \(K), expected ≤ 2")
        precondition(!indexSet.isWirtinger, "TaylorJet.along: expected a jet in real coordinates")
        precondition(directions.count == P * m * R, "TaylorJet.along: \(directions.count) direction entries, expected \(P)×\(m)×\(R)")
        let ox = JetIndexSet.shared(dimension: m, order: K)
        var out = [Double](repeating: 0, count: ox.count * P * w)
        let firstIn = K >= 1 ? (0..<R).map { indexSet.index([$0]) } : []
        let firstOut = K >= 1 ? (0..<m).map { ox.index([$0]) } : []
        // Second-order blocks: inputs (u ≤ v) and outputs (k ≤ l).
        var pairsIn: [(u: Int, v: Int, b: Int)] = [], pairsOut: [(k: Int, l: Int, b: Int)] = []
        if K == 2 {
            for u in 0..<R { for v in u..<R { pairsIn.append((u, v, indexSet.index([u, v]))) } }
            for k in 0..<m { for l in k..<m { pairsOut.append((k, l, ox.index([k, l]))) } }
        }
        data.withUnsafeBufferPointer { ib in directions.withUnsafeBufferPointer { db in out.withUnsafeMutableBufferPointer { ob in
            nonisolated(unsafe) let (src, dir, dst) = (ib.baseAddress!, db.baseAddress!, ob.baseAddress!)
            parallelChunks(P, minimum: 64) { range in
                for p in range {
                    let d = dir + p * m * R
                    for u in 0..<w { dst[p * w + u] = src[p * w + u] }
                    guard K >= 1 else { continue }
                    for k in 0..<m {
                        let o = dst + (firstOut[k] * P + p) * w
                        for r in 0..<R where d[k * R + r] != 0 {
                            let c = d[k * R + r], i = src + (firstIn[r] * P + p) * w
                            for u in 0..<w { o[u] += c * i[u] }
                        }
                    }
                    guard K == 2 else { continue }
                    for po in pairsOut {
                        let o = dst + (po.b * P + p) * w, dk = d + po.k * R, dl = d + po.l * R
                        for pi in pairsIn {
                            // ∂_u∂_v h enters Σ_{u,v} d_k^u d_l^v twice when u ≠ v.
                            let c = pi.u == pi.v ? dk[pi.u] * dl[pi.u] : dk[pi.u] * dl[pi.v] + dk[pi.v] * dl[pi.u]
                            guard c != 0 else { continue }
                            let i = src + (pi.b * P + p) * w
                            for u in 0..<w { o[u] += c * i[u] }
                        }
                    }
                }
            }
        } } }
        return TaylorJet(indexSet: ox, points: P, width: w, data: out)
    }

    /// The Wirtinger (1,1)-jet (`JetIndexSet.wirtinger`) of this jet, a real second-order jet in 2n real parameters
    /// (s_a = index a, t_a = index n + a; u_a = s_a + i t_a): ∂_a = ½(∂_{s_a} − i∂_{t_a}), so
    /// Re ∂_a h = ½ ∂_{s_a} h, Im ∂_a h = −½ ∂_{t_a} h and ∂_a∂̄_b h = ¼[(∂_{s_a}∂_{s_b} + ∂_{t_a}∂_{t_b})h +
    /// i(∂_{s_a}∂_{t_b} − ∂_{t_a}∂_{s_b})h].
    public func wirtinger() -> TaylorJet {
        precondition(indexSet.order == 2 && !indexSet.isWirtinger && indexSet.dimension % 2 == 0, "TaylorJet.wirtinger: expected a real second-order jet in 2n parameters")
        let n = indexSet.dimension / 2, P = points, w = width, ix = indexSet
        let ox = JetIndexSet.wirtinger(dimension: n)
        var out = [Double](repeating: 0, count: ox.count * P * w)
        let rows = P * w
        func copy(_ to: Int, _ terms: [(Int, Double)]) {
            for (from, c) in terms { for k in 0..<rows { out[to * rows + k] += c * data[from * rows + k] } }
        }
        copy(0, [(0, 1)])
        for a in 0..<n {
            copy(ox.first(a, imaginary: false), [(ix.index([a]), 0.5)])
            copy(ox.first(a, imaginary: true), [(ix.index([n + a]), -0.5)])
            for b in a..<n {
                copy(ox.hermitian(a, b, imaginary: false), [(ix.index([a, b]), 0.25), (ix.index([n + a, n + b]), 0.25)])
                if b > a { copy(ox.hermitian(a, b, imaginary: true), [(ix.index([a, n + b]), 0.25), (ix.index([n + a, b]), -0.25)]) }
            }
        }
        return TaylorJet(indexSet: ox, points: P, width: w, data: out)
    }

    /// ∂_α h for point p and unit u.
    public subscript(alpha: [Int], point p: Int, unit u: Int) -> Double {
        data[(indexSet.index(alpha) * points + p) * width + u]
    }

    /// The Laplacian Δh = Σ_i ∂_i∂_i h of every unit at every point, [P, w] (needs order ≥ 2).
    public func laplacian() -> Matrix {
        precondition(indexSet.order >= 2 && !indexSet.isWirtinger, "laplacian needs a real jet of order ≥ 2")
        var out = Matrix(rows: points, cols: width)
        for i in 0..<indexSet.dimension {
            let b = indexSet.index([i, i])
            for k in 0..<(points * width) { out.data[k] += data[b * points * width + k] }
        }
        return out
    }

    /// Block b as a matrix [P, w].
    public func block(_ b: Int) -> Matrix {
        Matrix(rows: points, cols: width, data: Array(data[(b * points * width)..<((b + 1) * points * width)]))
    }
}

/// What the reverse pass needs from a forward jet pass: the input jet of every layer, [B·P, fan_in] (layer 0's is
/// the network's input jet; a nonlinearity's is its pre-activation jet).
public struct JetTape: Sendable {
    /// The multi-indices of the forward pass.
    public let indexSet: JetIndexSet
    /// Number of points P of the forward pass.
    public let points: Int
    var inputs: [[Double]]

    /// Returns the tape's buffers to the jet buffer pool (call once, when the reverse pass is done).
    public func recycle() { JetBufferPool.shared.give(Array(inputs.dropFirst())) }
}

extension Network {
    /// Forward pass of a jet batch: returns the output jet [B·P, outputWidth] (and the tape when `keepTape`).
    /// A Dense layer is one dgemm over all B·P rows, z = s_w·h·W (+ s_b·b in the value block only); a nonlinearity
    /// is composed with the jet by Faà di Bruno's formula (`JetIndexSet.terms`), needing φ⁽ᵏ⁾ up to the jet order.
    public func forward(inputJet: [Double], indexSet: JetIndexSet, points P: Int, keepTape: Bool) -> (output: [Double], tape: JetTape?) {
        let B = indexSet.count
        precondition(inputJet.count == B * P * inputWidth, "Network.forward: input jet of \(inputJet.count) values, expected \(B * P * inputWidth)")
        precondition(indexSet.order <= maxJetOrder, "Network.forward: jet order \(indexSet.order) > \(maxJetOrder)")
        var h = inputJet
        var inputs: [[Double]] = []
        let rows = B * P
        for (l, (layer, slice)) in zip(architecture.layers, layout.slices).enumerated() {
            let next: [Double]
            if let d = layer as? Dense {
                let w = slice.fanOut, fan = slice.fanIn
                let (sw, sb) = d.scales(inputWidth: fan)
                var z = JetBufferPool.shared.take(rows * w)
                parameters.withUnsafeBufferPointer { th in
                    h.withUnsafeBufferPointer { hp in
                        z.withUnsafeMutableBufferPointer { zp in
                            gemm(false, false, rows, w, fan, sw, hp.baseAddress!, fan, th.baseAddress! + slice.weightOffset, w, 0, zp.baseAddress!, w)
                            if let bo = slice.biasOffset {
                                let b = th.baseAddress! + bo
                                for p in 0..<P { for u in 0..<w { zp[p * w + u] += sb * b[u] } }
                            }
                        }
                    }
                }
                next = z
            } else {
                let act = (layer as! Nonlinearity).activation
                next = Self.activate(h, act, indexSet, elements: P * slice.fanIn)
            }
            if keepTape { inputs.append(h) } else if l > 0 { JetBufferPool.shared.give(h) }
            h = next
        }
        return (h, keepTape ? JetTape(indexSet: indexSet, points: P, inputs: inputs) : nil)
    }

    /// The output jet of the network at the rows of x [P, n] up to order K, [B·P, outputWidth].
    public func jet(_ x: Matrix, order K: Int) -> TaylorJet {
        let input = TaylorJet(inputs: x, order: K)
        let out = forward(inputJet: input.data, indexSet: input.indexSet, points: x.rows, keepTape: false).output
        return TaylorJet(indexSet: input.indexSet, points: x.rows, width: outputWidth, data: out)
    }

    /// a = φ(z) on a jet: ∂_α a = Σ_terms c·σ^{(k)}(z₀)·Π ∂_β z, elementwise, in parallel chunks processed in
    /// cache-sized tiles.
    static func activate(_ z: [Double], _ act: Activation, _ ix: JetIndexSet, elements N: Int) -> [Double] {
        let K = ix.order, B = ix.count
        var a = JetBufferPool.shared.take(z.count)
        a.withUnsafeMutableBufferPointer { ab in
            z.withUnsafeBufferPointer { zb in
                let zp = zb.baseAddress!, ap = ab.baseAddress!
                parallelChunks(N, minimum: 2048) { r in
                    let tile = jetTile
                    let ds = UnsafeMutablePointer<Double>.allocate(capacity: (K + 1) * tile)
                    let tmp = UnsafeMutablePointer<Double>.allocate(capacity: tile)
                    let d = UnsafeMutablePointer<Double>.allocate(capacity: 5)
                    defer { ds.deallocate(); tmp.deallocate(); d.deallocate() }
                    var lo = r.lowerBound
                    while lo < r.upperBound {
                        let len = min(tile, r.upperBound - lo)
                        for e in 0..<len {
                            act.derivatives(zp[lo + e], upTo: K, into: d)
                            for k in 0...K { ds[k * tile + e] = d[k] }
                        }
                        for alpha in 0..<B {
                            let out = ap + alpha * N + lo
                            for e in 0..<len { out[e] = 0 }
                            for t in ix.terms[alpha] {
                                let k = t.factors.count, c = t.coefficient
                                let dk = ds + k * tile
                                for e in 0..<len { tmp[e] = c * dk[e] }
                                for f in t.factors {
                                    let zf = zp + f * N + lo
                                    for e in 0..<len { tmp[e] *= zf[e] }
                                }
                                for e in 0..<len { out[e] += tmp[e] }
                            }
                        }
                        lo += len
                    }
                }
            }
        }
        return a
    }
}

/// Elements per tile of the elementwise jet loops (keeps a tile's working set in L1/L2).
let jetTile = 512

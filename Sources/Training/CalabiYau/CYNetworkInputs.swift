import CYBridge
import Foundation
import Networks
import NumericCore

/// What a neural CY metric's network sees of a point z of X ⊂ ∏_r P^{n_r}, as a function of the real coordinates
/// x = [Re z₀ … Re z_{D−1}, Im z₀ … Im z_{D−1}] of the patch-normalised point, with its Taylor jet in x (the
/// φ-model differentiates φ twice in x; the chain rule through the features is the jet composition of
/// `Network.forward(inputJet:…)`).
public enum CYNetworkInputs: String, Sendable, Codable, CaseIterable {
    /// cymetric's inputs: x itself (2D features). φ then depends on the patch the point is normalised in, and the
    /// transition loss asks the network to make it one function on X.
    case coordinates
    /// The bihomogeneous features of each factor, u_ij = z_i z̄_j/|z^{(r)}|² for i ≤ j in factor r: Re u_ij (i ≤ j)
    /// and Im u_ij (i < j), (n_r + 1)² real features per factor (the inputs of Douglas et al. and MLGeometry,
    /// arXiv 2012.04797). They are invariant under z^{(r)} → λz^{(r)}, so φ is a function on the ambient space and
    /// on X whatever the patch: the transition loss vanishes identically, and g_FS + ∂∂̄φ stays exactly in the
    /// Kähler class (Vol_K is fixed).
    case bihomogeneous

    /// Number of features for the ambient space.
    public func width(_ ambient: ProjectiveAmbient) -> Int {
        switch self {
        case .coordinates: return 2 * ambient.coordinateCount
        case .bihomogeneous: return ambient.dimensions.reduce(0) { $0 + ($1 + 1) * ($1 + 1) }
        }
    }

    /// Whether φ of these features is the same function in every patch (no transition loss needed).
    public var isPatchInvariant: Bool { self == .bihomogeneous }

    /// The jet (order 0, 1 or 2) of the features in x at `count` points z (row-major [count, D]).
    public func jet(_ z: ArraySlice<ComplexDouble>, count P: Int, ambient: ProjectiveAmbient, order K: Int) -> TaylorJet {
        precondition((0...2).contains(K), "CYNetworkInputs: order \(K), expected 0, 1 or 2")
        let D = ambient.coordinateCount, R = 2 * D
        var x = Matrix(rows: P, cols: R)
        let base = z.startIndex
        for p in 0..<P { for i in 0..<D {
            x.data[p * R + i] = z[base + p * D + i].real
            x.data[p * R + D + i] = z[base + p * D + i].imaginary
        } }
        switch self {
        case .coordinates:
            return TaylorJet(inputs: x, order: K)
        case .bihomogeneous:
            return Self.bihomogeneousJet(x, ambient: ambient, order: K)
        }
    }

    /// u_ij = q/N with N = Σ_{k∈r}(x_k² + y_k²) and q = x_i x_j + y_i y_j (real part) or y_i x_j − x_i y_j
    /// (imaginary part): ∂f = ∂q/N − q∂N/N², ∂²f = ∂²q/N − (∂q∂Nᵀ + ∂N∂qᵀ)/N² − q∂²N/N² + 2q∂N∂Nᵀ/N³ (q, N quadratic
    /// forms, so ∂²q and ∂²N are constant).
    static func bihomogeneousJet(_ x: Matrix, ambient: ProjectiveAmbient, order K: Int) -> TaylorJet {
        let P = x.rows, R = x.cols, D = R / 2
        let W = CYNetworkInputs.bihomogeneous.width(ambient)
        let ix = JetIndexSet.shared(dimension: R, order: K)
        var data = [Double](repeating: 0, count: ix.count * P * W)
        // Feature list: (factor, i, j, imaginary?).
        var features: [(r: Int, i: Int, j: Int, im: Bool)] = []
        for r in 0..<ambient.factorCount {
            let range = ambient.range(ofFactor: r)
            for i in range { for j in range where j >= i {
                features.append((r, i, j, false))
                if j > i { features.append((r, i, j, true)) }
            } }
        }
        precondition(features.count == W)
        let second: [[Int]] = K == 2 ? (0..<R).map { u in (0..<R).map { v in ix.index([min(u, v), max(u, v)]) } } : []
        let first: [Int] = K >= 1 ? (0..<R).map { ix.index([$0]) } : []
        data.withUnsafeMutableBufferPointer { db in
            nonisolated(unsafe) let out = db.baseAddress!
            parallelChunks(P, minimum: 256) { range in
                var dq = [Double](repeating: 0, count: R), dN = [Double](repeating: 0, count: R)
                var hq = [Double](repeating: 0, count: R * R)
                for p in range {
                    let xr = x.data[(p * R)..<((p + 1) * R)]
                    @inline(__always) func X(_ k: Int) -> Double { xr[xr.startIndex + k] }
                    for (f, feat) in features.enumerated() {
                        let range = ambient.range(ofFactor: feat.r)
                        var N = 0.0
                        for k in range { N += X(k) * X(k) + X(D + k) * X(D + k) }
                        let (i, j) = (feat.i, feat.j)
                        let q = feat.im ? X(D + i) * X(j) - X(i) * X(D + j) : X(i) * X(j) + X(D + i) * X(D + j)
                        out[p * W + f] = q / N
                        guard K >= 1 else { continue }
                        for k in 0..<R { dq[k] = 0; dN[k] = 0 }
                        for k in 0..<(R * R) { hq[k] = 0 }
                        for k in range { dN[k] = 2 * X(k); dN[D + k] = 2 * X(D + k) }
                        // q and its constant Hessian (symmetric).
                        func addH(_ a: Int, _ b: Int, _ v: Double) { hq[a * R + b] += v; hq[b * R + a] += v }
                        if feat.im {
                            // q = y_i x_j − x_i y_j
                            dq[D + i] += X(j); dq[j] += X(D + i); dq[i] -= X(D + j); dq[D + j] -= X(i)
                            addH(D + i, j, 1); addH(i, D + j, -1)
                        } else {
                            // q = x_i x_j + y_i y_j
                            dq[i] += X(j); dq[j] += X(i); dq[D + i] += X(D + j); dq[D + j] += X(D + i)
                            addH(i, j, 1); addH(D + i, D + j, 1)
                        }
                        let n1 = 1 / N, n2 = n1 * n1, n3 = n2 * n1
                        for u in 0..<R { out[(first[u] * P + p) * W + f] = dq[u] * n1 - q * dN[u] * n2 }
                        guard K == 2 else { continue }
                        for u in 0..<R { for v in u..<R {
                            let hN = (u == v && range.contains(u % D)) ? 2.0 : 0
                            let h = hq[u * R + v] * n1 - (dq[u] * dN[v] + dN[u] * dq[v]) * n2 - q * hN * n2 + 2 * q * dN[u] * dN[v] * n3
                            out[(second[u][v] * P + p) * W + f] = h
                        } }
                    }
                }
            }
        }
        return TaylorJet(indexSet: ix, points: P, width: W, data: data)
    }
}

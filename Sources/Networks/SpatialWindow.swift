import Dispatch
import NumericCore

/// How a window is placed at the edges of the spatial dimensions (neural-tangents' `Padding`).
public enum Padding: String, Sendable, CaseIterable {
    /// Only windows that fit: output size ⌊(n − k)/σ⌋ + 1.
    case valid = "VALID"
    /// Output size ⌈n/σ⌉, zeros around the input (total padding max((out − 1)σ + k − n, 0), the smaller half
    /// before: XLA's and neural-tangents' convention).
    case same = "SAME"
    /// As `same`, but the input wraps around (periodic signals).
    case circular = "CIRCULAR"
}

/// The input positions a window of shape k (strides σ, padding) reads for every output position, in the
/// row-major order of the spatial dimensions: `inputIndex[u·F + f]` is the flattened input position under window
/// offset f of output position u, or −1 where the window lies on padding (zeros). The one place where
/// convolution and pooling decide sizes and edges.
public struct SpatialWindow: Sendable, Equatable {
    /// Input spatial dimensions.
    public let input: [Int]
    /// Window shape k (one entry per spatial dimension).
    public let window: [Int]
    /// Strides σ.
    public let strides: [Int]
    /// Edge handling.
    public let padding: Padding
    /// Output spatial dimensions.
    public let output: [Int]
    /// F = Π k.
    public let windowSize: Int
    /// [S_out · F] flattened input positions, −1 on padding.
    public let inputIndex: [Int]
    /// Per dimension d: `axisIndex[d][u·k_d + f]`, the input position along d under offset f of output position u
    /// (−1 on padding): the one-dimensional factors of `inputIndex`.
    public let axisIndex: [[Int]]
    /// Zeros before the input along each dimension (SAME, CIRCULAR; 0 for VALID).
    public let padBefore: [Int]

    /// The window over `input`; throws when it does not fit (VALID with k > n) or the ranks differ.
    public init(input: [Int], window: [Int], strides: [Int], padding: Padding, layer: String) throws {
        guard window.count == input.count, strides.count == input.count else {
            throw InputError("\(layer): window \(window) and strides \(strides) on inputs with spatial shape \(input), expected \(input.count) entries each")
        }
        var out: [Int] = [], before: [Int] = []
        for d in 0..<input.count {
            let n = input[d], k = window[d], s = strides[d]
            switch padding {
            case .valid:
                guard k <= n else { throw InputError("\(layer): window \(window) larger than the input's spatial shape \(input) with padding=VALID") }
                out.append((n - k) / s + 1); before.append(0)
            case .same, .circular:
                let o = (n + s - 1) / s
                out.append(o); before.append(max((o - 1) * s + k - n, 0) / 2)
            }
        }
        self.input = input; self.window = window; self.strides = strides; self.padding = padding
        output = out
        // The table of window reads, S_out·F entries, bounded (2²⁶: 512 MiB) before it is built.
        let (So, F) = (out.reduce(1, *), window.reduce(1, *))
        let (reads, overflow) = So.multipliedReportingOverflow(by: F)
        guard !overflow, reads <= 1 << 26 else {
            throw InputError("\(layer): window \(window) at \(out.reduce(1, *)) output positions reads more than 2²⁶ input positions, expected a smaller window or input")
        }
        windowSize = F
        let D = input.count
        var table = [Int](repeating: -1, count: So * F)
        var uIdx = [Int](repeating: 0, count: D), fIdx = [Int](repeating: 0, count: D)
        for u in 0..<So {
            var r = u
            for d in stride(from: D - 1, through: 0, by: -1) { uIdx[d] = r % out[d]; r /= out[d] }
            for f in 0..<F {
                var q = f
                for d in stride(from: D - 1, through: 0, by: -1) { fIdx[d] = q % window[d]; q /= window[d] }
                var flat = 0, inside = true
                for d in 0..<D {
                    var p = uIdx[d] * strides[d] + fIdx[d] - before[d]
                    if p < 0 || p >= input[d] {
                        if padding == .circular { p = ((p % input[d]) + input[d]) % input[d] } else { inside = false; break }
                    }
                    flat = flat * input[d] + p
                }
                table[u * F + f] = inside ? flat : -1
            }
        }
        inputIndex = table
        padBefore = before
        axisIndex = (0..<D).map { d in
            (0..<(out[d] * window[d])).map { e in
                var p = (e / window[d]) * strides[d] + e % window[d] - before[d]
                if p < 0 || p >= input[d] {
                    if padding == .circular { p = ((p % input[d]) + input[d]) % input[d] } else { p = -1 }
                }
                return p
            }
        }
    }

    /// The window of a layer's SPEC, where one entry of `window` or `strides` stands for every spatial dimension;
    /// throws for inputs without spatial dimensions.
    public init(input: [Int], windowAsGiven window: [Int], stridesAsGiven strides: [Int], padding: Padding, layer: String) throws {
        guard !input.isEmpty else { throw InputError("\(layer): inputs without spatial dimensions, expected points of shape [L, C] or [H, W, C]") }
        func expand(_ v: [Int], _ what: String) throws -> [Int] {
            if v.count == 1 { return Array(repeating: v[0], count: input.count) }
            guard v.count == input.count else { throw InputError("\(layer): \(what) \(v) on \(input.count) spatial dimensions, expected \(input.count) entries or one") }
            return v
        }
        try self.init(input: input, window: expand(window, "window"), strides: expand(strides, "stride"), padding: padding, layer: layer)
    }

    /// S_out = Π output.
    public var outputSize: Int { output.reduce(1, *) }
    /// S_in = Π input.
    public var inputSize: Int { input.reduce(1, *) }
}

extension SpatialWindow {
    /// out[u] = (1/F)·Σ_f v[in(u, f)] (padding contributes 0) for each of `count` interleaved sequences:
    /// `positionMajor` v[s·count + i] (the `diagonal` spatial layout), otherwise v[i·S + s].
    func averageSameOffsets(_ v: [Double], count n: Int, positionMajor: Bool) -> [Double] {
        let S = inputSize, So = outputSize, F = windowSize, inv = 1 / Double(F)
        guard positionMajor else {
            var out = [Double](repeating: 0, count: n * So)
            for u in 0..<So { for f in 0..<F {
                let s = inputIndex[u * F + f]
                if s >= 0 { for i in 0..<n { out[i * So + u] += v[i * S + s] } }
            } }
            return out.map { $0 * inv }
        }
        // One output position per task, each entry written once (fresh pages, huge where the kernel allows).
        var out = HugePages.uninitializedArray(n * So)
        let table = inputIndex
        v.withUnsafeBufferPointer { vb in out.withUnsafeMutableBufferPointer { ob in
            nonisolated(unsafe) let (vp, op) = (vb.baseAddress, ob.baseAddress)
            DispatchQueue.concurrentPerform(iterations: So) { u in
                guard let op else { return }
                let dst = op + u * n
                for i in 0..<n { dst[i] = 0 }
                guard let vp else { return }
                for f in 0..<F {
                    let s = table[u * F + f]
                    if s < 0 { continue }
                    let src = vp + s * n
                    for i in 0..<n { dst[i] += src[i] }
                }
                for i in 0..<n { dst[i] *= inv }
            }
        } }
        return out
    }

    /// A convolution's map of a `diagonal` spatial state, both kernels in one pass per output position u (its tile of
    /// n entries stays in cache): Kₐ = (1/F)Σ_f K[in(u, f)], Θₐ likewise, then the affine map of `Dense` —
    /// K' = σ_w²Kₐ + σ_b², Θ' = K' + σ_w²Θₐ (NTK) or n_in·Kₐ + σ_w²Θₐ + [bias] (standard) — written into `kOut`,
    /// `tOut` (n·S_out entries each, every one overwritten).
    func convolveDiagonal(_ k: [Double], _ t: [Double], count n: Int, affine: Dense, fanIn: Int,
                          into kOut: inout [Double], _ tOut: inout [Double]) {
        let F = windowSize, inv = 1 / Double(F), table = inputIndex
        let w2 = affine.wStd * affine.wStd, b2 = (affine.bStd ?? 0) * (affine.bStd ?? 0)
        let standard = affine.parameterization == .standard, nIn = Double(fanIn), one: Double = affine.bStd == nil ? 0 : 1
        k.withUnsafeBufferPointer { kb in t.withUnsafeBufferPointer { tb in
        kOut.withUnsafeMutableBufferPointer { kob in tOut.withUnsafeMutableBufferPointer { tob in
            nonisolated(unsafe) let (kp, tp, kop, top) = (kb.baseAddress, tb.baseAddress, kob.baseAddress, tob.baseAddress)
            DispatchQueue.concurrentPerform(iterations: outputSize) { u in
                guard let kp, let tp, let kop, let top else { return }
                let kd = kop + u * n, td = top + u * n
                for i in 0..<n { kd[i] = 0; td[i] = 0 }
                for f in 0..<F {
                    let s = table[u * F + f]
                    if s < 0 { continue }
                    let ks = kp + s * n, ts = tp + s * n
                    for i in 0..<n { kd[i] += ks[i]; td[i] += ts[i] }
                }
                for i in 0..<n {
                    let ka = kd[i] * inv, ta = td[i] * inv
                    let kNew = w2 * ka + b2
                    td[i] = standard ? nIn * ka + w2 * ta + one : kNew + w2 * ta
                    kd[i] = kNew
                }
            }
        } } } }
    }

    /// The full spatial covariance through the window, for each of the blockRows × blockCols blocks of a matrix of
    /// S × S blocks (row and column indices are positions):
    /// - `sameOffset` (a convolution: weights at different offsets are independent):
    ///   out[u, u'] = (1/F)·Σ_f v[in(u, f), in(u', f)];
    /// - otherwise (pooling): out[u, u'] = (1/F²)·Σ_{f, f'} v[in(u, f), in(u', f')].
    /// Both factor over the spatial dimensions (the window is a product of intervals), so each block goes through
    /// one pass per dimension — for a convolution the pair of sides at once, for pooling rows then columns — with
    /// contiguous inner loops: Σ_d k_d instead of Π_d k_d terms per entry.
    func convolveFull(_ v: [Double], blockRows: Int, blockCols: Int, sameOffset: Bool, into out: inout [Double]) {
        let S = inputSize, So = outputSize, D = input.count
        let inStride = blockCols * S, outStride = blockCols * So
        precondition(out.count == blockRows * So * outStride, "convolveFull: output of \(out.count) entries")
        let (axes, n, o, k, lo, sd) = (axisIndex, input, output, window, padBefore, strides)
        let circular = padding == .circular
        /// The output positions u of dimension d whose offset f reads inside the input: [first, end).
        @Sendable func validRange(_ d: Int, _ f: Int) -> (Int, Int) {
            let shift = f - lo[d], st = sd[d]
            // u·σ + shift ≥ 0 and ≤ n − 1
            let first = shift >= 0 ? 0 : (-shift + st - 1) / st
            let last = n[d] - 1 - shift < 0 ? -1 : (n[d] - 1 - shift) / st
            return (first, max(first, min(o[d], last + 1)))
        }
        v.withUnsafeBufferPointer { vb in out.withUnsafeMutableBufferPointer { ob in
            nonisolated(unsafe) let (vp, op) = (vb.baseAddress!, ob.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: blockRows * blockCols) { task in
                let a = task / blockCols, b = task % blockCols
                let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * S * S)
                defer { scratch.deallocate() }
                var rowDims = n, colDims = n
                var src = UnsafePointer(vp + a * S * inStride + b * S), srcStride = inStride
                var flip = 0
                func next(_ last: Bool) -> (UnsafeMutablePointer<Double>, Int) {
                    if last { return (op + a * So * outStride + b * So, outStride) }
                    defer { flip ^= 1 }
                    return (scratch + flip * S * S, S)
                }
                var passes: [(d: Int, side: Int)] = []   // side 0: both (same offset), 1: rows, 2: columns
                for d in 0..<D { if sameOffset { passes.append((d, 0)) } else { passes.append((d, 1)); passes.append((d, 2)) } }
                for (p, pass) in passes.enumerated() {
                    let (dst, dstStride) = next(p == passes.count - 1)
                    let d = pass.d, table = axes[d], kd = k[d], od = o[d], nd = n[d], inv = 1 / Double(kd)
                    var newRows = rowDims, newCols = colDims
                    if pass.side != 2 { newRows[d] = od }
                    if pass.side != 1 { newCols[d] = od }
                    let rowsOut = newRows.reduce(1, *), colsOut = newCols.reduce(1, *)
                    let outerR = rowDims[..<d].reduce(1, *), innerR = rowDims[(d + 1)...].reduce(1, *)
                    let outerC = colDims[..<d].reduce(1, *), innerC = colDims[(d + 1)...].reduce(1, *)
                    for r in 0..<rowsOut { let row = dst + r * dstStride; for c in 0..<colsOut { row[c] = 0 } }
                    switch pass.side {
                    case 1:
                        // Rows: out[(x, u, y), c] = Σ_f in[(x, in(u, f), y), c].
                        for x in 0..<outerR { for u in 0..<od { for y in 0..<innerR {
                            let drow = dst + ((x * od + u) * innerR + y) * dstStride
                            for f in 0..<kd {
                                let p = table[u * kd + f]
                                if p < 0 { continue }
                                let srow = src + ((x * nd + p) * innerR + y) * srcStride
                                for c in 0..<colsOut { drow[c] += srow[c] }
                            }
                        } } }
                    case 2:
                        // Columns: out[r, (x, u, y)] = Σ_f in[r, (x, in(u, f), y)].
                        for r in 0..<rowsOut {
                            let drow = dst + r * dstStride, srow = src + r * srcStride
                            for x in 0..<outerC { for u in 0..<od { for f in 0..<kd {
                                let p = table[u * kd + f]
                                if p < 0 { continue }
                                let dcol = drow + (x * od + u) * innerC, scol = srow + (x * nd + p) * innerC
                                for y in 0..<innerC { dcol[y] += scol[y] }
                            } } }
                        }
                    default:
                        // Both sides at the same offset: out[(x, u, y), (x', u', y')] = Σ_f in[(x, in(u, f), y), (x', in(u', f), y')].
                        for x in 0..<outerR { for u in 0..<od { for y in 0..<innerR {
                            let drow = dst + ((x * od + u) * innerR + y) * dstStride
                            for f in 0..<kd {
                                let p = table[u * kd + f]
                                if p < 0 { continue }
                                let srow = src + ((x * nd + p) * innerR + y) * srcStride
                                if innerC == 1 && !circular {
                                    // The last dimension: the valid u' of offset f form one range, p' = u'σ + f − lo.
                                    let (first, end) = validRange(d, f)
                                    let shift = f - lo[d], st = sd[d]
                                    for x2 in 0..<outerC {
                                        let dcol = drow + x2 * od, scol = srow + x2 * nd + shift
                                        if st == 1 { for u2 in first..<end { dcol[u2] += scol[u2] } }
                                        else { for u2 in first..<end { dcol[u2] += scol[u2 * st] } }
                                    }
                                } else {
                                    for x2 in 0..<outerC { for u2 in 0..<od {
                                        let p2 = table[u2 * kd + f]
                                        if p2 < 0 { continue }
                                        let dcol = drow + (x2 * od + u2) * innerC, scol = srow + (x2 * nd + p2) * innerC
                                        for y2 in 0..<innerC { dcol[y2] += scol[y2] }
                                    } }
                                }
                            }
                        } } }
                    }
                    for r in 0..<rowsOut { let row = dst + r * dstStride; for c in 0..<colsOut { row[c] *= inv } }
                    rowDims = newRows; colDims = newCols
                    src = UnsafePointer(dst); srcStride = dstStride
                }
            }
        } }
    }

    /// The patches of every point, [P·S_out, F·C] (row p·S_out + u holds h_p at in(u, f) for f = 0…F−1, channels
    /// innermost; zeros on padding): a convolution is then one matrix product with W [F·C, C_out] (HWIO order).
    func patches(_ h: Matrix, points: Int) -> Matrix {
        let S = inputSize, So = outputSize, F = windowSize, C = h.cols
        var out = Matrix(rows: points * So, cols: F * C)
        h.data.withUnsafeBufferPointer { hb in out.data.withUnsafeMutableBufferPointer { ob in
            for p in 0..<points { for u in 0..<So { for f in 0..<F {
                let s = inputIndex[u * F + f]
                if s < 0 { continue }
                let src = hb.baseAddress! + (p * S + s) * C, dst = ob.baseAddress! + ((p * So + u) * F + f) * C
                for c in 0..<C { dst[c] = src[c] }
            } } }
        } }
        return out
    }

    /// The adjoint of `patches`: sums each patch entry back onto its input position, [R·S_in, C].
    func foldPatches(_ d: Matrix, rows R: Int, channels C: Int) -> Matrix {
        let S = inputSize, So = outputSize, F = windowSize
        var out = Matrix(rows: R * S, cols: C)
        d.data.withUnsafeBufferPointer { db in out.data.withUnsafeMutableBufferPointer { ob in
            for r in 0..<R { for u in 0..<So { for f in 0..<F {
                let s = inputIndex[u * F + f]
                if s < 0 { continue }
                let src = db.baseAddress! + ((r * So + u) * F + f) * C, dst = ob.baseAddress! + (r * S + s) * C
                for c in 0..<C { dst[c] += src[c] }
            } } }
        } }
        return out
    }
}

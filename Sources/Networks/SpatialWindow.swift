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
        windowSize = window.reduce(1, *)
        let So = out.reduce(1, *), F = windowSize, D = input.count
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
        var out = [Double](repeating: 0, count: n * So)
        v.withUnsafeBufferPointer { vb in out.withUnsafeMutableBufferPointer { ob in
            for u in 0..<So {
                for f in 0..<F {
                    let s = inputIndex[u * F + f]
                    if s < 0 { continue }
                    if positionMajor {
                        let src = vb.baseAddress! + s * n, dst = ob.baseAddress! + u * n
                        for i in 0..<n { dst[i] += src[i] }
                    } else {
                        for i in 0..<n { ob[i * So + u] += vb[i * S + s] }
                    }
                }
            }
            for e in 0..<ob.count { ob[e] *= inv }
        } }
        return out
    }

    /// The full spatial covariance seen by a convolution: for each of the blockRows × blockCols blocks of a matrix
    /// of S × S blocks, out[u, u'] = (1/F)·Σ_f v[in(u, f), in(u', f)] — the same window offset on both sides
    /// (weights at different offsets are independent).
    func averageSameOffsetPairs(_ v: [Double], blockRows: Int, blockCols: Int) -> [Double] {
        let S = inputSize, So = outputSize, F = windowSize, inv = 1 / Double(F)
        let inStride = blockCols * S, outStride = blockCols * So
        var out = [Double](repeating: 0, count: blockRows * So * outStride)
        let table = inputIndex
        v.withUnsafeBufferPointer { vb in out.withUnsafeMutableBufferPointer { ob in
            nonisolated(unsafe) let (vp, op) = (vb.baseAddress!, ob.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: blockRows) { a in
                for b in 0..<blockCols {
                    let src = vp + a * S * inStride + b * S, dst = op + a * So * outStride + b * So
                    for u in 0..<So { for u2 in 0..<So {
                        var acc = 0.0
                        for f in 0..<F {
                            let s = table[u * F + f], s2 = table[u2 * F + f]
                            if s >= 0 && s2 >= 0 { acc += src[s * inStride + s2] }
                        }
                        dst[u * outStride + u2] = acc * inv
                    } }
                }
            }
        } }
        return out
    }

    /// Pooling's full spatial covariance: out[u, u'] = (1/F²)·Σ_{f, f'} v[in(u, f), in(u', f')] per S × S block (rows
    /// averaged first, then columns).
    func averageAllOffsetPairs(_ v: [Double], blockRows: Int, blockCols: Int) -> [Double] {
        let S = inputSize, So = outputSize, F = windowSize, inv = 1 / Double(F)
        let inStride = blockCols * S, outStride = blockCols * So
        var out = [Double](repeating: 0, count: blockRows * So * outStride)
        let table = inputIndex
        v.withUnsafeBufferPointer { vb in out.withUnsafeMutableBufferPointer { ob in
            nonisolated(unsafe) let (vp, op) = (vb.baseAddress!, ob.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: blockRows) { a in
                var rowsAveraged = [Double](repeating: 0, count: So * S)
                for b in 0..<blockCols {
                    let src = vp + a * S * inStride + b * S, dst = op + a * So * outStride + b * So
                    for e in rowsAveraged.indices { rowsAveraged[e] = 0 }
                    for u in 0..<So { for f in 0..<F {
                        let s = table[u * F + f]
                        if s < 0 { continue }
                        for s2 in 0..<S { rowsAveraged[u * S + s2] += src[s * inStride + s2] }
                    } }
                    for u in 0..<So { for u2 in 0..<So {
                        var acc = 0.0
                        for f in 0..<F { let s2 = table[u2 * F + f]; if s2 >= 0 { acc += rowsAveraged[u * S + s2] } }
                        dst[u * outStride + u2] = acc * inv * inv
                    } }
                }
            }
        } }
        return out
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

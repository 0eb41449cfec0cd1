import CNumericLibs
import Dispatch
import Foundation
import NumericCore

/// Graph convolution by a fixed aggregation pattern, neural-tangents' `stax.Aggregate` with one pattern shared by
/// every point: the S spatial positions are the nodes of a graph and A [S, S] its (weighted) adjacency.
///
/// Forward map per point, neural-tangents' contraction of the pattern's first node axis: z[n, c] = Σ_m A[m, n]·h[m, c],
/// z = Aᵀh (no normalisation: scale A as the model needs, e.g. by degree; a symmetric A is the same either way).
/// Kernel map (linear, no parameters): K'(x, x')[n, n'] = Σ_{m, m'} A[m, n]·K(x, x')[m, m']·A[m', n'], i.e. Aᵀ·K·A per
/// pair of points, the same for Θ — it mixes positions, so the network carries the full spatial covariance.
/// Gaussian inputs stay Gaussian.
public struct Aggregate: Layer {
    /// A [S, S]: node n sums the nodes m with the weights A[m, n] (column n).
    public let pattern: Matrix
    /// Where the pattern came from (the SPEC's `pattern=` value), for `name`.
    public let source: String

    /// The layer aggregating by `pattern` [S, S]; `source` is how a SPEC names it.
    public init(pattern: Matrix, source: String) {
        self.pattern = pattern
        self.source = source
    }

    /// The SPEC text.
    public var name: String { "Aggregate(pattern=\(source))" }
    /// Channels unchanged.
    public func outputWidth(inputWidth: Int) -> Int { inputWidth }
    /// The same shape; the positions must be the pattern's nodes.
    public func outputShape(_ input: TensorShape) throws -> TensorShape {
        guard !input.spatial.isEmpty, input.spatialSize == pattern.rows else {
            throw InputError("\(name): a pattern of \(pattern.rows) nodes on points of shape \(input), expected \(pattern.rows) positions")
        }
        return input
    }
    /// No parameters.
    public func initialize(inputWidth: Int, using rng: inout RandomStream) -> LayerParameters { .none }
    /// Not defined on vectors.
    public func apply(_ p: LayerParameters, _ h: Matrix) -> Matrix { preconditionFailure("\(name) needs inputs with spatial dimensions") }

    /// z_p = Aᵀ·h_p for every point (one BLAS product per point).
    public func apply(_ p: LayerParameters, _ h: Activations) -> Activations {
        Activations(values: multiplyPerPoint(h.values, transpose: true), shape: h.shape)
    }

    /// δ_h = A·δ per cotangent.
    public func pullback(_ p: LayerParameters, input h: Activations, cotangent d: Matrix, rowsPerPoint: Int,
                         gradient: JacobianRows?) -> Matrix {
        multiplyPerPoint(d, transpose: false)
    }

    /// op(A)·v_r for each block of S rows of v [R·S, C].
    func multiplyPerPoint(_ v: Matrix, transpose: Bool) -> Matrix {
        let S = pattern.rows, C = v.cols, R = v.rows / S
        var out = Matrix(rows: v.rows, cols: C)
        pattern.data.withUnsafeBufferPointer { ab in v.data.withUnsafeBufferPointer { vb in out.data.withUnsafeMutableBufferPointer { ob in
            for r in 0..<R {
                cblas_dgemm(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, CblasNoTrans, Int32(S), Int32(C), Int32(S), 1,
                            ab.baseAddress!, Int32(S), vb.baseAddress! + r * S * C, Int32(C), 0, ob.baseAddress! + r * S * C, Int32(C))
            }
        } } }
        return out
    }

    /// Aᵀ·K·A per S × S block (two BLAS products each), the same for Θ; on a pair state the diagonals are left empty for
    /// `Serial.kernels` to take from the diagonal-only states.
    public func kernel(_ k: KernelState) throws -> KernelState {
        guard k.spatialCovariance == .full, k.spatial.reduce(1, *) == pattern.rows else {
            throw InputError("\(name) mixes spatial positions: the kernel needs the full spatial covariance of \(pattern.rows) positions")
        }
        var out = k
        out.spareBuffers = []
        out.nngp = sandwich(k.nngp, blockRows: k.rows, blockCols: k.diagonalOnly ? 1 : k.cols)
        out.ntk = sandwich(k.ntk, blockRows: k.rows, blockCols: k.diagonalOnly ? 1 : k.cols)
        if k.diagonalOnly {
            out.diagonal1 = out.spatialDiagonal
            out.diagonal2 = out.diagonal1
        } else {
            out.diagonal1 = []; out.diagonal2 = []
        }
        return out
    }

    func sandwich(_ v: [Double], blockRows: Int, blockCols: Int) -> [Double] {
        let S = pattern.rows, stride = blockCols * S
        var out = HugePages.uninitializedArray(v.count)
        pattern.data.withUnsafeBufferPointer { ab in v.withUnsafeBufferPointer { vb in out.withUnsafeMutableBufferPointer { ob in
            nonisolated(unsafe) let (ap, vp, op) = (ab.baseAddress!, vb.baseAddress!, ob.baseAddress!)
            // The blocks on all cores, each block's two products on one OpenBLAS thread (the same bits on any machine).
            SingleThreadedLAPACK.run {
                DispatchQueue.concurrentPerform(iterations: blockRows * blockCols) { task in
                    let a = task / blockCols, b = task % blockCols
                    let t = UnsafeMutablePointer<Double>.allocate(capacity: S * S)
                    defer { t.deallocate() }
                    // T = Aᵀ·K_ab, then K'_ab = T·A.
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(S), Int32(S), Int32(S), 1, ap, Int32(S),
                                vp + a * S * stride + b * S, Int32(stride), 0, t, Int32(S))
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(S), Int32(S), Int32(S), 1, t, Int32(S), ap, Int32(S),
                                0, op + a * S * stride + b * S, Int32(stride))
                }
            }
        } } }
        return out
    }
}

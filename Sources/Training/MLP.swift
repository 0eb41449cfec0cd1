import CNumericLibs
import Foundation
import NumericCore

/// A fully connected network over Float64, f(x) = D_L ∘ σ_{L−1} ∘ D_{L−1} ∘ … ∘ σ₁ ∘ D₁(x) with
/// D_l(h) = h·W_l + b_l (row vectors), described by an `MLPSpec`.
///
/// Parameters live in one flat vector θ: for each layer l in order, W_l row-major [fan_in, width], then b_l [width].
/// Initialisation: W = (W_std/√fan_in)·N(0, 1), b = b_std·N(0, 1), layer l drawing from
/// `RandomStream(seed: seed, stream: l)` (W first, then b), so a network is a pure function of (spec, seed).
public struct MLP: Sendable {
    public let spec: MLPSpec
    public let inputWidth: Int
    public var parameters: [Double]
    /// Offsets of W_l and b_l in θ.
    public let weightOffsets: [Int]
    public let biasOffsets: [Int]

    /// Widths [input, layer 1, …, layer L].
    public var widths: [Int] { [inputWidth] + spec.layers.map(\.width) }
    public var outputWidth: Int { spec.outputWidth }
    public var parameterCount: Int { parameters.count }

    public init(spec: MLPSpec, inputWidth: Int, seed: UInt64) throws {
        guard inputWidth >= 1 else { throw InputError("network input width \(inputWidth), expected ≥ 1") }
        guard !spec.layers.isEmpty else { throw InputError("network spec has no Dense layer") }
        self.spec = spec
        self.inputWidth = inputWidth
        var wo: [Int] = [], bo: [Int] = [], count = 0, fan = inputWidth
        for l in spec.layers { wo.append(count); count += fan * l.width; bo.append(count); count += l.width; fan = l.width }
        weightOffsets = wo; biasOffsets = bo
        var theta = [Double](repeating: 0, count: count)
        fan = inputWidth
        for (i, l) in spec.layers.enumerated() {
            var rng = RandomStream(seed: seed, stream: UInt64(i))
            let s = l.wStd / Double(fan).squareRoot()
            for k in 0..<(fan * l.width) { theta[wo[i] + k] = s * rng.normal() }
            for k in 0..<l.width { theta[bo[i] + k] = l.bStd * rng.normal() }
            fan = l.width
        }
        parameters = theta
    }

    /// An MLP with given parameters (count must match the spec).
    public init(spec: MLPSpec, inputWidth: Int, parameters: [Double]) throws {
        var m = try MLP(spec: spec, inputWidth: inputWidth, seed: 0)
        guard parameters.count == m.parameters.count else {
            throw InputError("\(parameters.count) parameters for '\(spec)', expected \(m.parameters.count)")
        }
        m.parameters = parameters
        self = m
    }

    /// f(x) for the rows of x [P, inputWidth] → [P, outputWidth].
    public func outputs(_ x: Matrix) -> Matrix {
        let ix = JetIndexSet(dimension: 1, order: 0)
        let y = forward(inputJet: x.data, indexSet: ix, points: x.rows, keepTape: false).output
        return Matrix(rows: x.rows, cols: outputWidth, data: y)
    }
}

/// C[m, n] = α·op(A)·op(B) + β·C on raw row-major storage (cblas_dgemm).
@inline(__always)
func gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
          _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
          _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
    if m == 0 || n == 0 { return }
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Splits 0..<count into contiguous chunks run concurrently (at most `ProcessInfo.activeProcessorCount` at a time).
func parallelChunks(_ count: Int, minimum: Int = 4096, _ body: (Range<Int>) -> Void) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let chunks = max(1, min(4 * cores, count / max(1, minimum)))
    if chunks == 1 { body(0..<count); return }
    nonisolated(unsafe) let work = body
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        work((c * count / chunks)..<((c + 1) * count / chunks))
    }
}

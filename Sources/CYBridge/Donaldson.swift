import CNumericLibs
import Dispatch
import Foundation
import NumericCore
import Numerics

/// Donaldson's T-operator and its iteration to the balanced hermitian form, with exactly the convention of cymetric's
/// `Donaldson.compute_hbalanced` (arXiv 2205.13408) and cyjax's `AlgebraicMetric.donaldson_step` (arXiv 2211.12520);
/// the iteration is the one of Douglas–Karp–Lukic–Reinbacher, arXiv hep-th/0612075:
///
///   ψ_p = s(z_p)ᵀ h s̄(z_p),
///   T(h)_{αβ̄} = N_k/(N_p·Vol_CY) Σ_p w_p s_α(z_p) s̄_β(z_p)/ψ_p,   Vol_CY = (1/N_p) Σ_p w_p,
///   h ← (T(h)⁻¹)ᵀ = conj(T(h))⁻¹.
///
/// The points z_p are homogeneous coordinates on X (any scaling: T is invariant under z → λz because s s̄/ψ is), the
/// weights w_p turn the sampling measure into the Calabi–Yau measure |Ω|² d^{2n}x (cymetric's normalised weights, or
/// any positive multiple: T only sees w/Σw). The balanced h is a fixed ray: T(ch) = T(h)/c, so h ↦ conj(T(h))⁻¹ maps
/// ch to c·(image of h); the iteration here rescales each iterate to tr h = N_k, which changes nothing in the metric
/// (K = (kπ)⁻¹ log s†hs̄ shifts by a constant). Identity tr(T(h)·hᵀ) = N_k holds for every h.
///
/// Implementation: per block of points, S = [s_α(z_p)] (SectionBasis), ψ_p = ‖(S L)_p‖² with h = L L† (Cholesky) via one
/// ZTRMM, rows scaled by √(w_p/ψ_p), then the block's conj(T) term as one ZHERK (A†A) through OpenBLAS; the blocks'
/// terms are summed by a fixed binary tree over the block index (`BlockSumTree`), so the result does not depend on the
/// thread count, nor on how the blocks are split across the ranks of a process group (`group`: under `mpirun -np K`
/// rank r evaluates its contiguous share of the blocks, the ranks' trees are merged on the way to rank 0, which sends
/// the total to all — the same bits for every K). The inverse by Cholesky (ZPOTRF/ZPOTRI), on every rank; both
/// factorisations on one OpenBLAS thread (`SingleThreadedLAPACK`: OpenBLAS's LAPACK rounds differently on different
/// thread counts).
public struct DonaldsonBalancing: Sendable {
    /// The section basis s_α.
    public let basis: SectionBasis
    /// Homogeneous coordinates, row-major [N_p, D].
    public let points: [Complex<Double>]
    /// Integration weights w_p (positive), [N_p].
    public let weights: [Double]
    /// N_p.
    public let pointCount: Int
    /// Points per ZHERK block.
    public var blockSize = 4096
    /// The ranks that share the blocks of points (one process by default).
    public var group: any ProcessGroup = ProcessGroups.current

    /// - Throws: `InputError` on shape mismatch, non-finite coordinates or non-positive/non-finite weights.
    public init(basis: SectionBasis, points: [Complex<Double>], weights: [Double]) throws {
        let d = basis.variables
        guard points.count == weights.count * d else {
            throw InputError("Donaldson: \(points.count) coordinates for \(weights.count) weights, expected \(weights.count * d) (D = \(d))")
        }
        guard !weights.isEmpty else { throw InputError("Donaldson: no points, expected at least one") }
        if let i = weights.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw InputError("Donaldson: weight \(i) = \(weights[i]), expected a finite positive number")
        }
        if let i = points.firstIndex(where: { !($0.real.isFinite && $0.imaginary.isFinite) }) {
            throw InputError("Donaldson: coordinate \(i % d) of point \(i / d) is not finite, expected finite coordinates")
        }
        self.basis = basis
        self.points = points
        self.weights = weights
        self.pointCount = weights.count
    }

    /// The number of points cymetric and AHO (1910.08605 eq. 2.22) use for the T-operator: 10·N_k² + 50 000.
    public static func recommendedPointCount(sections nk: Int) -> Int { 10 * nk * nk + 50_000 }

    /// The starting form: diag(multinomial coefficients), for which s†hs̄ = |z|^{2k} on the unreduced basis
    /// (= Fubini–Study at k = 1).
    public static func initialForm(_ basis: SectionBasis) -> ComplexMatrix {
        let n = basis.count
        var h = ComplexMatrix(rows: n, cols: n)
        let w = basis.multinomialWeights()
        for a in 0..<n { h[a, a] = Complex(w[a], 0) }
        return normalised(h)
    }

    /// h·N_k/tr h.
    public static func normalised(_ h: ComplexMatrix) -> ComplexMatrix {
        var tr = 0.0
        for a in 0..<h.rows { tr += h[a, a].real }
        var out = h
        let c = Double(h.rows) / tr
        for i in out.data.indices { out.data[i] = cydScaled(out.data[i], c) }
        return out
    }

    /// ψ_p = s(z_p)ᵀ h s̄(z_p) at every point.
    public func psi(_ h: ComplexMatrix) throws -> [Double] {
        try checkForm(h)
        var out = [Double](repeating: 0, count: pointCount)
        try forEachBlock(h: h) { range, _, psi, _ in for (i, p) in range.enumerated() { out[p] = psi[i] } }
        return out
    }

    /// T(h)_{αβ̄} = N_k/(N_p Vol_CY) Σ_p w_p s_α s̄_β/ψ_p (Hermitian N_k × N_k).
    public func tOperator(_ h: ComplexMatrix) throws -> ComplexMatrix {
        var m = try conjugateT(h)
        for i in m.data.indices { m.data[i] = m.data[i].conjugate }
        return m
    }

    /// One Donaldson step: conj(T(h))⁻¹, rescaled to tr = N_k.
    public func step(_ h: ComplexMatrix) throws -> ComplexMatrix {
        let m = try conjugateT(h)
        do {
            // One OpenBLAS thread: the inverse's bits (hence every later step's) the same on any core count.
            return DonaldsonBalancing.normalised(try SingleThreadedLAPACK.run { try LinearAlgebra.hermitianInverse(m) })
        } catch let e as LinearAlgebraError {
            throw InputError("Donaldson: T-operator: \(e); expected more points than sections")
        }
    }

    /// Iterates `step` from `initial` (default `initialForm`) until the relative change ‖h_{t+1} − h_t‖_F/‖h_t‖_F
    /// (both at tr = N_k) falls below `tolerance`, or `maxIterations` steps.
    public func balance(initial: ComplexMatrix? = nil, tolerance: Double = 1e-6, maxIterations: Int = 50,
                        progress: ((Int, Double) -> Void)? = nil) throws -> DonaldsonResult {
        guard tolerance > 0, maxIterations >= 1 else {
            throw InputError("Donaldson: tolerance \(tolerance) and maxIterations \(maxIterations), expected > 0 and ≥ 1")
        }
        var h = DonaldsonBalancing.normalised(initial ?? DonaldsonBalancing.initialForm(basis))
        var changes: [Double] = []
        var times: [Double] = []
        var converged = false
        for it in 1...maxIterations {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let next = try step(h)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
            var num = 0.0, den = 0.0
            for i in h.data.indices { num += (next.data[i] - h.data[i]).lengthSquared; den += h.data[i].lengthSquared }
            let change = (num / den).squareRoot()
            changes.append(change)
            h = next
            progress?(it, change)
            if change < tolerance { converged = true; break }
        }
        return DonaldsonResult(h: h, iterations: changes.count, changes: changes, converged: converged, iterationSeconds: times)
    }

    // MARK: - Internals

    func checkForm(_ h: ComplexMatrix) throws {
        guard h.rows == basis.count && h.cols == basis.count else {
            throw InputError("Donaldson: h is \(h.rows)×\(h.cols), expected \(basis.count)×\(basis.count) (N_k)")
        }
        if let i = h.data.firstIndex(where: { !($0.real.isFinite && $0.imaginary.isFinite) }) {
            throw InputError("Donaldson: h entry (\(i / h.cols), \(i % h.cols)) is not finite, expected a finite Hermitian matrix")
        }
    }

    /// Runs `body(range, S, ψ, U)` for consecutive blocks of points (in order, on the calling thread), with S the
    /// block's section values [B, N_k], ψ [B] and U = S·L for the Cholesky factor h = L L† (so ψ_p = ‖U_p‖²,
    /// one ZTRMM: half the flops of S·h).
    func forEachBlock(h: ComplexMatrix, points range: Range<Int>? = nil,
                      _ body: (Range<Int>, UnsafeMutableBufferPointer<Complex<Double>>, UnsafeMutableBufferPointer<Double>,
                               UnsafeMutableBufferPointer<Complex<Double>>) -> Void) throws {
        let lower: ComplexMatrix
        do { lower = try SingleThreadedLAPACK.run { try LinearAlgebra.cholesky(h) } } catch {
            throw InputError("Donaldson: h is not positive definite (\(error)), expected a positive-definite Hermitian form")
        }
        let n = basis.count, d = basis.variables, bs = min(blockSize, pointCount)
        let range = range ?? 0..<pointCount
        var s = [Complex<Double>](repeating: .zero, count: bs * n)
        var y = [Complex<Double>](repeating: .zero, count: bs * n)
        var psi = [Double](repeating: 0, count: bs)
        let threads = max(1, min(activeCores, 8))
        let basis = self.basis
        var hd = lower.data
        points.withUnsafeBufferPointer { pz in
            s.withUnsafeMutableBufferPointer { ps in
                y.withUnsafeMutableBufferPointer { py in
                    psi.withUnsafeMutableBufferPointer { pp in
                        hd.withUnsafeMutableBufferPointer { ph in
                            var start = range.lowerBound
                            while start < range.upperBound {
                                let b = min(bs, range.upperBound - start)
                                // sections, split over threads by points (each row is independent)
                                let per = (b + threads - 1) / threads, s0 = start
                                let sBase = SendablePointer(ps.baseAddress!), zBase = SendablePointer(readOnly: pz.baseAddress!)
                                DispatchQueue.concurrentPerform(iterations: threads) { t in
                                    let lo = t * per, hi = min(b, lo + per)
                                    if lo >= hi { return }
                                    basis.evaluate(points: UnsafeBufferPointer(start: zBase.pointer + (s0 + lo) * d, count: (hi - lo) * d),
                                                   pointCount: hi - lo, order: .values,
                                                   into: UnsafeMutableBufferPointer(start: sBase.pointer + lo * n, count: (hi - lo) * n))
                                }
                                // U = S L (ZTRMM in place on a copy of S); ψ_p = ‖U_p‖²
                                var one = Complex<Double>(1, 0)
                                py.baseAddress!.update(from: ps.baseAddress!, count: b * n)
                                cblas_ztrmm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, Int32(b), Int32(n),
                                            &one, ph.baseAddress, Int32(n), py.baseAddress, Int32(n))
                                for i in 0..<b {
                                    var acc = 0.0
                                    for a in 0..<n { acc += py[i * n + a].lengthSquared }
                                    pp[i] = acc
                                }
                                body(start..<(start + b), UnsafeMutableBufferPointer(rebasing: ps[0..<(b * n)]),
                                     UnsafeMutableBufferPointer(rebasing: pp[0..<b]),
                                     UnsafeMutableBufferPointer(rebasing: py[0..<(b * n)]))
                                start += b
                            }
                        }
                    }
                }
            }
        }
    }

    /// conj(T(h)) = N_k/Σw · Σ_p (w_p/ψ_p) s̄_p s_pᵀ: per block of `blockSize` points one ZHERK (A†A, A_p = √(w_p/ψ_p) s_p,
    /// upper triangle), the blocks summed by a fixed tree (`BlockSumTree`, block j its leaf j); this rank evaluates its
    /// share of the blocks; the ranks' trees are merged on the way to rank 0 and the total sent to every rank.
    func conjugateT(_ h: ComplexMatrix) throws -> ComplexMatrix {
        try checkForm(h)
        let n = basis.count, bs = min(blockSize, pointCount)
        let blocks = (pointCount + bs - 1) / bs
        var tree = BlockSumTree(valueCount: 2 * n * n, chunkCount: 1)
        var term = [Double](repeating: 0, count: 2 * n * n)
        var badPoint: Int?
        let mine = group.share(of: blocks)
        if !mine.isEmpty {
            try forEachBlock(h: h, points: (mine.lowerBound * bs)..<min(pointCount, mine.upperBound * bs)) { range, s, psi, _ in
                for (i, p) in range.enumerated() {
                    guard psi[i] > 0 && psi[i].isFinite else { if badPoint == nil { badPoint = p }; continue }
                    let c = (weights[p] / psi[i]).squareRoot()
                    for a in 0..<n { s[i * n + a] = cydScaled(s[i * n + a], c) }
                }
                term.withUnsafeMutableBytes { t in
                    cblas_zherk(CblasRowMajor, CblasUpper, CblasConjTrans, Int32(n), Int32(range.count), 1.0,
                                s.baseAddress, Int32(n), 0.0, t.baseAddress, Int32(n))
                }
                tree.add(chunk: 0, block: range.lowerBound / bs, count: range.count, sums: term)
            }
        }
        if group.size > 1 {
            let bad: [Int?] = group.allGather(json: badPoint)
            badPoint = bad.compactMap { $0 }.min()
        }
        if let p = badPoint {
            throw InputError("Donaldson: s†hs̄ = \(try psi(h)[p]) at point \(p), expected h positive definite")
        }
        // the ranks' trees merged pairwise on the way to rank 0, whose total goes to every rank
        let m = group.size == 1 ? tree.chunkTotals()[0].sums
            : group.broadcast(doubles: group.mergeToRoot(tree).map { $0.chunkTotals()[0].sums } ?? [])
        let scale = Double(n) / weights.reduce(0, +)
        var out = ComplexMatrix(rows: n, cols: n)
        for a in 0..<n {
            for b in a..<n {
                let v = cydScaled(Complex(m[2 * (a * n + b)], m[2 * (a * n + b) + 1]), scale)
                out[a, b] = v
                out[b, a] = v.conjugate
            }
            out[a, a] = Complex(out[a, a].real, 0)
        }
        return out
    }
}

/// The outcome of `DonaldsonBalancing.balance`.
public struct DonaldsonResult: Sendable {
    /// The balanced hermitian form h (tr h = N_k), convention ψ = sᵀ h s̄.
    public let h: ComplexMatrix
    /// Steps taken.
    public let iterations: Int
    /// Relative change ‖h_{t+1} − h_t‖_F/‖h_t‖_F after each step.
    public let changes: [Double]
    /// Whether the last change fell below the tolerance.
    public let converged: Bool
    /// Wall time of each step (s).
    public let iterationSeconds: [Double]
}

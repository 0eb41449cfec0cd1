import CNumericLibs
import Foundation
import Numerics
import NumericCore

/// Shiffman–Zelditch sampling of a complete intersection with ALL intersection points kept
/// (Douglas–Karp–Lukic–Reinbacher, arXiv hep-th/0612075; for complete intersections Braun–Brelidze–Douglas–Ovrut,
/// arXiv 0712.3563).
///
/// Draw r-th factor points p_0^{(r)}, …, p_{d_r}^{(r)} uniformly on S^{2n_r+1} (FS-distributed in P^{n_r}),
/// d = `Variety.samplingDegrees`, and intersect X with the linear space
/// z^{(r)} = p_0^{(r)} + Σ_{j=1}^{d_r} t_{rj} p_j^{(r)}. Every solution is kept, so the points follow the mixed FS
/// measure ∧_r J_r^{n_r − d_r}|_X exactly (cymetric's CICY generator keeps one root per draw and is biased).
/// The reduced system is solved by a plan fixed per variety: an equation univariate in one remaining
/// parameter is solved for all its roots (coefficients from a DFT of the
/// equation on the unit circle; Aberth–Ehrlich iteration, with the eigenvalues of the companion matrix by LAPACK's
/// Hessenberg QR, zhseqr, as the fallback), all branches followed; an equation linear in the remaining parameters
/// eliminates one of them; two equations in the same two parameters of one factor are solved through the
/// Sylvester resultant in one parameter (degree da·db, Bézout) and the matching root of the other, then 2×2 Newton.
/// (Hypersurfaces: one univariate step of degree deg Q — 5 roots per line on the quintic; bicubic: 3; Tian–Yau:
/// cubic × (linear, cubic) = 9; Schoen: cubic × cubic = 9; [P⁵|3 3]: resultant of degree 9.) Other systems are
/// rejected with an `InputError`. The two-unknown step loses ≈ 1e-4 of the roots to the residual check (counted).
///
/// Every root is polished by Newton steps in the ambient patch (minimum-norm step), patch-normalised
/// (`Patch`), and kept only if max_a |Q_a| < `residualTolerance` (1e-10) and it is not too close to the
/// singular locus; the others are counted in `DroppedPoints`.
///
/// Randomness: draw (line) number i uses `RandomStream(seed: seed, stream: i)`; points are emitted in draw
/// order and the sample is truncated to N, so the result does not depend on the number of threads.
public struct PointSampler: Sendable {
    /// The variety X sampled.
    public let variety: Variety
    /// Newton-polished points must satisfy max_a |Q_a| < this (patch-normalised coordinates).
    public var residualTolerance = 1e-10
    /// Points with |det B|/∏_a(deg_a Σ_m|c_am|) below this are dropped as too close to the singular locus.
    public var singularTolerance = 1e-9
    /// Roots per draw (product of the univariate degrees), = ∫_X ∧_r J_r^{n_r−d_r}.
    public let rootsPerDraw: Int
    let plan: [Step]
    let unknownFactor: [Int]
    let sampling: [Int]

    enum Step: Sendable {
        case univariate(equation: Int, unknown: Int, degree: Int)
        case linear(equation: Int, unknowns: [Int])
        /// Two equations in the same two unknowns (of one factor), total degrees da, db: Bézout's da·db roots.
        case bivariate(equations: (Int, Int), unknowns: (Int, Int), degrees: (Int, Int))
    }

    /// A sampler of `v`: plans how each draw (a line, or a linear space on a complete intersection) is solved,
    /// and counts the roots per draw.
    /// - Throws: `InputError` when the reduced Shiffman–Zelditch system has no univariate, linear or two-unknown step.
    public init(variety v: Variety) throws {
        self.variety = v
        let f = v.ambient.factorCount, k = v.equationCount
        sampling = v.samplingDegrees
        var uf: [Int] = []
        for r in 0..<f { for _ in 0..<sampling[r] { uf.append(r) } }
        unknownFactor = uf
        // structural plan
        var dep = (0..<f).map { r in (0..<k).map { uf[$0] == r } }
        var free = Set(0..<k), eqs = Array(0..<k)
        var steps: [Step] = []
        var roots = 1
        while !eqs.isEmpty {
            func unknowns(_ a: Int) -> [Int] {
                free.filter { u in (0..<f).contains { r in v.multidegrees[a][r] > 0 && dep[r][u] } }.sorted()
            }
            var chosen: Step? = nil
            var bestDeg = Int.max
            for a in eqs {
                let us = unknowns(a)
                if us.count == 1 {
                    let u = us[0]
                    let deg = (0..<f).reduce(0) { $0 + (dep[$1][u] ? v.multidegrees[a][$1] : 0) }
                    if deg < bestDeg { bestDeg = deg; chosen = .univariate(equation: a, unknown: u, degree: deg) }
                }
            }
            if chosen == nil {
                for a in eqs {
                    let us = unknowns(a)
                    guard !us.isEmpty else { continue }
                    let factors = (0..<f).filter { r in v.multidegrees[a][r] > 0 && us.contains { dep[r][$0] } }
                    let total = factors.reduce(0) { $0 + v.multidegrees[a][$1] }
                    // all factors touched by these unknowns must depend on exactly the same set
                    let touched = (0..<f).filter { r in us.contains { dep[r][$0] } }
                    let sameSet = touched.allSatisfy { r in free.filter { dep[r][$0] }.sorted() == us }
                    if total == 1 && sameSet { chosen = .linear(equation: a, unknowns: us); break }
                }
            }
            if chosen == nil {
                // two equations depending on the same two unknowns, which only one factor carries
                outer: for (ia, a) in eqs.enumerated() {
                    let us = unknowns(a)
                    guard us.count == 2 else { continue }
                    let touched = (0..<f).filter { r in us.contains { dep[r][$0] } }
                    guard touched.count == 1, free.filter({ dep[touched[0]][$0] }).sorted() == us else { continue }
                    for b in eqs[(ia + 1)...] where unknowns(b) == us {
                        let r = touched[0]
                        chosen = .bivariate(equations: (a, b), unknowns: (us[0], us[1]),
                                            degrees: (v.multidegrees[a][r], v.multidegrees[b][r]))
                        break outer
                    }
                }
            }
            guard let step = chosen else {
                throw InputError("variety \(v.name): the reduced Shiffman–Zelditch system (sampling degrees \(sampling)) has no univariate, linear or two-unknown step; a general polynomial-system solver is not implemented")
            }
            switch step {
            case let .univariate(a, u, deg):
                roots *= deg
                free.remove(u); eqs.removeAll { $0 == a }
                for r in 0..<f { dep[r][u] = false }
            case let .linear(a, us):
                // the pivot is chosen per draw; structurally one unknown of `us` disappears
                let pivot = us.last!
                free.remove(pivot); eqs.removeAll { $0 == a }
                for r in 0..<f { dep[r][pivot] = false }
            case let .bivariate(ab, uv, degs):
                roots *= degs.0 * degs.1
                free.remove(uv.0); free.remove(uv.1); eqs.removeAll { $0 == ab.0 || $0 == ab.1 }
                for r in 0..<f { dep[r][uv.0] = false; dep[r][uv.1] = false }
            }
            steps.append(step)
        }
        guard roots > 0 else { throw InputError("variety \(v.name): the sampling system has no roots") }
        plan = steps
        rootsPerDraw = roots
    }

    /// Samples `count` points (ordered by draw index) from `seed` on `threads` workers (default: all cores).
    /// `progress` (if given) receives the number of points found so far after each batch.
    /// With `pullbackKahler` = t the pulled-back FS metric g_FS,pb(t) [N, n, n] is stored in the sample
    /// (`PointSample.pullbackFubiniStudy`), computed from the Jacobian the sampler forms anyway.
    /// With `checkpoints`, the batches of draws are saved there — the first, then at most every 10 s, and at a stop
    /// (`batch_J.npz`, and `sample.json` saying how many, a `RunCheckpoint` of the variety, seed and Kähler class);
    /// `stop` is polled after each batch: a signal number
    /// throws `StopRequest.Interrupted`; with `resume` the saved batches are taken instead of redrawn. A batch holds
    /// whole draws, whose points depend only on their indices, so the sample is the same bits whatever the batches,
    /// the threads or the point count the checkpoint was written with. The checkpoint is removed once the sample is
    /// complete.
    ///
    /// Under a process group of K ranks (`group`, e.g. `mpirun -np K`) rank r solves its contiguous share of every
    /// batch's blocks of draws, and the blocks are exchanged in draw order, so every rank returns the same sample —
    /// the same bits for every K (with `everyRank` false only rank 0 receives the blocks and returns the sample; the
    /// others return a sample of their own draws alone, of no use but to be dropped); rank 0 alone reads and writes the checkpoint (its saved draws go to the others on
    /// a resume), and a stop signal seen by any rank stops all of them after the same batch.
    public func sample(count: Int, seed: UInt64, threads: Int? = nil, pullbackKahler: [Double]? = nil,
                       checkpoints: URL? = nil, resume: Bool = false, stop: () -> Int32? = { nil },
                       log: (String) -> Void = { _ in }, progress: ((Int) -> Void)? = nil,
                       group: any ProcessGroup = ProcessGroups.current, everyRank: Bool = true) throws -> PointSample {
        if let t = pullbackKahler, t.count != variety.ambient.factorCount {
            throw InputError("Kähler moduli: \(t.count) values, expected \(variety.ambient.factorCount)")
        }
        guard count >= 1 else { throw InputError("points: \(count), expected a positive number of points") }
        let v = variety
        let workers = max(1, threads ?? activeCores)
        var results: [DrawBlock] = []
        var found = 0
        var nextDraw = 0
        let blockDraws = 512
        let file = checkpoints.map {
            RunCheckpoint<SavedBatches>(url: $0.appendingPathComponent("sample.json"),
                                        fingerprint: "cy sample v1 \(v.fingerprint) seed=\(seed) kahler=\(pullbackKahler.map { "\($0.map(\.bitPattern))" } ?? "none")",
                                        command: "cy sample")
        }
        var saved = SavedBatches()
        var unsaved = 0, lastSave = Date()   // results[unsaved...] are not in the checkpoint yet
        let root = group.isRoot
        if resume, root, let file, let c = checkpoints, let state = try file.load(warn: log) {
            for j in 0..<state.batches {
                let b = try DrawBlock(npz: c.appendingPathComponent("batch_\(j).npz"), variety: v, pullback: pullbackKahler != nil)
                results.append(b); found += b.kept
            }
            saved = state; nextDraw = state.nextDraw; unsaved = results.count
            log("resuming: \(found) points of \(state.batches) batches (\(nextDraw) draws) taken from the checkpoint")
            progress?(min(found, count))
        }
        if resume && group.size > 1 {
            // rank 0's saved draws, as one block, and where to go on
            let bytes = group.broadcast(root && !results.isEmpty ? DrawBlock(concatenating: results).packed() : [])
            if !root && !bytes.isEmpty {
                let b = try DrawBlock(packed: bytes, name: "the checkpoint sent by rank 0", variety: v, pullback: pullbackKahler != nil)
                results = [b]; found = b.kept
            }
            nextDraw = group.broadcast(json: nextDraw)
        }
        let lanes = workers * group.size
        while found < count {
            let deficit = count - found
            // batches of at most 40 000 lines per rank, so progress is reported; the result does not depend on the batching
            let draws = min(40_000 * group.size, max(lanes, Int((Double(deficit) / Double(rootsPerDraw) * 1.02).rounded(.up)) + 2))
            let nBlocks = (draws + blockDraws - 1) / blockDraws
            let batch = UnsafeMutableBufferPointer<DrawBlock?>.allocate(capacity: nBlocks)
            batch.initialize(repeating: nil)
            defer { batch.deallocate() }
            let slots = SendablePointer(batch.baseAddress!)
            let start = nextDraw
            let sampler = self
            // blocks handed out dynamically (a worker on a busy core takes fewer); each block's content depends only
            // on its draw indices, so the result does not depend on the schedule
            let mine = group.share(of: nBlocks)
            let queue = BlockQueue(count: mine.count)
            DispatchQueue.concurrentPerform(iterations: max(1, min(workers, mine.count))) { _ in
                let solver = DrawSolver(sampler)
                solver.pullbackKahler = pullbackKahler
                while let j = queue.next() {
                    let b = mine.lowerBound + j
                    let lo = start + b * blockDraws, hi = start + min(draws, (b + 1) * blockDraws)
                    slots.pointer[b] = solver.run(draws: lo..<hi, seed: seed)
                }
            }
            if group.size == 1 {
                for b in 0..<nBlocks { let r = batch[b]!; results.append(r); found += r.kept }
            } else {
                // every rank's blocks, in rank order = draw order, to rank 0 (and on to every rank when asked)
                let ownBlocks = mine.map { batch[$0]! }
                let parts: [[UInt8]]
                if everyRank {
                    parts = group.allGather(DrawBlock(concatenating: ownBlocks).packed())
                } else if root {
                    parts = group.gatherToRoot([]) ?? []
                } else {
                    let own = DrawBlock(concatenating: ownBlocks)
                    _ = group.gatherToRoot(own.packed())
                    results.append(own); parts = []
                }
                for (r, bytes) in parts.enumerated() {
                    if r == group.rank { for b in ownBlocks { results.append(b); found += b.kept }; continue }
                    let b = try DrawBlock(packed: bytes, name: "the draws sent by rank \(r)", variety: v, pullback: pullbackKahler != nil)
                    results.append(b); found += b.kept
                }
                if !everyRank { found = group.broadcast(json: found) }
            }
            nextDraw = start + draws
            let signal = found < count ? group.anyStop(stop()) : nil
            if root, let file, let c = checkpoints, found < count,
               saved.batches == 0 || signal != nil || Date().timeIntervalSince(lastSave) > 10 {
                // The blocks drawn since the last save as one block (concatenated in draw order), then the record
                // naming it; at most every 10 s, so that the checkpoint does not double the run's I/O.
                try FileManager.default.createDirectory(at: c, withIntermediateDirectories: true)
                try AtomicFile.durably {   // a checkpoint: on the disk before the record names it
                    try DrawBlock(concatenating: Array(results[unsaved...])).write(to: c.appendingPathComponent("batch_\(saved.batches).npz"))
                }
                saved.batches += 1; saved.nextDraw = nextDraw
                try file.save(saved)
                unsaved = results.count; lastSave = Date()
            }
            progress?(min(found, count))
            if let sig = signal {
                throw StopRequest.Interrupted(signal: sig, detail: "after \(found) of \(count) points"
                    + (checkpoints.map { "; the batches drawn are in \($0.path): rerun with --resume to continue" } ?? ""))
            }
            if nextDraw > 1000 * count + 10_000 {
                throw InputError("variety \(v.name): only \(found) of \(count) points kept after \(nextDraw) draws (dropped: \(results.reduce(into: 0) { $0 += $1.drawDropped.reduce(0) { $0 + $1.total } }))")
            }
        }
        // The sample is complete: its batches are not needed again (they would double the run's disk use).
        if root, let checkpoints { try? FileManager.default.removeItem(at: checkpoints) }
        // concatenate in draw order and truncate to `count` (drops counted over the draws used): whole blocks are
        // copied in bulk; only the block holding the count-th point is cut at a draw boundary
        let d = v.coordinateCount, f = v.ambient.factorCount, k = v.equationCount
        var pts: [ComplexDouble] = [], pat: [Int] = [], dep: [Int] = [], om: [Double] = [], rw: [Double] = [], det: [Double] = []
        pts.reserveCapacity(count * d); pat.reserveCapacity(count * f); dep.reserveCapacity(count * k)
        om.reserveCapacity(count); rw.reserveCapacity(count); det.reserveCapacity(count)
        var dropped = DroppedPoints(), usedDraws = 0, maxRes = 0.0
        let nn = v.dimension * v.dimension
        var pbs: [ComplexDouble] = []
        if pullbackKahler != nil { pbs.reserveCapacity(count * nn) }
        for blk in results where om.count < count && !blk.draws.isEmpty {
            // draws of this block that are used: all if the block fits, else up to the draw holding the last point
            var usedInBlock = blk.draws.count
            if om.count + blk.kept >= count {
                let need = count - om.count
                usedInBlock = blk.drawOffsets.firstIndex { $0 >= need }!   // offsets[j] = points of draws < j
            }
            for j in 0..<usedInBlock { dropped = dropped + blk.drawDropped[j] }
            usedDraws = blk.draws[usedInBlock - 1] + 1
            let take = min(blk.kept, count - om.count)
            pts += blk.points[0..<(take * d)]
            pat += blk.patch[0..<(take * f)]
            dep += blk.dependent[0..<(take * k)]
            om += blk.omegaSquared[0..<take]; rw += blk.rawWeights[0..<take]; det += blk.detFS[0..<take]
            if pullbackKahler != nil { pbs += blk.pullback[0..<(take * nn)] }
            maxRes = max(maxRes, blk.residual[0..<take].max() ?? 0)
        }
        return PointSample(variety: v, seed: seed, points: pts, patch: pat, dependent: dep, omegaSquared: om,
                           rawWeights: rw, detFubiniStudy: det, draws: usedDraws, dropped: dropped, maxResidual: maxRes,
                           pullbackFubiniStudy: pullbackKahler == nil ? nil : pbs, pullbackKahler: pullbackKahler)
    }
}

extension PointSampler {
    /// Computes the sample data (patch, dependent coordinates, |Ω|², weights, det g_FS) for externally given
    /// points z [N, D] (e.g. loaded from points.npy or produced by another code), assumed distributed by the mixed FS
    /// measure of this sampler. Points are not moved (no Newton polish); a point with max|Q_a| ≥
    /// `residualTolerance`, too close to the singular locus, or with non-finite data is an `InputError`.
    public func evaluate(points: [ComplexDouble], seed: UInt64 = 0, threads: Int? = nil) throws -> PointSample {
        let v = variety, d = v.coordinateCount
        guard points.count % d == 0, !points.isEmpty else {
            throw InputError("points: \(points.count) complex values, expected a non-empty multiple of D = \(d)")
        }
        let n = points.count / d
        let chunks = max(1, min(n, 4 * max(1, threads ?? activeCores)))
        let out = UnsafeMutableBufferPointer<DrawBlock?>.allocate(capacity: chunks)
        out.initialize(repeating: nil)
        defer { out.deallocate() }
        let slots = SendablePointer(out.baseAddress!)
        let sampler = self
        points.withUnsafeBufferPointer { pp in
            let src = SendablePointer(readOnly: pp.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let solver = DrawSolver(sampler)
                slots.pointer[c] = solver.evaluate(points: src.pointer, range: (c * n / chunks)..<((c + 1) * n / chunks))
            }
        }
        let f = v.ambient.factorCount, k = v.equationCount
        var pts: [ComplexDouble] = [], pat: [Int] = [], dep: [Int] = [], om: [Double] = [], rw: [Double] = [], det: [Double] = []
        var maxRes = 0.0
        for c in 0..<chunks {
            let blk = out[c]!
            for (j, idx) in blk.draws.enumerated() where blk.drawDropped[j].total > 0 {
                let z = (0..<d).map { points[idx * d + $0] }
                var r = 0.0
                for q in v.equations { r = max(r, q.value(at: z).length) }
                throw InputError("point \(idx) is not usable on \(v.name): |Q| = \(r) (tolerance \(residualTolerance)), dropped as \(blk.drawDropped[j])")
            }
            pts += blk.points; pat += blk.patch; dep += blk.dependent
            om += blk.omegaSquared; rw += blk.rawWeights; det += blk.detFS
            maxRes = max(maxRes, blk.residual.max() ?? 0)
        }
        _ = (f, k)
        return PointSample(variety: v, seed: seed, points: pts, patch: pat, dependent: dep, omegaSquared: om,
                           rawWeights: rw, detFubiniStudy: det, draws: 0, dropped: DroppedPoints(), maxResidual: maxRes)
    }
}

/// a/b as a·conj(b)/|b|² (no overflow guards: the sampler's polynomials are O(1)-scaled).
@inline(__always) func fastDivide(_ a: ComplexDouble, _ b: ComplexDouble) -> ComplexDouble {
    let inv = 1 / (b.real * b.real + b.imaginary * b.imaginary)
    return ComplexDouble((a.real * b.real + a.imaginary * b.imaginary) * inv, (a.imaginary * b.real - a.real * b.imaginary) * inv)
}

/// Output of one block of consecutive draws.
struct DrawBlock {
    var draws: [Int] = []
    var drawOffsets: [Int] = [0]
    var drawDropped: [DroppedPoints] = []
    var points: [ComplexDouble] = []
    var patch: [Int] = []
    var dependent: [Int] = []
    var omegaSquared: [Double] = []
    var rawWeights: [Double] = []
    var detFS: [Double] = []
    var pullback: [ComplexDouble] = []
    var residual: [Double] = []
    var kept: Int { omegaSquared.count }

    /// Room for `draws` draws and up to `points` points (no reallocation while the block fills).
    mutating func reserve(draws nd: Int, points np: Int, d: Int, f: Int, k: Int, pullback nn: Int) {
        draws.reserveCapacity(nd); drawOffsets.reserveCapacity(nd + 1); drawDropped.reserveCapacity(nd)
        points.reserveCapacity(np * d); patch.reserveCapacity(np * f); dependent.reserveCapacity(np * k)
        omegaSquared.reserveCapacity(np); rawWeights.reserveCapacity(np); detFS.reserveCapacity(np)
        if nn > 0 { pullback.reserveCapacity(np * nn) }
        residual.reserveCapacity(np)
    }
}

/// The checkpoint record of `PointSampler.sample`: batches saved (`batch_J.npz`, J < batches) and the next draw index.
struct SavedBatches: Codable { var batches = 0; var nextDraw = 0 }

extension DrawBlock {
    /// One block holding `blocks` in order (draw offsets shifted, arrays concatenated).
    init(concatenating blocks: [DrawBlock]) {
        func total<T>(_ k: KeyPath<DrawBlock, [T]>) -> Int { blocks.reduce(0) { $0 + $1[keyPath: k].count } }
        draws.reserveCapacity(total(\.draws)); drawOffsets.reserveCapacity(total(\.draws) + 1)
        drawDropped.reserveCapacity(total(\.drawDropped)); points.reserveCapacity(total(\.points))
        patch.reserveCapacity(total(\.patch)); dependent.reserveCapacity(total(\.dependent))
        omegaSquared.reserveCapacity(total(\.omegaSquared)); rawWeights.reserveCapacity(total(\.rawWeights))
        detFS.reserveCapacity(total(\.detFS)); pullback.reserveCapacity(total(\.pullback)); residual.reserveCapacity(total(\.residual))
        for b in blocks {
            let base = drawOffsets.last!
            draws += b.draws; drawOffsets += b.drawOffsets.dropFirst().map { $0 + base }; drawDropped += b.drawDropped
            points += b.points; patch += b.patch; dependent += b.dependent
            omegaSquared += b.omegaSquared; rawWeights += b.rawWeights; detFS += b.detFS; pullback += b.pullback; residual += b.residual
        }
    }

    /// Writes the block as an `.npz` (complex arrays as complex128, integers as int64; the drops per draw [draws, 4]).
    func write(to url: URL) throws { try npz().write(to: url) }

    /// The block as the bytes ranks send each other: eleven Int64 array lengths, then the arrays' raw bytes in field
    /// order (the drops per draw as four Int64 each). One copy each way, no archive framing.
    func packed() -> [UInt8] {
        let ints: [[Int]] = [draws, drawOffsets, drawDropped.flatMap { [$0.residual, $0.nearSingular, $0.nonFinite, $0.missingRoots] },
                             patch, dependent]
        let reals = [omegaSquared, rawWeights, detFS, residual], complexes = [points, pullback]
        let counts = ints.map(\.count) + reals.map(\.count) + complexes.map(\.count)
        var out: [UInt8] = []
        out.reserveCapacity(8 * counts.count + 8 * (ints.joined().count + reals.joined().count) + 16 * complexes.joined().count)
        counts.map(Int64.init).withUnsafeBytes { out.append(contentsOf: $0) }
        for a in ints { a.map(Int64.init).withUnsafeBytes { out.append(contentsOf: $0) } }
        for a in reals { a.withUnsafeBytes { out.append(contentsOf: $0) } }
        for a in complexes { a.withUnsafeBytes { out.append(contentsOf: $0) } }
        return out
    }

    /// The block `packed()` gave, its sizes checked against the variety (an `InputError` naming `name`).
    init(packed b: [UInt8], name: String, variety v: Variety, pullback: Bool) throws {
        func bad() -> InputError { InputError("\(name): \(b.count) bytes that do not hold a block of draws for \(v.name)") }
        var at = 0
        func take<T>(_ n: Int, _: T.Type) throws -> [T] {
            let bytes = n * MemoryLayout<T>.stride
            guard n >= 0, at + bytes <= b.count else { throw bad() }
            defer { at += bytes }
            return [T](unsafeUninitializedCapacity: n) { buf, k in
                b.withUnsafeBytes { src in UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[at..<(at + bytes)])) }
                k = n
            }
        }
        let c = try take(11, Int64.self).map { Int($0) }
        let ints = try (0..<5).map { try take(c[$0], Int64.self).map { Int($0) } }
        omegaSquared = try take(c[5], Double.self); rawWeights = try take(c[6], Double.self)
        detFS = try take(c[7], Double.self); residual = try take(c[8], Double.self)
        points = try take(c[9], ComplexDouble.self); self.pullback = try take(c[10], ComplexDouble.self)
        draws = ints[0]; drawOffsets = ints[1]; patch = ints[3]; dependent = ints[4]
        let dd = ints[2]
        guard at == b.count, dd.count == 4 * draws.count, drawOffsets.count == draws.count + 1 else { throw bad() }
        drawDropped = (0..<draws.count).map { j in
            var d = DroppedPoints()
            d.residual = dd[4 * j]; d.nearSingular = dd[4 * j + 1]; d.nonFinite = dd[4 * j + 2]; d.missingRoots = dd[4 * j + 3]
            return d
        }
        let n = kept, nn = v.dimension * v.dimension
        guard drawOffsets.last == n, points.count == n * v.coordinateCount, patch.count == n * v.ambient.factorCount,
              dependent.count == n * v.equationCount, rawWeights.count == n, detFS.count == n, residual.count == n,
              self.pullback.count == (pullback ? n * nn : 0) else { throw bad() }
    }

    /// The block as the arrays of an `.npz` (the checkpoint file).
    func npz() -> NPZ {
        var z = NPZ()
        func ints(_ a: [Int]) -> NDArray<Int64> { NDArray(shape: [a.count], data: a.map(Int64.init)) }
        func reals(_ a: [Double]) -> NDArray<Double> { NDArray(shape: [a.count], data: a) }
        z.add("draws", ints(draws)); z.add("draw_offsets", ints(drawOffsets))
        z.add("draw_dropped", ints(drawDropped.flatMap { [$0.residual, $0.nearSingular, $0.nonFinite, $0.missingRoots] }))
        z.add("points", NDArray(shape: [points.count], data: points)); z.add("patch", ints(patch)); z.add("dependent", ints(dependent))
        z.add("omega2", reals(omegaSquared)); z.add("raw_weights", reals(rawWeights)); z.add("det_fs", reals(detFS))
        z.add("pullback", NDArray(shape: [pullback.count], data: pullback)); z.add("residual", reals(residual))
        return z
    }

    /// A block written by `write(to:)`, its sizes checked against the variety (an `InputError` naming the file
    /// when they do not fit).
    init(npz url: URL, variety v: Variety, pullback: Bool) throws {
        let z: NPZ
        do { z = try NPZ.read(url) } catch { throw InputError("checkpoint batch \(url.path) is unreadable (\(error)); expected one written by nntheory cy sample") }
        try self.init(z, name: "checkpoint batch \(url.path)", variety: v, pullback: pullback)
    }

    /// The block whose arrays `npz()` gave, its sizes checked against the variety (an `InputError` naming `name`).
    init(_ z: NPZ, name: String, variety v: Variety, pullback: Bool) throws {
        func bad(_ what: String) -> InputError { InputError("\(name): \(what) does not fit; expected a batch written by nntheory cy sample for \(v.name)") }
        func ints(_ k: String) throws -> [Int] { guard case .int64(let a)? = try z.array(k) else { throw bad(k) }; return a.data.map { Int($0) } }
        func reals(_ k: String) throws -> [Double] { guard case .float64(let a)? = try z.array(k) else { throw bad(k) }; return a.data }
        func complexes(_ k: String) throws -> [ComplexDouble] { guard case .complex128(let a)? = try z.array(k) else { throw bad(k) }; return a.data }
        draws = try ints("draws"); drawOffsets = try ints("draw_offsets")
        let dd = try ints("draw_dropped")
        guard dd.count == 4 * draws.count, drawOffsets.count == draws.count + 1 else { throw bad("draws") }
        drawDropped = (0..<draws.count).map { j in
            var d = DroppedPoints()
            d.residual = dd[4 * j]; d.nearSingular = dd[4 * j + 1]; d.nonFinite = dd[4 * j + 2]; d.missingRoots = dd[4 * j + 3]
            return d
        }
        points = try complexes("points"); patch = try ints("patch"); dependent = try ints("dependent")
        omegaSquared = try reals("omega2"); rawWeights = try reals("raw_weights"); detFS = try reals("det_fs")
        self.pullback = try complexes("pullback"); residual = try reals("residual")
        let n = kept, nn = v.dimension * v.dimension
        guard drawOffsets.last == n, points.count == n * v.coordinateCount, patch.count == n * v.ambient.factorCount,
              dependent.count == n * v.equationCount, rawWeights.count == n, detFS.count == n, residual.count == n,
              self.pullback.count == (pullback ? n * nn : 0) else { throw bad("the point arrays") }
    }
}

/// Hands out block indices 0..<count to workers, each once, in increasing order.
final class BlockQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int
    init(count: Int) { self.count = count }
    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard nextIndex < count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }
}

/// Per-thread solver with all scratch buffers preallocated.
final class DrawSolver {
    let s: PointSampler
    let v: Variety
    let d: Int, k: Int, f: Int, n: Int
    let depth: Int
    // state stacks: base [depth+1][D], coef [depth+1][K][D]
    let base: UnsafeMutablePointer<ComplexDouble>
    let coef: UnsafeMutablePointer<ComplexDouble>
    let z: UnsafeMutablePointer<ComplexDouble>
    let sphere: UnsafeMutablePointer<Double>
    let values: UnsafeMutablePointer<ComplexDouble>
    let coeffs: UnsafeMutablePointer<ComplexDouble>
    let roots: UnsafeMutablePointer<ComplexDouble>   // [depth][maxDeg]
    let companion: UnsafeMutablePointer<ComplexDouble>
    let work: UnsafeMutablePointer<ComplexDouble>
    let rwork: UnsafeMutablePointer<Double>
    let lwork: Int
    let maxDeg: Int
    let patch: UnsafeMutablePointer<Int>
    let dependent: UnsafeMutablePointer<Int>
    let jac: UnsafeMutablePointer<ComplexDouble>
    let factorMetrics: UnsafeMutablePointer<ComplexDouble>
    let mScratch: UnsafeMutablePointer<ComplexDouble>
    let qvals: UnsafeMutablePointer<ComplexDouble>
    let ws: GeometryWorkspace
    let twiddles: UnsafeMutablePointer<ComplexDouble>   // [maxDeg+1][maxDeg+1]: row δ holds e^{2πij/(δ+1)}
    let mExponents: [Int]
    let scales: [Double]
    let nFactorial: Double
    var block = DrawBlock()
    var pullbackKahler: [Double]? = nil
    var drawDrop = DroppedPoints()

    init(_ sampler: PointSampler) {
        s = sampler; v = sampler.variety
        d = v.coordinateCount; k = v.equationCount; f = v.ambient.factorCount; n = v.dimension
        depth = sampler.plan.count
        var md = 1
        for st in sampler.plan {
            if case let .univariate(_, _, deg) = st { md = max(md, deg) }
            if case let .bivariate(_, _, degs) = st { md = max(md, degs.0 * degs.1, degs.0, degs.1) }
        }
        maxDeg = md
        base = .allocate(capacity: (depth + 1) * d)
        coef = .allocate(capacity: (depth + 1) * max(k, 1) * d)
        z = .allocate(capacity: d)
        sphere = .allocate(capacity: 2 * d)
        values = .allocate(capacity: md + 1)
        coeffs = .allocate(capacity: md + 1)
        roots = .allocate(capacity: (depth + 1) * md)
        companion = .allocate(capacity: md * md)
        lwork = max(64, 4 * md)
        work = .allocate(capacity: lwork)
        rwork = .allocate(capacity: 2 * md + 2)
        patch = .allocate(capacity: f)
        dependent = .allocate(capacity: k)
        jac = .allocate(capacity: n * d)
        factorMetrics = .allocate(capacity: f * n * n)
        let grid = Int(pow(Double(n + 1), Double(f - 1)))
        mScratch = .allocate(capacity: 2 * n * n + 2 * grid + 16 + n)
        qvals = .allocate(capacity: k)
        twiddles = .allocate(capacity: (md + 1) * (md + 1))
        for deg in 0...md {
            for j in 0...deg {
                let ang = 2 * Double.pi * Double(j) / Double(deg + 1)
                twiddles[deg * (md + 1) + j] = ComplexDouble(cos(ang), sin(ang))
            }
        }
        ws = GeometryWorkspace(v)
        let vv = sampler.variety
        nFactorial = Double(IntegrationWeights.factorial(vv.dimension))
        mExponents = (0..<vv.ambient.factorCount).map { vv.ambient.dimensions[$0] - sampler.sampling[$0] }
        scales = (0..<vv.equationCount).map { a in Double(vv.multidegrees[a].reduce(0, +)) * vv.equations[a].coefficientNorm }
    }

    deinit {
        base.deallocate(); coef.deallocate(); z.deallocate(); sphere.deallocate(); values.deallocate()
        coeffs.deallocate(); roots.deallocate(); companion.deallocate(); work.deallocate(); rwork.deallocate()
        patch.deallocate(); dependent.deallocate(); jac.deallocate(); factorMetrics.deallocate()
        mScratch.deallocate(); qvals.deallocate(); twiddles.deallocate()
    }

    func run(draws: Range<Int>, seed: UInt64) -> DrawBlock {
        block = DrawBlock()
        block.reserve(draws: draws.count, points: draws.count * s.rootsPerDraw, d: d, f: f, k: k,
                      pullback: pullbackKahler == nil ? 0 : n * n)
        for i in draws {
            drawDrop = DroppedPoints()
            var rng = RandomStream(seed: seed, stream: UInt64(i))
            // linear space: base = p_0 per factor, coef[u] = p_j in u's factor
            for e in 0..<(k * d) { coef[e] = .zero }
            var u = 0
            for r in 0..<f {
                let range = v.ambient.range(ofFactor: r)
                for slot in 0...s.sampling[r] {
                    let m = 2 * range.count
                    rng.onSphere(UnsafeMutableBufferPointer(start: sphere, count: m))
                    let dst = slot == 0 ? base : coef + u * d
                    for (c, j) in range.enumerated() { dst[j] = ComplexDouble(sphere[2 * c], sphere[2 * c + 1]) }
                    if slot > 0 { u += 1 }
                }
            }
            solve(step: 0)
            block.draws.append(i)
            block.drawDropped.append(drawDrop)
            block.drawOffsets.append(block.kept)
        }
        return block
    }

    @inline(__always) func evalAlong(_ a: Int, level: Int, unknown u: Int, _ t: ComplexDouble) -> ComplexDouble {
        let b = base + level * d, c = coef + level * k * d + u * d
        for j in 0..<d { z[j] = b[j] + t * c[j] }
        return v.equations[a].value(at: z)
    }

    func solve(step: Int) {
        let b = base + step * d, c = coef + step * k * d
        if step == s.plan.count {
            finish(point: b)
            return
        }
        let nb = base + (step + 1) * d, nc = coef + (step + 1) * k * d
        switch s.plan[step] {
        case let .univariate(a, u, deg):
            // coefficients of p(t) = Q_a(b + t c_u) by a DFT over the (deg+1)-th roots of unity
            let m = deg + 1
            let tw = twiddles + deg * (maxDeg + 1)     // tw[j] = e^{2πij/m}
            for j in 0..<m { values[j] = evalAlong(a, level: step, unknown: u, tw[j]) }
            var cmax = 0.0
            for kk in 0..<m {
                var acc = ComplexDouble.zero
                for j in 0..<m { acc = acc + values[j] * tw[(m - (j * kk) % m) % m] }
                coeffs[kk] = acc / ComplexDouble(Double(m), 0)
                cmax = max(cmax, coeffs[kk].lengthSquared)
            }
            var eff = deg
            while eff > 0 && coeffs[eff].lengthSquared <= 1e-26 * cmax { eff -= 1 }   // |c| ≤ 1e-13 max|c|
            drawDrop.missingRoots += (deg - eff) * rootsBelow(step)
            guard eff > 0 else { return }
            let rts = roots + step * maxDeg
            if eff == 1 {
                rts[0] = -coeffs[0] / coeffs[1]
            } else if !aberthRoots(eff, rts), !companionRoots(eff, rts) {
                drawDrop.nonFinite += eff * rootsBelow(step); return
            }
            // polish every root before branching (deeper steps reuse `coeffs`)
            for r in 0..<eff {
                var t = rts[r]
                // Newton polish on the univariate polynomial (Horner)
                for _ in 0..<3 {
                    var p = coeffs[eff], dp = ComplexDouble.zero
                    for kk in stride(from: eff - 1, through: 0, by: -1) { dp = dp * t + p; p = p * t + coeffs[kk] }
                    guard dp != .zero else { break }
                    let step = fastDivide(p, dp)
                    if !(step.real.isFinite && step.imaginary.isFinite) { break }
                    t = t - step
                    if step.lengthSquared <= 1e-32 * max(1, t.lengthSquared) { break }
                }
                rts[r] = t
            }
            for r in 0..<eff {
                let t = rts[r]
                guard t.real.isFinite && t.imaginary.isFinite else { drawDrop.nonFinite += rootsBelow(step); continue }
                // substitute: per factor touched by u, z_r = b_r + t c_r (or b_r/t + c_r when |t| > 1)
                for e in 0..<(k * d) { nc[e] = c[e] }
                let cu = c + u * d
                let big = t.lengthSquared > 1
                let inv = big ? ComplexDouble(1, 0) / t : .zero
                for rr in 0..<f {
                    let range = v.ambient.range(ofFactor: rr)
                    var touched = false
                    for j in range where cu[j] != .zero { touched = true }
                    for j in range {
                        if !touched { nb[j] = b[j] } else { nb[j] = big ? b[j] * inv + cu[j] : b[j] + t * cu[j] }
                    }
                }
                for j in 0..<d { nc[u * d + j] = .zero }
                solve(step: step + 1)
            }
        case let .bivariate(ab, uv, degs):
            solveBivariate(step: step, equations: ab, unknowns: uv, degrees: degs)
        case let .linear(a, us):
            // Q_a(b + Σ s_v c_v) = c0 + Σ_v l_v s_v; eliminate the unknown with the largest |l_v|
            for j in 0..<d { z[j] = b[j] }
            let c0 = v.equations[a].value(at: z)
            var pivot = us[0], best = -1.0
            var lin = [ComplexDouble](repeating: .zero, count: us.count)
            for (idx, uu) in us.enumerated() {
                lin[idx] = evalAlong(a, level: step, unknown: uu, ComplexDouble(1, 0)) - c0
                if lin[idx].length > best { best = lin[idx].length; pivot = uu }
            }
            let pidx = us.firstIndex(of: pivot)!
            guard best > 0 else { drawDrop.missingRoots += rootsBelow(step); return }
            let lp = lin[pidx]
            let cp = c + pivot * d
            let shift = -c0 / lp
            for j in 0..<d { nb[j] = b[j] + shift * cp[j] }
            for e in 0..<(k * d) { nc[e] = c[e] }
            for (idx, uu) in us.enumerated() where uu != pivot {
                let fac = -lin[idx] / lp
                for j in 0..<d { nc[uu * d + j] = c[uu * d + j] + fac * cp[j] }
            }
            for j in 0..<d { nc[pivot * d + j] = .zero }
            // the plan removed `us.last`; relabel so the surviving unknown sits where the plan expects it
            let planned = us.last!
            if pivot != planned {
                for j in 0..<d { nc[pivot * d + j] = nc[planned * d + j]; nc[planned * d + j] = .zero }
            }
            solve(step: step + 1)
        }
    }

    /// Evaluates given points (no polishing): patch, dependent coordinates, |Ω|², ρ, det g_FS for each.
    func evaluate(points: UnsafePointer<ComplexDouble>, range: Range<Int>) -> DrawBlock {
        block = DrawBlock()
        for i in range {
            drawDrop = DroppedPoints()
            for j in 0..<d { base[j] = points[i * d + j] }
            finish(point: base, polish: false)
            block.draws.append(i)
            block.drawDropped.append(drawDrop)
            block.drawOffsets.append(block.kept)
        }
        return block
    }

    /// Coefficients C[i·(deg+1) + j] of s^i t^j in Q_a(b + s c_u + t c_v) (total degree ≤ deg) by a 2-D DFT on the
    /// (deg+1)-th roots of unity.
    func bivariateCoefficients(_ a: Int, level: Int, _ u: Int, _ w: Int, _ deg: Int) -> [ComplexDouble] {
        let m = deg + 1
        let b = base + level * d, cu = coef + level * k * d + u * d, cw = coef + level * k * d + w * d
        var vals = [ComplexDouble](repeating: .zero, count: m * m)
        let tw = (0..<m).map { j -> ComplexDouble in let ang = 2 * Double.pi * Double(j) / Double(m); return ComplexDouble(cos(ang), sin(ang)) }
        for p in 0..<m { for q in 0..<m {
            for j in 0..<d { z[j] = b[j] + tw[p] * cu[j] + tw[q] * cw[j] }
            vals[p * m + q] = v.equations[a].value(at: z)
        } }
        var out = [ComplexDouble](repeating: .zero, count: m * m)
        for i in 0..<m { for j in 0..<m where i + j <= deg {
            var acc = ComplexDouble.zero
            for p in 0..<m { for q in 0..<m { acc = acc + vals[p * m + q] * tw[(m - (p * i + q * j) % m) % m] } }
            out[i * m + j] = acc / ComplexDouble(Double(m * m), 0)
        } }
        return out
    }

    /// Value and partial derivatives of Σ C_ij s^i t^j.
    @inline(__always) func bivariateEval(_ c: [ComplexDouble], _ deg: Int, _ sv: ComplexDouble, _ tv: ComplexDouble) -> (ComplexDouble, ComplexDouble, ComplexDouble) {
        let m = deg + 1
        var f = ComplexDouble.zero, fs = ComplexDouble.zero, ft = ComplexDouble.zero
        var si = ComplexDouble(1, 0)
        for i in 0...deg {
            var tj = ComplexDouble(1, 0)
            for j in 0...(deg - i) {
                let cij = c[i * m + j]
                f = f + cij * si * tj
                if i > 0 { fs = fs + cij * ComplexDouble(Double(i), 0) * Polynomial.power(sv, i - 1) * tj }
                if j > 0 { ft = ft + cij * ComplexDouble(Double(j), 0) * si * Polynomial.power(tv, j - 1) }
                tj = tj * tv
            }
            si = si * sv
        }
        return (f, fs, ft)
    }

    /// Two equations f, g in two unknowns (s, t): the resultant R(t) = det Sylvester_s(f, g)(t) (degree ≤ da·db) from
    /// its values on the unit circle, all its roots t_k, for each the root s of f(·, t_k) whose Newton iteration on
    /// (f, g) converges to a new solution. If fewer than da·db solutions converge, the roles of s and t are swapped
    /// and the new converged solutions added; what is still missing is passed on unconverged (the residual check
    /// then drops and counts it) or counted as missing. Every (s, t) is substituted and the plan continues.
    func solveBivariate(step: Int, equations ab: (Int, Int), unknowns uv: (Int, Int), degrees degs: (Int, Int)) {
        let expected = degs.0 * degs.1
        let first = bivariateSolutions(step: step, equations: ab, unknowns: uv, degrees: degs)
        var solutions = first.filter { $0.2 }.map { ($0.0, $0.1) }
        func isNew(_ sv: ComplexDouble, _ tv: ComplexDouble) -> Bool {
            !solutions.contains { ($0.0 - sv).lengthSquared + ($0.1 - tv).lengthSquared < 1e-16 * max(1, sv.lengthSquared + tv.lengthSquared) }
        }
        if solutions.count < expected {
            for (tv, sv, conv) in bivariateSolutions(step: step, equations: ab, unknowns: (uv.1, uv.0), degrees: degs)
            where conv && isNew(sv, tv) && solutions.count < expected {
                solutions.append((sv, tv))
            }
        }
        if solutions.count < expected {
            for (sv, tv, conv) in first where !conv && solutions.count < expected { solutions.append((sv, tv)) }
        }
        drawDrop.missingRoots += (expected - solutions.count) * rootsBelow(step)
        let b = base + step * d, c = coef + step * k * d
        let nb = base + (step + 1) * d, nc = coef + (step + 1) * k * d
        for (sv, tv) in solutions {
            guard sv.real.isFinite, sv.imaginary.isFinite, tv.real.isFinite, tv.imaginary.isFinite else { drawDrop.nonFinite += rootsBelow(step); continue }
            let cu = c + uv.0 * d, cw = c + uv.1 * d
            for j in 0..<d { nb[j] = b[j] + sv * cu[j] + tv * cw[j] }
            for e in 0..<(k * d) { nc[e] = c[e] }
            for j in 0..<d { nc[uv.0 * d + j] = .zero; nc[uv.1 * d + j] = .zero }
            solve(step: step + 1)
        }
    }

    /// The solutions (s, t, converged) of one resultant pass (see `solveBivariate`).
    func bivariateSolutions(step: Int, equations ab: (Int, Int), unknowns uv: (Int, Int), degrees degs: (Int, Int)) -> [(ComplexDouble, ComplexDouble, Bool)] {
        let (da, db) = degs
        let cf = bivariateCoefficients(ab.0, level: step, uv.0, uv.1, da)
        let cg = bivariateCoefficients(ab.1, level: step, uv.0, uv.1, db)
        let nsyl = da + db, rdeg = da * db, m = rdeg + 1
        var syl = [ComplexDouble](repeating: .zero, count: nsyl * nsyl)
        func polyInT(_ c: [ComplexDouble], _ deg: Int, _ i: Int, _ t: ComplexDouble) -> ComplexDouble {
            var acc = ComplexDouble.zero, tj = ComplexDouble(1, 0)
            for j in 0...(deg - i) { acc = acc + c[i * (deg + 1) + j] * tj; tj = tj * t }
            return acc
        }
        func resultant(_ t: ComplexDouble) -> ComplexDouble {
            for e in 0..<(nsyl * nsyl) { syl[e] = .zero }
            for r in 0..<db { for i in 0...da { syl[r * nsyl + r + (da - i)] = polyInT(cf, da, i, t) } }
            for r in 0..<da { for i in 0...db { syl[(db + r) * nsyl + r + (db - i)] = polyInT(cg, db, i, t) } }
            return syl.withUnsafeMutableBufferPointer { SmallComplexLinearAlgebra.determinant($0.baseAddress!, nsyl) }
        }
        var rv = [ComplexDouble](repeating: .zero, count: m)
        for l in 0..<m { let ang = 2 * Double.pi * Double(l) / Double(m); rv[l] = resultant(ComplexDouble(cos(ang), sin(ang))) }
        var cmax = 0.0
        for kk in 0..<m {
            var acc = ComplexDouble.zero
            for l in 0..<m { let ang = -2 * Double.pi * Double((l * kk) % m) / Double(m); acc = acc + rv[l] * ComplexDouble(cos(ang), sin(ang)) }
            coeffs[kk] = acc / ComplexDouble(Double(m), 0)
            cmax = max(cmax, coeffs[kk].lengthSquared)
        }
        var eff = rdeg
        while eff > 0 && coeffs[eff].lengthSquared <= 1e-26 * cmax { eff -= 1 }
        guard eff > 0 else { return [] }
        var tRoots = [ComplexDouble](repeating: .zero, count: eff)
        let ok = tRoots.withUnsafeMutableBufferPointer { p in eff == 1 ? { p[0] = -coeffs[0] / coeffs[1]; return true }() : (aberthRoots(eff, p.baseAddress!) || companionRoots(eff, p.baseAddress!)) }
        guard ok else { return [] }
        var solutions: [(ComplexDouble, ComplexDouble, Bool)] = []
        for t0 in tRoots {
            // roots in s of f(s, t0); keep the one where g is smallest
            var sdeg = da
            for i in 0...da { coeffs[i] = polyInT(cf, da, i, t0) }
            var smax = 0.0
            for i in 0...da { smax = max(smax, coeffs[i].lengthSquared) }
            while sdeg > 0 && coeffs[sdeg].lengthSquared <= 1e-26 * smax { sdeg -= 1 }
            guard sdeg > 0 else { continue }
            var sRoots = [ComplexDouble](repeating: .zero, count: sdeg)
            let okS = sRoots.withUnsafeMutableBufferPointer { p in sdeg == 1 ? { p[0] = -coeffs[0] / coeffs[1]; return true }() : (aberthRoots(sdeg, p.baseAddress!) || companionRoots(sdeg, p.baseAddress!)) }
            guard okS else { continue }
            // candidates in order of |g|; Newton from each until one converges to a solution not found before
            let order = sRoots.indices.sorted { bivariateEval(cg, db, sRoots[$0], t0).0.lengthSquared < bivariateEval(cg, db, sRoots[$1], t0).0.lengthSquared }
            var chosen: (ComplexDouble, ComplexDouble, Bool)? = nil
            for idx in order {
                var (sv, tv) = (sRoots[idx], t0)
                var converged = false
                for _ in 0..<8 {
                    let (f, fs, ft) = bivariateEval(cf, da, sv, tv), (g, gs, gt) = bivariateEval(cg, db, sv, tv)
                    let det = fs * gt - ft * gs
                    guard det != .zero else { break }
                    let ds = (f * gt - g * ft) / det, dt = (fs * g - gs * f) / det
                    guard ds.real.isFinite, ds.imaginary.isFinite, dt.real.isFinite, dt.imaginary.isFinite else { break }
                    sv = sv - ds; tv = tv - dt
                    // converged: the last Newton step is below 1e-10 relative (quadratic convergence has then reached
                    // rounding level; the ambient polish finishes the job)
                    if ds.lengthSquared + dt.lengthSquared <= 1e-20 * max(1, sv.lengthSquared + tv.lengthSquared) { converged = true }
                    if ds.lengthSquared + dt.lengthSquared <= 1e-30 * max(1, sv.lengthSquared + tv.lengthSquared) { break }
                }
                let duplicate = solutions.contains { ($0.0 - sv).lengthSquared + ($0.1 - tv).lengthSquared < 1e-16 * max(1, sv.lengthSquared + tv.lengthSquared) }
                if chosen == nil { chosen = (sv, tv, false) }
                if converged && !duplicate { chosen = (sv, tv, true); break }
            }
            if let c = chosen { solutions.append(c) }
        }
        return solutions
    }

    /// Number of final roots that one root at `step` branches into.
    func rootsBelow(_ step: Int) -> Int {
        var r = 1
        for st in s.plan[(step + 1)...] {
            if case let .univariate(_, _, deg) = st { r *= deg }
            if case let .bivariate(_, _, degs) = st { r *= degs.0 * degs.1 }
        }
        return r
    }

    /// All roots of the polynomial in `coeffs` (degree m) by the Aberth–Ehrlich simultaneous iteration
    /// z_k ← z_k − w_k/(1 − w_k Σ_{j≠k} 1/(z_k − z_j)), w_k = p(z_k)/p'(z_k), from m points on the circle of radius
    /// |c_0/c_m|^{1/m}. Returns false (caller falls back to the companion matrix) unless every correction fell
    /// below 1e-13·max(1, |z_k|) within 60 sweeps with distinct finite roots.
    func aberthRoots(_ m: Int, _ out: UnsafeMutablePointer<ComplexDouble>) -> Bool {
        let lead = coeffs[m]
        let r0 = pow((coeffs[0] / lead).length, 1 / Double(m))
        let radius = r0.isFinite && r0 > 0 ? r0 : 1
        for k in 0..<m {
            let ang = 2 * Double.pi * (Double(k) + 0.4) / Double(m)
            out[k] = ComplexDouble(radius * cos(ang), radius * sin(ang))
        }
        for _ in 0..<60 {
            var done = true
            for k in 0..<m {
                let z = out[k]
                var p = lead, dp = ComplexDouble.zero
                for kk in stride(from: m - 1, through: 0, by: -1) { dp = dp * z + p; p = p * z + coeffs[kk] }
                if p == .zero { continue }
                let w = fastDivide(p, dp)
                var sum = ComplexDouble.zero
                for j in 0..<m where j != k { sum = sum + fastDivide(ComplexDouble(1, 0), z - out[j]) }
                let corr = fastDivide(w, ComplexDouble(1, 0) - w * sum)
                guard corr.real.isFinite && corr.imaginary.isFinite else { return false }
                out[k] = z - corr
                if corr.lengthSquared > 1e-26 * max(1, out[k].lengthSquared) { done = false }
            }
            if done {
                for k in 0..<m { for j in 0..<k where (out[k] - out[j]).lengthSquared < 1e-16 * max(1, out[k].lengthSquared) { return false } }
                return true
            }
        }
        return false
    }

    /// Eigenvalues of the companion matrix of the (monic-normalised) polynomial in `coeffs` of degree m.
    func companionRoots(_ m: Int, _ out: UnsafeMutablePointer<ComplexDouble>) -> Bool {
        // column-major companion matrix (LAPACKE's row-major path would allocate and transpose):
        // first row −c_{m−1−j}/c_m, ones on the subdiagonal
        for e in 0..<(m * m) { companion[e] = .zero }
        let lead = ComplexDouble(1, 0) / coeffs[m]
        for j in 0..<m { companion[j * m] = -coeffs[m - 1 - j] * lead }
        for i in 1..<m { companion[(i - 1) * m + i] = ComplexDouble(1, 0) }
        // The companion matrix is already upper Hessenberg, so the QR algorithm runs on it directly (LAPACK
        // zhseqr, eigenvalues only — what zgeev does after balancing and Hessenberg reduction); the Newton polish
        // below restores full accuracy where balancing would have helped.
        let info = companion.withMemoryRebound(to: nnt_complex_double.self, capacity: m * m) { pa in
            out.withMemoryRebound(to: nnt_complex_double.self, capacity: m) { pw in
                work.withMemoryRebound(to: nnt_complex_double.self, capacity: lwork) { pwork in
                    LAPACKE_zhseqr_work(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "E")), CChar(UInt8(ascii: "N")),
                                        Int32(m), 1, Int32(m), pa, Int32(m), pw, nil, 1, pwork, Int32(lwork))
                }
            }
        }
        return info == 0
    }

    /// Polishes, patch-normalises and checks one root; appends it with its weight data.
    func finish(point b: UnsafeMutablePointer<ComplexDouble>, polish: Bool = true) {
        for j in 0..<d { z[j] = b[j] }
        for j in 0..<d where !(z[j].real.isFinite && z[j].imaginary.isFinite) { drawDrop.nonFinite += 1; return }
        Patch.normalise(z, ambient: v.ambient, patch: patch)
        let g = ws.gradients
        var res = residualAndGradients()
        var iter = 0
        while polish && res > 1e-14 && iter < 8 {
            newtonStep()
            Patch.normalise(z, ambient: v.ambient, patch: patch)
            res = residualAndGradients()
            iter += 1
        }
        guard res.isFinite else { drawDrop.nonFinite += 1; return }
        guard res < s.residualTolerance else { drawDrop.residual += 1; return }
        Patch.chooseDependent(gradients: g, equations: k, coordinates: d, patch: patch, factors: f, dependent: dependent)
        let detB = PullbackJacobian.compute(variety: v, point: z, patch: patch, dependent: dependent, jacobian: jac,
                                            workspace: ws, gradientsReady: true)
        var cond = detB.lengthSquared.squareRoot()
        for a in 0..<k { cond /= scales[a] }
        guard cond >= s.singularTolerance else { drawDrop.nearSingular += 1; return }
        let omega2 = HolomorphicVolumeForm.squaredNorm(detB: detB)
        FubiniStudy.pullbackFactorMetrics(point: z, jacobian: jac, variety: v, out: factorMetrics, scratch: mScratch)
        // det of the full FS pullback at t = 1
        for e in 0..<(n * n) {
            var acc = ComplexDouble.zero
            for r in 0..<f { acc = acc + factorMetrics[r * n * n + e] }
            mScratch[e] = acc
        }
        let detFS = SmallComplexLinearAlgebra.determinant(mScratch, n).real
        let rho = f == 1 ? nFactorial * detFS
            : IntegrationWeights.mixedDensity(factorMetrics: factorMetrics, exponents: mExponents, order: n, scratch: mScratch)
        let w = omega2 / rho
        guard omega2.isFinite, rho > 0, rho.isFinite, w.isFinite, detFS > 0 else { drawDrop.nonFinite += 1; return }
        for j in 0..<d { block.points.append(z[j]) }
        for r in 0..<f { block.patch.append(patch[r]) }
        for a in 0..<k { block.dependent.append(dependent[a]) }
        block.omegaSquared.append(omega2)
        block.rawWeights.append(w)
        block.detFS.append(detFS)
        if let t = pullbackKahler {
            for e in 0..<(n * n) {
                var acc = ComplexDouble.zero
                for r in 0..<f { acc = acc + factorMetrics[r * n * n + e] * ComplexDouble(t[r], 0) }
                block.pullback.append(acc)
            }
        }
        block.residual.append(res)
    }

    /// max_a |Q_a(z)|, with ∇Q_a in ws.gradients and Q_a in qvals.
    func residualAndGradients() -> Double {
        var res = 0.0
        for a in 0..<k {
            qvals[a] = v.equations[a].valueAndGradient(at: z, gradient: ws.gradients + a * d)
            res = max(res, qvals[a].lengthSquared)
        }
        return res.squareRoot()
    }

    /// Minimum-norm Newton step on the non-patch coordinates: δ = −Gᴴ (G Gᴴ)⁻¹ Q.
    func newtonStep() {
        let g = ws.gradients
        // zero the patch columns
        let gram = ws.bMatrix, rhs = ws.rhs
        for a in 0..<k {
            for b in 0..<k {
                var s = ComplexDouble.zero
                for j in 0..<d where !isPatch(j) { s = s + g[a * d + j] * g[b * d + j].conjugate }
                gram[a * k + b] = s
            }
            rhs[a] = qvals[a]
        }
        let det = SmallComplexLinearAlgebra.solve(gram, k, rhs, 1)
        guard det != .zero else { return }
        for j in 0..<d where !isPatch(j) {
            var s = ComplexDouble.zero
            for a in 0..<k { s = s + g[a * d + j].conjugate * rhs[a] }
            z[j] = z[j] - s
        }
    }

    @inline(__always) func isPatch(_ j: Int) -> Bool {
        for r in 0..<f where patch[r] == j { return true }
        return false
    }
}

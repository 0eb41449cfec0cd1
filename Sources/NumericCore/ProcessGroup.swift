import Foundation

/// The K cooperating processes (ranks 0…K−1) of one job — the ranks of `mpirun -np K` in an MPI build, else the one
/// process itself (`SingleProcess`). Every rank runs the same command; work is split by a rule that depends only on
/// (rank, K), results are combined in a fixed order, and rank 0 alone writes outputs and checkpoints.
///
/// The collective operations must be called by every rank in the same order, from one thread per process.
public protocol ProcessGroup: Sendable {
    /// This process's rank r, 0 ≤ r < K.
    var rank: Int { get }
    /// The number of ranks K ≥ 1.
    var size: Int { get }
    /// Every rank's bytes, in rank order, on every rank (collective).
    func allGather(_ bytes: [UInt8]) -> [[UInt8]]
    /// Rank 0's bytes on every rank (collective; the argument of other ranks is ignored).
    func broadcast(_ bytes: [UInt8]) -> [UInt8]
    /// Sends bytes to one rank (point to point; that rank calls `receive(from:)`).
    func send(_ bytes: [UInt8], to rank: Int)
    /// The bytes one rank sent this one.
    func receive(from rank: Int) -> [UInt8]
    /// Ends every rank of the job at once (a failing rank calls it so that no other rank waits for it), after
    /// printing `message` as one line on stderr; the job's exit status is `status`.
    func abort(_ message: String, status: Int32) -> Never
}

/// The group of one process: rank 0 of 1.
public struct SingleProcess: ProcessGroup {
    /// The one process.
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allGather(_ bytes: [UInt8]) -> [[UInt8]] { [bytes] }
    public func broadcast(_ bytes: [UInt8]) -> [UInt8] { bytes }
    public func send(_ bytes: [UInt8], to rank: Int) { preconditionFailure("SingleProcess: no rank \(rank) to send to") }
    public func receive(from rank: Int) -> [UInt8] { preconditionFailure("SingleProcess: no rank \(rank) to receive from") }
    public func abort(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(status)
    }
}

extension ProcessGroup {
    /// Whether this is rank 0, the one that writes.
    public var isRoot: Bool { rank == 0 }

    /// The contiguous share of rank r of `count` items (in units of `quantum` items, so that shares start at multiples
    /// of it): [⌊u·r/K⌋·q, ⌊u·(r+1)/K⌋·q) ∩ [0, count) with u = ⌈count/q⌉ units.
    public func share(of count: Int, quantum: Int = 1) -> Range<Int> {
        let q = max(1, quantum), units = (count + q - 1) / q
        let lo = min(count, units * rank / size * q), hi = min(count, units * (rank + 1) / size * q)
        return lo..<hi
    }

    /// Every rank's bytes combined along a binomial tree, on rank 0 (nil on the others): in round s = 0, 1, … rank r
    /// with r mod 2^(s+1) = 0 receives the combination held by rank r + 2^s and keeps `combine(own, received)` — the
    /// part of ranks [r, r + 2^s) first, then that of [r + 2^s, r + 2^(s+1)). Rank 0 receives ⌈log₂ K⌉ messages, each
    /// of the size of one combination, instead of K − 1.
    public func reduceToRoot(_ bytes: [UInt8], _ combine: ([UInt8], [UInt8]) throws -> [UInt8]) rethrows -> [UInt8]? {
        var mine = bytes, step = 1
        while step < size {
            if rank % (2 * step) == step { send(mine, to: rank - step); return nil }
            if rank % (2 * step) == 0 && rank + step < size { mine = try combine(mine, receive(from: rank + step)) }
            step *= 2
        }
        return rank == 0 ? mine : nil
    }

    /// Every rank's bytes, in rank order, on rank 0 (nil on the others): K − 1 point-to-point messages to rank 0, which
    /// for large messages move once (no collective's segmenting).
    public func gatherToRoot(_ bytes: [UInt8]) -> [[UInt8]]? {
        guard size > 1 else { return [bytes] }
        guard isRoot else { send(bytes, to: 0); return nil }
        return (0..<size).map { $0 == 0 ? bytes : receive(from: $0) }
    }

    /// Every rank's doubles, concatenated in rank order, on every rank.
    public func allGather(doubles: [Double]) -> [Double] {
        if size == 1 { return doubles }
        let bytes = doubles.withUnsafeBytes { Array($0) }
        return allGather(bytes).flatMap { part in
            part.withUnsafeBytes { raw in Array(raw.bindMemory(to: Double.self)) }
        }
    }

    /// Rank 0's value on every rank, through its JSON encoding (Double values round-trip exactly); for small values —
    /// bulk data goes as bytes (`broadcast(_:)`, `broadcast(doubles:)`).
    public func broadcast<T: Codable>(json value: T) -> T {
        if size == 1 { return value }
        let bytes = isRoot ? Array((try? JSONEncoder().encode(value)) ?? Data()) : []
        let got = broadcast(bytes)
        guard let v = try? JSONDecoder().decode(T.self, from: Data(got)) else {
            abort("error: rank \(rank) of \(size): could not decode a \(T.self) broadcast by rank 0", status: 70)
        }
        return v
    }

    /// Rank 0's doubles on every rank (as raw bytes).
    public func broadcast(doubles: [Double]) -> [Double] {
        if size == 1 { return doubles }
        return broadcast(isRoot ? doubles.withUnsafeBytes { Array($0) } : []).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    }

    /// Every rank's block-sum tree (over disjoint blocks) merged, on rank 0 (nil on the others), along `reduceToRoot`'s
    /// binomial tree; the merged totals are the same bits whatever the grouping (`BlockSumTree`).
    public func mergeToRoot(_ tree: BlockSumTree) -> BlockSumTree? {
        if size == 1 { return tree }
        func encode(_ t: BlockSumTree) -> [UInt8] { t.packed() }
        func decode(_ b: [UInt8]) -> BlockSumTree {
            guard let t = BlockSumTree(packed: b) else {
                abort("error: rank \(rank) of \(size): could not decode a block-sum tree sent by another rank", status: 70)
            }
            return t
        }
        return reduceToRoot(encode(tree)) { a, b in var t = decode(a); t.merge(decode(b)); return encode(t) }.map(decode)
    }

    /// Every rank's value, in rank order, on every rank, through its JSON encoding; for small values.
    public func allGather<T: Codable>(json value: T) -> [T] {
        if size == 1 { return [value] }
        let bytes = Array((try? JSONEncoder().encode(value)) ?? Data())
        return allGather(bytes).enumerated().map { (r, b) in
            guard let v = try? JSONDecoder().decode(T.self, from: Data(b)) else {
                abort("error: rank \(rank) of \(size): could not decode a \(T.self) from rank \(r)", status: 70)
            }
            return v
        }
    }

    /// The first signal number any rank has received (0: none), on every rank: a stop seen by one rank stops all of
    /// them at the same point of the work.
    public func anyStop(_ signal: Int32?) -> Int32? {
        if size == 1 { return signal }
        let all: [Int32] = allGather(json: signal ?? 0)
        return all.first { $0 != 0 }
    }
}

/// The process group of this run: `SingleProcess` unless the command line was started under MPI in an MPI build
/// (which sets it before the command runs).
public enum ProcessGroups {
    nonisolated(unsafe) public static var current: any ProcessGroup = SingleProcess()
    /// The ranks of this job on this machine (1 outside MPI): commands' default thread count is the cores divided
    /// by it, so that K ranks on one node do not each start a thread per core.
    nonisolated(unsafe) public static var ranksOnThisNode = 1
}

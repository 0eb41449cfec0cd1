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

    /// Every rank's doubles, concatenated in rank order, on every rank.
    public func allGather(doubles: [Double]) -> [Double] {
        if size == 1 { return doubles }
        let bytes = doubles.withUnsafeBytes { Array($0) }
        return allGather(bytes).flatMap { part in
            part.withUnsafeBytes { raw in Array(raw.bindMemory(to: Double.self)) }
        }
    }

    /// Rank 0's value on every rank, through its JSON encoding (Double values round-trip exactly).
    public func broadcast<T: Codable>(_ value: T) -> T {
        if size == 1 { return value }
        let bytes = isRoot ? Array((try? JSONEncoder().encode(value)) ?? Data()) : []
        let got = broadcast(bytes)
        guard let v = try? JSONDecoder().decode(T.self, from: Data(got)) else {
            abort("error: rank \(rank) of \(size): could not decode a \(T.self) broadcast by rank 0", status: 70)
        }
        return v
    }

    /// Every rank's value, in rank order, on every rank, through its JSON encoding.
    public func allGather<T: Codable>(_ value: T) -> [T] {
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
        let all: [Int32] = allGather(signal ?? 0)
        return all.first { $0 != 0 }
    }
}

/// The process group of this run: `SingleProcess` unless the command line was started under MPI in an MPI build
/// (which sets it before the command runs).
public enum ProcessGroups {
    nonisolated(unsafe) public static var current: any ProcessGroup = SingleProcess()
}

import Foundation
import NumericCore
#if MPI
import CMPI
#endif

/// Starts the process group of a command line: under `mpirun` in an MPI build (trait MPI, `make mpi`) the ranks of
/// MPI_COMM_WORLD (`MPIProcessGroup`), else the one process. A command started under `mpirun` with more than one rank
/// by a build without MPI is refused: its K copies would each run the whole job into the same output.
public enum MPIRuntime {
    /// Whether this build can run under MPI.
    public static var isAvailable: Bool {
        #if MPI
        return true
        #else
        return false
        #endif
    }

    /// The number of ranks `mpirun` (Open MPI, MPICH, Slurm's PMI) says this process belongs to, nil when it was not
    /// started by one.
    static var launcherSize: Int? {
        // `getenv` per name: every command asks at its start, and `ProcessInfo.environment` builds a dictionary of
        // the whole environment first (0.15 ms).
        for key in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"] {
            if let v = getenv(key), let n = Int(String(cString: v)) { return n }
        }
        return nil
    }

    /// Sets `ProcessGroups.current` for this run; a one-line error (exit status 2) for `mpirun -np K>1` without MPI.
    public static func start() {
        guard let k = launcherSize else { return }
        #if MPI
        ProcessGroups.current = MPIProcessGroup.initialize()
        let env = ProcessInfo.processInfo.environment
        if let n = ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "PMIX_LOCAL_SIZE"].lazy.compactMap({ env[$0].flatMap(Int.init) }).first {
            ProcessGroups.ranksOnThisNode = max(1, min(n, k))
        }
        #else
        if k > 1 {
            FileHandle.standardError.write(Data("error: started by mpirun with \(k) ranks, but this nntheory is built without MPI; expected the MPI build (make mpi: .build-mpi/release/nntheory)\n".utf8))
            exit(2)
        }
        #endif
    }
}

#if MPI
/// The ranks of MPI_COMM_WORLD. Collectives are MPI_Allgatherv and MPI_Bcast of bytes, point-to-point MPI_Send/MPI_Recv,
/// in pieces of at most 1 GiB where a message is larger (MPI's counts are 32-bit). MPI is initialised with
/// MPI_THREAD_FUNNELED (only the main thread calls it) and finalised at exit.
public final class MPIProcessGroup: ProcessGroup, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    static let piece = 1 << 30

    init(rank: Int, size: Int) { self.rank = rank; self.size = size }

    static func initialize() -> MPIProcessGroup {
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, nnt_mpi_thread_funneled(), &provided)
        var r: Int32 = 0, k: Int32 = 0
        MPI_Comm_rank(nnt_mpi_comm_world(), &r)
        MPI_Comm_size(nnt_mpi_comm_world(), &k)
        atexit {
            var done: Int32 = 0
            MPI_Finalized(&done)
            if done == 0 { MPI_Finalize() }
        }
        return MPIProcessGroup(rank: Int(r), size: Int(k))
    }

    /// Broadcasts `count` bytes at `base` from `root`, in pieces.
    func bcast(_ base: UnsafeMutableRawPointer?, count: Int, root: Int) {
        var off = 0
        while off < count {
            let n = min(Self.piece, count - off)
            MPI_Bcast(base! + off, Int32(n), nnt_mpi_byte(), Int32(root), nnt_mpi_comm_world())
            off += n
        }
    }

    public func allGather(_ bytes: [UInt8]) -> [[UInt8]] {
        var mine = Int64(bytes.count)
        var counts = [Int64](repeating: 0, count: size)
        counts.withUnsafeMutableBytes { c in
            _ = MPI_Allgather(&mine, 1, nnt_mpi_int64(), c.baseAddress, 1, nnt_mpi_int64(), nnt_mpi_comm_world())
        }
        let total = counts.reduce(0, +)
        if total <= Int64(Int32.max) {
            // one MPI_Allgatherv (32-bit counts and displacements)
            var recvCounts = counts.map { Int32($0) }, displacements = [Int32](repeating: 0, count: size)
            for r in 1..<max(1, size) { displacements[r] = displacements[r - 1] + recvCounts[r - 1] }
            var all = [UInt8](repeating: 0, count: Int(total))
            var send = bytes
            send.withUnsafeMutableBytes { sb in
                all.withUnsafeMutableBytes { ab in
                    _ = MPI_Allgatherv(sb.baseAddress, Int32(bytes.count), nnt_mpi_byte(), ab.baseAddress, &recvCounts,
                                       &displacements, nnt_mpi_byte(), nnt_mpi_comm_world())
                }
            }
            return (0..<size).map { r in Array(all[Int(displacements[r])..<(Int(displacements[r]) + Int(recvCounts[r]))]) }
        }
        // more than 2 GiB in all: each rank's bytes broadcast in pieces
        return (0..<size).map { r in
            var buf = r == rank ? bytes : [UInt8](repeating: 0, count: Int(counts[r]))
            buf.withUnsafeMutableBytes { bcast($0.baseAddress, count: Int(counts[r]), root: r) }
            return buf
        }
    }

    public func broadcast(_ bytes: [UInt8]) -> [UInt8] {
        var n = Int64(bytes.count)
        MPI_Bcast(&n, 1, nnt_mpi_int64(), 0, nnt_mpi_comm_world())
        var buf = rank == 0 ? bytes : [UInt8](repeating: 0, count: Int(n))
        buf.withUnsafeMutableBytes { bcast($0.baseAddress, count: Int(n), root: 0) }
        return buf
    }

    public func send(_ bytes: [UInt8], to other: Int) {
        var n = Int64(bytes.count)
        MPI_Send(&n, 1, nnt_mpi_int64(), Int32(other), 0, nnt_mpi_comm_world())
        bytes.withUnsafeBytes { b in
            var off = 0
            while off < bytes.count {
                let m = min(Self.piece, bytes.count - off)
                MPI_Send(b.baseAddress! + off, Int32(m), nnt_mpi_byte(), Int32(other), 0, nnt_mpi_comm_world())
                off += m
            }
        }
    }

    public func receive(from other: Int) -> [UInt8] {
        var n: Int64 = 0
        MPI_Recv(&n, 1, nnt_mpi_int64(), Int32(other), 0, nnt_mpi_comm_world(), nnt_mpi_status_ignore())
        var buf = [UInt8](repeating: 0, count: Int(n))
        buf.withUnsafeMutableBytes { b in
            var off = 0
            while off < b.count {
                let m = min(Self.piece, b.count - off)
                MPI_Recv(b.baseAddress! + off, Int32(m), nnt_mpi_byte(), Int32(other), 0, nnt_mpi_comm_world(), nnt_mpi_status_ignore())
                off += m
            }
        }
        return buf
    }

    public func abort(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        MPI_Abort(nnt_mpi_comm_world(), status)
        exit(status)
    }
}
#endif

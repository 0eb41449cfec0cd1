import CNumericLibs

/// Runs LAPACK factorisations whose bits must not depend on the machine on one OpenBLAS thread.
///
/// OpenBLAS's blocked LAPACK routines round differently on different numbers of its threads (measured: ZPOTRF + ZPOTRI of
/// Hermitian positive-definite matrices of order 5…55 differ in the last bits between 1 and 2 threads), and OpenBLAS
/// takes its thread count from the cores the process may use — which `mpirun` narrows when it binds ranks to cores.
/// Small factorisations on the critical path of a deterministic result (Donaldson's Cholesky factor and inverse, of order
/// N_k) therefore run on one thread. OpenBLAS's thread count is process-wide: call this only while no other thread
/// is inside BLAS.
public enum SingleThreadedLAPACK {
    /// `body` with OpenBLAS on one thread; the thread count before is restored after it.
    public static func run<T>(_ body: () throws -> T) rethrows -> T {
        let before = openblas_get_num_threads()
        if before == 1 { return try body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(before) }
        return try body()
    }
}

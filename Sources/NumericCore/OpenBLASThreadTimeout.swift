#if canImport(Glibc)
import Glibc
#endif
import Foundation
import COpenBLASPool

/// How long OpenBLAS' idle worker threads spin before they sleep.
///
/// OpenBLAS (pthread build) keeps its worker threads spinning with `sched_yield` for 2^28 CPU cycles (≈ 0.1 s) after
/// every multi-threaded BLAS call, and after its own start-up, before `main` runs. On a machine with few cores that
/// spinning thread takes a core from the Swift workers that run next (measured: 10⁵ quintic points took 0.12 s on two
/// workers instead of 0.08 s, with no BLAS call at all in the sampler). OpenBLAS reads the spin time as the exponent
/// `OPENBLAS_THREAD_TIMEOUT` (4…30) when it creates its threads. `shorten()` sets that variable (unless the user set
/// it), makes OpenBLAS re-read its environment (`openblas_read_env`) and shuts its thread pool down
/// (`blas_thread_shutdown_`); the pool is re-created on the next multi-threaded BLAS call with the new timeout.
/// 2^18 cycles (≈ 0.1 ms) keeps back-to-back BLAS calls on warm threads and frees the core right after.
/// Both functions are weak references (`COpenBLASPool`), bound whether OpenBLAS is a shared library or linked in
/// statically (the installed build), so a BLAS without them is left as it is.
public enum OpenBLASThreadTimeout {
    /// The environment variable OpenBLAS reads its spin time from.
    public static let variable = "OPENBLAS_THREAD_TIMEOUT"
    /// The exponent set when the variable is unset: 2¹⁸ cycles ≈ 0.1 ms of spinning.
    public static let defaultExponent = 18

    /// Whether the linked BLAS is OpenBLAS with its pool controls (`shorten` can act).
    public static var isAvailable: Bool { nnt_openblas_pool_available() != 0 }

    /// Applies `exponent` (or the value already in the environment). Call it once, before the first BLAS call and
    /// while no other thread uses BLAS. Returns whether OpenBLAS' pool was restarted.
    @discardableResult
    public static func shorten(exponent: Int = defaultExponent) -> Bool {
        if getenv(variable) == nil { setenv(variable, String(max(4, min(30, exponent))), 1) }
        return nnt_openblas_restart_pool() != 0
    }
}

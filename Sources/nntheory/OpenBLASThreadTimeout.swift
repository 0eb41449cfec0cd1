import Foundation

/// OpenBLAS (pthread build) keeps its worker threads spinning with `sched_yield` for 2^28 CPU cycles (≈ 0.1 s) after
/// every multi-threaded BLAS call — and after its own start-up, before `main`. On a machine with few cores that spinning
/// thread takes a core from the Swift workers that run right after (measured: 10⁵ quintic points took 0.12 s on two
/// workers instead of 0.075 s). The timeout is read from `OPENBLAS_THREAD_TIMEOUT` (an exponent, 4…30) only when the
/// library initialises, i.e. before any Swift code runs, so the CLI sets it and re-executes itself once, before
/// parsing arguments. 2^18 cycles (≈ 0.1 ms) keeps back-to-back BLAS calls on warm threads and frees the core at once
/// afterwards. A value already in the environment is respected (set it to 28 for OpenBLAS' default).
enum OpenBLASThreadTimeout {
    static let variable = "OPENBLAS_THREAD_TIMEOUT"
    static let exponent = "18"

    /// Re-executes the running binary with the variable set, unless it is set already; returns if that fails.
    static func ensure() {
        guard getenv(variable) == nil else { return }
        setenv(variable, exponent, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // exec failed (no /proc): carry on with OpenBLAS' default
    }
}

import CTestSupport

/// OpenBLAS's thread count in the test process: 1, set before any test runs (Tests/CTestSupport/OneBLASThread.c), so
/// that `SingleThreadedLAPACK.run` — a process-wide setting — cannot change another concurrently running test's bits.
public var testProcessBLASThreads: Int { Int(nnt_tests_blas_threads()) }

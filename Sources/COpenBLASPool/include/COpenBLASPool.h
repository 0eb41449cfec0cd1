#ifndef NNTHEORY_COPENBLASPOOL_H
#define NNTHEORY_COPENBLASPOOL_H
// OpenBLAS' thread pool, restarted so that it re-reads its environment (NumericCore/OpenBLASThreadTimeout.swift).

/// Calls OpenBLAS' `openblas_read_env` then `blas_thread_shutdown_` (the pool is re-created on the next threaded
/// call with the settings just read) and returns 1; returns 0, doing nothing, when the BLAS linked in is not OpenBLAS.
/// The two functions are weak references, bound wherever OpenBLAS is linked — as a shared library or, in the
/// installed build, as a static archive, whose symbols `dlsym` cannot see — and null otherwise.
int nnt_openblas_restart_pool(void);

/// 1 when both functions are bound (OpenBLAS is linked in), else 0.
int nnt_openblas_pool_available(void);

#endif

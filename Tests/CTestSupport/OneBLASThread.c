// The test process holds OpenBLAS at one thread from its start.
//
// OpenBLAS's thread count is process-wide, and its results depend on it (dgemm of some shapes rounds differently on 1
// and 2 threads: 561 of 7 619 entries of a [401, 263]·[263, 19] product here). `SingleThreadedLAPACK.run` sets it to
// one around work whose bits must not depend on the machine, which is sound in a command (one computation at a time)
// but not in the test process, where tests run concurrently: a test comparing two BLAS results bit for bit could see
// one computed on each setting. At one thread throughout, `SingleThreadedLAPACK.run` changes nothing. (The command-line
// tests run the CLI in processes of its own, on all cores.)
#include "CTestSupport.h"

extern void openblas_set_num_threads(int) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));

// Shared libraries' constructors (OpenBLAS's initialisation) run before the executable's.
__attribute__((constructor)) static void nnt_tests_one_blas_thread(void) {
    if (openblas_set_num_threads) openblas_set_num_threads(1);
}

int nnt_tests_blas_threads(void) { return openblas_get_num_threads ? openblas_get_num_threads() : 1; }

// OpenBLAS' thread-pool controls as weak references (see include/COpenBLASPool.h).
#include "COpenBLASPool.h"

extern void openblas_read_env(void) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));

int nnt_openblas_pool_available(void) { return openblas_read_env != 0 && blas_thread_shutdown_ != 0; }

int nnt_openblas_restart_pool(void) {
    if (!nnt_openblas_pool_available()) return 0;
    openblas_read_env();
    (void)blas_thread_shutdown_();
    return 1;
}

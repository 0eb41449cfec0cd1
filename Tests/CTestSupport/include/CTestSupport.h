#ifndef NNTHEORY_CTESTSUPPORT_H
#define NNTHEORY_CTESTSUPPORT_H
// The test process runs OpenBLAS on one thread (see OneBLASThread.c).

/// OpenBLAS's thread count in this process (1 once the test process's constructor has run; 1 without OpenBLAS).
int nnt_tests_blas_threads(void);

#endif

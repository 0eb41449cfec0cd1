/* The BLAS peak for the shapes of one Donaldson T-operator step: ZTRMM (U = S L, S [P, n], L lower n×n) and ZHERK
 * (A†A, A [P, n]) with the same OpenBLAS the nntheory build links, and a square DGEMM for the machine's Float64 peak.
 *   gcc -O2 -o /tmp/blas_peak Benchmarks/cy/blas_peak.c -lopenblas && /tmp/blas_peak 100000 205
 * Prints one JSON line: seconds (best of 5) and Gflop/s of each call (complex multiply-add = 8 real flops; ZTRMM and
 * ZHERK do P·n²/2 of them, DGEMM 2·m³ flops). */
#include <cblas.h>
#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

int main(int argc, char **argv) {
    long P = argc > 1 ? atol(argv[1]) : 100000, n = argc > 2 ? atol(argv[2]) : 205, m = 2000;
    double complex *S = malloc(sizeof(double complex) * P * n), *U = malloc(sizeof(double complex) * P * n);
    double complex *L = calloc(n * n, sizeof(double complex)), *C = calloc(n * n, sizeof(double complex));
    double *A = malloc(sizeof(double) * m * m), *B = malloc(sizeof(double) * m * m), *D = malloc(sizeof(double) * m * m);
    srand(1);
    for (long i = 0; i < P * n; i++) S[i] = (rand() / (double)RAND_MAX - 0.5) + I * (rand() / (double)RAND_MAX - 0.5);
    for (long i = 0; i < n; i++) for (long j = 0; j <= i; j++) L[i * n + j] = (i == j ? 2.0 : 0.01) + 0.0 * I;
    for (long i = 0; i < m * m; i++) { A[i] = rand() / (double)RAND_MAX; B[i] = rand() / (double)RAND_MAX; }
    double complex one = 1.0;
    double trmm = 1e30, herk = 1e30, gemm = 1e30;
    for (int r = 0; r < 5; r++) {
        for (long i = 0; i < P * n; i++) U[i] = S[i];
        double t0 = now();
        cblas_ztrmm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, P, n, &one, L, n, U, n);
        double t1 = now();
        cblas_zherk(CblasRowMajor, CblasUpper, CblasConjTrans, n, P, 1.0, S, n, 0.0, C, n);
        double t2 = now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0, A, m, B, m, 0.0, D, m);
        double t3 = now();
        if (t1 - t0 < trmm) trmm = t1 - t0;
        if (t2 - t1 < herk) herk = t2 - t1;
        if (t3 - t2 < gemm) gemm = t3 - t2;
    }
    double f = 8.0 * P * n * n / 2;
    printf("{\"P\": %ld, \"n\": %ld, \"ztrmm_s\": %.4f, \"ztrmm_gflops\": %.1f, \"zherk_s\": %.4f, \"zherk_gflops\": %.1f, "
           "\"dgemm_%ld_s\": %.4f, \"dgemm_gflops\": %.1f, \"blas_floor_s\": %.4f}\n",
           P, n, trmm, f / trmm / 1e9, herk, f / herk / 1e9, m, gemm, 2.0 * m * m * m / gemm / 1e9, trmm + herk);
    return 0;
}

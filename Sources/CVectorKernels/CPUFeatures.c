// Which kernels this CPU runs (nnt_vector_level), read once.
#include "CVectorKernels.h"
#include <stdlib.h>
#include <string.h>

static int detect(void) {
    const char *v = getenv("NNTHEORY_VECTOR");
    if (v && strcmp(v, "baseline") == 0) return 0;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    if (v && strcmp(v, "avx2") == 0) return __builtin_cpu_supports("avx2") ? 2 : 0;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx2")) return 3;
    if (__builtin_cpu_supports("avx2")) return 2;
#endif
    return 0;
}

int nnt_vector_level(void) {
    static int level = -1;   // a benign race: every thread computes the same value
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l < 0) { l = detect(); __atomic_store_n(&level, l, __ATOMIC_RELAXED); }
    return l;
}

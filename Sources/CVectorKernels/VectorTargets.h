// The instruction sets of the kernels in this target, and the AVX2 tail mask. The build targets baseline x86-64;
// functions marked with these run only where nnt_vector_level() found the instructions.
#ifndef NNTHEORY_VECTORTARGETS_H
#define NNTHEORY_VECTORTARGETS_H
#if defined(__x86_64__)
#include <immintrin.h>
#include <stddef.h>

#define NNT_AVX2 __attribute__((target("avx2")))
#define NNT_AVX512 __attribute__((target("avx2,avx512f,avx512dq,avx512vl")))

// Lanes [0, min(n, 4)) of an AVX2 register, as the mask of _mm256_maskload_pd / _mm256_maskstore_pd.
NNT_AVX2 static inline __m256i nnt_mask4(size_t n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(n < 4 ? n : 4)), _mm256_setr_epi64x(0, 1, 2, 3));
}

// Lanes [0, min(n, 8)) of an AVX-512 register.
static inline unsigned char nnt_mask8(size_t n) { return (unsigned char)(n >= 8 ? 0xFF : (1u << n) - 1); }

#endif
#endif

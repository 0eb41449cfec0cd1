// PolarAngle's bulk atan2(y, x), y ≥ 0 (NumericCore/PolarAngle.swift), on eight lanes (AVX-512) or four (AVX2).
// Bit-identical to the Swift forms: the same coefficients, the same operations in the same order, selects between a
// value and +0 as masks, no fused multiply-adds.
#include "CVectorKernels.h"

#pragma clang fp contract(off)

#if defined(__x86_64__)
#include "PolarAngleLanes.h"

NNT_AVX512 static void angles512(const double *y, const double *x, double *out, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {   // two independent registers per iteration
        __m512d a = angle8(_mm512_loadu_pd(y + i), _mm512_loadu_pd(x + i));
        __m512d b = angle8(_mm512_loadu_pd(y + i + 8), _mm512_loadu_pd(x + i + 8));
        _mm512_storeu_pd(out + i, a);
        _mm512_storeu_pd(out + i + 8, b);
    }
    for (; i < count; i += 8) {   // the rest in masked lanes (lanes past the end compute on zeros and are not stored)
        __mmask8 m = nnt_mask8(count - i);
        _mm512_mask_storeu_pd(out + i, m, angle8(_mm512_maskz_loadu_pd(m, y + i), _mm512_maskz_loadu_pd(m, x + i)));
    }
}

NNT_AVX2 static void angles256(const double *y, const double *x, double *out, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256d a = angle4(_mm256_loadu_pd(y + i), _mm256_loadu_pd(x + i));
        __m256d b = angle4(_mm256_loadu_pd(y + i + 4), _mm256_loadu_pd(x + i + 4));
        _mm256_storeu_pd(out + i, a);
        _mm256_storeu_pd(out + i + 4, b);
    }
    for (; i < count; i += 4) {   // the rest in masked lanes, as angles512
        __m256i m = nnt_mask4(count - i);
        _mm256_maskstore_pd(out + i, m, angle4(_mm256_maskload_pd(y + i, m), _mm256_maskload_pd(x + i, m)));
    }
}

void nnt_polar_angles(const double *y, const double *x, double *out, size_t count) {
    if (nnt_vector_level() >= 3) angles512(y, x, out, count);
    else angles256(y, x, out, count);
}

#else
void nnt_polar_angles(const double *y, const double *x, double *out, size_t count) { (void)y; (void)x; (void)out; (void)count; }
#endif

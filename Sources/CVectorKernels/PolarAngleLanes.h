// PolarAngle's atan2(y, x), y ≥ 0 (NumericCore/PolarAngle.swift), on four lanes (AVX2) or eight (AVX-512):
// the same coefficients and operations in the same order as the Swift forms, selects between a value and +0 as masks,
// no fused multiply-adds (every file that includes this sets `fp contract(off)`). Shared by PolarAngleLanes.c and
// ArcKernelLanes.c.
#ifndef NNTHEORY_POLARANGLELANES_H
#define NNTHEORY_POLARANGLELANES_H
#if defined(__x86_64__)
#include "VectorTargets.h"

// R(z) = c0 + c1 z + … + c11 z¹¹ (PolarAngle.c0…c11), tan(π/8), and the constants added after the reduction.
static const double C[12] = {-0.3333333333333333, 0.1999999999999981, -0.14285714285661172, 0.11111111105277102,
                             -0.09090908759150944, 0.07692296528186224, -0.06666427474809959, 0.05878957114602006,
                             -0.05230650466327199, 0.04552443484766285, -0.0345913892781874, 0.01630779074543549};
static const double TAN_PI_8 = 0.41421356237309503;
static const double PI = 3.141592653589793, PI_2 = 1.5707963267948966, PI_4 = 0.7853981633974483;

NNT_AVX2 static inline __m256d angle4(__m256d y, __m256d x) {
    const __m256d sign = _mm256_set1_pd(-0.0), zero = _mm256_setzero_pd();
    __m256d ax = _mm256_andnot_pd(sign, x);
    __m256d yBelow = _mm256_cmp_pd(y, ax, _CMP_LT_OQ);
    __m256d lo = _mm256_blendv_pd(ax, y, yBelow), hi = _mm256_blendv_pd(y, ax, yBelow);
    __m256d reduced = _mm256_cmp_pd(lo, _mm256_mul_pd(_mm256_set1_pd(TAN_PI_8), hi), _CMP_GT_OQ);
    __m256d num = _mm256_sub_pd(lo, _mm256_and_pd(hi, reduced));
    __m256d den = _mm256_add_pd(hi, _mm256_and_pd(lo, reduced));
    __m256d u = _mm256_div_pd(num, _mm256_blendv_pd(den, _mm256_set1_pd(1.0), _mm256_cmp_pd(den, zero, _CMP_EQ_OQ)));
    __m256d z = _mm256_mul_pd(u, u), z2 = _mm256_mul_pd(z, z), z4 = _mm256_mul_pd(z2, z2);
#define P(i) _mm256_add_pd(_mm256_set1_pd(C[i]), _mm256_mul_pd(_mm256_set1_pd(C[i + 1]), z))
    __m256d p0 = P(0), p1 = P(2), p2 = P(4), p3 = P(6), p4 = P(8), p5 = P(10);
#undef P
    __m256d q0 = _mm256_add_pd(p0, _mm256_mul_pd(p1, z2)), q1 = _mm256_add_pd(p2, _mm256_mul_pd(p3, z2));
    __m256d q2 = _mm256_add_pd(p4, _mm256_mul_pd(p5, z2));
    __m256d r = _mm256_add_pd(q0, _mm256_mul_pd(z4, _mm256_add_pd(q1, _mm256_mul_pd(z4, q2))));
    __m256d a = _mm256_add_pd(u, _mm256_mul_pd(u, _mm256_mul_pd(z, r)));
    a = _mm256_add_pd(a, _mm256_and_pd(_mm256_set1_pd(PI_4), reduced));
    __m256d flip = _mm256_cmp_pd(y, ax, _CMP_GT_OQ);
    a = _mm256_add_pd(_mm256_xor_pd(a, _mm256_and_pd(flip, sign)), _mm256_and_pd(_mm256_set1_pd(PI_2), flip));
    __m256d negative = _mm256_cmp_pd(x, zero, _CMP_LT_OQ);
    return _mm256_add_pd(_mm256_xor_pd(a, _mm256_and_pd(negative, sign)), _mm256_and_pd(_mm256_set1_pd(PI), negative));
}

NNT_AVX512 static inline __m512d angle8(__m512d y, __m512d x) {
    const __m512d sign = _mm512_set1_pd(-0.0), zero = _mm512_setzero_pd();
    __m512d ax = _mm512_andnot_pd(sign, x);
    __mmask8 yBelow = _mm512_cmp_pd_mask(y, ax, _CMP_LT_OQ);
    __m512d lo = _mm512_mask_blend_pd(yBelow, ax, y), hi = _mm512_mask_blend_pd(yBelow, y, ax);
    __mmask8 reduced = _mm512_cmp_pd_mask(lo, _mm512_mul_pd(_mm512_set1_pd(TAN_PI_8), hi), _CMP_GT_OQ);
    __m512d num = _mm512_sub_pd(lo, _mm512_maskz_mov_pd(reduced, hi));
    __m512d den = _mm512_add_pd(hi, _mm512_maskz_mov_pd(reduced, lo));
    __m512d u = _mm512_div_pd(num, _mm512_mask_blend_pd(_mm512_cmp_pd_mask(den, zero, _CMP_EQ_OQ), den, _mm512_set1_pd(1.0)));
    __m512d z = _mm512_mul_pd(u, u), z2 = _mm512_mul_pd(z, z), z4 = _mm512_mul_pd(z2, z2);
#define P(i) _mm512_add_pd(_mm512_set1_pd(C[i]), _mm512_mul_pd(_mm512_set1_pd(C[i + 1]), z))
    __m512d p0 = P(0), p1 = P(2), p2 = P(4), p3 = P(6), p4 = P(8), p5 = P(10);
#undef P
    __m512d q0 = _mm512_add_pd(p0, _mm512_mul_pd(p1, z2)), q1 = _mm512_add_pd(p2, _mm512_mul_pd(p3, z2));
    __m512d q2 = _mm512_add_pd(p4, _mm512_mul_pd(p5, z2));
    __m512d r = _mm512_add_pd(q0, _mm512_mul_pd(z4, _mm512_add_pd(q1, _mm512_mul_pd(z4, q2))));
    __m512d a = _mm512_add_pd(u, _mm512_mul_pd(u, _mm512_mul_pd(z, r)));
    a = _mm512_add_pd(a, _mm512_maskz_mov_pd(reduced, _mm512_set1_pd(PI_4)));
    __mmask8 flip = _mm512_cmp_pd_mask(y, ax, _CMP_GT_OQ);
    a = _mm512_add_pd(_mm512_xor_pd(a, _mm512_maskz_mov_pd(flip, sign)), _mm512_maskz_mov_pd(flip, _mm512_set1_pd(PI_2)));
    __mmask8 negative = _mm512_cmp_pd_mask(x, zero, _CMP_LT_OQ);
    return _mm512_add_pd(_mm512_xor_pd(a, _mm512_maskz_mov_pd(negative, sign)), _mm512_maskz_mov_pd(negative, _mm512_set1_pd(PI)));
}

#endif
#endif

// The closed-form kernel maps of the arc-sine (Erf) and arc-cosine (ABReLU) nonlinearities on rows of a kernel tile
// (Networks/Activation.swift, `Nonlinearity.map`), one pass per row in eight lanes (AVX-512) or four (AVX2): the
// angle's arguments, the angle (PolarAngleLanes.h) and the new K and Θ without temporaries. Bit-identical to the Swift
// map: the same operations in the same order, no fused multiply-adds. Row ends run in masked lanes (lanes past the
// end compute on zeros and are not stored).
#include "CVectorKernels.h"

#pragma clang fp contract(off)

#if defined(__x86_64__)
#include "PolarAngleLanes.h"

static const double TWO_PI = 6.283185307179586;   // 2·π, as Swift's 2 * Double.pi

// ---- Erf: p₁₂ = b²K₁₂, p₂₂ = b²K₂₂, q = (1 + 2p₁₁)(1 + 2p₂₂) − 4p₁₂², K ← tScale·asin + c², Θ ← dScale/√q·b·b·Θ.

NNT_AVX2 static inline void erf4(double *k, double *th, const double *d2, __m256i m, double p11, double b, double b2,
                                 double tScale, double dScale, double c2) {
    const __m256d zero = _mm256_setzero_pd(), sign = _mm256_set1_pd(-0.0), vb = _mm256_set1_pd(b), vb2 = _mm256_set1_pd(b2);
    __m256d k12 = _mm256_maskload_pd(k, m);
    __m256d p12 = _mm256_mul_pd(vb2, k12), p22 = _mm256_mul_pd(vb2, _mm256_maskload_pd(d2, m));
    __m256d q = _mm256_sub_pd(_mm256_mul_pd(_mm256_set1_pd(1 + 2 * p11), _mm256_add_pd(_mm256_set1_pd(1.0), _mm256_mul_pd(_mm256_set1_pd(2.0), p22))),
                              _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(4.0), p12), p12));
    __m256d rt = _mm256_sqrt_pd(q);
    __m256d x = _mm256_blendv_pd(rt, zero, _mm256_cmp_pd(q, zero, _CMP_LT_OQ));
    __m256d y2 = _mm256_mul_pd(_mm256_set1_pd(2.0), p12);
    __m256d y = _mm256_blendv_pd(y2, _mm256_xor_pd(y2, sign), _mm256_cmp_pd(y2, zero, _CMP_LT_OQ));
    __m256d angle = angle4(y, x);
    __m256d asinW = _mm256_blendv_pd(angle, _mm256_xor_pd(angle, sign), _mm256_cmp_pd(k12, zero, _CMP_LT_OQ));
    _mm256_maskstore_pd(k, m, _mm256_add_pd(_mm256_mul_pd(_mm256_set1_pd(tScale), asinW), _mm256_set1_pd(c2)));
    __m256d t = _mm256_mul_pd(_mm256_mul_pd(_mm256_div_pd(_mm256_set1_pd(dScale), rt), vb), vb);
    _mm256_maskstore_pd(th, m, _mm256_mul_pd(t, _mm256_maskload_pd(th, m)));
}

NNT_AVX512 static inline void erf8(double *k, double *th, const double *d2, __mmask8 m, double p11, double b, double b2,
                                   double tScale, double dScale, double c2) {
    const __m512d zero = _mm512_setzero_pd(), sign = _mm512_set1_pd(-0.0), vb = _mm512_set1_pd(b), vb2 = _mm512_set1_pd(b2);
    __m512d k12 = _mm512_maskz_loadu_pd(m, k);
    __m512d p12 = _mm512_mul_pd(vb2, k12), p22 = _mm512_mul_pd(vb2, _mm512_maskz_loadu_pd(m, d2));
    __m512d q = _mm512_sub_pd(_mm512_mul_pd(_mm512_set1_pd(1 + 2 * p11), _mm512_add_pd(_mm512_set1_pd(1.0), _mm512_mul_pd(_mm512_set1_pd(2.0), p22))),
                              _mm512_mul_pd(_mm512_mul_pd(_mm512_set1_pd(4.0), p12), p12));
    __m512d rt = _mm512_sqrt_pd(q);
    __m512d x = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(q, zero, _CMP_LT_OQ), rt, zero);
    __m512d y2 = _mm512_mul_pd(_mm512_set1_pd(2.0), p12);
    __m512d y = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(y2, zero, _CMP_LT_OQ), y2, _mm512_xor_pd(y2, sign));
    __m512d angle = angle8(y, x);
    __m512d asinW = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(k12, zero, _CMP_LT_OQ), angle, _mm512_xor_pd(angle, sign));
    _mm512_mask_storeu_pd(k, m, _mm512_add_pd(_mm512_mul_pd(_mm512_set1_pd(tScale), asinW), _mm512_set1_pd(c2)));
    __m512d t = _mm512_mul_pd(_mm512_mul_pd(_mm512_div_pd(_mm512_set1_pd(dScale), rt), vb), vb);
    _mm512_mask_storeu_pd(th, m, _mm512_mul_pd(t, _mm512_maskz_loadu_pd(m, th)));
}

NNT_AVX512 static void erfRows512(double *k, double *th, size_t stride, size_t rows, size_t cols, const double *diag1,
                                  const double *diag2, double b, double tScale, double dScale, double c2) {
    double b2 = b * b;
    for (size_t r = 0; r < rows; r++) {
        double *kr = k + r * stride, *tr = th + r * stride, p11 = b * b * diag1[r];
        for (size_t c = 0; c < cols; c += 8) {
            erf8(kr + c, tr + c, diag2 + c, nnt_mask8(cols - c), p11, b, b2, tScale, dScale, c2);
        }
    }
}

NNT_AVX2 static void erfRows256(double *k, double *th, size_t stride, size_t rows, size_t cols, const double *diag1,
                                const double *diag2, double b, double tScale, double dScale, double c2) {
    double b2 = b * b;
    for (size_t r = 0; r < rows; r++) {
        double *kr = k + r * stride, *tr = th + r * stride, p11 = b * b * diag1[r];
        for (size_t c = 0; c < cols; c += 4) erf4(kr + c, tr + c, diag2 + c, nnt_mask4(cols - c), p11, b, b2, tScale, dScale, c2);
    }
}

void nnt_erf_kernel_rows(double *k, double *th, size_t stride, size_t rows, size_t cols, const double *diag1,
                         const double *diag2, double b, double tScale, double dScale, double c2) {
    if (nnt_vector_level() >= 3) erfRows512(k, th, stride, rows, cols, diag1, diag2, b, tScale, dScale, c2);
    else erfRows256(k, th, stride, rows, cols, diag1, diag2, b, tScale, dScale, c2);
}

// ---- ABReLU: s = √max(0, K₁₁K₂₂ − K₁₂²), θ = atan2(s, K₁₂) (π/2 where s = K₁₂ = 0), Ṫ = half − dθ/(2π),
//      K ← slope·s + Ṫ·K₁₂, Θ ← Ṫ·Θ.

NNT_AVX2 static inline void abrelu4(double *k, double *th, const double *d2, __m256i m, double k11, double d, double half,
                                    double slope) {
    const __m256d zero = _mm256_setzero_pd();
    __m256d k12 = _mm256_maskload_pd(k, m);
    __m256d v = _mm256_sub_pd(_mm256_mul_pd(_mm256_set1_pd(k11), _mm256_maskload_pd(d2, m)), _mm256_mul_pd(k12, k12));
    __m256d s = _mm256_sqrt_pd(_mm256_blendv_pd(v, zero, _mm256_cmp_pd(v, zero, _CMP_LT_OQ)));
    __m256d theta = angle4(s, k12);
    __m256d vanishing = _mm256_and_pd(_mm256_cmp_pd(s, zero, _CMP_EQ_OQ), _mm256_cmp_pd(k12, zero, _CMP_EQ_OQ));
    theta = _mm256_blendv_pd(theta, _mm256_set1_pd(PI_2), vanishing);
    __m256d tDot = _mm256_sub_pd(_mm256_set1_pd(half), _mm256_div_pd(_mm256_mul_pd(_mm256_set1_pd(d), theta), _mm256_set1_pd(TWO_PI)));
    _mm256_maskstore_pd(k, m, _mm256_add_pd(_mm256_mul_pd(_mm256_set1_pd(slope), s), _mm256_mul_pd(tDot, k12)));
    _mm256_maskstore_pd(th, m, _mm256_mul_pd(tDot, _mm256_maskload_pd(th, m)));
}

NNT_AVX512 static inline void abrelu8(double *k, double *th, const double *d2, __mmask8 m, double k11, double d,
                                      double half, double slope) {
    const __m512d zero = _mm512_setzero_pd();
    __m512d k12 = _mm512_maskz_loadu_pd(m, k);
    __m512d v = _mm512_sub_pd(_mm512_mul_pd(_mm512_set1_pd(k11), _mm512_maskz_loadu_pd(m, d2)), _mm512_mul_pd(k12, k12));
    __m512d s = _mm512_sqrt_pd(_mm512_mask_blend_pd(_mm512_cmp_pd_mask(v, zero, _CMP_LT_OQ), v, zero));
    __m512d theta = angle8(s, k12);
    __mmask8 vanishing = _mm512_cmp_pd_mask(s, zero, _CMP_EQ_OQ) & _mm512_cmp_pd_mask(k12, zero, _CMP_EQ_OQ);
    theta = _mm512_mask_blend_pd(vanishing, theta, _mm512_set1_pd(PI_2));
    __m512d tDot = _mm512_sub_pd(_mm512_set1_pd(half), _mm512_div_pd(_mm512_mul_pd(_mm512_set1_pd(d), theta), _mm512_set1_pd(TWO_PI)));
    _mm512_mask_storeu_pd(k, m, _mm512_add_pd(_mm512_mul_pd(_mm512_set1_pd(slope), s), _mm512_mul_pd(tDot, k12)));
    _mm512_mask_storeu_pd(th, m, _mm512_mul_pd(tDot, _mm512_maskz_loadu_pd(m, th)));
}

NNT_AVX512 static void abreluRows512(double *k, double *th, size_t stride, size_t rows, size_t cols, const double *diag1,
                                     const double *diag2, double d, double half, double slope) {
    for (size_t r = 0; r < rows; r++) {
        double *kr = k + r * stride, *tr = th + r * stride;
        for (size_t c = 0; c < cols; c += 8) {
            abrelu8(kr + c, tr + c, diag2 + c, nnt_mask8(cols - c), diag1[r], d, half, slope);
        }
    }
}

NNT_AVX2 static void abreluRows256(double *k, double *th, size_t stride, size_t rows, size_t cols, const double *diag1,
                                   const double *diag2, double d, double half, double slope) {
    for (size_t r = 0; r < rows; r++) {
        double *kr = k + r * stride, *tr = th + r * stride;
        for (size_t c = 0; c < cols; c += 4) abrelu4(kr + c, tr + c, diag2 + c, nnt_mask4(cols - c), diag1[r], d, half, slope);
    }
}

void nnt_abrelu_kernel_rows(double *k, double *th, size_t stride, size_t rows, size_t cols, const double *diag1,
                            const double *diag2, double d, double half, double slope) {
    if (nnt_vector_level() >= 3) abreluRows512(k, th, stride, rows, cols, diag1, diag2, d, half, slope);
    else abreluRows256(k, th, stride, rows, cols, diag1, diag2, d, half, slope);
}

#else
void nnt_erf_kernel_rows(double *k, double *th, size_t stride, size_t rows, size_t cols, const double *diag1,
                         const double *diag2, double b, double tScale, double dScale, double c2) {}
void nnt_abrelu_kernel_rows(double *k, double *th, size_t stride, size_t rows, size_t cols, const double *diag1,
                            const double *diag2, double d, double half, double slope) {}
#endif

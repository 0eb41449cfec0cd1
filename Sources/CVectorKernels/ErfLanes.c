// FastErf's four-lane erf (NumericCore/FastErf.swift, `erf(_: SIMD4<Double>, table:)`) in AVX2 registers, and the
// Erf-net's hidden layer built on it. Bit-identical to the Swift lanes: the same table, the same operations in
// the same order, no fused multiply-adds.
#include "CVectorKernels.h"

#pragma clang fp contract(off)

#if defined(__x86_64__)
#include "VectorTargets.h"


// erf(x)·√π/(2x) = Σ (−1)ⁿ x^{2n}/(n!(2n+1)) in powers of x², highest first (FastErf.seriesCoefficients).
static const double SERIES[8] = {-1.0 / 75600, 1.0 / 9360, -1.0 / 1320, 1.0 / 216, -1.0 / 42, 1.0 / 10, -1.0 / 3, 1};

NNT_AVX2 static inline __m256d erf4(__m256d x, const double *tb) {
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1);
    __m256d negative = _mm256_cmp_pd(x, zero, _CMP_LT_OQ);
    __m256d negX = _mm256_xor_pd(x, _mm256_set1_pd(-0.0));                   // −x (a sign flip, as Swift's prefix −)
    __m256d ax = _mm256_blendv_pd(x, negX, negative);
    __m256d big = _mm256_cmp_pd(ax, _mm256_set1_pd(6.0), _CMP_GE_OQ);
    __m256d nan = _mm256_cmp_pd(ax, ax, _CMP_NEQ_UQ);
    __m256d s = _mm256_mul_pd(_mm256_blendv_pd(ax, zero, _mm256_or_pd(big, nan)), _mm256_set1_pd(32.0));
    __m128i k = _mm256_cvttpd_epi32(s);
    __m256d kf = _mm256_cvtepi32_pd(k);
    __m256d t = _mm256_sub_pd(_mm256_mul_pd(_mm256_set1_pd(2), _mm256_sub_pd(s, kf)), one);
    __m256d t2 = _mm256_mul_pd(t, t), t4 = _mm256_mul_pd(t2, t2);
    // Each lane's eight coefficients are one 64-byte row of the table: two lanes' pairs (c_j, c_{j+1}) share a
    // register by 128-bit loads, and one unpack per pair of registers gives c_j and c_{j+1} across the lanes.
    const double *r0 = tb + 8 * _mm_extract_epi32(k, 0), *r1 = tb + 8 * _mm_extract_epi32(k, 1);
    const double *r2 = tb + 8 * _mm_extract_epi32(k, 2), *r3 = tb + 8 * _mm_extract_epi32(k, 3);
#define NNT_PAIR(j, cj, cj1) \
    __m256d cj, cj1; \
    { __m256d m02 = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(r0 + j)), _mm_loadu_pd(r2 + j), 1); \
      __m256d m13 = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(r1 + j)), _mm_loadu_pd(r3 + j), 1); \
      cj = _mm256_unpacklo_pd(m02, m13); cj1 = _mm256_unpackhi_pd(m02, m13); }
    NNT_PAIR(0, c0, c1)
    NNT_PAIR(2, c2, c3)
    NNT_PAIR(4, c4, c5)
    NNT_PAIR(6, c6, c7)
#undef NNT_PAIR
    __m256d p01 = _mm256_add_pd(c0, _mm256_mul_pd(c1, t)), p23 = _mm256_add_pd(c2, _mm256_mul_pd(c3, t));
    __m256d p45 = _mm256_add_pd(c4, _mm256_mul_pd(c5, t)), p67 = _mm256_add_pd(c6, _mm256_mul_pd(c7, t));
    __m256d p = _mm256_add_pd(_mm256_add_pd(p01, _mm256_mul_pd(p23, t2)),
                              _mm256_mul_pd(_mm256_add_pd(p45, _mm256_mul_pd(p67, t2)), t4));
    __m256d r = _mm256_blendv_pd(p, one, big);
    r = _mm256_blendv_pd(r, _mm256_xor_pd(r, _mm256_set1_pd(-0.0)), negative);
    __m256d small = _mm256_cmp_pd(ax, _mm256_set1_pd(0.125), _CMP_LT_OQ);
    {
        // Maclaurin series below |x| = 1/8, evaluated in every lane (a branch on the lanes' magnitudes is taken
        // at random and its mispredictions cost more than the series).
        __m256d z = _mm256_mul_pd(x, x);
        __m256d q = _mm256_set1_pd(SERIES[0]);
        for (int j = 1; j < 8; j++) q = _mm256_add_pd(_mm256_mul_pd(q, z), _mm256_set1_pd(SERIES[j]));
        __m256d series = _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(1.1283791670955126), x), q);
        r = _mm256_blendv_pd(r, series, small);
    }
    return _mm256_blendv_pd(r, x, nan);
}


// erf4's operations on eight lanes (AVX-512): the same bits lane by lane. Each lane's coefficient row is one
// aligned 64-byte load; an 8 × 8 transpose turns the rows into c_0 … c_7 across the lanes.
NNT_AVX512 static inline __m512d erf8(__m512d x, const double *tb) {
    const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1), sign = _mm512_set1_pd(-0.0);
    __mmask8 negative = _mm512_cmp_pd_mask(x, zero, _CMP_LT_OQ);
    __m512d ax = _mm512_mask_xor_pd(x, negative, x, sign);
    __mmask8 big = _mm512_cmp_pd_mask(ax, _mm512_set1_pd(6.0), _CMP_GE_OQ);
    __mmask8 nan = _mm512_cmp_pd_mask(ax, ax, _CMP_NEQ_UQ);
    __m512d s = _mm512_mul_pd(_mm512_mask_mov_pd(ax, big | nan, zero), _mm512_set1_pd(32.0));
    __m256i k = _mm512_cvttpd_epi32(s);
    __m512d kf = _mm512_cvtepi32_pd(k);
    __m512d t = _mm512_sub_pd(_mm512_mul_pd(_mm512_set1_pd(2), _mm512_sub_pd(s, kf)), one);
    __m512d t2 = _mm512_mul_pd(t, t), t4 = _mm512_mul_pd(t2, t2);
    // Row offsets by register extraction (a vector store reloaded as scalars would wait for store forwarding).
    __m256i k8 = _mm256_slli_epi32(k, 3);
    __m128i kLo = _mm256_castsi256_si128(k8), kHi = _mm256_extracti128_si256(k8, 1);
    const int row[8] = {_mm_cvtsi128_si32(kLo), _mm_extract_epi32(kLo, 1), _mm_extract_epi32(kLo, 2), _mm_extract_epi32(kLo, 3),
                        _mm_cvtsi128_si32(kHi), _mm_extract_epi32(kHi, 1), _mm_extract_epi32(kHi, 2), _mm_extract_epi32(kHi, 3)};
    __m512d r0 = _mm512_loadu_pd(tb + row[0]), r1 = _mm512_loadu_pd(tb + row[1]);
    __m512d r2 = _mm512_loadu_pd(tb + row[2]), r3 = _mm512_loadu_pd(tb + row[3]);
    __m512d r4 = _mm512_loadu_pd(tb + row[4]), r5 = _mm512_loadu_pd(tb + row[5]);
    __m512d r6 = _mm512_loadu_pd(tb + row[6]), r7 = _mm512_loadu_pd(tb + row[7]);
    // In 128-bit lane m, e_{2i} holds (r_{2i}[2m], r_{2i+1}[2m]) and o_{2i} the odd entries.
    __m512d e0 = _mm512_unpacklo_pd(r0, r1), o0 = _mm512_unpackhi_pd(r0, r1);
    __m512d e2 = _mm512_unpacklo_pd(r2, r3), o2 = _mm512_unpackhi_pd(r2, r3);
    __m512d e4 = _mm512_unpacklo_pd(r4, r5), o4 = _mm512_unpackhi_pd(r4, r5);
    __m512d e6 = _mm512_unpacklo_pd(r6, r7), o6 = _mm512_unpackhi_pd(r6, r7);
    __m512d ea = _mm512_shuffle_f64x2(e0, e2, 0x88), eb = _mm512_shuffle_f64x2(e0, e2, 0xDD);
    __m512d ec = _mm512_shuffle_f64x2(e4, e6, 0x88), ed = _mm512_shuffle_f64x2(e4, e6, 0xDD);
    __m512d oa = _mm512_shuffle_f64x2(o0, o2, 0x88), ob = _mm512_shuffle_f64x2(o0, o2, 0xDD);
    __m512d oc = _mm512_shuffle_f64x2(o4, o6, 0x88), od = _mm512_shuffle_f64x2(o4, o6, 0xDD);
    __m512d c0 = _mm512_shuffle_f64x2(ea, ec, 0x88), c4 = _mm512_shuffle_f64x2(ea, ec, 0xDD);
    __m512d c2 = _mm512_shuffle_f64x2(eb, ed, 0x88), c6 = _mm512_shuffle_f64x2(eb, ed, 0xDD);
    __m512d c1 = _mm512_shuffle_f64x2(oa, oc, 0x88), c5 = _mm512_shuffle_f64x2(oa, oc, 0xDD);
    __m512d c3 = _mm512_shuffle_f64x2(ob, od, 0x88), c7 = _mm512_shuffle_f64x2(ob, od, 0xDD);
    __m512d p01 = _mm512_add_pd(c0, _mm512_mul_pd(c1, t)), p23 = _mm512_add_pd(c2, _mm512_mul_pd(c3, t));
    __m512d p45 = _mm512_add_pd(c4, _mm512_mul_pd(c5, t)), p67 = _mm512_add_pd(c6, _mm512_mul_pd(c7, t));
    __m512d p = _mm512_add_pd(_mm512_add_pd(p01, _mm512_mul_pd(p23, t2)),
                              _mm512_mul_pd(_mm512_add_pd(p45, _mm512_mul_pd(p67, t2)), t4));
    __m512d r = _mm512_mask_mov_pd(p, big, one);
    r = _mm512_mask_xor_pd(r, negative, r, sign);
    __mmask8 small = _mm512_cmp_pd_mask(ax, _mm512_set1_pd(0.125), _CMP_LT_OQ);
    __m512d z = _mm512_mul_pd(x, x);
    __m512d q = _mm512_set1_pd(SERIES[0]);
    for (int j = 1; j < 8; j++) q = _mm512_add_pd(_mm512_mul_pd(q, z), _mm512_set1_pd(SERIES[j]));
    __m512d series = _mm512_mul_pd(_mm512_mul_pd(_mm512_set1_pd(1.1283791670955126), x), q);
    r = _mm512_mask_mov_pd(r, small, series);
    return _mm512_mask_mov_pd(r, nan, x);
}

// Groups 2h and 2h + 1 in one register (neurons 8h … 8h + 7); the low half's products are added first, as
// the four-lane loop adds group 2h before 2h + 1.
NNT_AVX512 static void erf_lanes8(const double *normals, size_t pairs, size_t d, const double *x, size_t points,
                                  double *acc, const double *erfTable, double sdW, double sdB, double sdA) {
    const size_t stride = d + 2;
    const __m512d scaleW = _mm512_set1_pd(sdW), scaleB = _mm512_set1_pd(sdB), scaleA = _mm512_set1_pd(sdA);
    // d = 1: the 24 values (w, b, a) of eight neurons are three registers; two permutes split them by kind.
    const __m512i pickW = _mm512_setr_epi64(0, 3, 6, 9, 12, 15, 2, 5), pickB = _mm512_setr_epi64(1, 4, 7, 10, 13, 0, 3, 6);
    const __m512i pickA = _mm512_setr_epi64(2, 5, 8, 11, 14, 1, 4, 7);
    for (size_t h = 0; h < pairs; h++) {
        const double *q = normals + 8 * h * stride;
        __m512d w1 = _mm512_setzero_pd(), b, a;
        if (d == 1) {
            __m512d r0 = _mm512_loadu_pd(q), r1 = _mm512_loadu_pd(q + 8), r2 = _mm512_loadu_pd(q + 16);
            // Entries 0…15 come from r0:r1; the last two (w) or three (b, a) from r2.
            w1 = _mm512_mask_permutexvar_pd(_mm512_permutex2var_pd(r0, pickW, r1), 0xC0, pickW, r2);
            b = _mm512_mask_permutexvar_pd(_mm512_permutex2var_pd(r0, pickB, r1), 0xE0, pickB, r2);
            a = _mm512_mask_permutexvar_pd(_mm512_permutex2var_pd(r0, pickA, r1), 0xE0, pickA, r2);
            w1 = _mm512_mul_pd(scaleW, w1);
        } else {
#define NNT_LANES(k) _mm512_set_pd(q[7 * stride + k], q[6 * stride + k], q[5 * stride + k], q[4 * stride + k], \
                                   q[3 * stride + k], q[2 * stride + k], q[stride + k], q[k])
            b = NNT_LANES(d);
            a = NNT_LANES(d + 1);
        }
        b = _mm512_mul_pd(scaleB, b);
        a = _mm512_mul_pd(scaleA, a);
        size_t p = 0;
        if (d == 1) {
            // Three points per iteration: independent erf chains for the out-of-order core to overlap.
            for (; p + 3 <= points; p += 3) {
                __m512d z0 = _mm512_add_pd(b, _mm512_mul_pd(w1, _mm512_set1_pd(x[p])));
                __m512d z1 = _mm512_add_pd(b, _mm512_mul_pd(w1, _mm512_set1_pd(x[p + 1])));
                __m512d z2 = _mm512_add_pd(b, _mm512_mul_pd(w1, _mm512_set1_pd(x[p + 2])));
                __m512d prod0 = _mm512_mul_pd(a, erf8(z0, erfTable)), prod1 = _mm512_mul_pd(a, erf8(z1, erfTable));
                __m512d prod2 = _mm512_mul_pd(a, erf8(z2, erfTable));
                __m256d s0 = _mm256_add_pd(_mm256_loadu_pd(acc + 4 * p), _mm512_castpd512_pd256(prod0));
                __m256d s1 = _mm256_add_pd(_mm256_loadu_pd(acc + 4 * p + 4), _mm512_castpd512_pd256(prod1));
                __m256d s2 = _mm256_add_pd(_mm256_loadu_pd(acc + 4 * p + 8), _mm512_castpd512_pd256(prod2));
                _mm256_storeu_pd(acc + 4 * p, _mm256_add_pd(s0, _mm512_extractf64x4_pd(prod0, 1)));
                _mm256_storeu_pd(acc + 4 * p + 4, _mm256_add_pd(s1, _mm512_extractf64x4_pd(prod1, 1)));
                _mm256_storeu_pd(acc + 4 * p + 8, _mm256_add_pd(s2, _mm512_extractf64x4_pd(prod2, 1)));
            }
        }
        for (; p < points; p++) {
            __m512d z = b;
            if (d == 1) z = _mm512_add_pd(z, _mm512_mul_pd(w1, _mm512_set1_pd(x[p])));
            else
                for (size_t j = 0; j < d; j++)
                    z = _mm512_add_pd(z, _mm512_mul_pd(_mm512_mul_pd(scaleW, NNT_LANES(j)), _mm512_set1_pd(x[p * d + j])));
            __m512d prod = _mm512_mul_pd(a, erf8(z, erfTable));
            __m256d s = _mm256_add_pd(_mm256_loadu_pd(acc + 4 * p), _mm512_castpd512_pd256(prod));
            _mm256_storeu_pd(acc + 4 * p, _mm256_add_pd(s, _mm512_extractf64x4_pd(prod, 1)));
        }
#undef NNT_LANES
    }
}

NNT_AVX512 static void erf_values8(const double *values, double *out, size_t count, const double *erfTable) {
    for (size_t i = 0; i + 8 <= count; i += 8) _mm512_storeu_pd(out + i, erf8(_mm512_loadu_pd(values + i), erfTable));
}

NNT_AVX2 void nnt_erf_values(const double *values, double *out, size_t count, const double *erfTable) {
    size_t i = 0;
    if (nnt_vector_level() >= 3) { erf_values8(values, out, count, erfTable); i = count - count % 8; }
    for (; i + 4 <= count; i += 4) _mm256_storeu_pd(out + i, erf4(_mm256_loadu_pd(values + i), erfTable));
}

NNT_AVX2 void nnt_erf_lanes(const double *normals, size_t groups, size_t d, const double *x, size_t points,
                            double *acc, const double *erfTable, double sdW, double sdB, double sdA) {
    const size_t stride = d + 2;
    size_t g = 0;
    if (nnt_vector_level() >= 3) {
        erf_lanes8(normals, groups / 2, d, x, points, acc, erfTable, sdW, sdB, sdA);
        g = groups - groups % 2;
    }
    const __m256d scaleW = _mm256_set1_pd(sdW);
    for (; g < groups; g++) {
        const double *p0 = normals + 4 * g * stride, *p1 = p0 + stride, *p2 = p1 + stride, *p3 = p2 + stride;
        __m256d b = _mm256_mul_pd(_mm256_set1_pd(sdB), _mm256_set_pd(p3[d], p2[d], p1[d], p0[d]));
        __m256d a = _mm256_mul_pd(_mm256_set1_pd(sdA), _mm256_set_pd(p3[d + 1], p2[d + 1], p1[d + 1], p0[d + 1]));
        size_t p = 0;
        if (d == 1) {
            __m256d w = _mm256_mul_pd(scaleW, _mm256_set_pd(p3[0], p2[0], p1[0], p0[0]));
            // Two points per iteration: two independent erf chains for the out-of-order core to overlap.
            for (; p + 2 <= points; p += 2) {
                __m256d z0 = _mm256_add_pd(b, _mm256_mul_pd(w, _mm256_set1_pd(x[p])));
                __m256d z1 = _mm256_add_pd(b, _mm256_mul_pd(w, _mm256_set1_pd(x[p + 1])));
                __m256d h0 = erf4(z0, erfTable), h1 = erf4(z1, erfTable);
                _mm256_storeu_pd(acc + 4 * p, _mm256_add_pd(_mm256_loadu_pd(acc + 4 * p), _mm256_mul_pd(a, h0)));
                _mm256_storeu_pd(acc + 4 * p + 4, _mm256_add_pd(_mm256_loadu_pd(acc + 4 * p + 4), _mm256_mul_pd(a, h1)));
            }
        }
        for (; p < points; p++) {
            __m256d z = b;
            for (size_t j = 0; j < d; j++)
                z = _mm256_add_pd(z, _mm256_mul_pd(_mm256_mul_pd(scaleW, _mm256_set_pd(p3[j], p2[j], p1[j], p0[j])),
                                                   _mm256_set1_pd(x[p * d + j])));
            __m256d h = erf4(z, erfTable);
            _mm256_storeu_pd(acc + 4 * p, _mm256_add_pd(_mm256_loadu_pd(acc + 4 * p), _mm256_mul_pd(a, h)));
        }
    }
}

#else
void nnt_erf_values(const double *values, double *out, size_t count, const double *erfTable) {
    (void)values; (void)out; (void)count; (void)erfTable;
}
void nnt_erf_lanes(const double *normals, size_t groups, size_t d, const double *x, size_t points,
                   double *acc, const double *erfTable, double sdW, double sdB, double sdA) {
    (void)sdW; (void)sdB; (void)sdA; (void)normals; (void)groups; (void)d; (void)x; (void)points; (void)acc; (void)erfTable;
}
#endif

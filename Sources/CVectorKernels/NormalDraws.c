// Standard normals of RandomStream (NumericCore/RandomStream.swift, Ziggurat.swift) with Philox4x32-10 on
// eight counters per AVX2 register (sixteen per AVX-512 register) and the ziggurat's common case
// (|U| < x[i+1]/x[i], ≈ 99 % of draws) four (eight) draws at a time. Bit-identical to the Swift code: the same words in the same order, the same operations
// (no contraction into fused multiply-adds), the rare wedge and tail cases by the same scalar code.
#include "CVectorKernels.h"
#include <math.h>

#pragma clang fp contract(off)

#if defined(__x86_64__)
#include "VectorTargets.h"


enum { LAYERS = 256 };
static const double ZIGGURAT_R = 3.6541528853610088;

// 8 × 32-bit lanes: hi and lo halves of a · m.
NNT_AVX2 static inline void mulhilo8(__m256i a, __m256i m, __m256i *hi, __m256i *lo) {
    __m256i even = _mm256_mul_epu32(a, m);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

// Blocks [block, block + 8) of (key, stream) as 16 words at out (block-major, two words per block).
NNT_AVX2 static void philox8(uint64_t seed, uint64_t stream, uint64_t block, uint64_t *out) {
    uint32_t lo[8], hi[8];
    for (int b = 0; b < 8; b++) { uint64_t c = block + (uint64_t)b; lo[b] = (uint32_t)c; hi[b] = (uint32_t)(c >> 32); }
    __m256i c0 = _mm256_loadu_si256((const __m256i *)lo), c1 = _mm256_loadu_si256((const __m256i *)hi);
    __m256i c2 = _mm256_set1_epi32((int)(uint32_t)stream), c3 = _mm256_set1_epi32((int)(uint32_t)(stream >> 32));
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    const __m256i m0 = _mm256_set1_epi32((int)0xD2511F53u), m1 = _mm256_set1_epi32((int)0xCD9E8D57u);
    for (int r = 0; r < 10; r++) {
        if (r > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        __m256i hi0, lo0, hi1, lo1;
        mulhilo8(c0, m0, &hi0, &lo0);
        mulhilo8(c2, m1, &hi1, &lo1);
        __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32((int)k0));
        __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32((int)k1));
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    }
    // Transpose to block-major 32-bit words (c0 c1 c2 c3 of block 0, of block 1, …).
    __m256i t0 = _mm256_unpacklo_epi32(c0, c1), t1 = _mm256_unpackhi_epi32(c0, c1);
    __m256i t2 = _mm256_unpacklo_epi32(c2, c3), t3 = _mm256_unpackhi_epi32(c2, c3);
    __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    _mm256_storeu_si256((__m256i *)out + 0, _mm256_permute2x128_si256(u0, u1, 0x20));
    _mm256_storeu_si256((__m256i *)out + 1, _mm256_permute2x128_si256(u2, u3, 0x20));
    _mm256_storeu_si256((__m256i *)out + 2, _mm256_permute2x128_si256(u0, u1, 0x31));
    _mm256_storeu_si256((__m256i *)out + 3, _mm256_permute2x128_si256(u2, u3, 0x31));
}

// Sixteen blocks per register (AVX-512F): [block, block + 16) as 32 words at out; the same words as two philox8.

NNT_AVX512 static inline void mulhilo16(__m512i a, __m512i m, __m512i *hi, __m512i *lo) {
    __m512i even = _mm512_mul_epu32(a, m);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    *lo = _mm512_mullo_epi32(a, m);
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

NNT_AVX512 static void philox16(uint64_t seed, uint64_t stream, uint64_t block, uint64_t *out) {
    uint32_t lo[16], hi[16];
    for (int b = 0; b < 16; b++) { uint64_t c = block + (uint64_t)b; lo[b] = (uint32_t)c; hi[b] = (uint32_t)(c >> 32); }
    __m512i c0 = _mm512_loadu_si512(lo), c1 = _mm512_loadu_si512(hi);
    __m512i c2 = _mm512_set1_epi32((int)(uint32_t)stream), c3 = _mm512_set1_epi32((int)(uint32_t)(stream >> 32));
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    const __m512i m0 = _mm512_set1_epi32((int)0xD2511F53u), m1 = _mm512_set1_epi32((int)0xCD9E8D57u);
    for (int r = 0; r < 10; r++) {
        if (r > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        __m512i hi0, lo0, hi1, lo1;
        mulhilo16(c0, m0, &hi0, &lo0);
        mulhilo16(c2, m1, &hi1, &lo1);
        __m512i n0 = _mm512_ternarylogic_epi32(hi1, c1, _mm512_set1_epi32((int)k0), 0x96);   // three-way xor
        __m512i n2 = _mm512_ternarylogic_epi32(hi0, c3, _mm512_set1_epi32((int)k1), 0x96);
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    }
    // In 128-bit lane k, u_j holds block 4k + j's four words; then the lanes in block order.
    __m512i t0 = _mm512_unpacklo_epi32(c0, c1), t1 = _mm512_unpackhi_epi32(c0, c1);
    __m512i t2 = _mm512_unpacklo_epi32(c2, c3), t3 = _mm512_unpackhi_epi32(c2, c3);
    __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
    __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
    __m512i a = _mm512_shuffle_i64x2(u0, u1, 0x44), b = _mm512_shuffle_i64x2(u2, u3, 0x44);
    __m512i c = _mm512_shuffle_i64x2(u0, u1, 0xEE), d = _mm512_shuffle_i64x2(u2, u3, 0xEE);
    _mm512_storeu_si512(out + 0, _mm512_shuffle_i64x2(a, b, 0x88));
    _mm512_storeu_si512(out + 8, _mm512_shuffle_i64x2(a, b, 0xDD));
    _mm512_storeu_si512(out + 16, _mm512_shuffle_i64x2(c, d, 0x88));
    _mm512_storeu_si512(out + 24, _mm512_shuffle_i64x2(c, d, 0xDD));
}

// A window of generated words: words [start, start + WINDOW) of the stream, `cursor` the next unused one.
enum { WINDOW = 256 };
typedef struct {
    uint64_t seed, stream, start;   // start: position of words[0]; always even (a block boundary)
    size_t cursor;
    uint64_t words[WINDOW];
} WordWindow;

NNT_AVX2 static void window_fill(WordWindow *w, uint64_t start) {
    w->start = start;
    if (nnt_vector_level() >= 3) {
        for (int k = 0; k < WINDOW / 32; k++) philox16(w->seed, w->stream, start / 2 + (uint64_t)(16 * k), w->words + 32 * k);
    } else {
        for (int k = 0; k < WINDOW / 16; k++) philox8(w->seed, w->stream, start / 2 + (uint64_t)(8 * k), w->words + 16 * k);
    }
}

NNT_AVX2 static inline uint64_t window_next(WordWindow *w) {
    if (w->cursor == WINDOW) { window_fill(w, w->start + WINDOW); w->cursor = 0; }
    return w->words[w->cursor++];
}

NNT_AVX2 void nnt_philox_words(uint64_t seed, uint64_t stream, uint64_t position, uint64_t *out, size_t count) {
    WordWindow w;
    w.seed = seed; w.stream = stream;
    window_fill(&w, position - position % 2);
    w.cursor = (size_t)(position % 2);
    for (size_t k = 0; k < count; k++) out[k] = window_next(&w);
}

// RandomStream.normal(), one draw, from the window's words (the rare branches included).
NNT_AVX2 static double normal_scalar(WordWindow *w, const double *t) {
    for (;;) {
        uint64_t bits = window_next(w);
        int i = (int)(bits & 0xFF);
        double u = 2 * ((double)(bits >> 11) + 0.5) * 0x1.0p-53 - 1;
        double ratio = t[LAYERS + 1 + i], xi = t[i];
        if (fabs(u) < ratio) return u * xi;
        if (i == 0) {
            double a, b;
            do {
                a = log(((double)(window_next(w) >> 11) + 1) * 0x1.0p-53) / ZIGGURAT_R;
                b = log(((double)(window_next(w) >> 11) + 1) * 0x1.0p-53);
            } while (-2 * b < a * a);
            return u < 0 ? a - ZIGGURAT_R : ZIGGURAT_R - a;
        }
        double z = u * xi, xn = t[i + 1];
        double f0 = exp(-0.5 * (xi * xi - z * z)), f1 = exp(-0.5 * (xn * xn - z * z));
        if (f1 + (double)(window_next(w) >> 11) * 0x1.0p-53 * (f0 - f1) < 1) return z;
    }
}

// The ziggurat's common case for four words (AVX2): candidates u·x[i] written to out, bit l of the result set
// where |u| < ratio[i] (lane l accepted). Double(k) of the 53-bit k exactly: its high and low 32 bits through the
// 2⁵² trick, then one exact sum (AVX2 has no 64-bit integer conversion).
NNT_AVX2 static inline int zig4(const uint64_t *word, const double *table, double *out) {
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);      // 2⁵² as a double's bits
    const __m256d two52 = _mm256_set1_pd(0x1.0p52);
    __m256i k = _mm256_srli_epi64(_mm256_loadu_si256((const __m256i *)word), 11);
    __m256d kHi = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(k, 32), magic)), two52);
    __m256d kLo = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(k, _mm256_set1_epi64x(0xFFFFFFFFLL)), magic)), two52);
    __m256d kd = _mm256_add_pd(_mm256_mul_pd(kHi, _mm256_set1_pd(0x1.0p32)), kLo);
    __m256d u = _mm256_sub_pd(_mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(2), _mm256_add_pd(kd, _mm256_set1_pd(0.5))),
                                            _mm256_set1_pd(0x1.0p-53)), _mm256_set1_pd(1));
    // The layers' table entries by scalar loads (cheaper than two gathers on current cores).
    const double *ratios = table + LAYERS + 1;
    size_t i0 = word[0] & 0xFF, i1 = word[1] & 0xFF, i2 = word[2] & 0xFF, i3 = word[3] & 0xFF;
    __m256d ratio = _mm256_set_pd(ratios[i3], ratios[i2], ratios[i1], ratios[i0]);
    __m256d xi = _mm256_set_pd(table[i3], table[i2], table[i1], table[i0]);
    __m256d accept = _mm256_cmp_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), u), ratio, _CMP_LT_OQ);
    _mm256_storeu_pd(out, _mm256_mul_pd(u, xi));
    return _mm256_movemask_pd(accept);
}

// The ziggurat's common case for eight words (AVX-512): candidates u·x[i] written to out, bit l of the result
// set where |u| < ratio[i] (lane l accepted).
NNT_AVX512 static inline int zig8(const uint64_t *word, const double *table, double *out) {
    __m512i bits = _mm512_loadu_si512(word);
    __m512d kd = _mm512_cvtepu64_pd(_mm512_srli_epi64(bits, 11));                 // exact: k < 2⁵³
    __m512d u = _mm512_sub_pd(_mm512_mul_pd(_mm512_mul_pd(_mm512_set1_pd(2), _mm512_add_pd(kd, _mm512_set1_pd(0.5))),
                                            _mm512_set1_pd(0x1.0p-53)), _mm512_set1_pd(1));
    const double *ratios = table + LAYERS + 1;
    size_t i0 = word[0] & 0xFF, i1 = word[1] & 0xFF, i2 = word[2] & 0xFF, i3 = word[3] & 0xFF;
    size_t i4 = word[4] & 0xFF, i5 = word[5] & 0xFF, i6 = word[6] & 0xFF, i7 = word[7] & 0xFF;
    __m512d ratio = _mm512_set_pd(ratios[i7], ratios[i6], ratios[i5], ratios[i4], ratios[i3], ratios[i2], ratios[i1], ratios[i0]);
    __m512d xi = _mm512_set_pd(table[i7], table[i6], table[i5], table[i4], table[i3], table[i2], table[i1], table[i0]);
    __mmask8 accept = _mm512_cmp_pd_mask(_mm512_abs_pd(u), ratio, _CMP_LT_OQ);
    _mm512_storeu_pd(out, _mm512_mul_pd(u, xi));
    return (int)accept;
}

NNT_AVX2 uint64_t nnt_fill_normals(uint64_t seed, uint64_t stream, uint64_t position, double *n, size_t count,
                                   const double *table) {
    WordWindow w;
    w.seed = seed; w.stream = stream;
    window_fill(&w, position - position % 2);
    w.cursor = (size_t)(position % 2);
    const size_t width = nnt_vector_level() >= 3 ? 8 : 4;
    const int all = (1 << width) - 1;
    size_t done = 0;
    while (done < count) {
        if (count - done >= width && w.cursor + width <= WINDOW) {
            // Candidates for `width` words at n[done…]: keep those before the first rejection (all, usually).
            int mask = width == 8 ? zig8(w.words + w.cursor, table, n + done) : zig4(w.words + w.cursor, table, n + done);
            if (mask == all) { done += width; w.cursor += width; continue; }
            size_t j = 0;
            while (mask & (1 << j)) j++;
            done += j; w.cursor += j;
        }
        // The rejected word (or a short tail, or the window's edge) by the scalar code, which may take more words.
        n[done++] = normal_scalar(&w, table);
    }
    return w.start + w.cursor;
}

#else
uint64_t nnt_fill_normals(uint64_t seed, uint64_t stream, uint64_t position, double *n, size_t count,
                          const double *table) { (void)seed; (void)stream; (void)n; (void)count; (void)table; return position; }
void nnt_philox_words(uint64_t seed, uint64_t stream, uint64_t position, uint64_t *out, size_t count) {
    (void)seed; (void)stream; (void)position; (void)out; (void)count;
}
#endif

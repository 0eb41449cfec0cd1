#ifndef NNTHEORY_CVECTORKERNELS_H
#define NNTHEORY_CVECTORKERNELS_H
// Vector (AVX2, AVX-512) kernels of the ensemble sampler and the kernel maps, chosen at run time. Each kernel reproduces the bits of the
// portable Swift code it replaces (no fused multiply-add, the same order of operations), so a result does not
// depend on the CPU it ran on; the Swift code stays the baseline path (NumericCore/VectorUnit.swift).
#include <stddef.h>
#include <stdint.h>

/// 3 when this CPU runs AVX-512 (F, DQ, VL) besides AVX2, 2 with AVX2 alone, 0 otherwise or with
/// NNTHEORY_VECTOR=baseline (NNTHEORY_VECTOR=avx2 caps it at 2). Every level gives the same bits.
int nnt_vector_level(void);

/// Standard normals n[0..<count] of the counter-based stream (seed, stream) from 64-bit word `position` on,
/// exactly as RandomStream.normal() draws them one by one (Philox4x32-10 words, Doornik's ziggurat with the
/// tables x[0…256], ratio[0…255] at `table`). Returns the position after the last word consumed.
/// AVX2 only: call when nnt_vector_level() >= 2.
uint64_t nnt_fill_normals(uint64_t seed, uint64_t stream, uint64_t position, double *n, size_t count,
                          const double *table);

/// The Philox4x32-10 64-bit words [position, position + count) of (seed, stream): word 2b is
/// block b's (w0 | w1 << 32), word 2b + 1 its (w2 | w3 << 32), through the same window of blocks as
/// nnt_fill_normals (16 counters per register with AVX-512, else 8). AVX2 only.
void nnt_philox_words(uint64_t seed, uint64_t stream, uint64_t position, uint64_t *out, size_t count);

/// The Erf-net's hidden layer in groups of four neurons (one per lane): for g < groups and every point p,
/// acc[4p + l] += (sdA·n_a) · erf(sdB·n_b + Σ_j (sdW·n_j) x[p·d + j]) with neuron 4g + l's standard normals
/// (n_0…n_{d−1}, n_b, n_a) at normals[(4g + l)(d + 2) …]; groups in order, the sum over j in order (as
/// SingleLayerEnsemble.sampleField's baseline lanes, which scale the normals first: the same products).
/// erf is FastErf's table (`erfTable`: 8 coefficients per interval of width 1/32 on [0, 6]). AVX2 only.
void nnt_erf_lanes(const double *normals, size_t groups, size_t d, const double *x, size_t points,
                   double *acc, const double *erfTable, double sdW, double sdB, double sdA);

/// erf of values[0..<count] into out by the widest kernel of this CPU (eight lanes with AVX-512, then four;
/// count a multiple of 4), each lane as FastErf's four-lane evaluation. AVX2 only; for tests.
void nnt_erf_values(const double *values, double *out, size_t count, const double *erfTable);

/// out[i] = atan2(y[i], x[i]) for y[i] ≥ 0, i < count, as PolarAngle.angle (NumericCore/PolarAngle.swift) computes
/// it: eight lanes with AVX-512, else four; `out` may alias y or x. AVX2 only.
void nnt_polar_angles(const double *y, const double *x, double *out, size_t count);

/// The Erf nonlinearity's kernel map (Nonlinearity.map, `.erf(a, b, c)`) on `rows` rows of `cols` entries of a tile
/// whose rows are `stride` apart: with p₁₁ = b²·diag1[r], p₁₂ = b²K₁₂, p₂₂ = b²·diag2[c] and
/// q = (1 + 2p₁₁)(1 + 2p₂₂) − 4p₁₂², K₁₂ ← tScale·asin(2p₁₂/√q…) + c2 (the angle of (|2p₁₂|, √max(0, q)), signed as
/// K₁₂) and Θ ← dScale/√q·b·b·Θ, in place, as the Swift map computes them. AVX2 only.
void nnt_erf_kernel_rows(double *k, double *th, size_t stride, size_t rows, size_t cols, const double *diag1,
                         const double *diag2, double b, double tScale, double dScale, double c2);

/// The ABReLU nonlinearity's kernel map (`.abRelu(a, b)`, d = (a − b)², half = (a² + b²)/2, slope = d/(2π)) on a tile
/// as above: s = √max(0, K₁₁K₂₂ − K₁₂²), θ = atan2(s, K₁₂) (π/2 where s = K₁₂ = 0), Ṫ = half − dθ/(2π),
/// K₁₂ ← slope·s + Ṫ·K₁₂, Θ ← Ṫ·Θ, in place, as the Swift map computes them. AVX2 only.
void nnt_abrelu_kernel_rows(double *k, double *th, size_t stride, size_t rows, size_t cols, const double *diag1,
                            const double *diag2, double d, double half, double slope);

#endif

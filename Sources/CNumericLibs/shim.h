#ifndef NNTHEORY_CNUMERICLIBS_SHIM_H
#define NNTHEORY_CNUMERICLIBS_SHIM_H
// OpenBLAS's CBLAS, LAPACKE (C interface to LAPACK), FFTW3 (double precision) and zlib (inflate, for the
// deflated members of numpy's .npz archives).
// Swift cannot import C99 `double _Complex`, so LAPACKE's complex type is a plain {re, im} struct
// (layout-compatible with `double _Complex` and with swift-numerics' `Complex<Double>`), and
// <complex.h> is NOT included before <fftw3.h>, which makes `fftw_complex` a `double[2]`.
typedef struct { float re, im; } nnt_complex_float;
typedef struct { double re, im; } nnt_complex_double;
#define lapack_complex_float nnt_complex_float
#define lapack_complex_double nnt_complex_double
#include <cblas.h>
#include <lapacke.h>
#include <fftw3.h>
#include <zlib.h>
#endif

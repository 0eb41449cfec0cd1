#!/usr/bin/env bash
# Ensemble throughput (network·point evaluations per second) of the Erf-net estimator at N = 1000, P = 6:
# nntheory (both cores) against the plain numpy reference (Benchmarks/numpy_reference.py, one core).
# Usage: bash Benchmarks/ensemble_throughput.sh [M] [M_numpy]   (defaults 1000000 and 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
M=${1:-1000000}
MNP=${2:-100000}
BIN=.build/release/nntheory
X=-1,-0.6,-0.2,0.2,0.6,1
OUT=$(mktemp -d)
t0=$(date +%s.%N)
$BIN correlators --net erf --widths 1000 --networks "$M" --chunks 10 --x $X --lambda-cutoffs 10 --out "$OUT/mc" >/dev/null
t1=$(date +%s.%N)
$BIN correlators --net erf --widths 1000 --networks 0 --x $X --lambda-cutoffs 10 --out "$OUT/exact" >/dev/null
t2=$(date +%s.%N)
python3 - "$M" "$t0" "$t1" "$t2" <<'PY'
import sys
M, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:])
mc = (t1 - t0) - (t2 - t1)
print(f"nntheory: N=1000 P=6 M={M}: {t1 - t0:.2f} s wall ({mc:.2f} s sampling), {M * 6 / mc:.4g} network·point evaluations/s")
PY
# The peer runs with this machine's OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset (they hold a current numpy to older
# kernels; here BLAS is not its bottleneck: 4.85–5.20·10⁴ evaluations/s either way, 2026-12-03).
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 Benchmarks/numpy_reference.py --width 1000 --networks "$MNP"
rm -rf "$OUT"

#!/usr/bin/env bash
# Ensemble throughput (network·point evaluations per second) of the Erf-net estimator at N = 1000, P = 6:
# nntheory (both cores) against the plain numpy reference (Benchmarks/numpy_reference.py, one core), with each
# side's peak resident memory (GNU time's maximum RSS) and the vector kernels nntheory ran (`run.vector_unit`).
# Usage: bash Benchmarks/ensemble_throughput.sh [M] [M_numpy]   (defaults 1000000 and 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
M=${1:-1000000}
MNP=${2:-100000}
BIN=${NNTHEORY_BIN:-.build/release/nntheory}
X=-1,-0.6,-0.2,0.2,0.6,1
OUT=$(mktemp -d)
TIME=/usr/bin/time
t0=$(date +%s.%N)
$TIME -f "%M" -o "$OUT/rss_mc" $BIN correlators --net erf --widths 1000 --networks "$M" --chunks 10 --x $X --lambda-cutoffs 10 --out "$OUT/mc" >/dev/null 2>"$OUT/log"
t1=$(date +%s.%N)
$BIN correlators --net erf --widths 1000 --networks 0 --x $X --lambda-cutoffs 10 --out "$OUT/exact" >/dev/null 2>&1
t2=$(date +%s.%N)
python3 - "$M" "$t0" "$t1" "$t2" "$OUT" <<'PY'
import json, sys
M, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:5])
out = sys.argv[5]
mc = (t1 - t0) - (t2 - t1)
rss = int(open(f"{out}/rss_mc").read().split()[-1]) / 1024
unit = json.load(open(f"{out}/mc/summary.json"))["run"].get("vector_unit", "?")
print(f"nntheory ({unit}): N=1000 P=6 M={M}: {t1 - t0:.2f} s wall ({mc:.2f} s sampling), "
      f"{M * 6 / mc:.4g} network·point evaluations/s, peak RSS {rss:.0f} MiB")
PY
# The peer runs with this machine's OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset (they hold a current numpy to older
# kernels; here BLAS is not its bottleneck: 4.85–5.20·10⁴ evaluations/s either way, 2026-12-03).
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $TIME -f "numpy peak RSS %M KiB" python3 Benchmarks/numpy_reference.py --width 1000 --networks "$MNP"
rm -rf "$OUT"

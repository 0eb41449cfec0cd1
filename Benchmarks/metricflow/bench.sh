#!/usr/bin/env bash
# 2-D Ricci flow from u = cos(x) on [0, 2π)², t = 0…16: nntheory flow torus against the scipy Radau reference
# (ricci_radau.py), whole processes run in turn (ours, scipy, ours, scipy, …) under /usr/bin/time, then the
# agreement of the last two runs (compare.py). See Benchmarks/metricflow/RESULTS.md.
#
# Usage (repository root):  swift build -c release && bash Benchmarks/metricflow/bench.sh [GRID ...]   (default 16 32 64)
# Environment: NNTHEORY (binary, default .build/release/nntheory), PY (python3 with numpy and scipy),
# RUNS (pairs per grid, default 5), TOL (nntheory --tolerance, default 1e-8), WORK (scratch dir, default /tmp/metricflow-bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
NNTHEORY=${NNTHEORY:-.build/release/nntheory}
PY=${PY:-python3}
RUNS=${RUNS:-5}
TOL=${TOL:-1e-8}
W=${WORK:-/tmp/metricflow-bench}
GRIDS=("$@")
[ ${#GRIDS[@]} -eq 0 ] && GRIDS=(16 32 64)
mkdir -p "$W"
for n in "${GRIDS[@]}"; do
  echo "== grid $n"
  for r in $(seq "$RUNS"); do
    rm -rf "$W/ours-$n" "$W/scipy-$n"
    /usr/bin/time -f "   ours  run $r: %e s wall, %U s user + %S s sys, max RSS %M kB" \
      "$NNTHEORY" flow torus --init "u = cos(x)" --grid "$n" --t-end 16 --tolerance "$TOL" --out "$W/ours-$n" >/dev/null
    # The peer without this machine's OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (they hold numpy's OpenBLAS to Haswell kernels).
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/time -f "   scipy run $r: %e s wall, %U s user + %S s sys, max RSS %M kB" \
      "$PY" Benchmarks/metricflow/ricci_radau.py --grid "$n" --t-end 16 --init cos --out "$W/scipy-$n" >/dev/null
  done
  "$PY" Benchmarks/metricflow/compare.py "$W/ours-$n" "$W/scipy-$n" | tail -1
done

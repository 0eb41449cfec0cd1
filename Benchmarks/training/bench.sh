#!/usr/bin/env bash
# One training step (forward jets to the input Hessian, metric, curvature, loss, parameter gradient) of a
# 3-layer width-64 tanh network on 10^4 random points of T^n, nntheory against PyTorch (torch.func, CPU, Float64),
# back to back. nntheory writes the points and parameters; the PyTorch script reads them and cross-checks the
# loss and the gradient. See Benchmarks/training/RESULTS.md.
#
# Usage (repository root):
#   swift build -c release --scratch-path .build-train --product nntheory && bash Benchmarks/training/build_timing.sh
#   bash Benchmarks/training/bench.sh [CASE ...]     (default: t2-conformal-scalar2 t3-conformal-scalar2 t3-ldl-ricci2)
# Environment: TIMING (harness), PY (python with torch 2.x), THREADS (torch intra-op threads, default 2),
# REPEATS (timed steps per process, best and median reported), WORK (scratch dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
TIMING=${TIMING:-.build-train/release/training-timing}
PY=${PY:-/work/venvs/torch/bin/python}
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-5}
W=${WORK:-/tmp/training-bench}
CASES=("$@")
[ ${#CASES[@]} -eq 0 ] && CASES=(t2-conformal-scalar2 t3-conformal-scalar2 t3-ldl-ricci2)
for c in "${CASES[@]}"; do
  echo "== $c"
  /usr/bin/time -f "   (process: %e s wall, %U s user + %S s sys, max RSS %M kB)" "$TIMING" "$c" "$W/$c" "$REPEATS"
  routes=(metric); [[ $c == *conformal* ]] && routes=(outputs metric)
  for r in "${routes[@]}"; do
    /usr/bin/time -f "   (process: %e s wall, %U s user + %S s sys, max RSS %M kB)" \
      "$PY" Benchmarks/training/torch_reference.py "$c" "$W/$c" "$([ $r = metric ] && echo 2 || echo "$REPEATS")" "$THREADS" "$r"
  done
done

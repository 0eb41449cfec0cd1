#!/usr/bin/env bash
# Convolutional kernels at CIFAR-like shapes (issue 20 point 4): nntheory's `kernel` CLI against neural-tangents
# 0.6.5's jitted kernel_fn (Float64, CPU), depth 5: (Conv(1, (3,3), padding=SAME, W_std=1.4, b_std=0.1), Relu) × 5,
# then Flatten (P = 100; only the spatial diagonal is needed) or GlobalAvgPool (P = 10; the full spatial covariance,
# P²·(32·32)² numbers per kernel), then Dense(1, W_std=1.5), on x [P, 32, 32, 3] ~ N(0, 1) (numpy default_rng(0)).
#
# Usage (repository root, after `swift build -c release --product nntheory`; the neural-tangents venv as in
# Benchmarks/ntk/RESULTS.md):
#   bash Benchmarks/ntk/conv_bench.sh [flatten|gap ...]
# Environment: BIN (nntheory binary), PY (python of the neural-tangents venv), WORK (scratch), REPEATS (runs of each).
#
# neural-tangents: one process per run under /usr/bin/time -v (max RSS, wall of the whole process: import,
# compilation, then the warm calls); inside it the first call (compile + run) and the best of 3 warm calls with
# block_until_ready. nntheory: the CLI end to end (start-up, reading x, the kernels, writing nngp.npy and ntk.npy).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build/release/nntheory}
PY=${PY:-/work/venvs/nt/bin/python}
W=${WORK:-/tmp/conv-bench}
REPEATS=${REPEATS:-3}
mkdir -p "$W"
CASES=("$@")
[ ${#CASES[@]} -eq 0 ] && CASES=(flatten gap)
layer="Conv(1, (3,3), padding=SAME, W_std=1.4, b_std=0.1) Relu"
for c in "${CASES[@]}"; do
  case $c in
    flatten) P=100; readout=Flatten ;;
    gap) P=10; readout=GlobalAvgPool ;;
    *) echo "unknown case $c, expected flatten or gap" >&2; exit 2 ;;
  esac
  x="$W/x$P.npy"
  [ -f "$x" ] || python3 -c "import numpy as np; np.save('$x', np.random.default_rng(0).standard_normal(($P, 32, 32, 3)))"
  spec="$layer $layer $layer $layer $layer $readout Dense(1, W_std=1.5)"
  echo "== $c: P = $P, 32×32×3, depth 5; uptime: $(uptime)"
  for r in $(seq "$REPEATS"); do
    rm -rf "$W/out"
    /usr/bin/time -f "nntheory: wall %e s, max RSS %M kB" "$BIN" kernel --net "$spec" --x "$x" --out "$W/out" > /dev/null
    TF_CPP_MIN_LOG_LEVEL=3 /usr/bin/time -f "neural-tangents: wall %e s (whole process), max RSS %M kB" \
      "$PY" Benchmarks/ntk/nt_layers.py bench-conv --P "$P" --readout "$c" --repeats "$([ "$c" = gap ] && echo 1 || echo 3)" 2>&1 \
      | grep -e "^{" -e "neural-tangents:"
  done
  python3 -c "import numpy as np; print('nntheory trace of the NTK', np.trace(np.load('$W/out/ntk.npy')))"
done

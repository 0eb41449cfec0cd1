#!/usr/bin/env bash
# Side-by-side driver: cymetric PhiFSModel (TensorFlow, float32) vs `nntheory cy train` (float64) on the Fermat quintic.
# Usage: bash Benchmarks/cy-train/bench.sh [N_TRAIN] [EPOCHS] [OUTROOT]
# Needs: cymetric source at $CYMETRIC (default /tmp/cymetric-src; not vendored here), tensorflow, tf_keras
# (cymetric is written for Keras 2: TF_USE_LEGACY_KERAS=1), sympy, joblib; `swift build -c release` done.
set -euo pipefail
N=${1:-90000}; E=${2:-16}; OUT=${3:-/tmp/cy-train-bench}
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
CYMETRIC=${CYMETRIC:-/tmp/cymetric-src}
export PYTHONPATH=$CYMETRIC TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2
mkdir -p "$OUT"
# cymetric's dataset: N training + N/9 validation points (val_split 0.1), as in notebooks/1.PointGenerator.ipynb.
TOTAL=$(( N * 10 / 9 ))
[ -f "$OUT/data/dataset.npz" ] || python3 "$HERE/cymetric_data.py" --points "$TOTAL" --out "$OUT/data"
echo "== cymetric (sigma only, batch 64)"; date -u; uptime
python3 "$HERE/cymetric_train.py" --data "$OUT/data" --points "$N" --epochs "$E" --batch 64 --lr 0.001 \
    --mode sigma --out "$OUT/cymetric/summary.json" 2>&1 | grep -E '^epoch'
echo "== nntheory (transition weight 0, batch 64)"; date -u; uptime
rm -rf "$OUT/ours"
"$ROOT/.build/release/nntheory" cy train --variety fermat-quintic --points "$N" --validation-points 10000 \
    --epochs "$E" --batch 64 --lr 0.001 --inputs coordinates --transition-weight 0 --score-points 0 --out "$OUT/ours" 2>&1 | grep -E 'epoch|done'
date -u; uptime
python3 "$HERE/compare.py" "$OUT/cymetric/summary.json" "$OUT/ours/summary.json"

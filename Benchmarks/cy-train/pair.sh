#!/usr/bin/env bash
# Whole-process paired timing of the short configuration (N = 20000 training, 10000 validation points, 2 epochs,
# batch 64): ours and cymetric (its dataset generation + training) in turn, one warm-up pair, then RUNS pairs;
# /usr/bin/time's elapsed, user and system seconds per run.  Usage: bash Benchmarks/cy-train/pair.sh [RUNS]
set -uo pipefail
RUNS=${1:-5}
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
export PYTHONPATH=${CYMETRIC:-/tmp/cymetric-src} TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2
ours() { rm -rf /tmp/pair-ours; "$ROOT/.build/release/nntheory" cy train --variety fermat-quintic --points 20000 \
    --validation-points 10000 --epochs 2 --batch 64 --lr 0.001 --inputs coordinates --transition-weight 0 \
    --score-points 0 --out /tmp/pair-ours >/dev/null 2>&1; }
cym() { python3 "$HERE/cymetric_data.py" --points 30000 --val-split 0.33333333 --out /tmp/pair-cyd >/dev/null 2>&1 &&
    python3 "$HERE/cymetric_train.py" --data /tmp/pair-cyd --epochs 2 --batch 64 --lr 0.001 --mode sigma >/dev/null 2>&1; }
export -f ours cym; export ROOT HERE
echo "run tool wall_s user_s sys_s"
for i in $(seq 0 "$RUNS"); do
    for t in ours cym; do
        /usr/bin/time -f "$i $t %e %U %S" bash -c "$t" 2>&1 | tail -1
    done
done   # run 0 is the warm-up pair

#!/usr/bin/env bash
# Quintic points per second with weights, |Omega|^2 and FS pullbacks: nntheory vs cymetric's PointGenerator and cyjax.
#
#   Benchmarks/cy/bench_points.sh [N_OURS] [N_REF]        (defaults 1000000 and 100000)
#
# nntheory: `cy sample` (release build; NNTHEORY=path overrides), time = seconds_sampling (lines, all roots, Newton
# polish, patches, dependent coordinates, |Omega|^2, weights) + seconds_pullbacks (J and J g_FS J^dagger), read from
# summary.json, best of 3 (process start, the singular-point search and file writing excluded).
# cymetric: Benchmarks/cy/ref_cymetric_points.py (generate_point_weights(omega=True) + pullbacks), best of 2.
# cyjax: Benchmarks/cy/ref_cyjax_points.py (jit of sample_intersect(weights=True) + induced_fs), best of 3 after compile.
# Virtual environments: CYMETRIC_PY (default /work/venvs/cymetric/bin/python), CYJAX_PY (/work/venvs/cyjax/bin/python).
# Prints one JSON line per run.
set -euo pipefail
cd "$(dirname "$0")/../.."
N_OURS=${1:-1000000}
N_REF=${2:-100000}
NNTHEORY=${NNTHEORY:-.build/release/nntheory}
CYMETRIC_PY=${CYMETRIC_PY:-/work/venvs/cymetric/bin/python}
CYJAX_PY=${CYJAX_PY:-/work/venvs/cyjax/bin/python}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ours() {  # $1 = points
  local best=""
  for r in 1 2 3; do
    rm -rf "$TMP/q"   # --out must be new: a reused one is refused, and the old summary would be read again
    "$NNTHEORY" cy sample --variety fermat-quintic --points "$1" --seed "$r" --out "$TMP/q" >/dev/null 2>&1   # set -e stops on a failure
    best=$(python3 - "$TMP/q/summary.json" "$best" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); t = s["seconds_sampling"] + s["seconds_pullbacks"]
prev = float(sys.argv[2]) if sys.argv[2] else 1e300
print(min(t, prev))
PY
)
  done
  python3 -c "import json, os; n=$1; t=$best; print(json.dumps(dict(bench='nntheory_cy_sample', variety='fermat-quintic', points=n, best_s=t, points_per_s=n/t, threads=os.cpu_count(), loadavg=os.getloadavg())))"
}

ours "$N_REF"
ours "$N_OURS"
"$CYJAX_PY" Benchmarks/cy/ref_cyjax_points.py --points "$N_REF" --repeat 3
"$CYMETRIC_PY" Benchmarks/cy/ref_cymetric_points.py --points "$N_REF" --repeat 2

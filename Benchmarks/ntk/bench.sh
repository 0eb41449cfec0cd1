#!/usr/bin/env bash
# Side-by-side timings of nntheory and neural-tangents 0.6.5 (Float64, CPU): analytic NNGP+NTK of depth-3
# ReLU/Erf nets and the empirical NTK of a width-512 depth-3 ReLU net (one output), the kernel of a point set
# [P, 10] with itself. Each pair runs back-to-back; see Benchmarks/ntk/RESULTS.md.
#
# Usage (repository root, after `swift build -c release --scratch-path .build-bench --product nntheory`):
#   bash Benchmarks/ntk/bench.sh [CASE ...]
# CASE: analytic-relu:P  analytic-erf:P  empirical:P  empirical-nt3:P (neural-tangents' STRUCTURED_DERIVATIVES)
#       nntheory-empirical:P (nntheory only). Default: the issue's cases except NT's default empirical
#       implementation at P = 2000 (about 85 s and 8.7 GB per call: run `NT_REPEATS=1 ... empirical:2000`).
# Environment: BIN (nntheory binary), TIMING (the in-process harness from build_timing.sh; skipped if absent),
# PY (python of the neural-tangents venv), WORK (scratch dir, on tmpfs by default so that writing the output
# .npy costs memory bandwidth, not disk), REPEATS (nntheory CLI runs, best taken), NT_REPEATS (timed
# neural-tangents calls for the default empirical implementation, 3 by default), INNER_REPEATS (timed calls
# inside one process, best taken, for neural-tangents' other cases and nntheory in process alike; 3 by default).
#
# neural-tangents: one process per case under /usr/bin/time (max RSS); inside it one warm-up call (compilation
# excluded), then the best of INNER_REPEATS calls with block_until_ready. nntheory: the CLI end to end (start-up, reading
# the inputs, the computation, f(x) for `ntk`, writing the .npy outputs), best of REPEATS wall times, max RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build-bench/release/nntheory}
TIMING=${TIMING:-.build-bench/release/ntk-timing}
PY=${PY:-/work/venvs/nt/bin/python}
W=${WORK:-/dev/shm/ntk-bench}
REPEATS=${REPEATS:-3}
NT=Benchmarks/ntk/nt_reference.py
mkdir -p "$W"
CASES=("$@")
[ ${#CASES[@]} -eq 0 ] && CASES=(analytic-relu:1000 analytic-erf:1000 analytic-relu:4000 analytic-erf:4000
                                 empirical:500 empirical-nt3:500 empirical-nt3:2000 nntheory-empirical:10000)

quiet() { grep -v -e cuda -e TensorRT -e "^WARNING" -e "An NVIDIA" -e "^$" || true; }
[ -f "$W/spec_relu" ] || $PY $NT spec --act relu 2>/dev/null > "$W/spec_relu"
[ -f "$W/spec_erf" ] || $PY $NT spec --act erf 2>/dev/null > "$W/spec_erf"
[ -d "$W/params" ] || $PY $NT init --seed 0 --out "$W/params" 2>/dev/null
if [ ! -f "$W/import_rss" ]; then
  /usr/bin/time -f "%M" -o "$W/import_rss" $PY -c "import sys; sys.path.insert(0, 'Benchmarks/ntk'); import nt_reference" 2>/dev/null
  echo "neural-tangents import-only process: max RSS $(cat "$W/import_rss") kB"
fi

# nntheory CLI: best wall time (s) and max RSS (kB) over REPEATS runs.
run_nntheory() {
  local best=1e9 rss=0 t0 t1 t r
  for _ in $(seq "$REPEATS"); do
    rm -rf "$W/out"
    t0=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$W/rss" "$@" --out "$W/out" >/dev/null
    t1=$(date +%s%N)
    t=$(python3 -c "print(($t1 - $t0) / 1e9)")
    r=$(tail -1 "$W/rss")
    best=$(python3 -c "print(min($best, $t))"); rss=$(( r > rss ? r : rss ))
  done
  rm -rf "$W/out"
  echo "$best $rss"
}

# nntheory in process (Serial.kernels / EmpiricalNTK.kernel, no start-up or output): best of INNER_REPEATS (s), max
# RSS (kB).
run_inproc() {
  [ -x "$TIMING" ] || { echo "- -"; return; }
  "$TIMING" "$@" "${INNER_REPEATS:-3}" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['best_s'], d['max_rss_kb'])"
}

# neural-tangents: best-of-INNER_REPEATS compute time (s) and the process's max RSS (kB).
run_nt() {
  local json
  json=$(/usr/bin/time -f "%M" -o "$W/rss" $PY $NT "$@" 2>/dev/null | quiet)
  echo "$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['best_s'])" "$json") $(tail -1 "$W/rss")"
}

printf "%-16s %6s | %9s %7s | %9s %7s %6s | %9s %7s %6s | %s\n" case P "NT s" "NT MB" "CLI s" "CLI MB" ratio "inproc s" "MB" ratio "load (1, 5, 15 min)"
for c in "${CASES[@]}"; do
  kind=${c%%:*}; P=${c##*:}
  [ -f "$W/x$P.npy" ] || $PY $NT inputs --P "$P" --seed 0 --out "$W/x$P.npy" 2>/dev/null
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  nt="- -"
  case $kind in
    analytic-relu|analytic-erf)
      act=${kind#analytic-}
      nt=$(run_nt bench-analytic --act "$act" --P "$P" --repeats "${INNER_REPEATS:-3}")
      me=$(run_nntheory "$BIN" kernel --net "$(cat "$W/spec_$act")" --x "$W/x$P.npy")
      ip=$(run_inproc kernel "$(cat "$W/spec_$act")" "$W/x$P.npy") ;;
    empirical|empirical-nt3|nntheory-empirical)
      [ "$kind" = empirical ] && nt=$(run_nt bench-empirical --P "$P" --repeats "${NT_REPEATS:-3}")
      [ "$kind" = empirical-nt3 ] && nt=$(run_nt bench-empirical --P "$P" --implementation 3 --repeats "${INNER_REPEATS:-3}")
      me=$(run_nntheory "$BIN" ntk --net "$(cat "$W/spec_relu")" --params "$W/params" --x "$W/x$P.npy")
      ip=$(run_inproc ntk "$(cat "$W/spec_relu")" "$W/params" "$W/x$P.npy") ;;
    *) echo "unknown case $c"; exit 2 ;;
  esac
  read -r nts ntr <<<"$nt"; read -r mes mer <<<"$me"; read -r ips ipr <<<"$ip"
  python3 - "$c" "$P" "$nts" "$ntr" "$mes" "$mer" "$ips" "$ipr" "$load" <<'PY'
import sys
c, P, nts, ntr, mes, mer, ips, ipr, load = sys.argv[1:]
f = lambda s: float(s) if s != "-" else None
nts, ntr, mes, mer, ips, ipr = map(f, (nts, ntr, mes, mer, ips, ipr))
t = lambda x: f"{x:.4g}" if x is not None else "-"
mb = lambda k: f"{k / 1024:.0f}" if k is not None else "-"
ratio = lambda a, b: f"{a / b:.2f}" if a is not None and b else "-"
print(f"{c.split(':')[0]:<16} {P:>6} | {t(nts):>9} {mb(ntr):>7} | {t(mes):>9} {mb(mer):>7} {ratio(nts, mes):>6} | "
      f"{t(ips):>9} {mb(ipr):>7} {ratio(nts, ips):>6} | {load}")
PY
done

#!/usr/bin/env bash
# One table of side-by-side ratios for every headline path (issue 17): nntheory against its peers on this machine,
# each pair timed in turn (A B A B …, Benchmarks/compare/paired_time.py), whole processes unless a row says
# otherwise, peak resident memory beside every time, the peers warm with their compile time beside.
#
#   bash Benchmarks/compare.sh [--quick] [SECTION ...]      (from anywhere; the repository's release build is used)
#
# SECTION: ensemble tanh cli empirical cy donaldson (default: all). --quick: fewer runs and smaller sizes (a smoke
# test of the script, not figures to record).
#
# Peers are installed into throw-away virtual environments outside the repository (PEERS, default a new directory
# under /tmp, removed at the end unless KEEP_PEERS=1; an existing PEERS with the venvs is reused):
#   numpy  : numpy + scipy (latest)              — ensemble (Benchmarks/numpy_reference.py), donaldson (numpy + OpenBLAS)
#   nt     : neural-tangents 0.6.5, jax/jaxlib 0.4.23, numpy 1.26.4, scipy<1.13, tensorflow 2.15.1, tf2jax 0.3.5
#   cyjax  : only if CYJAX_SRC names a checkout of cyjax (not on PyPI), with jax 0.4.30
# Where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (they hold a current numpy to older kernels), they are unset
# for the peers' commands alone; the table records which BLAS kernels each side ran.
# Output: a Markdown table on stdout (paste into BENCHMARKS.md), the raw JSON lines in $OUT (default /tmp/compare-*).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
QUICK=0
SECTIONS=()
for a in "$@"; do
  case $a in
    --quick) QUICK=1 ;;
    ensemble|tanh|cli|empirical|cy|donaldson) SECTIONS+=("$a") ;;
    -h|--help) sed -n 2,20p "$0"; exit 0 ;;
    *) echo "error: unknown section '$a' (expected ensemble, tanh, cli, empirical, cy, donaldson or --quick)" >&2; exit 2 ;;
  esac
done
[ ${#SECTIONS[@]} -eq 0 ] && SECTIONS=(ensemble tanh cli empirical cy donaldson)
want() { local s; for s in "${SECTIONS[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

[ -x /usr/bin/time ] || { echo "error: compare needs GNU time at /usr/bin/time for the peers' peak memory (Debian: apt-get install time)" >&2; exit 2; }
# The installed build (`make static`, as `make install` builds it: the Swift runtime and, where their archives are
# installed, OpenBLAS, LAPACKE and FFTW linked in); BIN=… times another.
BIN=${BIN:-$ROOT/.build-static/release/nntheory}
[ -x "$BIN" ] || { echo "compare: building the installed binary (make static)" >&2; make -C "$ROOT" static >&2; }
OUT=${OUT:-$(mktemp -d /tmp/compare-XXXXXX)}
mkdir -p "$OUT"
NEW_PEERS=0
if [ -z "${PEERS:-}" ]; then PEERS=$(mktemp -d /tmp/nntheory-peers-XXXXXX); NEW_PEERS=1; fi
cleanup() { [ "$NEW_PEERS" = 1 ] && [ "${KEEP_PEERS:-0}" != 1 ] && rm -rf "$PEERS"; true; }
trap cleanup EXIT
PAIR="python3 $ROOT/Benchmarks/compare/paired_time.py"
PEER_ENV="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"
RUNS=5; [ "$QUICK" = 1 ] && RUNS=2
W=$OUT/work; mkdir -p "$W"

venv() {  # venv NAME PACKAGES…: create $PEERS/NAME once, quietly
  local name=$1; shift
  if [ ! -x "$PEERS/$name/bin/python" ]; then
    echo "compare: installing the $name peer into $PEERS/$name" >&2
    python3 -m venv "$PEERS/$name"
    "$PEERS/$name/bin/pip" install -q "$@" >&2
  fi
  echo "$PEERS/$name/bin/python"
}

ROWS=$OUT/rows.jsonl; : > "$ROWS"
row() { echo "$1" >> "$ROWS"; }
pair() {  # pair RUNS A B [BEFORE] → JSON (A = ours, B = the peer; BEFORE untimed before every run)
  $PAIR --runs "$1" --warmup 1 --a "$2" --b "$3" ${4:+--before "$4"}
}

if want ensemble; then
  NP=$(venv numpy numpy scipy)
  M=1000000; MNP=100000; [ "$QUICK" = 1 ] && { M=100000; MNP=10000; }
  j=$(pair "$RUNS" "exec $BIN correlators --net erf --widths 1000 --networks $M --chunks 10 --x -1,-0.6,-0.2,0.2,0.6,1 --lambda-cutoffs 10 --out $W/ens" \
           "exec $PEER_ENV $NP $ROOT/Benchmarks/numpy_reference.py --width 1000 --networks $MNP" "rm -rf $W/ens")
  unit=$(python3 -c "import json; print(json.load(open('$W/ens/summary.json'))['run'].get('vector_unit', '?'))")
  row "$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); s=$M/$MNP; print(json.dumps(dict(section='ensemble', case='Erf-net N=1000 P=6, ours M=$M (2 threads, $unit) vs numpy M=$MNP (1 thread)', ours_s=d['a_wall_s'], ours_mib=d['a_peak_mib'], peer_s=d['b_wall_s'], peer_mib=d['b_peak_mib'], ratio=s/d['ratio_wall_median'], ratio_min=s/d['ratio_wall_max'], ratio_max=s/d['ratio_wall_min'], note='throughput ratio; times are of different M')))" "$j")"
fi

if want tanh || want cli || want empirical; then
  NTPY=$(venv nt neural-tangents==0.6.5 jax==0.4.23 jaxlib==0.4.23 numpy==1.26.4 "scipy<1.13" tensorflow==2.15.1 tf2jax==0.3.5)
  NT=$ROOT/Benchmarks/ntk/nt_reference.py
  quiet() { grep -v -e cuda -e TensorRT -e "^WARNING" -e "An NVIDIA" -e "^$" || true; }
  [ -f "$W/spec_relu" ] || $PEER_ENV "$NTPY" "$NT" spec --act relu 2>/dev/null > "$W/spec_relu"
  [ -d "$W/params" ] || $PEER_ENV "$NTPY" "$NT" init --seed 0 --out "$W/params" 2>/dev/null | quiet >&2
fi

if want tanh; then
  S="Dense(512, W_std=1.5, b_std=0.05) Tanh Dense(512, W_std=1.5, b_std=0.05) Tanh Dense(1, W_std=1.5)"
  SIZES="300 1000"; [ "$QUICK" = 1 ] && SIZES=300
  for P in $SIZES; do
    python3 -c "import numpy as np; np.save('$W/t$P.npy', np.random.default_rng(0).standard_normal(($P, 10)))"
    n=$RUNS; [ "$P" -ge 1000 ] && n=$(( RUNS > 2 ? 2 : RUNS ))
    j=$(pair "$n" "exec $BIN kernel --net '$S' --x $W/t$P.npy --out $W/tanh" \
             "exec $PEER_ENV $NTPY $ROOT/Benchmarks/ntk/nt_tanh.py --x $W/t$P.npy --deg 25 --out $W/nttanh" "rm -rf $W/tanh")
    err=$(python3 - "$W" <<'PY'
import json, sys, numpy as np
w = sys.argv[1]
ref = {k: np.load(f"{w}/tanh/{k}.npy") for k in ("nngp", "ntk")}
nt = {k: np.load(f"{w}/nttanh/{k}.npy") for k in ("nngp", "ntk")}
s = json.load(open(f"{w}/tanh/summary.json"))
def rel(a, b):
    d = np.sqrt(np.outer(np.diag(b), np.diag(b)))
    return float(np.max(np.abs(a - b) / d))
print(json.dumps(dict(nt_ntk_err=rel(nt["ntk"], ref["ntk"]), nt_nngp_err=rel(nt["nngp"], ref["nngp"]),
                      ours_nngp=s["nngp_relative_error_estimate"], ours_ntk=s["ntk_relative_error_estimate"])))
PY
)
    row "$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); e=json.loads(sys.argv[2]); nt=json.loads(d['b_stdout']); print(json.dumps(dict(section='tanh', case='Tanh depth 3, P=$P: kernel (Hermite) vs nt ElementwiseNumerical deg 25', ours_s=d['a_wall_s'], ours_mib=d['a_peak_mib'], peer_s=d['b_wall_s'], peer_mib=d['b_peak_mib'], ratio=1/d['ratio_wall_median'], ratio_min=1/d['ratio_wall_max'], ratio_max=1/d['ratio_wall_min'], peer_warm_s=nt['seconds_warm'], peer_first_call_s=nt['first_call_seconds'], ratio_vs_warm_call=nt['seconds_warm']/d['a_wall_s'], note='relative errors NNGP, NTK: nt %.1e, %.1e (against our kernel); ours %.1e, %.1e (our bound, written beside the kernels)' % (e['nt_nngp_err'], e['nt_ntk_err'], e['ours_nngp'], e['ours_ntk']))))" "$j" "$err")"
  done
fi

# neural-tangents in process: one process per case, warm best-of-10 call (compile time beside), its peak RSS.
nt_call() {  # nt_call SUBCOMMAND ARGS… → JSON line with best_s, first_call_s, peak_mib
  local j rss
  j=$(/usr/bin/time -f "%M" -o "$W/ntrss" $PEER_ENV "$NTPY" "$NT" "$@" --repeats 10 2>/dev/null | grep '^{' | tail -1)
  rss=$(tail -1 "$W/ntrss")
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); d['peak_mib']=int(sys.argv[2])/1024; print(json.dumps(d))" "$j" "$rss"
}
ours_alone() {  # ours_alone RUNS CMD [BEFORE] → JSON of our whole process (paired against `true`, which costs nothing)
  pair "$1" "$2" "true" "${3:-}"
}

if want cli; then
  cc -O2 -o "$W/cli_floor" "$ROOT/Benchmarks/compare/cli_floor.c"
  for act in relu erf; do
    [ -f "$W/spec_$act" ] || $PEER_ENV "$NTPY" "$NT" spec --act "$act" 2>/dev/null > "$W/spec_$act"
    for P in 1000 4000; do
      [ "$QUICK" = 1 ] && [ "$P" = 4000 ] && continue
      [ -f "$W/x$P.npy" ] || $PEER_ENV "$NTPY" "$NT" inputs --P "$P" --seed 0 --out "$W/x$P.npy" 2>/dev/null
      nt=$(nt_call bench-analytic --act "$act" --P "$P")
      me=$(ours_alone $(( RUNS * 2 )) "exec $BIN kernel --net '$(cat "$W/spec_$act")' --x $W/x$P.npy --out $W/k" "rm -rf $W/k")
      row "$(python3 -c "import json,sys; n=json.loads(sys.argv[1]); m=json.loads(sys.argv[2]); print(json.dumps(dict(section='cli', case='kernel $act depth 3, P=$P: our whole process vs nt jitted kernel_fn (warm call)', ours_s=m['a_wall_s'], ours_mib=m['a_peak_mib'], peer_s=n['best_s'], peer_mib=n['peak_mib'], ratio=n['best_s']/m['a_wall_s'], ratio_min=n['best_s']/m['a_wall_max_s'], ratio_max=n['best_s']/m['a_wall_min_s'], peer_first_call_s=n.get('first_call_s'))))" "$nt" "$me")"
      # The floor of any command on this machine: a C process that only writes the two P×P arrays (cli_floor.c).
      fl=$(ours_alone $(( RUNS * 2 )) "exec $W/cli_floor $P $W/f" "rm -rf $W/f")
      row "$(python3 -c "import json,sys; n=json.loads(sys.argv[1]); m=json.loads(sys.argv[2]); print(json.dumps(dict(section='cli', case='floor for $act, P=$P: a C process that only writes the two arrays (Benchmarks/compare/cli_floor.c) vs the same nt call', ours_s=m['a_wall_s'], ours_mib=m['a_peak_mib'], peer_s=n['best_s'], peer_mib=n['peak_mib'], ratio=n['best_s']/m['a_wall_s'], ratio_min=n['best_s']/m['a_wall_max_s'], ratio_max=n['best_s']/m['a_wall_min_s'], note='the most any CLI can reach here')))" "$nt" "$fl")"
    done
  done
fi

if want empirical; then
  for P in 500 1000 2000; do
    [ -f "$W/x$P.npy" ] || $PEER_ENV "$NTPY" "$NT" inputs --P "$P" --seed 0 --out "$W/x$P.npy" 2>/dev/null
    nt=$(nt_call bench-empirical --P "$P" --implementation 3)
    me=$(ours_alone $(( RUNS * 2 )) "exec $BIN ntk --net '$(cat "$W/spec_relu")' --params $W/params --x $W/x$P.npy --out $W/e" "rm -rf $W/e")
    row "$(python3 -c "import json,sys; n=json.loads(sys.argv[1]); m=json.loads(sys.argv[2]); print(json.dumps(dict(section='empirical', case='ntk (empirical NTK) width 512 depth 3, P=$P: our whole process vs nt structured derivatives (warm call)', ours_s=m['a_wall_s'], ours_mib=m['a_peak_mib'], peer_s=n['best_s'], peer_mib=n['peak_mib'], ratio=n['best_s']/m['a_wall_s'], ratio_min=n['best_s']/m['a_wall_max_s'], ratio_max=n['best_s']/m['a_wall_min_s'], peer_first_call_s=n.get('first_call_s'))))" "$nt" "$me")"
  done
fi

if want cy; then
  N=1000000; [ "$QUICK" = 1 ] && N=100000
  if [ -n "${CYJAX_SRC:-}" ]; then
    CJ=$(venv cyjax "jax[cpu]==0.4.30" "$CYJAX_SRC")
    j=$(pair 3 "exec $BIN cy sample --variety fermat-quintic --points $N --seed 1 --out $W/cy" \
               "exec $PEER_ENV $CJ $ROOT/Benchmarks/cy/ref_cyjax_points.py --points $N --repeat 2" "rm -rf $W/cy")
    row "$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); c=json.loads(d['b_stdout']); print(json.dumps(dict(section='cy', case='cy sample, Fermat quintic, $N points with weights and FS pullbacks vs cyjax (whole processes)', ours_s=d['a_wall_s'], ours_mib=d['a_peak_mib'], peer_s=d['b_wall_s'], peer_mib=d['b_peak_mib'], ratio=1/d['ratio_wall_median'], ratio_min=1/d['ratio_wall_max'], ratio_max=1/d['ratio_wall_min'], peer_warm_s=c.get('best_s'), peer_first_call_s=c.get('first_call_with_compile_s'))))" "$j")"
  else
    me=$(ours_alone 3 "exec $BIN cy sample --variety fermat-quintic --points $N --seed 1 --out $W/cy" "rm -rf $W/cy")
    rate=$(python3 -c "import json; s=json.load(open('$W/cy/summary.json')); print($N/(s['seconds_sampling']+s['seconds_pullbacks']))")
    row "$(python3 -c "import json,sys; m=json.loads(sys.argv[1]); print(json.dumps(dict(section='cy', case='cy sample, Fermat quintic, $N points (no peer: set CYJAX_SRC to a cyjax checkout)', ours_s=m['a_wall_s'], ours_mib=m['a_peak_mib'], note='%.3g points/s sampling + pullbacks' % $rate)))" "$me")"
  fi
fi

if want donaldson; then
  NP=$(venv numpy numpy scipy)
  PTS=100000; KS="4 5 6"; [ "$QUICK" = 1 ] && { PTS=20000; KS=4; }
  cc -O2 -o "$W/blas_peak" "$ROOT/Benchmarks/cy/blas_peak.c" -lopenblas
  /usr/bin/time -f "%M" -o "$W/donaldson_rss" $PEER_ENV "$NP" "$ROOT/Benchmarks/cy/donaldson_bench.py" --points "$PTS" --k $KS \
      --repeat 3 --no-cyjax > "$W/donaldson_numpy.jsonl"
  NP_RSS=$(tail -1 "$W/donaldson_rss")
  for k in $KS; do
    me=$(ours_alone 2 "exec $BIN cy donaldson --variety fermat-quintic --k $k --points $PTS --max-iterations 3 --tolerance 1e-12 --eval-points 1000 --ricci-points 0 --out $W/d" "rm -rf $W/d")
    step=$(python3 -c "import json; print(json.load(open('$W/d/summary.json'))['degrees'][0]['seconds_per_iteration'])")
    nk=$(python3 -c "import json; print([json.loads(l) for l in open('$W/donaldson_numpy.jsonl') if json.loads(l)['k']==$k][0]['sections'])")
    floor=$("$W/blas_peak" "$PTS" "$nk")
    row "$(python3 -c "import json,sys; m=json.loads(sys.argv[1]); n=[json.loads(l) for l in open('$W/donaldson_numpy.jsonl') if json.loads(l)['k']==$k][0]; f=json.loads(sys.argv[2]); s=$step; print(json.dumps(dict(section='donaldson', case='Donaldson T-operator step, quintic k=$k (N_k=%d), $PTS points: vs numpy + OpenBLAS (%s kernels)' % (n['sections'], n['blas_core']), ours_s=s, ours_mib=m['a_peak_mib'], peer_s=n['seconds_per_step'], peer_mib=$NP_RSS/1024, ratio=n['seconds_per_step']/s, note='peer peak: its process over all k; ours / BLAS floor (ZTRMM + ZHERK, same shapes) = %.2f; DGEMM peak %.0f Gflop/s' % (s/f['blas_floor_s'], f['dgemm_gflops']))))" "$me" "$floor")"
  done
fi

python3 - "$ROWS" "$BIN" <<'PY'
import json, os, platform, subprocess, sys, time
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
version = subprocess.run([sys.argv[2], "--version"], capture_output=True, text=True).stdout.strip()
blas = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if os.environ.get(k)}
try:  # the kernel family of the system OpenBLAS our binary links (under this environment)
    import ctypes
    get = ctypes.CDLL("libopenblas.so.0").openblas_get_corename
    get.restype = ctypes.c_char_p
    core = get().decode()
except OSError:
    core = "unknown"
linked = subprocess.run(["ldd", sys.argv[2]], capture_output=True, text=True).stdout
shared = [l for l in ("openblas", "lapacke", "fftw3") if f"lib{l}" in linked]
binary = (f"{os.path.relpath(sys.argv[2], os.getcwd()) if sys.argv[2].startswith(os.getcwd()) else sys.argv[2]}, "
          + (f"{', '.join(shared)} as shared libraries" if shared else "OpenBLAS, LAPACKE and FFTW linked in"))
print(f"Generated by `bash Benchmarks/compare.sh` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {cpu}, "
      f"{os.cpu_count()} cores, load average {' '.join('%.2f' % x for x in os.getloadavg())}; {version} ({binary}); "
      f"ours on OpenBLAS {core} kernels ({blas or 'no OPENBLAS_CORETYPE/L2_SIZE set'}), the peers with those unset "
      f"(numpy's own OpenBLAS picks its kernels; the Donaldson row names them).\n")
print("| section | case | nntheory | peak | peer | peak | ratio (min–max) | peer compile / note |")
print("|---|---|---|---|---|---|---|---|")
f = lambda x: "–" if x is None else (f"{x:.3g} s" if isinstance(x, (int, float)) else str(x))
mib = lambda x: "–" if x is None else f"{x:.0f} MiB"
for r in rows:
    rng = f"**{r['ratio']:.2f}×**" + (f" ({r['ratio_min']:.2f}–{r['ratio_max']:.2f})" if "ratio_min" in r else "") if "ratio" in r else "–"
    extra = []
    if r.get("peer_first_call_s") is not None: extra.append(f"first call {r['peer_first_call_s']:.3g} s")
    if r.get("peer_warm_s") is not None: extra.append(f"warm call {r['peer_warm_s']:.3g} s")
    if r.get("ratio_vs_warm_call") is not None: extra.append(f"vs its warm call {r['ratio_vs_warm_call']:.2f}×")
    if r.get("note"): extra.append(r["note"])
    print(f"| {r['section']} | {r['case']} | {f(r.get('ours_s'))} | {mib(r.get('ours_mib'))} | {f(r.get('peer_s'))} | "
          f"{mib(r.get('peer_mib'))} | {rng} | {'; '.join(extra)} |")
print("\nratio = how many times faster nntheory is (peer time / our time; for the ensemble, throughput).")
PY
echo "compare: raw rows in $ROWS" >&2

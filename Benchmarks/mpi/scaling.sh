#!/usr/bin/env bash
# Strong scaling of the MPI build on this machine (2 cores): each command at mpirun -np 2 with one thread per rank (A)
# against (1) mpirun -np 1 with one thread (B: the speed-up of a second rank) and (2) one process with two threads
# (B: what MPI costs against threads), timed in turn by farm-bench (ratio A/B pair by pair); outputs compared bit for
# bit. Usage: make mpi && Benchmarks/mpi/scaling.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=$PWD/.build-mpi/release/nntheory
RUNS=${1:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
W=/tmp/nntheory-mpi-bench; rm -rf "$W"; mkdir -p "$W"
echo "# $(date -u +%F) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(mpirun --version | head -1)"
bench() {   # bench LABEL ARGS…   (T1/T2: the thread options of a one-thread rank and of the two-thread process)
  local label=$1; shift
  local T1=${T1---threads 1} T2=${T2---threads 2}
  echo "## $label: nntheory $*"
  echo "### K = 2 (one thread each) against K = 1 (one thread)"
  farm-bench -n "$RUNS" --warmup 1 --timeout 1800 \
    --vs "mpirun -np 1 $B $* $T1 --out $W/$label.one --force" -- mpirun -np 2 "$B" "$@" $T1 --out "$W/$label.two" --force
  echo "### K = 2 (one thread each) against one process with two threads"
  farm-bench -n "$RUNS" --warmup 1 --timeout 1800 \
    --vs "$B $* $T2 --out $W/$label.threads --force" -- mpirun -np 2 "$B" "$@" $T1 --out "$W/$label.two" --force
  for d in one threads; do
    for f in $(cd "$W/$label.$d" && find . -name '*.npy' | sort); do cmp -s "$W/$label.$d/$f" "$W/$label.two/$f" || echo "DIFFERENT: $d $f"; done
  done
}
bench correlators correlators --net erf --widths 1000 --networks 200000 --x=-1,-0.6,-0.2,0.2,0.6,1 --seed 1
bench sample cy sample --variety fermat-quintic --points 2000000 --seed 1
# cy donaldson has no --threads: its blocks run on min(cores, 8) threads and OpenBLAS's, which `mpirun` binds to
# the rank's core
T1= T2= bench donaldson cy donaldson --variety fermat-quintic --k 5 --eval-points 20000 --ricci-points 0 --seed 1
echo "## sigma: nntheory cy sigma --sample SAMPLE(10^5 quintic points) --metric DONALDSON(k = 5)"
"$B" cy sample --variety fermat-quintic --points 100000 --seed 2 --out "$W/q5" > /dev/null 2>&1
farm-bench -n "$RUNS" --warmup 1 --timeout 1800 \
  --vs "sh -c 'exec mpirun -np 1 $B cy sigma --sample $W/q5 --metric $W/donaldson.one --ricci-points 2000 --threads 1 > $W/sigma.one.json'" -- \
  sh -c "exec mpirun -np 2 $B cy sigma --sample $W/q5 --metric $W/donaldson.one --ricci-points 2000 --threads 1 > $W/sigma.two.json"
cmp -s "$W/sigma.one.json" "$W/sigma.two.json" || echo "DIFFERENT: sigma JSON"
# message sizes of the reductions: a correlator tree as sent (JSON), per rank and checkpoint
ls -l "$W/correlators.two/checkpoints/" | awk 'NR>1 {print "checkpoint tree (JSON): " $5 " bytes  " $9}'

#!/usr/bin/env bash
# Strong scaling of the MPI build on this machine: each command as one process on all cores (the yardstick, B)
# against mpirun -np 2 with one thread per rank (A), timed in turn by farm-bench (ratio A/B pair by pair), and the
# outputs compared bit for bit. Usage: make mpi && Benchmarks/mpi/scaling.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=$PWD/.build-mpi/release/nntheory
RUNS=${1:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
W=/tmp/nntheory-mpi-bench; rm -rf "$W"; mkdir -p "$W"
echo "# $(date -u +%F) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(mpirun --version | head -1)"
bench() {   # bench LABEL ARGS…: one process (all cores) vs mpirun -np 2 --threads 1
  local label=$1; shift
  echo "## $label: nntheory $*"
  farm-bench -n "$RUNS" --warmup 1 --timeout 1800 \
    --vs "$B $* --out $W/$label.one --force" -- mpirun -np 2 "$B" "$@" --threads 1 --out "$W/$label.two" --force
  for f in $(cd "$W/$label.one" && find . -name '*.npy' | sort); do cmp -s "$W/$label.one/$f" "$W/$label.two/$f" || echo "DIFFERENT: $f"; done
}
bench correlators correlators --net erf --widths 1000 --networks 1000000 --x=-1,-0.6,-0.2,0.2,0.6,1 --seed 1
bench sample cy sample --variety fermat-quintic --points 2000000 --seed 1
bench donaldson cy donaldson --variety fermat-quintic --k 5 --eval-points 20000 --ricci-points 0 --seed 1
echo "## sigma: nntheory cy sigma --sample SAMPLE(10^6 quintic points) --metric DONALDSON(k = 5)"
"$B" cy sample --variety fermat-quintic --points 1000000 --seed 2 --out "$W/q6" > /dev/null 2>&1
farm-bench -n "$RUNS" --warmup 1 --timeout 1800 \
  --vs "sh -c 'exec $B cy sigma --sample $W/q6 --metric $W/donaldson.one --ricci-points 2000 > $W/sigma.one.json'" -- \
  sh -c "exec mpirun -np 2 $B cy sigma --sample $W/q6 --metric $W/donaldson.one --ricci-points 2000 --threads 1 > $W/sigma.two.json"
cmp -s "$W/sigma.one.json" "$W/sigma.two.json" || echo "DIFFERENT: sigma JSON"
# message sizes of the reductions: a correlator tree as sent (JSON), per rank and checkpoint
ls -l "$W/correlators.two/checkpoints/" | awk 'NR>1 {print "checkpoint tree (JSON): " $5 " bytes  " $9}'

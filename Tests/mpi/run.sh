#!/usr/bin/env bash
# The MPI build under mpirun -np K, K = 1…4, against the same binary run as one process (no mpirun): every .npy
# and summary.json (less run provenance, timings and thread counts) must be the same bits. Then a failing rank (one
# line, the job ends), and a rank killed mid-run (the job ends; --resume with another K finishes it, same bits).
# Usage: Tests/mpi/run.sh PATH/TO/nntheory   (built with --traits MPI)
set -euo pipefail
B=$(realpath "$1")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
cd "$W"
fail=0
same() {   # same DIR_A DIR_B LABEL: every .npy byte-identical, summaries equal without provenance/timings
  local a=$1 b=$2 label=$3 bad=""
  for f in $(cd "$a" && find . -name '*.npy' | sort); do cmp -s "$a/$f" "$b/$f" || bad="$bad $f"; done
  python3 - "$a" "$b" <<'PY' || bad="$bad summary.json"
import json, sys
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if not k.startswith('seconds') and k not in ('run', 'threads')}
    if isinstance(x, list): return [strip(v) for v in x]
    return x
a, b = (strip(json.load(open(d + '/summary.json'))) for d in sys.argv[1:3])
sys.exit(0 if a == b else 1)
PY
  if [ -z "$bad" ]; then echo "ok   $label"; else echo "FAIL $label:$bad"; fail=1; fi
}
run_all() {   # run_all NAME ARGS…: one process, then mpirun -np 1…4, each compared with the first
  local name=$1; shift
  "$B" "$@" --out "$name.serial" > /dev/null 2> "$name.serial.log" || { echo "FAIL $name: serial run"; cat "$name.serial.log"; exit 1; }
  for k in 1 2 3 4; do
    mpirun -np $k "$B" "$@" --out "$name.np$k" > /dev/null 2> "$name.np$k.log" || { echo "FAIL $name: mpirun -np $k"; tail -5 "$name.np$k.log"; fail=1; continue; }
    same "$name.serial" "$name.np$k" "$name, mpirun -np $k"
  done
}

run_all correlators correlators --net erf --widths 2,10 --networks 12000 --x=-1,-0.2,0.6,1 --seed 3
run_all sample cy sample --variety bicubic --points 20000 --seed 5
run_all donaldson cy donaldson --variety fermat-quintic --k 1,2,3 --points 9000 --eval-points 5000 --ricci-points 300 --seed 2

# cy sigma prints its JSON: compare the outputs (FS, and a balanced metric of the bicubic: det g in 3 blocks of
# points, R in 2 blocks, split across the ranks)
"$B" cy donaldson --variety bicubic --k 1,2 --points 9000 --eval-points 2000 --ricci-points 0 --seed 2 --out bicubic-h > /dev/null 2>&1
for metric in fs bicubic-h; do
  "$B" cy sigma --sample sample.serial --metric "$metric" --ricci-points 3000 > "sigma.serial.json" 2>/dev/null
  for k in 1 2 3 4; do
    mpirun -np $k "$B" cy sigma --sample sample.serial --metric "$metric" --ricci-points 3000 > "sigma.np$k.json" 2>/dev/null || true
    if cmp -s sigma.serial.json "sigma.np$k.json"; then echo "ok   cy sigma --metric $metric, mpirun -np $k"; else echo "FAIL cy sigma --metric $metric, mpirun -np $k"; fail=1; fi
  done
done

# A failing rank ends the job at once with one line naming it (rank 0 cannot write its --out: a file is in the way).
touch blocker
set +e
timeout 120 mpirun -np 3 "$B" correlators --net erf --widths 2 --networks 1000 --x=0,1 --out blocker/x > /dev/null 2> fail.log
status=$?
set -e
if [ $status -ne 0 ] && [ $status -ne 124 ] && grep -q "^error: rank 0 of 3: " fail.log; then echo "ok   a failing rank ends the job (status $status)"
else echo "FAIL a failing rank: status $status"; cat fail.log; fail=1; fi

# A rank killed (SIGKILL) mid-run: the job ends (no hang); --resume under another K finishes it, the same bits.
A=(correlators --net erf --widths 4 --networks 400000 --x=-1,0,1 --seed 9)
"$B" "${A[@]}" --out kill.serial > /dev/null 2>&1
mpirun -np 2 "$B" "${A[@]}" --checkpoint-seconds 0.5 --out kill.run > /dev/null 2> kill.log &
job=$!
for _ in $(seq 600); do [ -f kill.run/checkpoints/width-4.json ] && break; sleep 0.1; done
victim=""
for p in $(pgrep -f "nntheory correlators.*kill.run" || true); do
  tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && victim=$p
done
if [ -n "$victim" ] && [ -f kill.run/checkpoints/width-4.json ]; then
  kill -9 "$victim"
  set +e; timeout 60 tail --pid=$job -f /dev/null; waited=$?; wait $job; status=$?; set -e
  if [ $waited -eq 0 ] && [ $status -ne 0 ]; then echo "ok   a killed rank ends the job (status $status)"; else echo "FAIL killed rank: waited $waited status $status"; fail=1; fi
  mpirun -np 3 "$B" "${A[@]}" --resume --out kill.run > /dev/null 2> resume.log || { echo "FAIL resume"; tail -3 resume.log; fail=1; }
  grep -q "resuming" resume.log && echo "ok   resumed from the collective checkpoint" || { echo "FAIL the resume did not use the checkpoint"; fail=1; }
  same kill.serial kill.run "killed at -np 2, resumed at -np 3"
else
  echo "FAIL could not find rank 1 with a checkpoint written"; cat kill.log; fail=1; wait $job || true
fi
# SIGTERM to mpirun: every rank stops after the same batch, rank 0 writes the collective checkpoint; --resume at
# another K gives the bits of an uninterrupted run.
A=(correlators --net erf --widths 4 --networks 2000000 --x=-1,0,1 --seed 11)
"$B" "${A[@]}" --out term.serial > /dev/null 2>&1
mpirun -np 3 "$B" "${A[@]}" --out term.run > /dev/null 2> term.log &
job=$!
for _ in $(seq 600); do grep -q "blocks (" term.log && break; sleep 0.1; done
kill -TERM $job
set +e; wait $job; set -e
if grep -q "stopped by SIGTERM" term.log && [ -f term.run/checkpoints/width-4.json ]; then
  echo "ok   SIGTERM stops every rank with a collective checkpoint"
  mpirun -np 2 "$B" "${A[@]}" --resume --out term.run > /dev/null 2> term2.log || { echo "FAIL resume after SIGTERM"; fail=1; }
  same term.serial term.run "stopped by SIGTERM at -np 3, resumed at -np 2"
else
  echo "FAIL SIGTERM: no stop message or no checkpoint"; tail -3 term.log; fail=1
fi
exit $fail

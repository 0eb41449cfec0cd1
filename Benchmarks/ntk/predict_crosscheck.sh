#!/usr/bin/env bash
# nntheory ntk predict against neural-tangents' gradient_descent_mse_ensemble / gp_inference on the same network,
# points and regulariser: max |ours − theirs| / max |theirs| per regime, time, mean and covariance.
#   NT_PYTHON=/work/venvs/nt/bin/python bash Benchmarks/ntk/predict_crosscheck.sh [BIN]
set -euo pipefail
BIN=${1:-.build/release/nntheory}
PY=${NT_PYTHON:-/work/venvs/nt/bin/python}
REF="$PY Benchmarks/ntk/nt_reference.py"
W=$(mktemp -d)
python3 -c "
import numpy as np
r = np.random.default_rng(5)
np.save('$W/x.npy', r.standard_normal((12, 4))); np.save('$W/y1.npy', r.standard_normal((12, 1)))
np.save('$W/xt.npy', r.standard_normal((7, 4))); np.save('$W/y3.npy', r.standard_normal((12, 3)))"
compare() {  # DIR_OURS DIR_NT REGIMES LABEL
  python3 - "$@" <<'PY'
import sys, numpy as np
ours, nt, regimes, label = sys.argv[1:5]
t = np.load(f"{ours}/times.npy")
for g in regimes.split(","):
    for k in ("mean", "covariance"):
        a, b = np.load(f"{ours}/{g}_{k}.npy"), np.load(f"{nt}/{g}_{k}.npy")
        assert a.shape == b.shape, (g, k, a.shape, b.shape)
        errs = [float(np.abs(a[i] - b[i]).max() / np.abs(b[i]).max()) if np.abs(b[i]).max() > 0 else float(np.abs(a[i]).max()) for i in range(len(t))]
        print(f"| {label} | {g} | {k} | " + ", ".join(f"t={x:g}: {e:.1e}" for x, e in zip(t, errs)) + " |")
PY
}
for act in erf relu; do
  S=$($REF spec --act $act --outputs 1 2>/dev/null)
  $REF predict --act $act --x-train $W/x.npy --y-train $W/y1.npy --x-test $W/xt.npy --times 0,0.5,3,inf --get nngp,ntk \
    --diag-reg 1e-3 --out $W/nt-$act >/dev/null 2>&1
  $BIN ntk predict --net "$S" --x-train $W/x.npy --y-train $W/y1.npy --x-test $W/xt.npy --time 0,0.5,3,inf \
    --regime nngp,ntk --diag-reg 1e-3 --out $W/ours-$act >/dev/null
  compare $W/ours-$act $W/nt-$act nngp,ntk "$act, O = 1, ε = 1e-3 relative"
  S3=$($REF spec --act $act --outputs 3 2>/dev/null)
  $REF predict --act $act --x-train $W/x.npy --y-train $W/y3.npy --x-test $W/xt.npy --times 0.7,20,inf --get nngp,ntk \
    --diag-reg 1e-2 --absolute --out $W/nt3-$act >/dev/null 2>&1
  $BIN ntk predict --net "$S3" --x-train $W/x.npy --y-train $W/y3.npy --x-test $W/xt.npy --time 0.7,20,inf \
    --diag-reg 1e-2 --diag-reg-absolute --out $W/ours3-$act >/dev/null
  compare $W/ours3-$act $W/nt3-$act nngp,ntk "$act, O = 3, ε = 1e-2 absolute"
  $REF predict --act $act --x-train $W/x.npy --y-train $W/y3.npy --x-test $W/xt.npy --times inf --get ntkgp --out $W/ntg-$act >/dev/null 2>&1
  $BIN ntk predict --net "$S3" --x-train $W/x.npy --y-train $W/y3.npy --x-test $W/xt.npy --regime ntkgp --out $W/oursg-$act >/dev/null
  compare $W/oursg-$act $W/ntg-$act ntkgp "$act, O = 3, gp_inference"
  $REF analytic --act $act --x $W/x.npy --out $W/k-nt-$act >/dev/null 2>&1
  $BIN kernel --net "$S" --x $W/x.npy --out $W/k-ours-$act >/dev/null
  python3 -c "
import numpy as np
for k in ('nngp', 'ntk'):
    a, b = np.load('$W/k-ours-$act/' + k + '.npy'), np.load('$W/k-nt-$act/' + k + '.npy')
    print(f'| $act | kernel_fn {k} (train-train, for reference) | | {np.abs(a - b).max() / np.abs(b).max():.1e} |')"
done
rm -rf "$W"

#!/usr/bin/env python3
"""The whole command-line matrix under bad and extreme input (docs/errors.md), as `make fuzz` runs it.

Every command is run from a valid base invocation with one option replaced by a value from a pool of malformed and
extreme values (or with a valid value mutated), each in a fresh output directory, with a time limit. Every outcome
is classified and the table of counts printed; the exit status is 1 when any run crashed, hung, exited 0 with a
non-finite number in an output array, or reported an error on more than one line.

    python3 Fuzz/cli_matrix.py [--bin .build/release/nntheory] [--runs 600] [--timeout 20] [--seed 1]

Outcome classes:
    ok            exit 0, every output array finite
    error         exit 2 or 64 with exactly one line on stderr starting "error:" (progress lines aside)
    interrupted   exit 130/143 (never expected here)
    crash         killed by a signal, a trace ("Fatal error", "Backtrace"), or any other exit status
    hang          still running at the time limit
    silent-nan    exit 0 with NaN/Inf in an output .npy
    multi-line    exit 2/64 with an error of several lines
"""
import argparse
import collections
import os
import random
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:  # the table still works; silent NaNs are then not looked for
    np = None

# Valid base invocations (small, seconds each) and the options worth corrupting in each.
BASES = [
    (["kernel", "--net", "Dense(8) Erf Dense(1)", "--x", "1,0;0,1;0.6,0.8"], ["--net", "--x"]),
    (["ntk", "compute", "--net", "Dense(8) Relu Dense(1)", "--seed", "1", "--x", "1,0;0,1"], ["--net", "--x", "--seed"]),
    (["ntk", "convergence", "--net", "Dense(1) Relu Dense(1)", "--widths", "8,16", "--x", "1,0;0,1", "--networks", "2"],
     ["--net", "--widths", "--x", "--networks"]),
    (["correlators", "--net", "erf", "--widths", "2,4", "--networks", "2000", "--x", "0.1,0.5"],
     ["--net", "--widths", "--networks", "--x", "--orders", "--sigma-w", "--threads"]),
    (["correlators", "--net", "gauss", "--widths", "2", "--networks", "0", "--x", "0.1,0.5"], ["--x", "--sigma-b"]),
    (["freefield", "--width", "10", "--networks", "2000", "--x", "0,0.5"],
     ["--width", "--networks", "--x", "--mass", "--cutoff", "--d", "--blocks"]),
    (["phi4", "--width", "10", "--networks", "0", "--x", "0,0.5"], ["--width", "--lambda", "--mass", "--box", "--x"]),
    (["cy", "sample", "--points", "500"], ["--points", "--variety", "--psi", "--kahler", "--threads"]),
    (["cy", "donaldson", "--k", "1..2", "--points", "2000", "--eval-points", "2000"],
     ["--k", "--points", "--eval-points", "--tolerance"]),
    (["train", "torus", "--steps", "5", "--points", "64"], ["--steps", "--points", "--lr", "--init", "--net", "--batch"]),
    (["flow", "torus", "--grid", "16", "--t-end", "0.05"], ["--grid", "--t-end", "--init"]),
]

BAD = ["", " ", "2,,4", ",", "-1", "0", "1e300", "-1e300", "1e-300", "nan", "inf", "-inf", "1e12", "1000000000000",
       "9223372036854775808", "abc", "1,abc", "((((((((((", "Dense(", "Dense(1e12)", "z0^5", "u = log(0)",
       "x" * 5000, "(" * 20000 + "1" + ")" * 20000, "/nonexistent/file.npy", "0..0", "3..1", "1e400", "-0",
       "\n", "1;2;;3", "Dense(8) Erf(a=1e308) Dense(1)", "-0.8+0.58*i"]


def mutate(value, rng):
    """One small corruption of a valid value: delete, duplicate or insert a character."""
    if not value:
        return rng.choice(BAD)
    i = rng.randrange(len(value))
    return rng.choice([value[:i] + value[i + 1:], value[:i] + value[i] * 3 + value[i:],
                       value[:i] + rng.choice("(),;=-e.9x") + value[i:]])


def nonfinite_arrays(out_dir):
    if np is None or not os.path.isdir(out_dir):
        return []
    bad = []
    for root, _, files in os.walk(out_dir):
        for f in files:
            if f.endswith(".npy") and not f.startswith("."):
                try:
                    a = np.load(os.path.join(root, f), allow_pickle=False)
                except Exception:
                    continue
                if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
                    bad.append(f)
    return bad


def classify(rc, stderr, out_dir, timed_out):
    if timed_out:
        return "hang"
    if "Fatal error" in stderr or "Backtrace" in stderr or rc < 0:
        return "crash"
    if rc == 0:
        return "silent-nan" if nonfinite_arrays(out_dir) else "ok"
    if rc in (130, 143):
        return "interrupted"
    if rc in (2, 64):
        lines = [l for l in stderr.splitlines() if l.strip()]
        errors = [l for l in lines if l.startswith("error:")]
        return "error" if len(errors) == 1 and lines[-1] == errors[0] else "multi-line"
    return "crash"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=".build/release/nntheory")
    ap.add_argument("--runs", type=int, default=600)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"error: --bin {args.bin}: not an executable; expected the built nntheory (make build)")
    rng = random.Random(args.seed)
    table = collections.defaultdict(collections.Counter)
    examples = {}
    work = tempfile.mkdtemp(prefix="nntheory-fuzz-")
    try:
        for k in range(args.runs):
            base, options = BASES[k % len(BASES)]
            argv = list(base)
            opt = rng.choice(options)
            value = rng.choice(BAD) if rng.random() < 0.7 else None
            if opt in argv:
                i = argv.index(opt)
                argv[i + 1] = value if value is not None else mutate(argv[i + 1], rng)
            else:
                argv += [opt, value if value is not None else mutate("2", rng)]
            out_dir = os.path.join(work, f"run{k}")
            cmd = [args.bin] + argv + ["--out", out_dir]
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=args.timeout)
                rc, err, timed_out = p.returncode, p.stderr, False
            except subprocess.TimeoutExpired as e:
                rc, err, timed_out = None, (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or ""), True
            outcome = classify(rc, err, out_dir, timed_out)
            command = " ".join(a for a in base[:2] if not a.startswith("-"))
            table[command][outcome] += 1
            if outcome not in ("ok", "error"):
                examples.setdefault(outcome, []).append(" ".join(repr(a) if (" " in a or not a) else a for a in argv[:12])[:300])
            shutil.rmtree(out_dir, ignore_errors=True)
            if (k + 1) % 50 == 0:
                print(f"{k + 1}/{args.runs} runs", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    classes = ["ok", "error", "interrupted", "crash", "hang", "silent-nan", "multi-line"]
    width = max(len(c) for c in table) + 2
    print("command".ljust(width) + "".join(c.rjust(12) for c in classes))
    total = collections.Counter()
    for command in sorted(table):
        total.update(table[command])
        print(command.ljust(width) + "".join(str(table[command][c]).rjust(12) for c in classes))
    print("all".ljust(width) + "".join(str(total[c]).rjust(12) for c in classes))
    for outcome, cases in examples.items():
        print(f"\n{outcome} ({len(cases)}), e.g.:")
        for c in cases[:5]:
            print("  nntheory " + c)
    bad = sum(total[c] for c in ("crash", "hang", "silent-nan", "multi-line", "interrupted"))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

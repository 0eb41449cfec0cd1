#!/usr/bin/env python3
"""Times two whole commands in turn (A B A B …) and prints one JSON line of medians and pairwise ratios.

    python3 paired_time.py --runs 5 --warmup 1 --a 'CMD_A' --b 'CMD_B' [--before 'CMD']

Each command is one shell string (run by /bin/sh), started `runs` times after `warmup` uncounted runs. `--before`
runs untimed before each run of either command (removing the previous run's outputs, say: a command that refuses an
occupied output folder needs it, and the deletion is not the timed command's work). Per run: wall
seconds (monotonic clock around start and reap), user + system CPU seconds and peak resident memory of the process
tree's largest process (os.wait4's rusage of the child: ru_maxrss covers it and the descendants it waited for). Ratios A/B are taken pair by pair
(pairing keeps them meaningful when the machine's speed drifts), then their median, min and max. The stdout of each
command's last run is kept (`a_stdout`, `b_stdout`: a figure the command prints of itself). A failing run stops the
timing with exit status 1. Peak memory cannot read below this script's own resident size at the fork (≈ 15 MiB):
the child's accounting starts from a copy of it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd):
    """(exit status, wall s, user + system s, peak RSS MiB, stdout, stderr) of one run of `cmd` (a /bin/sh string)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(["/bin/sh", "-c", cmd], stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)   # this child's own accounting: it and the descendants it waited for
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0); err.seek(0)
        return (p.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--before", default=None)
    a = ap.parse_args()
    rows = {"a": [], "b": []}
    last = {}
    for i in range(a.warmup + a.runs):
        for side, cmd in (("a", a.a), ("b", a.b)):
            if a.before is not None and subprocess.run(["/bin/sh", "-c", a.before]).returncode != 0:
                print(f"error: the --before command failed: {a.before}", file=sys.stderr)
                sys.exit(1)
            code, wall, cpu, rss, out, err = timed(cmd)
            if code != 0:
                print(f"error: command {side.upper()} exited {code}: {cmd}\n{err[-2000:]}", file=sys.stderr)
                sys.exit(1)
            if i >= a.warmup:
                rows[side].append((wall, cpu, rss))
            last[side] = out
    res = {}
    for side in ("a", "b"):
        walls = [r[0] for r in rows[side]]
        cpus = [r[1] for r in rows[side]]
        res[f"{side}_peak_mib"] = max(r[2] for r in rows[side])
        res[f"{side}_wall_s"] = statistics.median(walls)
        res[f"{side}_wall_min_s"] = min(walls)
        res[f"{side}_wall_max_s"] = max(walls)
        res[f"{side}_cpu_s"] = statistics.median(cpus)
        res[f"{side}_stdout"] = last[side].strip().splitlines()[-1] if last[side].strip() else ""
    ratios = [ra[0] / rb[0] for ra, rb in zip(rows["a"], rows["b"])]
    res["ratio_wall_median"] = statistics.median(ratios)
    res["ratio_wall_min"] = min(ratios)
    res["ratio_wall_max"] = max(ratios)
    res["runs"] = a.runs
    print(json.dumps(res))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Per-epoch table from a cymetric_train.py summary and an `nntheory cy train` summary.json."""
import json, statistics, sys
c = json.load(open(sys.argv[1])); o = json.load(open(sys.argv[2]))
cs, os_ = c["sigma"], o["sigma"][1:]            # ours: sigma[0] is before training
ct, ot = c["epoch_seconds"], o["epoch_seconds"][1:]
print(f"FS/initial σ: cymetric {c['sigma_fs']:.4f}, nntheory {o['sigma'][0]:.4f} (pure FS {o.get('sigma_fs', float('nan')):.4f})")
print("| epoch | cymetric σ | nntheory σ | cymetric s | nntheory s |")
print("|---|---|---|---|---|")
for i in range(max(len(cs), len(os_))):
    f = lambda l, k, fmt: (fmt % l[k]) if k < len(l) else "–"
    print(f"| {i + 1} | {f(cs, i, '%.4f')} | {f(os_, i, '%.4f')} | {f(ct, i, '%.2f')} | {f(ot, i, '%.2f')} |")
mc, mo = statistics.median(ct[1:]), statistics.median(ot[1:])
print(f"median s/epoch from epoch 2: cymetric {mc:.2f}, nntheory {mo:.2f}, ratio ours/cymetric {mo / mc:.3f}")
print(f"first epoch (cymetric incl. tracing): cymetric {ct[0]:.2f}, nntheory {ot[0]:.2f}")

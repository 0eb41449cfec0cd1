"""Writes the example notebooks (run once by a developer after editing the cells below; the .ipynb files are what
users open and what `make notebooks` executes)."""
import nbformat as nbf

SETUP = '''import os, shutil, subprocess, sys, tempfile
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

# The command line: $NNTHEORY_BIN, else `nntheory` on PATH (make install), else this repository's build.
ROOT = os.path.abspath("..")
BIN = (os.environ.get("NNTHEORY_BIN") or shutil.which("nntheory")
       or next(p for p in (f"{ROOT}/.build/release/nntheory", f"{ROOT}/.build/debug/nntheory") if os.path.exists(p)))
try:
    import nntheory                      # pip install ./python
except ImportError:
    sys.path.insert(0, f"{ROOT}/python"); import nntheory
WORK = tempfile.mkdtemp(prefix="nntheory-example-")

def run(*args, out):
    """Runs `nntheory args --out WORK/out`, prints its report, returns the loaded run."""
    d = os.path.join(WORK, out)
    r = subprocess.run([BIN, *args, "--out", d], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    print(r.stdout.strip())
    return nntheory.load(d)
'''

NOTEBOOKS = {
"ensembles_correlators.ipynb": ("# Neural-network field theory: correlators and their 1/N approach to the Gaussian process", [
("md", """An ensemble of single-hidden-layer Erf networks of width N defines a field theory whose n-point functions
G⁽ⁿ⁾ approach those of a Gaussian process (GP) as N → ∞ (arXiv 2008.08601). `nntheory correlators` samples the
ensemble and computes the exact finite-N values; m_n(N) = ⟨|G⁽ⁿ⁾ − G⁽ⁿ⁾_GP| / G⁽ⁿ⁾_GP⟩ measures the distance.
For one hidden layer the connected four-point function is exactly c/N (README, "Conventions" and the correlators
table), so the exact m₄ falls exactly like 1/N, while the two-point function equals the GP's at every N."""),
("code", SETUP),
("code", '''r = run("correlators", "--net", "erf", "--widths", "2,5,10,20,50", "--networks", "100000",
        "--x", "-1,0,1", "--seed", "1", out="erf")
widths = np.array([w["width"] for w in r.summary["widths"]])
m4_exact = np.array([w["exact_deviation"]["4"] for w in r.summary["widths"]])
m4_mc = np.array([w["deviation"]["4"] for w in r.summary["widths"]])'''),
("code", '''ax = nntheory.plot(r, "scaling.svg")
ax.figure.savefig(os.path.join(WORK, "scaling.png"))'''),
("md", "The number the docs state: the exact m₄ slope against N is −1 (to round-off), and the GP two-point function is exact."),
("code", '''slope = np.polyfit(np.log(widths), np.log(m4_exact), 1)[0]
print("exact m4 slope", slope, "; max exact m2", max(w["exact_deviation"]["2"] for w in r.summary["widths"]))
assert abs(slope + 1) < 1e-9
assert max(w["exact_deviation"]["2"] for w in r.summary["widths"]) < 1e-12'''),
]),
"ntk_kernels.ipynb": ("# NNGP and NTK kernels, and the empirical NTK's approach to them", [
("md", """`nntheory kernel` computes the infinite-width NNGP kernel K and NTK Θ of a SPEC network (neural-tangents'
`stax` conventions, NTK parameterisation). For `Dense(N, W_std=σw, b_std=σb) Relu Dense(1, W_std=σw, b_std=σb)`
on inputs x, x' of dimension d the closed forms are those neural-tangents implements (arc-cosine kernel, Cho & Saul
2009; arXiv 1912.02803):
K₁ = σw² x·x'/d + σb², and with θ = arccos(K₁(x,x')/√(K₁(x,x)K₁(x',x'))),
K = σw² √(K₁K₁') (sin θ + (π − θ) cos θ)/(2π) + σb², Θ = K + σw² K₁ (π − θ)/(2π).
The empirical NTK of finite networks approaches Θ with relative error ∝ N^(−1/2) (`ntk convergence`)."""),
("code", SETUP),
("code", '''x = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [-0.3, 0.5]])
xs = ";".join(",".join(repr(float(v)) for v in row) for row in x)
spec = "Dense(512, W_std=1.5, b_std=0.1) Relu Dense(1, W_std=1.5, b_std=0.1)"
k = run("kernel", "--net", spec, "--x", xs, out="kernel")

sw, sb, d = 1.5, 0.1, x.shape[1]
K1 = sw**2 * x @ x.T / d + sb**2
q = np.diag(K1)
# θ = arccos ρ taken as atan2(√(K₁₁K₂₂ − K₁₂²), K₁₂): arccos of a ρ one ulp below 1 is already 2e-8 off θ = 0.
theta = np.arctan2(np.sqrt(np.maximum(np.outer(q, q) - K1**2, 0)), K1)
n = np.sqrt(q)
nngp = sw**2 * np.outer(n, n) * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2 * np.pi) + sb**2
ntk = nngp + sw**2 * K1 * (np.pi - theta) / (2 * np.pi)
print("max |NNGP − closed form|", abs(k["nngp"] - nngp).max(), " max |NTK − closed form|", abs(k["ntk"] - ntk).max())
assert np.allclose(k["nngp"], nngp, rtol=1e-12, atol=1e-14) and np.allclose(k["ntk"], ntk, rtol=1e-12, atol=1e-14)'''),
("code", '''c = run("ntk", "convergence", "--net", "Dense(1, W_std=1.5) Relu Dense(1)", "--x", "1,0;0,1;0.6,0.8",
        "--widths", "64,256,1024", "--networks", "16", out="convergence")
ax = nntheory.plot(c, "convergence.svg")
ax.figure.savefig(os.path.join(WORK, "convergence.png"))'''),
("md", "The number the docs state (docs/networks.md, README): the fitted exponent is the central-limit −1/2 within its error."),
("code", '''fit = c.summary["fit"]
print("exponent", fit["exponent"], "±", fit["exponent_error"])
assert abs(fit["exponent"] + 0.5) < 4 * fit["exponent_error"]'''),
]),
"phi4_cosnet.ipynb": ("# φ⁴ theory from deformed cos-net ensembles", [
("md", """The cos-net ensemble is a free scalar of mass m with momentum cutoff Λ (arXiv 2112.04527). Weighting it with
e^{−λ∫_V φ⁴/4!} gives φ⁴ theory; at leading order the connected four-point function is
G₄c = −λ V(x₁..x₄), V = ∫_V dᵈy Π_i G_Λ(x_i − y) (docs/fieldtheory.md). `nntheory phi4 --sampler reweight`
measures the λ-part Δ = G₄c(λ) − G₄c(0) by reweighting free networks; docs/fieldtheory.md tabulates
V(0,0,0,0) = 0.031047 for d = 1, m = 1, Λ = 10 in the box [−2, 2] and Δ agreeing with −λV at λ = 0.25."""),
("code", SETUP),
("code", '''p = run("phi4", "--d", "1", "--mass", "1", "--cutoff", "10", "--lambda", "0.25", "--box", "4",
        "--sampler", "reweight", "--width", "500", "--networks", "20000", "--x", "0,0.4,1", "--seed", "3", out="phi4")
V = p["vertex"][0, 0, 0, 0]
delta, err = p["G4c_lambda_part"][0, 0, 0, 0, 0, 0], p["G4c_lambda_part_error"][0, 0, 0, 0, 0, 0]
print(f"V = {V:.6f}; λ-part {delta:.4f} ± {err:.4f}; leading order −λV = {-0.25 * V:.4f}")'''),
("code", '''ax = nntheory.plot(p, "g4c_vs_lambda.svg")
ax.figure.savefig(os.path.join(WORK, "g4c.png"))'''),
("md", "The numbers the docs state: V(0,0,0,0) = 0.031047 (quadrature: deterministic), and Δ = −λV within the statistical error."),
("code", '''assert abs(V - 0.031047) < 5e-6, V
assert abs(delta + 0.25 * V) < 4 * err, (delta, err)'''),
]),
"cy_metrics.ipynb": ("# Calabi–Yau metrics: σ of the Fubini–Study and balanced metrics on the Fermat quintic", [
("md", """`nntheory cy sample` draws Shiffman–Zelditch points with integration weights on a Calabi–Yau; `cy sigma`
measures σ = ⟨|1 − κ det g/|Ω|²|⟩, the distance of a metric from Ricci-flat; `cy donaldson` balances the algebraic
metrics of degree k (docs/cy.md, docs/cy-donaldson.md). The published value for the Fubini–Study metric on the Fermat
quintic on 10⁵ points is σ_FS = 0.3719 ± 0.0008 (cymetric, arXiv 2205.13408; docs/cy-donaldson.md)."""),
("code", SETUP),
("code", '''q = run("cy", "sample", "--variety", "fermat-quintic", "--points", "100000", "--seed", "2", out="quintic")
s = subprocess.run([BIN, "cy", "sigma", "--sample", q.path, "--metric", "fs"], capture_output=True, text=True)
import json
sig = json.loads(s.stdout)
print("σ_FS", sig["sigma"], "±", sig["sigma_error"])'''),
("code", '''dn = run("cy", "donaldson", "--variety", "fermat-quintic", "--k", "1,2,3", "--points", "20000",
         "--eval-points", "20000", "--ricci-points", "0", "--seed", "2", out="donaldson")
ax = nntheory.plot(dn, "sigma.svg")
ax.figure.savefig(os.path.join(WORK, "sigma.png"))
print([round(g["sigma"], 4) for g in dn.summary["degrees"]])'''),
("md", "The numbers the docs state: σ_FS agrees with 0.3719 ± 0.0008 within the combined error, and balancing lowers σ with k."),
("code", '''assert abs(sig["sigma"] - 0.3719) < 4 * np.hypot(sig["sigma_error"], 0.0008)
sk = [g["sigma"] for g in dn.summary["degrees"]]
assert sk[2] < sk[1] < sk[0]'''),
]),
"metric_flows.ipynb": ("# Ricci flow on T² and a network realisation of a metric flow", [
("md", """For a conformal metric e^{u}δ on T², Ricci flow is ∂_t u = e^{−u}Δu; the area A = ∫e^{u} is conserved
(Gauss–Bonnet) and the flow converges to the flat metric. For u₀ = cos x, A = 4π²I₀(1) = 49.98227744 and
Perelman's λ rises to 0 (docs/metricflow.md). The heat-kernel arm ∂_t u = Δu is compared with Ricci flow by the
velocity cosine."""),
("code", SETUP),
("code", '''f = run("flow", "torus", "--init", "u = cos(x)", "--grid", "64", "--t-end", "16", out="ricci")
h = run("flow", "torus", "--flow", "heat", "--init", "u = cos(x)", "--t-end", "4", "--compare", out="heat")'''),
("code", '''fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
nntheory.plot(f, "lambda.svg", ax=axes[0]); nntheory.plot(h, "comparison.svg", ax=axes[1])
fig.savefig(os.path.join(WORK, "flows.png"))'''),
("md", "The numbers the docs state: the area is 4π²I₀(1) = 49.98227744 at every time, and λ rises to 0."),
("code", '''import math
I0 = sum(0.25 ** k / math.factorial(k) ** 2 for k in range(30))  # I₀(1) = Σ (1/4)^k / (k!)²
area = np.array(f.summary["area"])
print("4π²I₀(1) =", 4 * np.pi**2 * I0, "area range", area.min(), area.max(), "λ end", f.summary["lambda"][-1])
assert np.allclose(area, 4 * np.pi**2 * I0, rtol=1e-8)
assert all(b >= a - 1e-9 for a, b in zip(f.summary["lambda"], f.summary["lambda"][1:])) and abs(f.summary["lambda"][-1]) < 1e-9'''),
]),
}

for name, (title, cells) in NOTEBOOKS.items():
    nb = nbf.v4.new_notebook()
    nb.cells = [nbf.v4.new_markdown_cell(title)] + [
        nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src) for kind, src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbf.write(nb, name)
    print("wrote", name)

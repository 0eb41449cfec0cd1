"""Small runs of every command that writes figures (shared by the figure and SVG tests)."""

DRIFT = ["ntk", "drift", "--net", "Dense(1, W_std=1.5) Erf Dense(1)", "--x", "0,0;0.5,1;1,-0.5", "--widths", "16,32",
         "--networks", "3", "--steps", "20", "--record-every", "10"]
RUNS = {
    "correlators": ["correlators", "--net", "erf", "--widths", "2,5", "--networks", "3000", "--x", "0.1,0.5"],
    "ntk convergence": ["ntk", "convergence", "--net", "Dense(1, W_std=1.5) Relu Dense(1)", "--x", "1,0;0,1",
                        "--widths", "16,64", "--networks", "4"],
    "ntk drift": DRIFT,
    "ntk montecarlo": ["ntk", "montecarlo", "--net", "Dense(32, W_std=1.5) Erf Dense(1, W_std=1.5)", "--x", "1,0;0,1;0.6,0.8",
                       "--samples", "50"],
    "ntk predict": ["ntk", "predict", "--net", "Dense(64, W_std=1.5) Erf Dense(1, W_std=1.5)", "--x-train", "-1;0;1",
                    "--y-train", "0.5;-0.2;0.8", "--x-test", "-1.5;-0.5;0.5;1.5", "--time", "1,inf"],
    "freefield": ["freefield", "--d", "1", "--cutoff", "5", "--width", "20", "--x", "0,0.5,1", "--networks", "2000"],
    "phi4": ["phi4", "--d", "1", "--cutoff", "3", "--lambda", "0.5,1", "--box", "1", "--width", "6,12", "--x", "0,0.3",
             "--networks", "4000"],
    "train torus": ["train", "torus", "--net", "Dense(8) Tanh Dense(1)", "--init", "u = 0.3*cos(x)", "--points", "64",
                    "--steps", "20", "--eval-grid", "8", "--loss", "ricci2"],
    "cy donaldson": ["cy", "donaldson", "--variety", "quartic-k3", "--k", "1,2", "--points", "3000", "--eval-points", "1000",
                     "--ricci-points", "0"],
    "cy train": ["cy", "train", "--points", "400", "--validation-points", "200", "--batch", "50", "--score-points", "10",
                 "--epochs", "2"],
    "flow torus": ["flow", "torus", "--flow", "heat", "--init", "u = cos(x)", "--grid", "16", "--t-end", "1", "--compare"],
    "flow torus network": ["flow", "torus", "--flow", "network", "--grid", "16", "--widths", "8,16", "--t-end", "0.2",
                           "--step", "0.05"],
    "flow cy": ["flow", "cy", "--widths", "8,16", "--points", "60", "--validation-points", "200", "--steps", "2",
                "--record-every", "1", "--score-points", "5", "--probe-points", "8", "--krf-degrees", "1", "--krf-time",
                "0.05", "--krf-steps", "2", "--krf-points", "300"],
}

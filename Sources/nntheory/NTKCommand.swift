import ArgumentParser
import Foundation
import NTK
import Networks
import NumericCore

/// `nntheory ntk`: the empirical NTK (default subcommand `compute`), its convergence with width, its drift
/// during training, and the metric-NTK.
struct NTKCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntk",
        abstract: "Empirical NTKs of finite networks: the kernel, its convergence with width, its drift in training, metric-NTKs.",
        discussion: "Each subcommand takes the network as a SPEC (--net); the SPEC grammar is documented in docs/networks.md.",
        subcommands: [NTKComputeCommand.self, NTKConvergenceCommand.self, NTKDriftCommand.self, NTKMetricCommand.self, NTKPredictCommand.self, NTKMonteCarloCommand.self],
        defaultSubcommand: NTKComputeCommand.self
    )
}

struct NTKComputeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compute",
        abstract: "Empirical NTK Θ_ab(x, x') = Σ_I ∂f_a(x)/∂θ_I ∂f_b(x')/∂θ_I of a finite network (the default of `ntk`).",
        discussion: HelpText.paragraphs("""
        The full tensor-valued kernel [P1, P2, O, O] is written as ntk.npy; --trace writes the output-averaged
        [P1, P2] kernel (1/O) Σ_a Θ_aa instead (neural-tangents' default). Gradients are taken with respect to
        the stored parameters (raw N(0,1) draws under NTK parameterisation, as in neural-tangents). Parameters come
        from --seed (and are saved to DIR/params) or from --params DIR in neural-tangents' layout
        (p{i}_W.npy [fan_in, fan_out], p{i}_b.npy [1, fan_out], i = position in the SPEC). Also writes f_x1.npy.

        Examples:
          nntheory ntk \\
              --net "Dense(512, W_std=1.5, b_std=0.05) Relu Dense(3, W_std=1.5)" \\
              --seed 1 --x "1,0;0,1;0.6,0.8" --out e
          nntheory ntk --net "Dense(512) Erf Dense(1)" --params jax_params --x x.npy \\
              --x2 y.npy --trace --out e2
        """)
    )

    @OptionGroup var input: NetworkInputOptions
    @OptionGroup var source: ParameterSourceOptions

    @Flag(help: "Average over outputs: write (1/O) Σ_a Θ_aa [P1, P2].")
    var trace = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        try output.run { dir in
            let (serial, a, b, shape) = try input.resolve()
            let e = EmpiricalNTK(try source.resolve(serial, inputShape: shape, saveTo: dir))
            let (k, f, _) = try e.kernelAndOutputs(a, b, trace: trace)
            try namingInputs(["x": a, "x2": b ?? a], axes: ["x", b == nil ? "x" : "x2"]) {
                try NPY.write([(k, dir.appendingPathComponent("ntk.npy")),
                               (NDArray(f), dir.appendingPathComponent("f_x1.npy"))])
            }
            try ArrayRunSummary(net: serial.description, shape: k.shape, files: ["ntk.npy", "f_x1.npy"]).write(to: dir)
            print("\(serial.description): empirical NTK \(k.shape.map(String.init).joined(separator: "×")) → \(output.out)")
        }
    }
}

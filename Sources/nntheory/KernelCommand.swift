import ArgumentParser
import Foundation
import NTK
import Networks
import NumericCore

struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Infinite-width NNGP and NTK kernels of a network: dense, residual, convolutional (neural-tangents' kernel_fn).",
        discussion: HelpText.paragraphs("""
        Composes each layer's kernel map: input kernel x·x'/d_in, Dense: K ← σ_w²K + σ_b², Θ ← K + σ_w²Θ (NTK
        parameterisation), nonlinearities: K ← E[φ(u)φ(v)], Θ ← E[φ'(u)φ'(v)]·Θ (closed forms; the Hermite
        (Mehler) expansion for Tanh, Sigmoid, Softplus, Swish; polar quadrature split at the kink for Elu);
        residual branches, LayerNorm, Conv, AvgPool, GlobalAvgPool, Flatten and Aggregate (see --net), on images
        [P, H, W, C] or signals [P, L, C] given as .npy (the spatial covariance carried is the diagonal, or every
        pair of positions when the network pools). Writes
        nngp.npy and ntk.npy of shape [P1, P2] ([P1] with --diagonal) and summary.json (the SPEC as parsed, the
        shape, the largest error estimates, the run). With such a layer also
        nngp_quadrature_error.npy and ntk_quadrature_error.npy (same shape): the entrywise estimate
        max(|K(n) − K(n/2)|, |K(n) − K(3n/4)|) over the layers' degrees n (deg=), an upper estimate of the
        error; its maximum is printed on stderr (--no-error-estimate skips it, ≈ 0.8× the run time).

        Examples:
          nntheory kernel \\
              --net "Dense(512, W_std=1.5, b_std=0.05) Relu Dense(1, W_std=1.5)" \\
              --x "1,0;0,1;0.6,0.8" --out k
          nntheory kernel --net "Dense(1) Erf Dense(1)" --x "1,0;0,1;0.6,0.8" \\
              --x2 "1,1" --out k2
          nntheory kernel --net "Dense(64, W_std=1.4) Tanh(deg=48) Dense(1)" \\
              --x x.npy --diagonal --out kd
          nntheory kernel --net "Conv(64, (3,3), padding=SAME, W_std=1.4) \\
              FanOut(2) Parallel(Relu Conv(64, (3,3), padding=SAME), Identity) \\
              FanInSum Relu GlobalAvgPool Dense(1)" --x images.npy --out kc
        """)
    )

    @OptionGroup var input: NetworkInputOptions

    @Flag(help: "Only the diagonal K(x, x), Θ(x, x).")
    var diagonal = false

    @Flag(name: .customLong("no-error-estimate"), help: "Skip the quadrature error estimate of networks with quadrature layers.")
    var noErrorEstimate = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        try output.run { dir in
            let (serial, a, b, inputShape) = try input.resolve()
            if diagonal && b != nil { throw InputError("--diagonal takes one point set; drop --x2") }
            let shape = diagonal ? [a.rows] : [a.rows, (b ?? a).rows]
            // The two files are written panel by panel while the kernels are computed, and put in place together.
            let files = try ["nngp.npy", "ntk.npy"].map { try NPYRowWriter(shape: shape, url: dir.appendingPathComponent($0)) }
            let k: KernelState
            do {
                k = try serial.kernels(a, b, inputShape: inputShape, diagonalOnly: diagonal) { rows, nngp, ntk in
                    files[0].write(rows: rows, from: nngp)
                    files[1].write(rows: rows, from: ntk)
                }
            } catch {
                files.forEach { $0.discard() }
                throw error
            }
            try namingInputs(["x": a, "x2": b ?? a], axes: ["x", b == nil ? "x" : "x2"]) { try NPYRowWriter.finish(files) }
            var summary = ArrayRunSummary(net: serial.description, shape: shape, files: ["nngp.npy", "ntk.npy"])
            if !noErrorEstimate, let e = try serial.quadratureErrorEstimate(a, b, inputShape: inputShape, diagonalOnly: diagonal, reference: k) {
                summary.nngp_error_estimate = e.nngp.max(); summary.ntk_error_estimate = e.ntk.max()
                summary.nngp_relative_error_estimate = Serial.largestRelativeError(e.nngp, of: k.nngp)
                summary.ntk_relative_error_estimate = Serial.largestRelativeError(e.ntk, of: k.ntk)
                summary.files += ["nngp_quadrature_error.npy", "ntk_quadrature_error.npy"]
                try NPY.write([(NDArray(shape: shape, data: e.nngp), dir.appendingPathComponent("nngp_quadrature_error.npy")),
                               (NDArray(shape: shape, data: e.ntk), dir.appendingPathComponent("ntk_quadrature_error.npy"))])
                progress(String(format: "quadrature error estimate: max |ΔK| = %.2g (relative %.2g), max |ΔΘ| = %.2g (relative %.2g)",
                                e.nngp.max() ?? 0, Serial.largestRelativeError(e.nngp, of: k.nngp),
                                e.ntk.max() ?? 0, Serial.largestRelativeError(e.ntk, of: k.ntk)))
            }
            try summary.write(to: dir)
            print("\(serial.description): NNGP and NTK \(shape.map(String.init).joined(separator: "×")) → \(output.out)")
        }
    }
}

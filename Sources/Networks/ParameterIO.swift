import Foundation
import NumericCore

/// Network parameters as a directory of `.npy` files in neural-tangents' `stax` layout: for the layer at
/// position i of the SPEC (`Serial.leaves`: nonlinearities count, so Dense layers are usually 0, 2, 4, …), `p{i}_W.npy`
/// holds the raw W [fan_in, fan_out] and `p{i}_b.npy` the raw b [1, fan_out] (absent without a bias). Under
/// NTK parameterisation these are the unscaled N(0, 1) draws: z = (W_std/√fan_in)·h·W + b_std·b, so a
/// network initialised in JAX loads unchanged.
public enum ParameterIO {
    /// Writes the parameters of `network`, one pair of files per Dense or Conv layer; a Conv layer's W as
    /// neural-tangents' HWIO array [k…, C_in, C_out] (the same values as the flattened [F·C_in, C_out]).
    public static func save(_ network: Network, to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let inputs = try network.architecture.shapes(input: network.inputShape).leafInputs
        for (i, (p, l)) in zip(network.layerParameters, network.architecture.leaves).enumerated() {
            if let w = p.weight {
                if let c = l as? Conv, let window = try? c.spatialWindow(inputs[i][0].spatial).window {
                    try NPY.write(NDArray(shape: window + [inputs[i][0].channels, w.cols], data: w.data), to: dir.appendingPathComponent("p\(i)_W.npy"))
                } else {
                    try NPY.write(w, to: dir.appendingPathComponent("p\(i)_W.npy"))
                }
            }
            if let b = p.bias { try NPY.write(NDArray(shape: [1, b.count], data: b), to: dir.appendingPathComponent("p\(i)_b.npy")) }
        }
    }

    /// The network `network` on inputs of width `inputWidth` with the parameters stored in `dir`, every shape checked.
    public static func load(for network: Serial, inputWidth: Int, from dir: URL) throws -> Network {
        try load(for: network, inputShape: .vector(inputWidth), from: dir)
    }

    /// The network `network` on points of shape `inputShape` with the parameters stored in `dir`: file index i counts
    /// the leaf layers (`Serial.leaves`, depth first through Parallel); a Conv layer's W may be stored as neural-
    /// tangents' HWIO array [k…, C_in, C_out] or flattened [F·C_in, C_out].
    public static func load(for network: Serial, inputShape: TensorShape, from dir: URL) throws -> Network {
        guard FileManager.default.fileExists(atPath: dir.path) else { throw InputError("parameter directory \(dir.path) does not exist") }
        let layout = try ParameterLayout(network, inputShape: inputShape)
        var out: [LayerParameters] = []
        for (i, (l, slice)) in zip(network.leaves, layout.slices).enumerated() {
            guard slice.hasWeight else { out.append(.none); continue }
            let wURL = dir.appendingPathComponent("p\(i)_W.npy"), bURL = dir.appendingPathComponent("p\(i)_b.npy")
            guard FileManager.default.fileExists(atPath: wURL.path) else {
                throw InputError("layer \(i) \(l.name): missing \(wURL.path)")
            }
            let W = try NPY.readDoubles(wURL)
            guard W.shape.count >= 2, W.shape.last == slice.fanOut, W.shape.dropLast().reduce(1, *) == slice.fanIn else {
                throw InputError("\(wURL.path) has shape \(W.shape), expected [\(slice.fanIn), \(slice.fanOut)]")
            }
            var b: [Double]? = nil
            if slice.biasOffset != nil {
                guard FileManager.default.fileExists(atPath: bURL.path) else { throw InputError("layer \(i) \(l.name): missing \(bURL.path)") }
                let B = try NPY.readDoubles(bURL)
                guard B.data.count == slice.fanOut, B.shape.last == slice.fanOut else {
                    throw InputError("\(bURL.path) has shape \(B.shape), expected [1, \(slice.fanOut)]")
                }
                b = B.data
            } else if FileManager.default.fileExists(atPath: bURL.path) {
                // A bias saved for a layer the SPEC gives none: the SPEC and the parameters do not belong together.
                throw InputError("layer \(i) \(l.name) has no bias (b_std=None) but \(bURL.path) exists; expected no p\(i)_b.npy — give b_std or remove the file")
            }
            if let bad = W.data.first(where: { !$0.isFinite }) ?? b?.first(where: { !$0.isFinite }) {
                throw InputError("layer \(i): parameter value \(bad), expected finite numbers")
            }
            out.append(LayerParameters(weight: Matrix(rows: slice.fanIn, cols: slice.fanOut, data: W.data), bias: b))
        }
        return try Network(network, inputShape: inputShape, layerParameters: out)
    }
}

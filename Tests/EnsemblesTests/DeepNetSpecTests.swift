import Foundation
import Testing
@testable import Ensembles
@testable import Networks
@testable import NumericCore

/// A deep network given by --depth/--activation/σ's and the same network written as a SPEC with width N are one
/// network: same layout, same draws, same fields, same GP kernel.
@Suite struct DeepNetSpecTests {
    @Test(arguments: ["ntk", "standard"]) func specAndOptionsAreTheSameNetwork(param: String) throws {
        let par = Dense.Parameterization(rawValue: param)!
        let a = DeepNetwork(inputDimension: 2, hiddenWidths: [7, 7], activation: .erf(a: 1, b: 1, c: 0), sigmaW: 1.4, sigmaB: 0.1,
                            parameterization: par)
        let d = "W_std=1.4, b_std=0.1, parameterization=\(param)"
        let b = try DeepNetwork(inputDimension: 2, architecture: NetworkSpec.parse("Dense(N, \(d)) Erf Dense(N, \(d)) Erf Dense(1, \(d))", width: 7))
        #expect(a.layout == b.layout)
        let x = Matrix([[1, 0], [0.3, -0.8], [0, 0]])
        for m in 0..<5 {
            var r1 = RandomStream(seed: 9, stream: UInt64(m)), r2 = r1
            #expect(DeepNetEnsemble(network: a).sampleField(using: &r1, at: x) == DeepNetEnsemble(network: b).sampleField(using: &r2, at: x))
        }
        #expect(a.gpKernel([1, 0], [0.3, -0.8]) == b.gpKernel([1, 0], [0.3, -0.8]))
    }

    /// The field is the network's forward map: f(x) of `Network` with the sampled θ, and E over networks is not
    /// needed — one draw, two routes (the ensemble's evaluate and `Network.outputs`).
    @Test func fieldIsTheNetworkForwardMap() throws {
        let arch = try NetworkSpec.parse("Dense(N, W_std=1.2, b_std=0.3) Tanh Dense(1, W_std=0.9)", width: 5)
        let net = try DeepNetwork(inputDimension: 3, architecture: arch)
        var r = RandomStream(seed: 2, stream: 4)
        let theta = DeepNetDensity(network: net).sample(using: &r)
        let x = Matrix([[0.1, 0.2, -0.3], [1, -1, 0.5]])
        var f = [Double](repeating: 0, count: 2)
        f.withUnsafeMutableBufferPointer { net.evaluate(theta, at: x, into: $0) }
        let g = try Network(arch, inputWidth: 3, parameters: theta).outputs(x)
        for p in 0..<2 { #expect(abs(f[p] - g.data[p]) < 1e-15 * max(1, abs(g.data[p]))) }
        // The placeholder needs a width.
        #expect(throws: InputError.self) { try NetworkSpec.parse("Dense(N) Tanh Dense(1)") }
    }
}

import ArgumentParser
import Foundation
import NTK
import NumericCore

/// Options shared by the kernel commands: the network SPEC, its default parameterisation and the point sets.
struct NetworkInputOptions: ParsableArguments {
    @Option(help: "Network SPEC in neural-tangents' vocabulary, layers separated by spaces (see `nntheory kernel --help`).")
    var net: String

    @Option(name: .customLong("x"), parsing: .unconditional, help: "First point set: .npy [P1, d] or inline rows '1,0;0,1'.")
    var x1: String

    @Option(name: .customLong("x2"), parsing: .unconditional, help: "Second point set (default: the first).")
    var x2: String?

    @Option(help: "Default parameterisation of Dense layers: ntk | standard.")
    var parameterization: String = "ntk"

    /// The parsed network and point sets; one-line errors for each bad value.
    func resolve() throws -> (network: Serial, x1: Matrix, x2: Matrix?) {
        guard let par = Dense.Parameterization(rawValue: parameterization) else {
            throw InputError("--parameterization '\(parameterization)', expected ntk or standard")
        }
        let serial = try NetworkSpec.parse(net, defaultParameterization: par)
        let a = try PointSet.parse(x1)
        let b = try x2.map { try PointSet.parse($0, dimension: a.cols) }
        return (serial, a, b)
    }
}

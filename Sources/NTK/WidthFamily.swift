import Foundation
import Networks
import NumericCore

extension Serial {
    /// The same architecture with every hidden Dense layer (all but the last) of width `width`: the family
    /// over which empirical kernels converge to the infinite-width NNGP/NTK as width → ∞.
    public func withHiddenWidth(_ width: Int) -> Serial {
        let lastDense = layers.lastIndex { $0 is Dense }
        return Serial(layers.enumerated().map { k, l in
            guard let d = l as? Dense, k != lastDense else { return l }
            return Dense(width, wStd: d.wStd, bStd: d.bStd, parameterization: d.parameterization)
        })
    }

    /// Parameters of network `index` (Philox stream `index`) of the width-`width` member of the family,
    /// seeded by (seed, width) so that widths and networks draw independent numbers.
    public func initializeMember(width: Int, index: Int, inputWidth: Int, seed: UInt64) throws -> Network {
        var rng = RandomStream(seed: deriveSeed(seed, UInt64(width)), stream: UInt64(index))
        return try Network(withHiddenWidth(width), inputWidth: inputWidth, using: &rng)
    }
}

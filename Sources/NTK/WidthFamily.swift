import Foundation
import Networks
import NumericCore

extension Serial {
    /// The same architecture with every hidden Dense layer and every Conv layer of width (channels) `width` — all
    /// but the readout, the last Dense layer of the top-level chain — through `Parallel`'s branches too: the family
    /// over which empirical kernels converge to the infinite-width NNGP/NTK as width → ∞.
    public func withHiddenWidth(_ width: Int) -> Serial {
        let lastDense = layers.lastIndex { $0 is Dense }
        return Serial(layers.enumerated().map { k, l in
            if let d = l as? Dense, k != lastDense { return Dense(width, wStd: d.wStd, bStd: d.bStd, parameterization: d.parameterization) }
            if let c = l as? Conv {
                return Conv(width, window: c.window, strides: c.strides, padding: c.padding, wStd: c.affine.wStd, bStd: c.affine.bStd,
                            parameterization: c.affine.parameterization)
            }
            if let p = l as? Parallel { return Parallel(p.branches.map { $0.withEveryWidth(width) }) }
            return l
        })
    }

    /// Every Dense and Conv layer of width `width` (a branch has no readout of its own).
    func withEveryWidth(_ width: Int) -> Serial {
        Serial(Serial(layers + [Dense(1)]).withHiddenWidth(width).layers.dropLast())
    }

    /// Parameters of network `index` (Philox stream `index`) of the width-`width` member of the family,
    /// seeded by (seed, width) so that widths and networks draw independent numbers.
    public func initializeMember(width: Int, index: Int, inputWidth: Int, seed: UInt64) throws -> Network {
        try initializeMember(width: width, index: index, inputShape: .vector(inputWidth), seed: seed)
    }

    /// `initializeMember(width:index:inputWidth:seed:)` for points of shape `inputShape`.
    public func initializeMember(width: Int, index: Int, inputShape: TensorShape, seed: UInt64) throws -> Network {
        var rng = RandomStream(seed: deriveSeed(seed, UInt64(width)), stream: UInt64(index))
        return try Network(withHiddenWidth(width), inputShape: inputShape, using: &rng)
    }
}

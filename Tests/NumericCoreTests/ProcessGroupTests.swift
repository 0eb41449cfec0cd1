import Foundation
import NumericCore
import Testing
import TestSupport

/// The work split and the collectives every MPI command is built on, with K ranks played by threads.
@Suite struct ProcessGroupTests {
    /// The shares of K ranks tile 0..<count in rank order, each starting at a multiple of the quantum, and are as
    /// even as whole quanta allow (sizes differ by at most one quantum, the last rank's by its remainder).
    @Test func sharesTileTheItemsInWholeQuanta() {
        for k in 1...6 {
            for count in 0...40 {
                for q in 1...7 {
                    let shares = ThreadProcessGroup.run(size: k) { $0.share(of: count, quantum: q) }
                    var next = 0
                    for s in shares {
                        #expect(s.lowerBound == next, "K = \(k), count \(count), quantum \(q): \(shares)")
                        #expect(s.lowerBound % q == 0 || s.isEmpty)
                        next = s.upperBound
                    }
                    #expect(next == count)
                    let units = shares.map { ($0.count + q - 1) / q }
                    #expect(units.max()! - units.min()! <= 1, "K = \(k), count \(count), quantum \(q): \(shares)")
                }
            }
        }
    }

    /// reduceToRoot combines lower ranks' parts before higher ones': concatenation of the ranks' names gives them in
    /// rank order on rank 0, nothing elsewhere, for every K (including K that are not powers of two).
    @Test func reductionKeepsRankOrder() {
        for k in 1...9 {
            let got = ThreadProcessGroup.run(size: k) { g in
                g.reduceToRoot(Array("\(g.rank),".utf8)) { $0 + $1 }.map { String(decoding: $0, as: UTF8.self) }
            }
            #expect(got[0] == (0..<k).map { "\($0)," }.joined())
            #expect(got.dropFirst().allSatisfy { $0 == nil })
        }
    }

    /// Block sums split across K ranks in contiguous shares and merged on the way to rank 0 have the very bits of one
    /// tree holding every block — the property that makes MPI runs equal to one-process runs.
    @Test func mergedTreesAreTheSingleTreeBitForBit() {
        let blocks = 37, values = 5
        var rng = RandomStream(seed: 7, stream: 0)
        let sums = (0..<blocks).map { _ in (0..<values).map { _ in rng.normal() * 1e3 + rng.uniform() } }
        var whole = BlockSumTree(valueCount: values, chunkCount: 1)
        for b in 0..<blocks { whole.add(chunk: 0, block: b, count: 1, sums: sums[b]) }
        let expected = whole.chunkTotals()[0].sums.map(\.bitPattern)
        for k in 1...6 {
            let totals = ThreadProcessGroup.run(size: k) { g -> [UInt64]? in
                var t = BlockSumTree(valueCount: values, chunkCount: 1)
                for b in g.share(of: blocks) { t.add(chunk: 0, block: b, count: 1, sums: sums[b]) }
                return g.mergeToRoot(t).map { $0.chunkTotals()[0].sums.map(\.bitPattern) }
            }
            #expect(totals[0] == expected, "K = \(k)")
        }
        // and the fixed tree is not a left-to-right sum: a sum in another order differs here (the test can fail)
        let leftToRight = (0..<values).map { v in sums.reduce(0.0) { $0 + $1[v] } }
        #expect(leftToRight.map(\.bitPattern) != expected)
    }
}

/// The bytes ranks send a block-sum tree as.
@Suite struct BlockSumTreePackingTests {
    /// packed → init(packed:) gives the same tree (sums bit for bit, blocks done), for several chunks and partial trees;
    /// truncated or extended bytes are refused.
    @Test func packedTreesRoundTrip() throws {
        var rng = RandomStream(seed: 3, stream: 0)
        var t = BlockSumTree(valueCount: 4, chunkCount: 3)
        for (c, b) in [(0, 0), (0, 1), (0, 2), (1, 5), (2, 3), (2, 4), (2, 7)] {
            t.add(chunk: c, block: b, count: b + 1, sums: (0..<4).map { _ in rng.normal() })
        }
        let bytes = t.packed()
        let back = try #require(BlockSumTree(packed: bytes))
        #expect(back == t)
        #expect(BlockSumTree(packed: Array(bytes.dropLast())) == nil)
        #expect(BlockSumTree(packed: bytes + [0]) == nil)
        #expect(BlockSumTree(packed: []) == nil)
    }
}

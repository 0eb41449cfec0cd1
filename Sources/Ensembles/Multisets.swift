/// The index multisets i₁ ≤ i₂ ≤ … ≤ iₙ of n indices from 0..<P, in lexicographic order — the
/// independent entries of a symmetric rank-n correlator tensor. There are C(P+n−1, n) of them
/// (21, 126, 462 for n = 2, 4, 6 and P = 6).
public struct Multisets: Sendable, Equatable {
    /// Number P of indices 0..<P.
    public let pointCount: Int
    /// Size n of each multiset.
    public let order: Int
    /// [count][order] indices, lexicographic.
    public let indices: [[Int]]

    /// All multisets of n indices from 0..<P, lexicographic.
    public init(pointCount: Int, order: Int) {
        self.pointCount = pointCount
        self.order = order
        var out: [[Int]] = []
        var cur = [Int](repeating: 0, count: order)
        func rec(_ k: Int, _ start: Int) {
            if k == order { out.append(cur); return }
            for i in start..<pointCount { cur[k] = i; rec(k + 1, i) }
        }
        if order == 0 { out = [[]] } else if pointCount > 0 { rec(0, 0) }
        indices = out
    }

    /// Number of multisets, C(P+n−1, n).
    public var count: Int { indices.count }

    /// C(P+n−1, n).
    public static func count(pointCount: Int, order: Int) -> Int {
        var c = 1.0
        for k in 0..<order { c = c * Double(pointCount + k) / Double(k + 1) }
        return Int(c.rounded())
    }

    /// The position of a sorted multiset in the lexicographic list.
    public func position(of sorted: [Int]) -> Int {
        // Count the multisets lexicographically smaller.
        var pos = 0, start = 0
        for k in 0..<order {
            for i in start..<sorted[k] { pos += Multisets.count(pointCount: pointCount - i, order: order - k - 1) }
            start = sorted[k]
        }
        return pos
    }

    /// Expands per-multiset values into the full symmetric tensor of shape [P, …, P] (row-major).
    public func fullTensor(_ values: [Double]) -> [Double] {
        let total = (0..<order).reduce(1) { acc, _ in acc * pointCount }
        var out = [Double](repeating: 0, count: total)
        var idx = [Int](repeating: 0, count: order)
        for flat in 0..<total {
            var r = flat
            for k in stride(from: order - 1, through: 0, by: -1) { idx[k] = r % pointCount; r /= pointCount }
            out[flat] = values[position(of: idx.sorted())]
        }
        return out
    }
}

import Foundation

/// The derivative multi-indices of a Taylor jet in n input variables up to order K, and the Faà di Bruno
/// table that composes a jet with an elementwise function.
///
/// Multi-indices are sorted tuples α = (i₁ ≤ … ≤ i_k), one per distinct partial derivative ∂_α = ∂_{i₁}…∂_{i_k};
/// they are ordered by order k, then lexicographically: (), (0), …, (n−1), (0,0), (0,1), …, (n−1,n−1), (0,0,0), ….
/// Their count is Σ_k C(n+k−1, k) (n = 2, K = 2: 6; n = 3, K = 2: 10).
///
/// Faà di Bruno: for a = σ(z), ∂_α a = Σ_π σ^{(|π|)}(z) Π_{B∈π} ∂_{α_B} z over the set partitions π of the
/// positions of α. `terms[α]` holds these sums with equal terms merged (coefficient = multiplicity).
public struct JetIndexSet: Sendable, Equatable {
    /// Number n of input variables.
    public let dimension: Int
    /// Highest derivative order K.
    public let order: Int
    /// Multi-indices in jet order.
    public let indices: [[Int]]
    /// One term of ∂_α σ(z): `coefficient` · σ^{(factors.count)}(z) · Π_f ∂_{indices[f]} z.
    public struct Term: Sendable, Equatable {
        /// Multiplicity of the term (merged equal set partitions).
        public let coefficient: Double
        /// Jet blocks (indices into `indices`) whose product the term multiplies.
        public let factors: [Int]
    }
    /// Faà di Bruno terms of ∂_α σ(z), one list per multi-index α in jet order.
    public let terms: [[Term]]
    let lookup: [[Int]: Int]

    /// The multi-indices of n variables up to order K (n ≥ 1, K ≥ 0) and their Faà di Bruno tables.
    public init(dimension n: Int, order K: Int) {
        precondition(n >= 1 && K >= 0)
        var idx: [[Int]] = [[]]
        var prev: [[Int]] = [[]]
        if K >= 1 {
            for _ in 1...K {
                var next: [[Int]] = []
                for a in prev { for i in (a.last ?? 0)..<n { next.append(a + [i]) } }
                idx += next
                prev = next
            }
        }
        var lk: [[Int]: Int] = [:]
        for (i, a) in idx.enumerated() { lk[a] = i }
        var terms: [[Term]] = []
        for a in idx {
            var counts: [[Int]: Int] = [:]
            var orderSeen: [[Int]] = []
            for p in Self.setPartitions(a.count) {
                let f = p.map { block in lk[block.map { a[$0] }.sorted()]! }.sorted()
                if counts[f] == nil { orderSeen.append(f) }
                counts[f, default: 0] += 1
            }
            terms.append(orderSeen.map { Term(coefficient: Double(counts[$0]!), factors: $0) })
        }
        dimension = n; order = K; indices = idx; lookup = lk; self.terms = terms
    }

    /// The index set of (n, K), built once per process and shared (its Faà di Bruno tables cost O(B·Bell(K)) to
    /// build: rebuilding them per call dominated single-point jet evaluations at n = 10, K = 2).
    public static func shared(dimension n: Int, order K: Int) -> JetIndexSet {
        cacheLock.lock(); defer { cacheLock.unlock() }
        let key = n * 64 + K
        if let ix = cache[key] { return ix }
        let ix = JetIndexSet(dimension: n, order: K)
        cache[key] = ix
        return ix
    }
    nonisolated(unsafe) static var cache: [Int: JetIndexSet] = [:]
    static let cacheLock = NSLock()

    /// Number of multi-indices (jet blocks).
    public var count: Int { indices.count }

    /// Position of the multi-index (any order of its entries).
    public func index(_ alpha: [Int]) -> Int { lookup[alpha.sorted()]! }

    /// Range of the blocks of order k.
    public func blocks(ofOrder k: Int) -> Range<Int> {
        let lo = indices.firstIndex { $0.count == k } ?? indices.count
        let hi = indices.lastIndex { $0.count == k }.map { $0 + 1 } ?? lo
        return lo..<hi
    }

    /// All set partitions of {0, …, m−1}; the empty set has one partition with no blocks.
    static func setPartitions(_ m: Int) -> [[[Int]]] {
        if m == 0 { return [[]] }
        var out: [[[Int]]] = []
        for p in setPartitions(m - 1) {
            for b in 0..<p.count { var q = p; q[b].append(m - 1); out.append(q) }
            out.append(p + [[m - 1]])
        }
        return out
    }
}

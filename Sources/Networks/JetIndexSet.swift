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
    /// Whether the blocks are the Wirtinger (1,1)-jet of `wirtinger(dimension:)` instead of real partial derivatives.
    public let isWirtinger: Bool

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
        dimension = n; order = K; indices = idx; lookup = lk; self.terms = terms; isWirtinger = false
    }

    /// The Wirtinger (1,1)-jet of a real function f of n complex variables u_a: its value, ∂_a f and the Hermitian
    /// matrix ∂_a∂̄_b f — what a Kähler potential's metric needs, 1 + 2n + n² real blocks (16 for n = 3) where the
    /// real second-order jet in the 2n real coordinates has 1 + 2n + n(2n + 1) (28). Blocks: the value; Re ∂_a f
    /// (label [a]) and Im ∂_a f (label [n + a]); Re ∂_a∂̄_b f for a ≤ b (label [a, b]) and Im ∂_a∂̄_b f for a < b
    /// (label [b, a]) — `index` takes the labels as they are, unsorted (`first(_:imaginary:)`, `hermitian(_:_:imaginary:)`).
    ///
    /// The set is closed under elementwise functions: for real σ and real f, ∂_a σ(f) = σ′ ∂_a f and
    /// ∂_a∂̄_b σ(f) = σ″ ∂_a f conj(∂_b f) + σ′ ∂_a∂̄_b f, so with r_a + i i_a = ∂_a f the terms are
    /// Re: σ′ Re h_ab + σ″ (r_a r_b + i_a i_b),   Im: σ′ Im h_ab + σ″ (i_a r_b − r_a i_b),
    /// and a dense layer is real-linear — the same `Network.forward(inputJet:…)` and jet adjoint carry it.
    public static func wirtinger(dimension n: Int) -> JetIndexSet {
        cacheLock.lock(); defer { cacheLock.unlock() }
        if let ix = wirtingerCache[n] { return ix }
        var idx: [[Int]] = [[]], terms: [[Term]] = [[Term(coefficient: 1, factors: [])]]
        for k in 0..<(2 * n) { idx.append([k]); terms.append([Term(coefficient: 1, factors: [1 + k])]) }
        let r = { (a: Int) in 1 + a }, i = { (a: Int) in 1 + n + a }
        for a in 0..<n { for b in a..<n {
            terms.append([Term(coefficient: 1, factors: [idx.count]), Term(coefficient: 1, factors: [r(a), r(b)]), Term(coefficient: 1, factors: [i(a), i(b)])])
            idx.append([a, b])
            if b > a {
                terms.append([Term(coefficient: 1, factors: [idx.count]), Term(coefficient: 1, factors: [i(a), r(b)]), Term(coefficient: -1, factors: [r(a), i(b)])])
                idx.append([b, a])
            }
        } }
        var lk: [[Int]: Int] = [:]
        for (k, a) in idx.enumerated() { lk[a] = k }
        let ix = JetIndexSet(dimension: n, order: 2, indices: idx, terms: terms, lookup: lk, isWirtinger: true)
        wirtingerCache[n] = ix
        return ix
    }
    nonisolated(unsafe) static var wirtingerCache: [Int: JetIndexSet] = [:]

    init(dimension: Int, order: Int, indices: [[Int]], terms: [[Term]], lookup: [[Int]: Int], isWirtinger: Bool) {
        self.dimension = dimension; self.order = order; self.indices = indices; self.terms = terms; self.lookup = lookup; self.isWirtinger = isWirtinger
    }

    /// Wirtinger sets: the block of Re ∂_a f (or Im).
    public func first(_ a: Int, imaginary: Bool) -> Int { precondition(isWirtinger); return 1 + (imaginary ? dimension : 0) + a }

    /// Wirtinger sets: the block of Re ∂_a∂̄_b f (a ≤ b), or of Im ∂_a∂̄_b f (a < b).
    public func hermitian(_ a: Int, _ b: Int, imaginary: Bool) -> Int {
        precondition(isWirtinger && a <= b && (!imaginary || a < b))
        return lookup[imaginary ? [b, a] : [a, b]]!
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
    public func index(_ alpha: [Int]) -> Int { lookup[isWirtinger ? alpha : alpha.sorted()]! }

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

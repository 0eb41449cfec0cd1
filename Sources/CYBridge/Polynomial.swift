import NumericCore
import Numerics

/// A polynomial Q(z) = Σ_m c_m Π_j z_j^{e_mj} in D complex variables, stored as an exponent matrix
/// e [M, D] and complex coefficients c [M] (cymetric's `monomials`, `coefficients`). Like monomials are
/// merged and zero coefficients dropped at construction.
///
/// Evaluation works on raw pointers so hot loops allocate nothing: `value(at:)`,
/// `valueAndGradient(at:gradient:)` (∂Q/∂z_j for all j) and `hessian(at:into:)` (∂²Q/∂z_i∂z_j).
/// Internally each monomial keeps only its nonzero exponents (sparse), so the cost is O(Σ_m s_m²)
/// with s_m the number of variables in monomial m.
public struct Polynomial: Sendable, Equatable {
    /// Number of variables D.
    public let variableCount: Int
    /// Exponents, row-major [M, D].
    public let exponents: [Int]
    /// Coefficients [M].
    public let coefficients: [ComplexDouble]

    // Sparse form: monomial m uses entries offsets[m]..<offsets[m+1] of (vars, exps).
    let offsets: [Int]
    let vars: [Int]
    let exps: [Int]

    /// Builds Q from rows of exponents (each of length `variableCount`) and coefficients.
    /// Throws `InputError` for ragged rows, negative exponents or non-finite coefficients.
    public init(variableCount: Int, exponents rows: [[Int]], coefficients: [ComplexDouble]) throws {
        guard variableCount >= 1 else { throw InputError("polynomial: \(variableCount) variables, expected at least 1") }
        guard rows.count == coefficients.count else {
            throw InputError("polynomial: \(rows.count) monomials but \(coefficients.count) coefficients")
        }
        var merged: [[Int]: ComplexDouble] = [:]
        var order: [[Int]] = []
        for (row, c) in zip(rows, coefficients) {
            guard row.count == variableCount else {
                throw InputError("polynomial: monomial \(row) has \(row.count) exponents, expected \(variableCount)")
            }
            guard row.allSatisfy({ $0 >= 0 }) else { throw InputError("polynomial: negative exponent in \(row)") }
            guard c.real.isFinite && c.imaginary.isFinite else { throw InputError("polynomial: coefficient \(c) is not finite") }
            if let old = merged[row] { merged[row] = old + c } else { merged[row] = c; order.append(row) }
        }
        var e: [Int] = [], cs: [ComplexDouble] = []
        for row in order where merged[row]! != .zero { e += row; cs.append(merged[row]!) }
        guard !cs.isEmpty else { throw InputError("polynomial: all coefficients are zero") }
        self.variableCount = variableCount
        self.exponents = e
        self.coefficients = cs
        var off = [0], v: [Int] = [], x: [Int] = []
        for m in 0..<cs.count {
            for j in 0..<variableCount where e[m * variableCount + j] > 0 { v.append(j); x.append(e[m * variableCount + j]) }
            off.append(v.count)
        }
        offsets = off; vars = v; exps = x
    }

    /// Number of monomials M.
    public var monomialCount: Int { coefficients.count }

    /// Exponent row of monomial m.
    public func exponents(ofMonomial m: Int) -> [Int] { Array(exponents[(m * variableCount)..<((m + 1) * variableCount)]) }

    /// Degree of monomial m in the variables `range` (one ambient factor).
    public func degree(ofMonomial m: Int, in range: Range<Int>) -> Int {
        range.reduce(0) { $0 + exponents[m * variableCount + $1] }
    }

    /// Σ_m |c_m|: a scale for Q used in relative tolerances.
    public var coefficientNorm: Double { coefficients.reduce(0) { $0 + $1.length } }

    @inline(__always) static func power(_ z: ComplexDouble, _ e: Int) -> ComplexDouble {
        var r = z
        var k = 1
        while k < e { r = r * z; k += 1 }
        return r
    }

    /// Q(z) for z given as D consecutive complex values.
    @inline(__always)
    public func value(at z: UnsafePointer<ComplexDouble>) -> ComplexDouble {
        var q = ComplexDouble.zero
        for m in 0..<coefficients.count {
            var t = coefficients[m]
            for k in offsets[m]..<offsets[m + 1] { t = t * Polynomial.power(z[vars[k]], exps[k]) }
            q = q + t
        }
        return q
    }

    /// Q(z) for an array z of length D.
    public func value(at z: [ComplexDouble]) -> ComplexDouble {
        precondition(z.count == variableCount)
        return z.withUnsafeBufferPointer { value(at: $0.baseAddress!) }
    }

    /// Returns Q(z) and writes ∂Q/∂z_j (j = 0..<D) to `gradient`.
    @inline(__always)
    public func valueAndGradient(at z: UnsafePointer<ComplexDouble>, gradient: UnsafeMutablePointer<ComplexDouble>) -> ComplexDouble {
        for j in 0..<variableCount { gradient[j] = .zero }
        var q = ComplexDouble.zero
        for m in 0..<coefficients.count {
            let lo = offsets[m], hi = offsets[m + 1]
            var full = coefficients[m]
            for k in lo..<hi { full = full * Polynomial.power(z[vars[k]], exps[k]) }
            q = q + full
            for k in lo..<hi {
                // ∂/∂z_v of c Π z^e = c e z_v^{e−1} Π_{other} z^e
                var t = coefficients[m] * ComplexDouble(Double(exps[k]), 0)
                if exps[k] > 1 { t = t * Polynomial.power(z[vars[k]], exps[k] - 1) }
                for l in lo..<hi where l != k { t = t * Polynomial.power(z[vars[l]], exps[l]) }
                gradient[vars[k]] = gradient[vars[k]] + t
            }
        }
        return q
    }

    /// ∇Q(z) as an array.
    public func gradient(at z: [ComplexDouble]) -> [ComplexDouble] {
        precondition(z.count == variableCount)
        var g = [ComplexDouble](repeating: .zero, count: variableCount)
        z.withUnsafeBufferPointer { pz in g.withUnsafeMutableBufferPointer { _ = valueAndGradient(at: pz.baseAddress!, gradient: $0.baseAddress!) } }
        return g
    }

    /// Q at many points z [N, D] (row-major) → [N], in parallel.
    public func values(atPoints z: [ComplexDouble], threads: Int? = nil) -> [ComplexDouble] {
        precondition(z.count % variableCount == 0)
        let n = z.count / variableCount, d = variableCount
        var out = [ComplexDouble](repeating: .zero, count: n)
        out.withUnsafeMutableBufferPointer { po in
            let box = SendablePointer(po.baseAddress!)
            z.withUnsafeBufferPointer { pz in
                let src = SendablePointer(readOnly: pz.baseAddress!)
                parallelChunks(n, minimum: 32, threads: threads) { range in
                    for i in range { box.pointer[i] = value(at: src.pointer + i * d) }
                }
            }
        }
        return out
    }

    /// ∇Q at many points z [N, D] → [N, D], in parallel.
    public func gradients(atPoints z: [ComplexDouble], threads: Int? = nil) -> [ComplexDouble] {
        precondition(z.count % variableCount == 0)
        let n = z.count / variableCount, d = variableCount
        var out = [ComplexDouble](repeating: .zero, count: z.count)
        out.withUnsafeMutableBufferPointer { po in
            let box = SendablePointer(po.baseAddress!)
            z.withUnsafeBufferPointer { pz in
                let src = SendablePointer(readOnly: pz.baseAddress!)
                parallelChunks(n, minimum: 32, threads: threads) { range in
                    for i in range { _ = valueAndGradient(at: src.pointer + i * d, gradient: box.pointer + i * d) }
                }
            }
        }
        return out
    }

    /// Writes the (symmetric) Hessian ∂²Q/∂z_i∂z_j, row-major [D, D], to `hessian`.
    public func hessian(at z: UnsafePointer<ComplexDouble>, into hessian: UnsafeMutablePointer<ComplexDouble>) {
        let d = variableCount
        for i in 0..<(d * d) { hessian[i] = .zero }
        for m in 0..<coefficients.count {
            let lo = offsets[m], hi = offsets[m + 1]
            for a in lo..<hi {
                for b in a..<hi {
                    var t = coefficients[m]
                    if a == b {
                        let e = exps[a]
                        if e < 2 { continue }
                        t = t * ComplexDouble(Double(e * (e - 1)), 0)
                        if e > 2 { t = t * Polynomial.power(z[vars[a]], e - 2) }
                    } else {
                        t = t * ComplexDouble(Double(exps[a] * exps[b]), 0)
                        if exps[a] > 1 { t = t * Polynomial.power(z[vars[a]], exps[a] - 1) }
                        if exps[b] > 1 { t = t * Polynomial.power(z[vars[b]], exps[b] - 1) }
                    }
                    for l in lo..<hi where l != a && l != b { t = t * Polynomial.power(z[vars[l]], exps[l]) }
                    let i = vars[a], j = vars[b]
                    hessian[i * d + j] = hessian[i * d + j] + t
                    if i != j { hessian[j * d + i] = hessian[j * d + i] + t }
                }
            }
        }
    }

    /// Hessian as an array [D*D].
    public func hessian(at z: [ComplexDouble]) -> [ComplexDouble] {
        var h = [ComplexDouble](repeating: .zero, count: variableCount * variableCount)
        z.withUnsafeBufferPointer { pz in h.withUnsafeMutableBufferPointer { hessian(at: pz.baseAddress!, into: $0.baseAddress!) } }
        return h
    }
}

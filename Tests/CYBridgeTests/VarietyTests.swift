import Foundation
import Numerics
import NumericCore
import TestSupport
import Testing
@testable import CYBridge


/// Polynomials, the parser, intersection numbers and the singular-point search.
@Suite struct VarietyTests {
    @Test func gradientAndHessianMatchFiniteDifferences() throws {
        let q = Variety.dworkQuintic(psi: ComplexDouble(0.3, 0.2)).equations[0]
        var rng = RandomStream(seed: 3, stream: 0)
        let z = rng.complexNormals(5)
        let g = q.gradient(at: z), h = q.hessian(at: z)
        // Richardson's tolerance (`richardsonDifferences`); round-off of one evaluation of Q or ∂Q: ≲ deg·ε per monomial,
        // so ≲ 5ε·M with M = Σ|c|·max(1, |z|)⁵ ≥ Σ|c z^e| (for ∂Q: 5M bounds the terms, 5·5ε·M)
        let step = 1e-3, big = max(1, z.map { $0.length }.max()!)
        let m = q.coefficientNorm * pow(big, 5), eps = Double.ulpOfOne
        for j in 0..<5 {
            func shifted(_ s: Double) -> [ComplexDouble] { var w = z; w[j] = w[j] + ComplexDouble(s, 0); return w }
            let fd = richardsonDifferences(step: step, absolute: 5 * eps * m) { [q.value(at: shifted($0))] }[0]
            #expect((fd.cd - g[j]).length <= fd.tolerance, "∂_\(j)Q: \((fd.cd - g[j]).length) vs \(fd.tolerance)")
            let dg = richardsonDifferences(step: step, absolute: 25 * eps * m) { q.gradient(at: shifted($0)) }
            for i in 0..<5 {
                let fdh = dg[i]
                #expect((fdh.cd - h[j * 5 + i]).length <= fdh.tolerance, "∂_\(j)∂_\(i)Q: \((fdh.cd - h[j * 5 + i]).length) vs \(fdh.tolerance)")
            }
        }
        // batch forms agree with the single-point ones
        let zs = rng.complexNormals(100 * 5)
        let vals = q.values(atPoints: zs), grads = q.gradients(atPoints: zs)
        for i in 0..<100 {
            let zi = Array(zs[(5 * i)..<(5 * i + 5)])
            #expect(vals[i] == q.value(at: zi))
            #expect(Array(grads[(5 * i)..<(5 * i + 5)]) == q.gradient(at: zi))
        }
        // Euler: Σ z_j ∂_j Q = deg·Q
        var e = ComplexDouble.zero
        for j in 0..<5 { e = e + z[j] * g[j] }
        #expect((e - ComplexDouble(5, 0) * q.value(at: z)).length < 1e-10 * q.value(at: z).length)
    }

    @Test func parserReproducesTheDworkQuintic() throws {
        let psi = ComplexDouble(0.25, -0.5)
        let parsed = try Variety.parse("z0^5 + z1^5 + z2^5 + z3^5 + z4^5 - 5*psi*z0*z1*z2*z3*z4", psi: psi)
        let builtIn = Variety.dworkQuintic(psi: psi)
        var rng = RandomStream(seed: 4, stream: 0)
        for _ in 0..<5 {
            let z = rng.complexNormals(5)
            #expect((parsed.equations[0].value(at: z) - builtIn.equations[0].value(at: z)).length < 1e-12)
        }
        // expansion of products and powers, complex coefficients, several equations
        let ty = try Variety.parse("z0^3+z1^3+z2^3+z3^3; z4^3+z5^3+z6^3+z7^3; z0*z4+z1*z5+z2*z6+z3*z7", ambient: [3, 3])
        #expect(ty.multidegrees == Variety.tianYau.multidegrees)
        let e = try PolynomialParser.parse("(z0 + 2*i*z1)^2 - z0*z0")[0]
        #expect(e.monomialCount == 2)   // 4i z0 z1 − 4 z1²
        let z: [ComplexDouble] = [ComplexDouble(0.3, 0.1), ComplexDouble(-0.7, 0.4)]
        let direct = ComplexDouble(0, 4) * z[0] * z[1] - ComplexDouble(4, 0) * z[1] * z[1]
        #expect((e.value(at: z) - direct).length < 1e-14)
    }

    /// 200 levels of parentheses parse (and mean what they say); 201 do not.
    @Test func nestingUpToTheLimitParses() throws {
        let deep = String(repeating: "(", count: 199) + "z0" + String(repeating: ")", count: 199) + "^2 + z1^2"
        let p = try PolynomialParser.parse(deep)[0], q = try PolynomialParser.parse("z0^2 + z1^2")[0]
        let z: [ComplexDouble] = [.init(0.3, -0.2), .init(1.1, 0.4)]
        #expect((p.value(at: z) - q.value(at: z)).length < 1e-15)
        #expect(throws: InputError.self) { try PolynomialParser.parse(String(repeating: "(", count: 200) + "z0" + String(repeating: ")", count: 200) + "^2") }
    }

    @Test func parserErrorsAreOneLineAndNameTheProblem() {
        for (text, fragment) in [("z0^5 + x1", "unexpected 'x'"), ("z0^5 + ", "unexpected end"), ("z0^5 + z1^4", "not homogeneous"),
                                 ("z0^5 + (z1", "expected )"), ("z0^a", "integer exponent"),
                                 // Nesting beyond 200 levels (the recursion would exhaust the stack at ≈ 9000): an error.
                                 (String(repeating: "(", count: 9000) + "z0" + String(repeating: ")", count: 9000) + "^5 + z1^5",
                                  "nested at most 200 levels"),
                                 (String(repeating: "-", count: 5000) + "z0^2 + z1^2", "nested at most 200 levels")] {
            do {
                _ = try Variety.parse(text)
                Issue.record("\(text) parsed")
            } catch {
                let msg = "\(error)"
                #expect(msg.contains(fragment), "\(msg)")
                #expect(!msg.contains("\n"))
            }
        }
    }

    @Test func intersectionVolumesMatchTheTable() throws {
        // Vol_K(t) = ∫_X J^n from intersection numbers, ∫_A ∏J_r^{n_r} = 1
        for t in [0.5, 1.0, 2.3] {
            #expect(abs(Variety.cubicTorus.kahlerVolume([t]) - 3 * t) < 1e-12)
            #expect(abs(Variety.quarticK3.kahlerVolume([t]) - 4 * t * t) < 1e-12)
            #expect(abs(Variety.fermatQuintic.kahlerVolume([t]) - 5 * t * t * t) < 1e-12)
        }
        for (t1, t2) in [(1.0, 1.0), (1.0, 2.0), (0.3, 1.7)] {
            #expect(abs(Variety.bicubic.kahlerVolume([t1, t2]) - 9 * t1 * t2 * (t1 + t2)) < 1e-12)
            #expect(abs(Variety.tianYau.kahlerVolume([t1, t2]) - 27 * t1 * t2 * (t1 + t2)) < 1e-12)
        }
        let schoen = try! Variety.parse("(z0^3+z1^3+z2^3)*z6 + z0*z1*z2*z7; (z3^3+z4^3+z5^3)*z7 + z3*z4*z5*z6", ambient: [2, 2, 1])
        for t in [[1.0, 1.0, 1.0], [1.0, 2.0, 0.5]] {
            #expect(abs(schoen.kahlerVolume(t) - 9 * t[0] * t[1] * (t[0] + t[1] + 6 * t[2])) < 1e-12)
        }
        let quarticCurve = try Variety.parse("z0^4 + z1^4 + z2^4")
        #expect(schoen.isCalabiYau && Variety.tianYau.isCalabiYau && !quarticCurve.isCalabiYau)
        let d = Dictionary(uniqueKeysWithValues: IntersectionNumbers.numbers(of: .bicubic).map { ($0.0, $0.1) })
        #expect(d[[0, 0, 1]] == 3 && d[[0, 1, 1]] == 3 && d[[0, 0, 0]] == 0 && d[[1, 1, 1]] == 0)
        // roots per Shiffman–Zelditch draw = ∫ ∧ J_r^{n_r − d_r}
        #expect(IntersectionNumbers.mixedDegree(of: .tianYau, sampling: Variety.tianYau.samplingDegrees) == 9)
        #expect(IntersectionNumbers.mixedDegree(of: .bicubic, sampling: Variety.bicubic.samplingDegrees) == 3)
    }

    @Test func singularDworkMemberIsFound() throws {
        let v = Variety.dworkQuintic(psi: ComplexDouble(1, 0))
        let sp = try #require(v.findSingularPoint())
        // independent check: Q = 0 and dQ = 0 there, and z_i⁵ all equal (z_i = α^{k_i})
        let q = v.equations[0]
        #expect(q.value(at: sp.point).length < 1e-10)
        #expect(q.gradient(at: sp.point).allSatisfy { $0.length < 1e-10 })
        for z in sp.point { #expect(abs(z.length - 1) < 1e-10) }
        // smooth members: nothing found
        #expect(Variety.dworkQuintic(psi: ComplexDouble(0.5, 0)).findSingularPoint() == nil)
        #expect(Variety.fermatQuintic.findSingularPoint() == nil)
        #expect(Variety.bicubic.findSingularPoint() == nil)
        // a singular complete intersection: z0 z1 − z2 z3 = 0 ∩ z0² + z1² + z2² + z3² + z4² = 0 ... use a reducible cubic curve
        // z0 z1 z2 = 0 is singular exactly where two coordinates vanish (∇ = (z1z2, z0z2, z0z1)): check the point found,
        // relative to its scale s = max|z_j| (f is cubic: |f| < 1e-10·s³, |∇f| < 1e-10·s²)
        let nodal = try Variety.parse("z0*z1*z2")
        let np = try #require(nodal.findSingularPoint()).point
        let sc = np.map { $0.length }.max()!
        let nq = nodal.equations[0]
        #expect(sc > 0)
        #expect(nq.value(at: np).length < 1e-10 * pow(sc, 3), "f = \(nq.value(at: np)) at \(np)")
        #expect(nq.gradient(at: np).allSatisfy { $0.length < 1e-10 * sc * sc }, "∇f = \(nq.gradient(at: np)) at \(np)")
        #expect(np.filter { $0.length < 1e-5 * sc }.count >= 2, "\(np)")
    }
}

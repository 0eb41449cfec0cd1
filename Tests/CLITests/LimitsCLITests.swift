import Foundation
import Testing
import TestSupport

/// Extreme inputs (docs/errors.md): sizes the machine cannot hold are refused before allocating, ranges where the
/// formulas overflow are refused up front, and a non-finite result is an error naming the array — never a crash, a
/// hang or a silent NaN with exit 0.
@Suite struct LimitsCLITests {
    /// 10¹² points, networks or widths: one line naming the option, the memory needed and the machine's, exit 2,
    /// within seconds (the check comes before any allocation or work).
    @Test(arguments: [
        (["cy", "sample", "--points", "1000000000000"], "--points 1000000000000: needs"),
        (["cy", "donaldson", "--k", "1..3", "--points", "1000000000000"], "--points 1000000000000: needs"),
        (["freefield", "--networks", "1000000000000", "--x", "0"], "--networks 1000000000000: needs"),
        (["freefield", "--width", "1000000000000", "--x", "0"], "--width 1000000000000: needs"),
        (["phi4", "--networks", "100000000000", "--x", "0"], "--networks 100000000000: needs"),
        (["train", "torus", "--points", "1000000000000", "--steps", "1"], "--points 1000000000000: needs"),
        (["ntk", "convergence", "--net", "Dense(1) Relu Dense(1)", "--widths", "8,16", "--x", "1,0", "--networks", "1000000000000"],
         "--networks 1000000000000: needs"),
    ] as [([String], String)])
    func sizesBeyondMemoryAreRefusedUpFront(args: [String], needle: String) throws {
        let start = Date()
        let r = try CLI.run(args + ["--out", CLI.tempDir()])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(needle) && r.stderr.contains("of memory"), "\(r.stderr)")
        #expect(Date().timeIntervalSince(start) < 30)
    }

    /// Kernels of 2·10⁵ points (a 3 MB file): `ntk montecarlo` and `ntk predict` refuse before allocating the
    /// [P, P] matrices (terabytes), naming the points and the memory.
    @Test(arguments: [
        (["ntk", "montecarlo", "--net", "Dense(8) Relu Dense(1)", "--x", "X"], "--x (200000 points): needs"),
        (["ntk", "predict", "--net", "Dense(8) Relu Dense(1)", "--x-train", "X", "--y-train", "X", "--x-test", "1,1"],
         "--x-train/--x-test: needs"),
    ] as [([String], String)])
    func kernelsOfTooManyPointsAreRefused(args: [String], needle: String) throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let py = try CLI.python("import numpy as np; np.save('\(dir)/x.npy', np.zeros((200000, 2)))")
        #expect(py.status == 0, "\(py.output)")
        try sizesBeyondMemoryAreRefusedUpFront(args: args.map { $0 == "X" ? dir + "/x.npy" : $0 }, needle: needle)
    }

    /// Masses and cutoffs whose squares or propagators leave Float64 (m = 1e300 gave "± nan" with exit 0,
    /// m = 1e-300 an infinite tadpole) are refused naming the admissible range.
    @Test(arguments: [
        (["freefield", "--mass", "1e300", "--x", "0"], "--mass 1e+300, expected 1e-100 ≤ m ≤ 1e100"),
        (["phi4", "--mass", "1e-300", "--networks", "0", "--x", "0"], "--mass 1e-300, expected 1e-100 ≤ m ≤ 1e100"),
        (["freefield", "--cutoff", "1e200", "--x", "0"], "--cutoff 1e+200, expected 1e-100 ≤ Λ ≤ 1e100"),
        (["correlators", "--net", "cos", "--widths", "2", "--networks", "0", "--x", "0.1", "--mass", "1e300"], "--mass 1e+300, expected 1e-100 ≤ m ≤ 1e100"),
    ] as [([String], String)])
    func overflowingRangesAreRefused(args: [String], needle: String) throws {
        let r = try CLI.run(args + ["--out", CLI.tempDir()])
        #expect(r.status == 2)
        #expect(r.stderr.contains(needle), "\(r.stderr)")
    }

    /// An Exp-net kernel at |x| = 10³ overflows (e^{|x|²}-sized moments): the error names the entry and the input
    /// points it comes from.
    @Test func nonFiniteKernelNamesItsInputs() throws {
        let r = try CLI.run(["kernel", "--net", "Dense(4) Exp Dense(1)", "--x", "0,1;1e3,0", "--out", CLI.tempDir()])
        #expect(r.status == 2)
        #expect(r.stderr.contains("error: nngp.npy[0, 1] is inf (3 of 4 entries not finite), from x row 0 = (0, 1) and x row 1 = (1000, 0)"), "\(r.stderr)")
    }

    /// Inputs that used to be accepted and give numbers: a formula that is not finite on the torus, and a SPEC
    /// without parameters for the empirical NTK (which `kernel` refuses too).
    @Test(arguments: [
        (["train", "torus", "--init", "u = log(0)", "--steps", "2"], "--init: 'u = log(0)' is -inf at (0, 0); expected a formula finite everywhere on the torus"),
        (["flow", "torus", "--init", "g11 = 1/sin(x); g22 = 1", "--grid", "16"], "--init: 'g11 = 1/sin(x)' is inf at (0, 0)"),
        (["ntk", "compute", "--net", "Relu", "--seed", "1", "--x", "1,0"], "--net 'Relu' has no parameters, expected at least one Dense or Conv layer"),
    ] as [([String], String)])
    func degenerateInputsAreRefused(args: [String], needle: String) throws {
        let r = try CLI.run(args + ["--out", CLI.tempDir()])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(needle), "\(r.stderr)")
    }

    /// A negative complex ψ is a value, not an option (it needed `--psi=…`).
    @Test func negativeComplexPsiIsAValue() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["cy", "sample", "--variety", "dwork-quintic", "--psi", "-0.8+0.58*i", "--points", "200", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as? [String: Any]
        #expect("\(s ?? [:])".contains("-0.8"), "\(s ?? [:])")
    }

    /// The exact Gauss-net four-point function at |x| ~ 10³ overflows (e^{x²}): the array is refused naming the
    /// file, the index and the count, with exit 2 — it used to be written full of inf with exit 0.
    @Test func nonFiniteResultIsAnErrorNamingTheArray() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["correlators", "--net", "gauss", "--widths", "2", "--networks", "0", "--x", "1e3,2e3", "--out", dir])
        #expect(r.status == 2)
        #expect(r.stderr.contains("error: G4_exact.npy[0, 0, 0, 0] is inf (16 of 16 entries not finite), from x row 0 = (1000) and"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/G4_exact.npy"))
    }
}

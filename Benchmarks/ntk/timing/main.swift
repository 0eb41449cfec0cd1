// In-process timing of nntheory's kernels, without the CLI's start-up and .npy output (see ../RESULTS.md).
// Built outside SwiftPM against the objects of a release build by ../build_timing.sh.
//
//   ntk-timing kernel SPEC X.npy [REPEATS]        Serial.kernels(x) (NNGP and NTK of x against itself)
//   ntk-timing ntk SPEC PARAMS_DIR X.npy [REPEATS] EmpiricalNTK.kernel(x) (full tensor [P, P, O, O])
//
// OpenBLAS' thread timeout is shortened as in the CLI (OpenBLASThreadTimeout.shorten()).
// Prints one JSON line: the best and all wall times of REPEATS calls (s) and the process's max RSS (kB).
import Foundation
import NTK
import NumericCore

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

let args = CommandLine.arguments
guard args.count >= 4 else {
    FileHandle.standardError.write("usage: ntk-timing kernel SPEC X.npy [REPEATS] | ntk SPEC PARAMS X.npy [REPEATS]\n".data(using: .utf8)!)
    exit(2)
}
// As the CLI does at start (Sources/nntheory/NNTheory.swift): OpenBLAS' idle threads spin 2^18 cycles, not 2^28
// (≈ 0.1 s, during which they take a core from the Swift workers that run between BLAS calls).
_ = OpenBLASThreadTimeout.shorten()
do {
    let net = try NetworkSpec.parse(args[2])
    var times: [Double] = []
    var checksum = 0.0
    let P: Int
    if args[1] == "kernel" {
        let x = try NPY.readDoubles(URL(fileURLWithPath: args[3])).matrix
        P = x.rows
        for _ in 0..<(args.count > 4 ? Int(args[4])! : 3) {
            let t0 = now()
            let k = try net.kernels(x)
            times.append(now() - t0)
            checksum = k.ntk[k.ntk.count / 2] + k.nngp[k.nngp.count - 1]
        }
    } else {
        let x = try NPY.readDoubles(URL(fileURLWithPath: args[4])).matrix
        P = x.rows
        let params = try ParameterIO.load(for: net, inputWidth: x.cols, from: URL(fileURLWithPath: args[3]))
        let e = try EmpiricalNTK(network: net, parameters: params, inputWidth: x.cols)
        for _ in 0..<(args.count > 5 ? Int(args[5])! : 3) {
            let t0 = now()
            let k = try e.kernel(x)
            times.append(now() - t0)
            checksum = k.data[k.data.count / 2]
        }
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    print("{\"mode\": \"\(args[1])\", \"P\": \(P), \"best_s\": \(times.min()!), \"times_s\": \(times), \"max_rss_kb\": \(usage.ru_maxrss), \"checksum\": \(checksum)}")
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}

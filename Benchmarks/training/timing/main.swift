// In-process timing of one training step of nntheory's Training module: forward jets (value, gradient,
// Hessian in x) through the network, metric, curvature, loss and the parameter gradient.
// Usage: training-timing CASE DIR [REPEATS]
//   CASE: t2-conformal-scalar2 | t3-conformal-scalar2 | t3-ldl-ricci2
//   DIR: writes points.npy [P, n], theta.npy, and after timing loss.npy [1], grad.npy (for the cross-check)
import Foundation
import NumericCore
import Training

let args = CommandLine.arguments
guard args.count >= 3 else { print("usage: training-timing CASE DIR [REPEATS]"); exit(2) }
let kase = args[1], dir = URL(fileURLWithPath: args[2]), repeats = args.count > 3 ? Int(args[3])! : 5
let parts = kase.split(separator: "-").map(String.init)
let n = parts[0] == "t2" ? 2 : 3
let par = MetricParametrization(rawValue: parts[1])!
let loss = CurvatureLoss(rawValue: parts[2])!
let O = par.outputCount(dimension: n)
let spec = try MLPSpec.parse("Dense(64) Tanh Dense(64) Tanh Dense(64) Tanh Dense(\(O), W_std=0.5)")
var model = try NeuralTorusMetric(dimension: n, parametrization: par, spec: spec, harmonics: 2, seed: 1)
let q = TorusQuadrature.random(dimension: n, points: 10_000, seed: 2, stream: 0)
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
try NPY.write(NDArray(q.points), to: dir.appendingPathComponent("points.npy"))
try NPY.write(model.network.parameters, to: dir.appendingPathComponent("theta.npy"))
var times: [Double] = []
var last: LossEvaluation? = nil
_ = model.lossAndGradient(loss, quadrature: q)   // warm-up
for _ in 0..<repeats {
    let t0 = DispatchTime.now().uptimeNanoseconds
    last = model.lossAndGradient(loss, quadrature: q)
    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
}
try NPY.write([last!.loss], to: dir.appendingPathComponent("loss.npy"))
try NPY.write(last!.gradient, to: dir.appendingPathComponent("grad.npy"))
times.sort()
print(String(format: "nntheory %@: %d parameters, P = 10000, step time best %.4f s, median %.4f s (%d runs)",
             kase, model.network.parameterCount, times[0], times[times.count / 2], repeats))

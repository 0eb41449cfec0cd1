import CNumericLibs
import Foundation
import Numerics

/// Discrete Fourier transforms of n-dimensional arrays through FFTW3.
///
/// Convention (FFTW's, numpy's `fft.fftn`): forward X_k = Σ_n x_n e^{−2πi k·n/N} (k·n/N = Σ_a k_a n_a/N_a);
/// `backward` applies e^{+2πi k·n/N} without normalisation, so backward(forward(x)) = (Π_a N_a)·x; `inverse`
/// divides by Π_a N_a (numpy's `ifftn`). Plans are made with FFTW_ESTIMATE; FFTW's planner is not
/// thread-safe, so plan creation and destruction are serialised by a lock, while execution is concurrent.
public enum FFT {
    static let plannerLock = NSLock()

    static func run(_ x: NDArray<Complex<Double>>, sign: Int32) -> NDArray<Complex<Double>> {
        precondition(x.rank >= 1, "FFT: rank-0 array")
        var input = x.data, output = [Complex<Double>](repeating: .zero, count: x.count)
        if x.count == 0 { return x }
        let dims = x.shape.map { Int32($0) }
        input.withUnsafeMutableBytes { pi in
            output.withUnsafeMutableBytes { po in
                let i = OpaquePointer(pi.baseAddress!)
                let o = OpaquePointer(po.baseAddress!)
                plannerLock.lock()
                let plan = fftw_plan_dft(Int32(dims.count), dims, i, o, sign, FFTW_ESTIMATE | FFTW_UNALIGNED)
                plannerLock.unlock()
                fftw_execute(plan)
                plannerLock.lock()
                fftw_destroy_plan(plan)
                plannerLock.unlock()
            }
        }
        return NDArray(shape: x.shape, data: output)
    }

    /// X_k = Σ_n x_n e^{−2πi k·n/N} over all axes.
    public static func forward(_ x: NDArray<Complex<Double>>) -> NDArray<Complex<Double>> { run(x, sign: FFTW_FORWARD) }

    /// Σ_k X_k e^{+2πi k·n/N}, unnormalised.
    public static func backward(_ x: NDArray<Complex<Double>>) -> NDArray<Complex<Double>> { run(x, sign: FFTW_BACKWARD) }

    /// The inverse transform: backward(x) / Π_a N_a.
    public static func inverse(_ x: NDArray<Complex<Double>>) -> NDArray<Complex<Double>> {
        var y = backward(x)
        let s = 1 / Double(max(x.count, 1))
        for k in 0..<y.count { y.data[k] = y.data[k] * Complex(s, 0) }
        return y
    }

    /// Forward transform of a real array, the non-redundant half spectrum of shape [N₀, …, N_{r−1}/2 + 1]
    /// (fftw_plan_dft_r2c; numpy's `rfftn`).
    public static func realForward(_ x: NDArray<Double>) -> NDArray<Complex<Double>> {
        precondition(x.rank >= 1, "FFT: rank-0 array")
        var shape = x.shape
        shape[shape.count - 1] = shape[shape.count - 1] / 2 + 1
        var input = x.data, output = [Complex<Double>](repeating: .zero, count: shape.reduce(1, *))
        if x.count == 0 { return NDArray(shape: shape, data: output) }
        let dims = x.shape.map { Int32($0) }
        input.withUnsafeMutableBufferPointer { pi in
            output.withUnsafeMutableBytes { po in
                let o = OpaquePointer(po.baseAddress!)
                plannerLock.lock()
                let plan = fftw_plan_dft_r2c(Int32(dims.count), dims, pi.baseAddress, o, FFTW_ESTIMATE | FFTW_UNALIGNED)
                plannerLock.unlock()
                fftw_execute(plan)
                plannerLock.lock()
                fftw_destroy_plan(plan)
                plannerLock.unlock()
            }
        }
        return NDArray(shape: shape, data: output)
    }
}

import CNumericLibs
import Foundation
import Numerics

/// Discrete Fourier transforms of n-dimensional arrays (rank ≥ 1, row-major) through FFTW3.
///
/// Convention (FFTW's and numpy's `fft.fftn`): for an array of shape [N₀, …, N_{r−1}], with
/// k·n/N ≡ Σ_a k_a n_a / N_a,
///
///     forward:   X_k = Σ_n x_n e^{−2πi k·n/N}
///     backward:  x_n = Σ_k X_k e^{+2πi k·n/N}          (unnormalised: backward(forward(x)) = N·x, N = Π_a N_a)
///     inverse:   backward / N                            (numpy's `ifftn`: inverse(forward(x)) = x)
///
/// Each call plans with `FFTW_ESTIMATE` on freshly allocated input and output buffers, executes the plan once on
/// them and destroys it. FFTW's planner (plan creation and destruction) is not thread-safe, so those calls are
/// serialised by a process-wide lock; plan execution runs concurrently.
public enum FFT {
    /// Serialises FFTW planner calls (`fftw_plan_*`, `fftw_destroy_plan`).
    private static let plannerLock = NSLock()

    /// FFTW's extents as C ints (precondition: each fits in Int32).
    private static func fftwDims(_ shape: [Int]) -> [Int32] {
        shape.map { n in
            guard let d = Int32(exactly: n) else { preconditionFailure("FFT: extent \(n) exceeds FFTW's 32-bit int") }
            return d
        }
    }

    /// Plans under the planner lock, executes once outside it, and destroys under the lock.
    private static func executeOnce(_ makePlan: () -> fftw_plan?) {
        plannerLock.lock()
        let plan = makePlan()
        plannerLock.unlock()
        guard let plan else { preconditionFailure("FFT: FFTW could not create a plan") }
        fftw_execute(plan)
        plannerLock.lock()
        fftw_destroy_plan(plan)
        plannerLock.unlock()
    }

    /// Runs `body` on the storage of a non-empty complex array as FFTW's `fftw_complex *`. `fftw_complex` is
    /// `double[2]`, layout-compatible with `Complex<Double>`; Swift imports pointers to it as `OpaquePointer`.
    private static func withFFTWComplex<R>(_ a: inout [Complex<Double>], _ body: (OpaquePointer) -> R) -> R {
        a.withUnsafeMutableBytes { body(OpaquePointer($0.baseAddress!)) }
    }

    /// The complex DFT over all axes with FFTW's `sign` (−1 forward, +1 backward), unnormalised.
    private static func complexTransform(_ x: NDArray<Complex<Double>>, sign: Int32) -> NDArray<Complex<Double>> {
        precondition(x.rank >= 1, "FFT: array of rank 0, expected rank ≥ 1")
        if x.count == 0 { return x }
        let dims = fftwDims(x.shape)
        var input = x.data
        var output = [Complex<Double>](repeating: .zero, count: x.count)
        withFFTWComplex(&input) { pi in
            withFFTWComplex(&output) { po in
                executeOnce { fftw_plan_dft(Int32(dims.count), dims, pi, po, sign, UInt32(FFTW_ESTIMATE)) }
            }
        }
        return NDArray(shape: x.shape, data: output)
    }

    /// Forward DFT over all axes: X_k = Σ_n x_n e^{−2πi k·n/N} (numpy's `fftn`).
    public static func forward(_ x: NDArray<Complex<Double>>) -> NDArray<Complex<Double>> {
        complexTransform(x, sign: FFTW_FORWARD)
    }

    /// Backward DFT over all axes, unnormalised: x_n = Σ_k X_k e^{+2πi k·n/N}, so that
    /// backward(forward(x)) = N·x with N = Π_a N_a.
    public static func backward(_ x: NDArray<Complex<Double>>) -> NDArray<Complex<Double>> {
        complexTransform(x, sign: FFTW_BACKWARD)
    }

    /// Normalised inverse DFT: (1/N) Σ_k X_k e^{+2πi k·n/N} = backward(X)/N, so that inverse(forward(x)) = x
    /// (numpy's `ifftn`).
    public static func inverse(_ x: NDArray<Complex<Double>>) -> NDArray<Complex<Double>> {
        var y = backward(x)
        let s = 1 / Double(max(y.count, 1))
        y.data.withUnsafeMutableBufferPointer { p in
            for k in p.indices { p[k] = Complex(p[k].real * s, p[k].imaginary * s) }
        }
        return y
    }

    /// Shape of the half spectrum of a real array: the last extent N_{r−1} becomes ⌊N_{r−1}/2⌋ + 1.
    public static func halfSpectrumShape(_ realShape: [Int]) -> [Int] {
        precondition(!realShape.isEmpty, "FFT: array of rank 0, expected rank ≥ 1")
        var s = realShape
        s[s.count - 1] = s[s.count - 1] / 2 + 1
        return s
    }

    /// Forward DFT of a real array (`fftw_plan_dft_r2c`, numpy's `rfftn`): the non-redundant half spectrum
    /// X_k = Σ_n x_n e^{−2πi k·n/N} for k_{r−1} = 0 … ⌊N_{r−1}/2⌋, of shape [N₀, …, N_{r−2}, ⌊N_{r−1}/2⌋ + 1].
    /// The other half follows from Hermitian symmetry, X_{−k} = conj(X_k).
    public static func realForward(_ x: NDArray<Double>) -> NDArray<Complex<Double>> {
        precondition(x.rank >= 1, "FFT: array of rank 0, expected rank ≥ 1")
        precondition(x.shape[x.rank - 1] >= 1, "FFT: last extent 0, expected ≥ 1 for a real transform")
        let shape = halfSpectrumShape(x.shape)
        var output = [Complex<Double>](repeating: .zero, count: shape.reduce(1, *))
        if x.count == 0 { return NDArray(shape: shape, data: output) }
        let dims = fftwDims(x.shape)
        var input = x.data
        input.withUnsafeMutableBufferPointer { pi in
            withFFTWComplex(&output) { po in
                executeOnce { fftw_plan_dft_r2c(Int32(dims.count), dims, pi.baseAddress, po, UInt32(FFTW_ESTIMATE)) }
            }
        }
        return NDArray(shape: shape, data: output)
    }

    /// Backward DFT from a half spectrum to a real array (`fftw_plan_dft_c2r`), unnormalised:
    /// x_n = Σ_k X_k e^{+2πi k·n/N} over the full spectrum reconstructed by Hermitian symmetry, so that
    /// realBackward(realForward(x), lastExtent: N_{r−1}) = N·x.
    ///
    /// - Parameters:
    ///   - x: half spectrum of shape [N₀, …, N_{r−2}, ⌊N_{r−1}/2⌋ + 1]; the imaginary parts that Hermitian symmetry
    ///     forces to vanish (k_{r−1} = 0 and, for even N_{r−1}, N_{r−1}/2) are taken as such.
    ///   - lastExtent: N_{r−1}, the real length of the last axis (the half spectrum does not fix its parity).
    public static func realBackward(_ x: NDArray<Complex<Double>>, lastExtent: Int) -> NDArray<Double> {
        precondition(x.rank >= 1, "FFT: array of rank 0, expected rank ≥ 1")
        precondition(lastExtent >= 1, "FFT: last extent \(lastExtent), expected ≥ 1")
        var shape = x.shape
        shape[shape.count - 1] = lastExtent
        precondition(halfSpectrumShape(shape) == x.shape,
                     "FFT: half spectrum of shape \(x.shape), expected \(halfSpectrumShape(shape)) for last extent \(lastExtent)")
        var output = [Double](repeating: 0, count: shape.reduce(1, *))
        if output.isEmpty { return NDArray(shape: shape, data: output) }
        let dims = fftwDims(shape)
        var input = x.data  // c2r overwrites its input; this copy is the scratch buffer.
        withFFTWComplex(&input) { pi in
            output.withUnsafeMutableBufferPointer { po in
                executeOnce { fftw_plan_dft_c2r(Int32(dims.count), dims, pi, po.baseAddress, UInt32(FFTW_ESTIMATE)) }
            }
        }
        return NDArray(shape: shape, data: output)
    }

    /// Normalised inverse of `realForward`: realBackward(x, lastExtent:)/N with N = Π_a N_a (numpy's `irfftn`).
    public static func realInverse(_ x: NDArray<Complex<Double>>, lastExtent: Int) -> NDArray<Double> {
        var y = realBackward(x, lastExtent: lastExtent)
        let s = 1 / Double(max(y.count, 1))
        y.data.withUnsafeMutableBufferPointer { p in
            for k in p.indices { p[k] *= s }
        }
        return y
    }

    /// A reusable real-to-complex / complex-to-real transform pair for one shape (FFTW plans made once with
    /// `FFTW_ESTIMATE | FFTW_UNALIGNED`, executed on any buffers of that shape; concurrent execution on different
    /// buffers is safe). Same conventions as `realForward` / `realBackward` (unnormalised backward).
    public final class RealPlan: @unchecked Sendable {
        /// Shape of the real arrays.
        public let shape: [Int]
        /// Shape of the half spectrum: the last extent N becomes ⌊N/2⌋ + 1.
        public let spectrumShape: [Int]
        /// Number of real values, Π shape.
        public let count: Int
        /// Number of complex half-spectrum values, Π spectrumShape.
        public let spectrumCount: Int
        private let r2c: fftw_plan
        private let c2r: fftw_plan

        /// Plans both directions for real arrays of `shape` (rank ≥ 1, every extent ≥ 1).
        public init(shape: [Int]) {
            precondition(!shape.isEmpty && shape.allSatisfy { $0 >= 1 }, "FFT.RealPlan: shape \(shape), expected extents ≥ 1")
            self.shape = shape
            spectrumShape = FFT.halfSpectrumShape(shape)
            count = shape.reduce(1, *)
            spectrumCount = spectrumShape.reduce(1, *)
            let dims = FFT.fftwDims(shape)
            var real = [Double](repeating: 0, count: count)
            var spectrum = [Complex<Double>](repeating: .zero, count: spectrumCount)
            let flags = UInt32(FFTW_ESTIMATE) | UInt32(FFTW_UNALIGNED)
            var made: (fftw_plan?, fftw_plan?) = (nil, nil)
            real.withUnsafeMutableBufferPointer { pr in
                FFT.withFFTWComplex(&spectrum) { ps in
                    FFT.plannerLock.lock()
                    made.0 = fftw_plan_dft_r2c(Int32(dims.count), dims, pr.baseAddress, ps, flags)
                    made.1 = fftw_plan_dft_c2r(Int32(dims.count), dims, ps, pr.baseAddress, flags)
                    FFT.plannerLock.unlock()
                }
            }
            guard let f = made.0, let b = made.1 else { preconditionFailure("FFT: FFTW could not create a plan") }
            r2c = f; c2r = b
        }

        deinit {
            FFT.plannerLock.lock()
            fftw_destroy_plan(r2c); fftw_destroy_plan(c2r)
            FFT.plannerLock.unlock()
        }

        /// Half spectrum X_k = Σ_n x_n e^{−2πi k·n/N} of `x` (count values) into `spectrum` (spectrumCount values).
        public func forward(_ x: UnsafePointer<Double>, into spectrum: UnsafeMutablePointer<Complex<Double>>) {
            fftw_execute_dft_r2c(r2c, UnsafeMutablePointer(mutating: x), OpaquePointer(spectrum))
        }

        /// Unnormalised backward transform x_n = Σ_k X_k e^{+2πi k·n/N} of a half spectrum; `spectrum` is used as
        /// scratch and overwritten.
        public func backward(_ spectrum: UnsafeMutablePointer<Complex<Double>>, into x: UnsafeMutablePointer<Double>) {
            fftw_execute_dft_c2r(c2r, OpaquePointer(spectrum), x)
        }
    }
}

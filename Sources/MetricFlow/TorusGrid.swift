import Foundation
import Numerics
import NumericCore

/// The uniform grid on the square torus Tⁿ = (ℝ/2πℤ)ⁿ, n = 2 or 3, with N points per dimension (N even), and its
/// Fourier pseudo-spectral calculus.
///
/// Points x_i = 2π·i/N per axis; a field is one value per point, stored row-major over [N, …, N] with x the first
/// axis (index ((i₀·N + i₁)·N + i₂)). A field f is identified with its trigonometric interpolant
/// f(x) = Σ_k f̂_k e^{ik·x} over the wave numbers k_a ∈ {−N/2+1, …, N/2}; derivatives act on the interpolant:
/// ∂_a → i k_a (zero on the Nyquist wave number k_a = N/2, whose mode is not differentiable as a real field),
/// ∂_a∂_b → −k_a k_b for a ≠ b (zero on either Nyquist number), ∂_a² → −k_a². Integrals are the trapezoidal rule
/// ∫ f dⁿx ≈ (2π/N)ⁿ Σ_i f_i, exact for the interpolant.
public struct TorusGrid: Sendable, Equatable {
    /// Dimension n of the torus (2 or 3).
    public let dimension: Int
    /// Points per dimension N (even, ≥ 4).
    public let side: Int
    /// Number of points M = Nⁿ.
    public var count: Int { plan.count }
    /// Cell volume (2π/N)ⁿ: the trapezoidal weight of one point.
    public var cellVolume: Double { pow(2 * Double.pi / Double(side), Double(dimension)) }
    /// Volume (2π)ⁿ of the flat torus.
    public var flatVolume: Double { pow(2 * Double.pi, Double(dimension)) }

    let plan: FFT.RealPlan
    /// Wave numbers k_a of every half-spectrum mode, [spectrumCount · n] (mode-major).
    let waveNumbers: [Double]
    /// Whether k_a is the Nyquist number N/2, [spectrumCount · n].
    let nyquist: [Bool]

    /// The grid with `side` points per dimension on Tⁿ; throws a `SettingError` for n ∉ {2, 3}, an odd or too small
    /// N, or a grid whose fields would not fit in memory (> 2²⁶ points).
    public init(dimension n: Int, side N: Int) throws {
        guard n == 2 || n == 3 else { throw SettingError("dimension", "\(n), expected 2 or 3") }
        guard N >= 4, N % 2 == 0 else { throw SettingError("grid", "\(N), expected an even number of points ≥ 4") }
        guard N <= 1 << 13, pow(Double(N), Double(n)) <= Double(1 << 26) else {
            throw SettingError("grid", "\(N) (\(N)^\(n) points), expected at most 2^26 points")
        }
        dimension = n; side = N
        plan = FFT.RealPlan(shape: [Int](repeating: N, count: n))
        var k = [Double](), ny = [Bool]()
        k.reserveCapacity(plan.spectrumCount * n); ny.reserveCapacity(plan.spectrumCount * n)
        let shape = plan.spectrumShape
        for m in 0..<plan.spectrumCount {
            var rest = m
            var idx = [Int](repeating: 0, count: n)
            for a in stride(from: n - 1, through: 0, by: -1) { idx[a] = rest % shape[a]; rest /= shape[a] }
            for a in 0..<n {
                let i = idx[a]
                let ka = a == n - 1 ? i : (i <= N / 2 ? i : i - N)
                k.append(Double(ka)); ny.append(ka == N / 2)
            }
        }
        waveNumbers = k; nyquist = ny
    }

    public static func == (a: TorusGrid, b: TorusGrid) -> Bool { a.dimension == b.dimension && a.side == b.side }

    /// Coordinate x_a of point `index` (2π·i_a/N).
    public func coordinate(_ index: Int, axis a: Int) -> Double {
        var rest = index
        for _ in 0..<(dimension - 1 - a) { rest /= side }
        return 2 * Double.pi * Double(rest % side) / Double(side)
    }

    /// The points as a matrix [M, n] (row i: x of point i).
    public var points: Matrix {
        var m = Matrix(rows: count, cols: dimension)
        for i in 0..<count { for a in 0..<dimension { m[i, a] = coordinate(i, axis: a) } }
        return m
    }

    /// Trapezoidal integral ∫_{Tⁿ} f dⁿx ≈ (2π/N)ⁿ Σ f_i (compensated sum).
    public func integrate(_ f: [Double]) -> Double {
        precondition(f.count == count, "TorusGrid.integrate: \(f.count) values, expected \(count)")
        var s = 0.0, c = 0.0
        for v in f { let y = v - c; let t = s + y; c = (t - s) - y; s = t }
        return s * cellVolume
    }

    /// The half spectrum f̂ (unnormalised: Σ_i f_i e^{−ik·x_i}) of a field.
    public func spectrum(_ f: [Double]) -> [Complex<Double>] {
        precondition(f.count == count, "TorusGrid.spectrum: \(f.count) values, expected \(count)")
        var s = [Complex<Double>](repeating: .zero, count: plan.spectrumCount)
        f.withUnsafeBufferPointer { pf in s.withUnsafeMutableBufferPointer { plan.forward(pf.baseAddress!, into: $0.baseAddress!) } }
        return s
    }

    /// The field of a half spectrum (normalised inverse transform); `work` is overwritten.
    func inverse(_ work: inout [Complex<Double>]) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        work.withUnsafeMutableBufferPointer { pw in out.withUnsafeMutableBufferPointer { plan.backward(pw.baseAddress!, into: $0.baseAddress!) } }
        return out
    }

    /// The field whose spectrum is r(|k|²)·ŝ_k for a real radial multiplier (Nyquist modes included).
    public func field(fromSpectrum s: [Complex<Double>], radial r: (Double) -> Double) -> [Double] {
        let n = dimension, scale = 1 / Double(count)
        var work = s
        waveNumbers.withUnsafeBufferPointer { k in
            for m in 0..<work.count {
                var k2 = 0.0
                for a in 0..<n { k2 += k[m * n + a] * k[m * n + a] }
                let f = r(k2) * scale
                work[m] = Complex(work[m].real * f, work[m].imaginary * f)
            }
        }
        return inverse(&work)
    }

    /// ∂_a f from a half spectrum (i k_a, zero on the Nyquist number of axis a).
    public func derivative(fromSpectrum s: [Complex<Double>], axis a: Int) -> [Double] {
        let n = dimension, scale = 1 / Double(count)
        var work = s
        waveNumbers.withUnsafeBufferPointer { k in nyquist.withUnsafeBufferPointer { q in
            for m in 0..<work.count {
                let f = q[m * n + a] ? 0 : k[m * n + a] * scale
                work[m] = Complex(-work[m].imaginary * f, work[m].real * f)
            }
        } }
        return inverse(&work)
    }

    /// ∂_a∂_b f from a half spectrum (−k_a k_b; for a ≠ b zero on either Nyquist number).
    public func secondDerivative(fromSpectrum s: [Complex<Double>], _ a: Int, _ b: Int) -> [Double] {
        let n = dimension, scale = 1 / Double(count)
        var work = s
        waveNumbers.withUnsafeBufferPointer { k in nyquist.withUnsafeBufferPointer { q in
            for m in 0..<work.count {
                let f = a != b && (q[m * n + a] || q[m * n + b]) ? 0 : -k[m * n + a] * k[m * n + b] * scale
                work[m] = Complex(work[m].real * f, work[m].imaginary * f)
            }
        } }
        return inverse(&work)
    }

    /// ∂_a f.
    public func derivative(_ f: [Double], axis a: Int) -> [Double] { derivative(fromSpectrum: spectrum(f), axis: a) }

    /// The flat Laplacian Δf = Σ_a ∂_a² f (multiplier −|k|²).
    public func laplacian(_ f: [Double]) -> [Double] { field(fromSpectrum: spectrum(f), radial: { -$0 }) }

    /// The field with spectrum r(|k|²)·f̂_k.
    public func filter(_ f: [Double], radial r: (Double) -> Double) -> [Double] { field(fromSpectrum: spectrum(f), radial: r) }

    /// Largest |k|² on the grid, n·(N/2)² (the stiffest mode of the flat Laplacian).
    public var largestWaveNumberSquared: Double { Double(dimension) * Double(side / 2 * side / 2) }

    /// Evaluates a function of the coordinates at every point.
    public func sample(_ f: ([Double]) -> Double) -> [Double] {
        var x = [Double](repeating: 0, count: dimension)
        return (0..<count).map { i in
            for a in 0..<dimension { x[a] = coordinate(i, axis: a) }
            return f(x)
        }
    }
}

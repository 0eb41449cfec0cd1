import CVectorKernels

/// The vector unit the hot loops of the ensemble sampler and of the closed-form kernel maps run on, decided once per
/// process.
///
/// On x86-64 CPUs with AVX2 the loops run as C kernels (`CVectorKernels`: Philox4x32-10 on 8 counters per AVX2
/// register or 16 per AVX-512 register, the ziggurat's common case 4 or 8 draws at a time, FastErf's lanes with each
/// lane's coefficient row loaded whole and transposed in registers; PolarAngle's atan2 and the Erf and ABReLU kernel
/// maps on 4 or 8 lanes); elsewhere, or with `NNTHEORY_VECTOR=baseline` in the environment, as the portable Swift
/// code. The two paths give the same bits — the kernels perform the Swift code's operations in its order, without
/// fused multiply-adds — so a result never depends on the CPU it was computed on (tested bit for bit).
public enum VectorUnit {
    /// True when the AVX2 kernels run: the CPU has AVX2 and `NNTHEORY_VECTOR` is not `baseline`.
    public static var avx2: Bool { nnt_vector_level() >= 2 }

    /// The path in words, for run summaries ("avx512", "avx2" or "baseline").
    public static var name: String { ["baseline", "baseline", "avx2", "avx512"][Int(nnt_vector_level())] }
}

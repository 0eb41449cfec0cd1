import NumericCore
import Numerics

/// The holomorphic volume form in local coordinates (cymetric `holomorphic_volume_form`, arXiv 2205.13408):
///   Ω = dx¹∧…∧dxⁿ / det B,  B_{αβ} = ∂Q_α/∂z_{dep β}  (hypersurface: Ω = dx/(∂Q/∂z_dep)),
/// without extra 1/d or 2πi factors, so |Ω|² = 1/|det B|². The coefficient depends on the chart but
/// |Ω|²/det g does not.
public enum HolomorphicVolumeForm {
    /// |Ω|² from det B.
    @inline(__always)
    public static func squaredNorm(detB: ComplexDouble) -> Double { 1 / detB.lengthSquared }

    /// The complex coefficient Ω = 1/det B.
    @inline(__always)
    public static func coefficient(detB: ComplexDouble) -> ComplexDouble { ComplexDouble(1, 0) / detB }
}

import Numerics

/// # CYBridge — numerical Calabi–Yau geometry
///
/// Conventions follow cymetric (Larfors–Lukas–Ruehle–Schneider, arXiv 2111.01436 and 2205.13408; docs/cy.md):
/// * ambient space ∏_r P^{n_r} with homogeneous coordinates z ∈ C^D, D = Σ_r (n_r + 1), factors stored
///   consecutively; the variety X is cut out by K polynomials (`Variety`), complex dimension n = Σ n_r − K;
/// * Fubini–Study metric of factor r: g_ij̄ = (t_r/π)(|z|²δ_ij − z̄_i z_j)/|z|⁴ (so ∫_{P¹} J = t);
/// * Ω = dx¹∧…∧dxⁿ / det(∂Q_α/∂z_{dep β}), |Ω|² = 1/|det|²;
/// * Monte Carlo weights normalised so that mean(w · det g_FS(t=1)/|Ω|²) = Vol_K(1), the intersection volume;
///   Vol_CY = mean(w), κ = Vol_K/Vol_CY.
///
/// Entry points: `Variety` (built-ins and `Variety.parse`), `PointSampler.sample` → `PointSample`
/// (points, weights, |Ω|², patch and dependent coordinates), `PullbackJacobian`, `FubiniStudy`,
/// `SigmaMeasure`, `IntersectionNumbers`.
public enum CYBridgeModule {
    /// Version of the module's public API.
    public static let version = "0.2.0"
}

/// Complex Float64 (swift-numerics), the scalar type of all CYBridge geometry.
public typealias ComplexDouble = Complex<Double>

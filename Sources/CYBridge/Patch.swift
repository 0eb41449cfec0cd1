import NumericCore
import Numerics

/// Patch and dependent-coordinate choice (cymetric `_rescale_points`, `_find_max_dQ_coords`, arXiv 2205.13408;
/// cyjax and MLGeometry use the same rule):
/// * patch: in each factor r the coordinate of largest |z_j| is divided out, so it becomes exactly 1 + 0i;
/// * dependent coordinates: for equation a = 1..K in order, the coordinate j (not a patch coordinate, not yet
///   chosen) with the largest |∂Q_a/∂z_j| (greedy; for a hypersurface simply argmax |∂Q/∂z_j|);
/// * local coordinates x_1..x_n: the remaining ("good") coordinates in increasing index order.
/// All indices are global coordinate indices 0..<D.
public enum Patch {
    /// Rescales each factor of `z` (length D) so its largest coordinate is 1 and writes that coordinate's
    /// index per factor to `patch` (length F).
    @inline(__always)
    public static func normalise(_ z: UnsafeMutablePointer<ComplexDouble>, ambient: ProjectiveAmbient, patch: UnsafeMutablePointer<Int>) {
        for r in 0..<ambient.factorCount {
            let range = ambient.range(ofFactor: r)
            var best = range.lowerBound, bestAbs = -1.0
            for j in range where z[j].lengthSquared > bestAbs { bestAbs = z[j].lengthSquared; best = j }
            let inv = ComplexDouble(1, 0) / z[best]
            for j in range { z[j] = z[j] * inv }
            z[best] = ComplexDouble(1, 0)
            patch[r] = best
        }
    }

    /// Greedy dependent coordinates from the gradients G [K, D] (row a = ∇Q_a); writes K indices to `dependent`.
    @inline(__always)
    public static func chooseDependent(gradients g: UnsafePointer<ComplexDouble>, equations k: Int, coordinates d: Int,
                                       patch: UnsafePointer<Int>, factors f: Int, dependent: UnsafeMutablePointer<Int>) {
        for a in 0..<k {
            var best = -1, bestAbs = -1.0
            for j in 0..<d {
                var used = false
                for r in 0..<f where patch[r] == j { used = true }
                for b in 0..<a where dependent[b] == j { used = true }
                if used { continue }
                let v = g[a * d + j].lengthSquared
                if v > bestAbs { bestAbs = v; best = j }
            }
            dependent[a] = best
        }
    }

    /// The n local ("good") coordinates: all indices not in `patch` or `dependent`, ascending.
    public static func goodCoordinates(coordinates d: Int, patch: [Int], dependent: [Int]) -> [Int] {
        (0..<d).filter { !patch.contains($0) && !dependent.contains($0) }
    }
}

import NumericCore
/// A product of projective spaces P^{n_0} × … × P^{n_{F−1}} with homogeneous coordinates
/// z ∈ C^D, D = Σ_r (n_r + 1); the coordinates of factor r are `range(ofFactor: r)` (consecutive).
public struct ProjectiveAmbient: Sendable, Equatable, CustomStringConvertible {
    /// Dimensions n_r of the factors.
    public let dimensions: [Int]
    /// First coordinate index of each factor (plus D at the end).
    public let offsets: [Int]

    /// P^{n_0} × … with n_r = `dimensions[r]`.
    /// - Throws: `InputError` for an empty list or a dimension < 1.
    public init(_ dimensions: [Int]) throws {
        guard !dimensions.isEmpty, dimensions.allSatisfy({ $0 >= 1 }) else {
            throw InputError("ambient: dimensions \(dimensions), expected a non-empty list of positive integers")
        }
        self.dimensions = dimensions
        var o = [0]
        for n in dimensions { o.append(o.last! + n + 1) }
        offsets = o
    }

    /// Number of factors F.
    public var factorCount: Int { dimensions.count }
    /// Number of homogeneous coordinates D.
    public var coordinateCount: Int { offsets.last! }
    /// Complex dimension Σ n_r of the ambient space.
    public var dimension: Int { dimensions.reduce(0, +) }
    /// Homogeneous coordinates of factor r.
    public func range(ofFactor r: Int) -> Range<Int> { offsets[r]..<offsets[r + 1] }
    /// The factor that coordinate j belongs to.
    public func factor(ofCoordinate j: Int) -> Int { offsets.lastIndex(where: { $0 <= j })! }

    /// "P^2×P^2".
    public var description: String { dimensions.map { "P^\($0)" }.joined(separator: "×") }
}

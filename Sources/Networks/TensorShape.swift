import NumericCore

/// The shape of one point's activations, neural-tangents' NHWC layout: spatial dimensions (none for vectors; [L]
/// for 1-D signals, [H, W] for images) then channels. A network's activations at P points are stored as a
/// [P·S, C] row-major matrix (`Activations`), S = Π spatial: point-major, then spatial position (row-major over the
/// spatial dimensions), channel last — the memory order of an `.npy` array [P, H, W, C].
public struct TensorShape: Sendable, Equatable, CustomStringConvertible {
    /// Spatial dimensions (empty for vectors).
    public var spatial: [Int]
    /// Channels C (the width of a vector).
    public var channels: Int

    /// `spatial` then `channels`.
    public init(spatial: [Int] = [], channels: Int) { self.spatial = spatial; self.channels = channels }
    /// A vector of `width` entries.
    public static func vector(_ width: Int) -> TensorShape { TensorShape(channels: width) }
    /// S = Π spatial (1 for vectors).
    public var spatialSize: Int { spatial.reduce(1, *) }
    /// Values per point, S·C.
    public var size: Int { spatialSize * channels }
    /// `[H, W, C]`.
    public var description: String { "[" + (spatial + [channels]).map(String.init).joined(separator: ", ") + "]" }

    /// The shape of a point of an `.npy` array of shape [P, dims…]: the last axis is the channels, the axes between
    /// the first and the last are spatial ([P, d] is a vector of width d, [P] a vector of width 1).
    public init(pointAxes dims: [Int]) {
        if dims.isEmpty { self.init(channels: 1) } else { self.init(spatial: Array(dims.dropLast()), channels: dims.last!) }
    }
}

/// The activations of a finite network at P points: `values` [P·S, C] (see `TensorShape` for the order) and the
/// shape of one point. Layers acting on channels alone (Dense, nonlinearities) see `values` as P·S rows.
public struct Activations: Sendable, Equatable {
    /// [P·S, C] row-major.
    public var values: Matrix
    /// The shape of one point.
    public var shape: TensorShape

    /// `values` must have P·S rows and C columns.
    public init(values: Matrix, shape: TensorShape) {
        precondition(values.cols == shape.channels && values.rows % max(shape.spatialSize, 1) == 0,
                     "Activations: values [\(values.rows), \(values.cols)] for points of shape \(shape)")
        self.values = values
        self.shape = shape
    }

    /// Points x [P, S·C] (one flattened point per row) of the given shape.
    public init(points x: Matrix, shape: TensorShape) {
        precondition(x.cols == shape.size, "Activations: points of \(x.cols) values, shape \(shape) holds \(shape.size)")
        self.init(values: Matrix(rows: x.rows * shape.spatialSize, cols: shape.channels, data: x.data), shape: shape)
    }

    /// P.
    public var points: Int { values.rows / shape.spatialSize }
    /// One flattened point per row, [P, S·C].
    public var flattened: Matrix { Matrix(rows: points, cols: shape.size, data: values.data) }
}

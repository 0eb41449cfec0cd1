/// The `Training` module of nntheory: differentiation through input derivatives, optimisers, checkpoints.
/// Its capabilities are tracked in the project's issues and land in files named after each concept.
public enum TrainingModule {
    /// Version of the module's public API.
    public static let version = "0.1.0"
}

/// The `NTK` module of nntheory. See README.md (module map) for its scope; its capabilities are
/// tracked in the project's issues and land in files named after each formula or object.
public enum NTKModule {
    /// Version of the module's public API.
    public static let version = "0.1.0"
}

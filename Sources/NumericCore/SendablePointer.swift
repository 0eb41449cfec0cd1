/// A mutable pointer that may be captured by the `@Sendable` closures of `DispatchQueue.concurrentPerform` workers
/// (the one such wrapper of the package).
///
/// Why unchecked: `UnsafeMutablePointer` is not `Sendable` — the compiler cannot know who else reads or writes the
/// memory it points to, nor for how long that memory lives — so the conformance is asserted (`@unchecked`), not proved.
///
/// When it is safe: (1) the memory outlives every worker — the pointer comes from a `withUnsafe…` scope or an
/// allocation that encloses the whole concurrent call, and is not kept after it; (2) no element is written by one
/// worker while another reads or writes it — each worker writes its own disjoint elements (an index range, a stride, a
/// slot per block), and memory that several workers share is only read. Anything else is a data race the type
/// system no longer catches.
public struct SendablePointer<Pointee>: @unchecked Sendable {
    /// The wrapped pointer.
    public let pointer: UnsafeMutablePointer<Pointee>

    /// Wraps `pointer` (see the type's conditions for safe use).
    public init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }

    /// Wraps a read-only pointer, for memory the workers only read (it is never written through).
    public init(readOnly pointer: UnsafePointer<Pointee>) { self.pointer = UnsafeMutablePointer(mutating: pointer) }
}

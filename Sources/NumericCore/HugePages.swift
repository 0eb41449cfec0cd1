#if canImport(Glibc)
import Glibc
#endif

/// Fresh Float64 storage backed by transparent huge pages where the kernel allows it.
///
/// A new buffer's pages are faulted in (and cleared by the kernel) on first touch, one fault per 4 KiB page: for the
/// arrays of a kernel or an empirical NTK (megabytes) that costs more than the arithmetic that fills them (measured
/// on a 2-core VM: 16 MiB first written in 8.5 ms on 4 KiB pages, 3.8 ms on 2 MiB pages; a [4000, 4000] matrix is
/// 31 250 faults on small pages, 62 on huge ones). With THP in `madvise` mode (the common default) only memory
/// advised with `MADV_HUGEPAGE` gets huge pages.
public enum HugePages {
    /// An array of `count` Float64 whose contents are unspecified (the caller writes every entry before reading it),
    /// its storage advised for huge pages.
    public static func uninitializedArray(_ count: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            advise(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// An array of `count` Float64 whose contents are unspecified, in `storage` — an array no longer needed, taken
    /// over and left empty — when its capacity holds `count` (its pages are mapped already: nothing to fault in),
    /// else in fresh storage as `uninitializedArray(_:)`.
    public static func uninitializedArray(_ count: Int, reusing storage: inout [Double]) -> [Double] {
        guard storage.capacity >= count else { return uninitializedArray(count) }
        var reused: [Double] = []
        swap(&reused, &storage)
        // Within the capacity neither shortening nor lengthening reallocates (the appended zeros are for the caller
        // to overwrite).
        if reused.count > count { reused.removeLast(reused.count - count) }
        if reused.count < count { reused.append(contentsOf: repeatElement(0, count: count - reused.count)) }
        return reused
    }

    /// An array of `count` zeros, its storage advised for huge pages before it is cleared.
    public static func zeroedArray(_ count: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            advise(UnsafeMutableRawBufferPointer(buffer))
            buffer.initialize(repeating: 0)
            initialized = count
        }
    }

    /// Asks the kernel to back the 2 MiB-aligned interior of a large, not yet touched buffer with transparent huge
    /// pages (Linux `madvise(MADV_HUGEPAGE)`; a no-op elsewhere, for buffers under 4 MiB, or when THP is off).
    public static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        let huge = 1 << 21
        guard buffer.count >= 2 * huge, let base = buffer.baseAddress else { return }
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
        #endif
    }
}

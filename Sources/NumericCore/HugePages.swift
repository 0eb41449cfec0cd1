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
///
/// Only 2 MiB-aligned 2 MiB ranges can be huge pages. glibc serves a large allocation by its own `mmap`, and Linux
/// (6.7 and later) places an anonymous mapping whose length is a multiple of 2 MiB on a 2 MiB boundary; so a large
/// array's capacity is rounded up until glibc's mapping is a whole number of huge pages (`capacity(for:)`), and the
/// whole mapping is advised. Otherwise only the aligned interior is: a 4-MB array then gets one huge page, not two
/// (measured here: 8 MiB first written in 1.4–1.6 ms fully on huge pages, 2.2–2.4 ms on its interior, 4.0–4.6 ms on
/// 4 KiB pages; freed in 0.12, 0.22, 0.42 ms).
public enum HugePages {
    /// The size of a huge page (x86-64 and most aarch64 kernels).
    static let hugePageSize = 1 << 21

    /// The capacity (Float64 entries) to ask for so that an array of `count` entries is served by a mapping of a
    /// whole number of huge pages: with Swift's 32-byte array header and glibc's 16-byte chunk header and size
    /// rounding (the mapping is the request + 8 rounded up to 16, + 8, rounded up to the page size), a request of
    /// k·2 MiB − 64 bytes maps exactly k·2 MiB. Only where that adds at most an eighth: arrays under 2 MiB, and
    /// those just above a whole number of huge pages, keep `count` (a [1000, 512] matrix, 4.10 MB, maps 4.19 MB).
    static func capacity(for count: Int) -> Int {
        guard count * 8 >= hugePageSize else { return count }
        let header = 32, slack = 64
        let pages = (count * 8 + header + slack + hugePageSize - 1) / hugePageSize
        let rounded = (pages * hugePageSize - slack - header) / 8
        return rounded - count <= count / 8 ? rounded : count
    }

    /// An array of `count` Float64 whose contents are unspecified (the caller writes every entry before reading it),
    /// its storage advised for huge pages.
    public static func uninitializedArray(_ count: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: capacity(for: count)) { buffer, initialized in
            advise(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// An array of `count` Float64 whose contents are unspecified, in one of `spares` — arrays no longer needed, whose
    /// pages are mapped already (nothing to fault in) — taken out of the list: one of exactly `count` entries if there
    /// is one, else the first whose capacity holds `count`; in fresh storage as `uninitializedArray(_:)` when none
    /// does. Take spares out of a value before copying it, or the copy shares them and the first write copies them.
    public static func uninitializedArray(_ count: Int, reusing spares: inout [[Double]]) -> [Double] {
        guard let i = spares.firstIndex(where: { $0.count == count }) ?? spares.firstIndex(where: { $0.capacity >= count })
        else { return uninitializedArray(count) }
        var reused = spares.remove(at: i)
        // Within the capacity neither shortening nor lengthening reallocates (the appended zeros are for the caller
        // to overwrite).
        if reused.count > count { reused.removeLast(reused.count - count) }
        if reused.count < count { reused.append(contentsOf: repeatElement(0, count: count - reused.count)) }
        return reused
    }

    /// An array of `count` zeros, its storage advised for huge pages before it is cleared.
    public static func zeroedArray(_ count: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: capacity(for: count)) { buffer, initialized in
            advise(UnsafeMutableRawBufferPointer(buffer))
            UnsafeMutableBufferPointer(rebasing: buffer[..<count]).initialize(repeating: 0)
            initialized = count
        }
    }

    /// Asks the kernel to back a large, not yet touched buffer with transparent huge pages (Linux
    /// `madvise(MADV_HUGEPAGE)`; a no-op elsewhere, for buffers under 2 MiB, or when THP is off): the whole mapping
    /// when the buffer is the start of one of a whole number of huge pages (`capacity(for:)`), else its 2 MiB-aligned
    /// interior.
    public static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        let huge = hugePageSize, small = 4096
        guard buffer.count >= huge, let base = buffer.baseAddress else { return }
        let first = Int(bitPattern: base) & ~(small - 1)              // the page holding the array's headers
        let last = (Int(bitPattern: base) + buffer.count + small - 1) & ~(small - 1)
        let (start, end) = first & (huge - 1) == 0 && last & (huge - 1) == 0
            ? (first, last)
            : ((Int(bitPattern: base) + huge - 1) & ~(huge - 1), (Int(bitPattern: base) + buffer.count) & ~(huge - 1))
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
        #endif
    }
}

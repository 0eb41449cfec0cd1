import Foundation

/// Sizes checked against the machine before anything is allocated (docs/errors.md): a run estimates the bytes its
/// largest simultaneously held arrays need and refuses, with one line naming the option, its value, what the
/// memory is for and how much the machine has, when that exceeds the physical memory. An allocation that cannot
/// succeed is then an error message, not a crash (or a machine swapping for hours).
public enum MemoryBudget {
    /// This machine's physical memory in bytes (sysconf: pages × page size).
    public static var physicalBytes: Double {
        Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Throws `InputError` unless `bytes` fits in physical memory.
    /// - Parameters:
    ///   - bytes: what the run will hold at once (a Double, so that the estimate itself cannot overflow).
    ///   - what: what the memory is for ("the 10⁶ × 10⁶ NNGP and NTK matrices").
    ///   - option: the option that set the size, and its value as given ("--points 1000000000000").
    public static func check(_ bytes: Double, for what: String, option: String) throws {
        let have = physicalBytes
        guard bytes.isFinite, bytes <= have else {
            throw InputError("\(option): needs \(format(bytes)) for \(what); this machine has \(format(have)) of memory — expected a smaller size")
        }
    }

    /// Bytes as "512 B", "3.2 MB", "7.3 TB" (decimal units); "more than 10^308 B" when not finite.
    public static func format(_ bytes: Double) -> String {
        guard bytes.isFinite else { return "more than 1e308 B" }
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var v = bytes, u = 0
        while v >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(Int(v)) B" : String(format: v < 10 ? "%.1f %@" : "%.0f %@", v, units[u])
    }
}

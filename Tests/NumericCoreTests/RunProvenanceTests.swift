import Foundation
import Testing
@testable import NumericCore

@Suite struct RunProvenanceTests {
    /// `timestamp` (gmtime_r, no formatter) against Python's `datetime.fromtimestamp(t, UTC)` for the epoch, a leap
    /// day, the example in its doc comment, the last second of 2099 and 1234567890 (fractions of a second dropped),
    /// and against Foundation's ISO8601DateFormatter (internet date-time, UTC) on a spread of instants.
    @Test func timestampsAreISO8601InUTC() {
        let python: [(Double, String)] = [
            (0, "1970-01-01T00:00:00Z"), (951_782_400.9, "2000-02-29T00:00:00Z"), (1_764_774_245, "2025-12-03T15:04:05Z"),
            (4_102_444_799.999, "2099-12-31T23:59:59Z"), (1_234_567_890, "2009-02-13T23:31:30Z"),
        ]
        for (t, s) in python { #expect(RunProvenance.timestamp(Date(timeIntervalSince1970: t)) == s) }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        for k in 0..<200 {
            let date = Date(timeIntervalSince1970: Double(k) * 19_999_999.0 + 12_345)
            #expect(RunProvenance.timestamp(date) == f.string(from: date))
        }
    }
}

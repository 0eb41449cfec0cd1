import Foundation
import Testing
@testable import NumericCore

@Suite struct RunProvenanceTests {
    /// `start` reads the host's facts on another thread; `current` waits for them: the tool, version, commit and
    /// command line as given, the core count of `activeCores`, the start time between the call and its return.
    /// (`current` is process-wide: no other test sets it.)
    @Test func startRecordsTheRunOnceTheHostFactsAreRead() {
        let before = RunProvenance.timestamp(Date())
        RunProvenance.start(tool: "nntheory-test", version: "9.9", commit: "abc", argv: ["x", "--threads", "3", "--seed=7"])
        let p = RunProvenance.current, after = RunProvenance.timestamp(Date())
        #expect(p.tool == "nntheory-test" && p.version == "9.9" && p.commit == "abc" && p.argv == ["x", "--threads", "3", "--seed=7"])
        #expect(p.cores == activeCores && p.threads == 3 && p.seed == 7 && p.hostCPU == RunProvenance.cpuModel())
        #expect(before <= p.startedUTC && p.startedUTC <= after && p.finishedUTC == nil)
    }

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

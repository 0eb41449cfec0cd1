import Foundation

/// A cooperative stop for long runs: after `install()`, SIGINT and SIGTERM only record the signal; a run polls
/// `received` at its safe points (between optimiser steps, between epochs), stops there keeping its last checkpoint,
/// says on stderr how to resume, and exits with 128 + the signal (130 for SIGINT, 143 for SIGTERM). A second signal
/// of the same kind while the first is being honoured ends the process at once (the default action).
public enum StopRequest {
    nonisolated(unsafe) static var signalNumber: Int32 = 0

    /// Installs the handlers for SIGINT and SIGTERM (idempotent) and unblocks both in the calling thread (a process
    /// started with them blocked — some launchers pass their signal mask on — would otherwise never see them).
    public static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT); sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for s in [SIGINT, SIGTERM] {
            signal(s) { sig in
                if StopRequest.signalNumber != 0 { Foundation.signal(sig, SIG_DFL); raise(sig); return }
                StopRequest.signalNumber = sig
            }
        }
    }

    /// The signal received since `install()` (nil when none).
    public static var received: Int32? { signalNumber == 0 ? nil : signalNumber }

    /// The name of a signal number (SIGINT, SIGTERM, or the number).
    public static func name(_ s: Int32) -> String { s == SIGINT ? "SIGINT" : s == SIGTERM ? "SIGTERM" : "signal \(s)" }

    /// Forgets a received signal (for tests in one process).
    public static func reset() { signalNumber = 0 }

    /// What a run throws when it stopped at a safe point because of a signal: the signal and where it stopped
    /// ("step 120", "epoch 3").
    public struct Interrupted: Error, CustomStringConvertible, Sendable {
        /// The signal number.
        public let signal: Int32
        /// Where the run stopped and what it kept, one line.
        public let detail: String
        public init(signal: Int32, detail: String) { self.signal = signal; self.detail = detail }
        public var description: String { "stopped by \(StopRequest.name(signal)) \(detail)" }
        /// The conventional exit status 128 + signal.
        public var exitStatus: Int32 { 128 + signal }
    }
}

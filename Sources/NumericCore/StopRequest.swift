import Foundation

/// SIGINT and SIGTERM, for every run. `installProcessHandlers` (once, at process start) makes both only record the
/// signal and wake a watcher thread. A run that can stop cleanly declares it with `install()`: it polls `received` at
/// its safe points (between optimiser steps, between epochs, between blocks), stops there keeping a checkpoint of
/// where it is, says on stderr how to resume, and exits with 128 + the signal (130 for SIGINT, 143 for SIGTERM). For
/// a run that has not declared it — and for a second signal while the first is being honoured — the watcher calls
/// the process's `onStop` at once (which removes temporaries and exits 128 + the signal); so does a run that has
/// not reached its safe point `gracePeriod` seconds after the first signal. A third signal ends the process by the
/// default action.
public enum StopRequest {
    nonisolated(unsafe) static var signalNumber: Int32 = 0
    nonisolated(unsafe) static var signalCount: Int32 = 0
    nonisolated(unsafe) static var wakeFD: Int32 = -1
    nonisolated(unsafe) static var cooperative = false
    nonisolated(unsafe) static var handlersInstalled = false
    /// Seconds a run that stops by itself has to reach its next safe point after the first signal.
    nonisolated(unsafe) public static var gracePeriod: Double = 20

    /// Installs the handlers for SIGINT and SIGTERM (idempotent) and the watcher thread that calls `onStop(signal)`
    /// when the run does not stop by itself (see the type); unblocks both signals in the calling thread (a process
    /// started with them blocked — some launchers pass their signal mask on — would otherwise never see them).
    public static func installProcessHandlers(onStop: @escaping @Sendable (Int32) -> Void) {
        guard !handlersInstalled else { return }
        handlersInstalled = true
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        wakeFD = fds[1]
        let readFD = fds[0]
        let watcher = Thread {
            var byte: UInt8 = 0
            var seen = 0
            while read(readFD, &byte, 1) == 1 {
                seen += 1
                if seen == 1 && StopRequest.cooperative {
                    // The run stops at its next safe point; one that does not reach it within the grace period
                    // (a step far longer than usual) is ended as a second signal would end it.
                    var p = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
                    if poll(&p, 1, Int32(StopRequest.gracePeriod * 1000)) > 0 { continue }
                    seen += 1
                }
                onStop(Int32(byte))
            }
        }
        watcher.name = "nntheory.signals"
        watcher.start()
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT); sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for s in [SIGINT, SIGTERM] {
            signal(s) { sig in
                StopRequest.signalCount += 1
                if StopRequest.signalCount > 2 || StopRequest.wakeFD < 0 { Foundation.signal(sig, SIG_DFL); raise(sig); return }
                if StopRequest.signalNumber == 0 { StopRequest.signalNumber = sig }
                var b = UInt8(truncatingIfNeeded: sig)
                _ = write(StopRequest.wakeFD, &b, 1)
            }
        }
    }

    /// Declares that this run polls `received` and stops cleanly at its next safe point (see the type). Installs
    /// the signal handlers with no `onStop` of its own if the process has none yet (a library caller).
    public static func install() {
        cooperative = true
        installProcessHandlers(onStop: { sig in Foundation.signal(sig, SIG_DFL); raise(sig) })
    }

    /// The signal received since `install()` (nil when none).
    public static var received: Int32? { signalNumber == 0 ? nil : signalNumber }

    /// The name of a signal number (SIGINT, SIGTERM, or the number).
    public static func name(_ s: Int32) -> String { s == SIGINT ? "SIGINT" : s == SIGTERM ? "SIGTERM" : "signal \(s)" }

    /// Forgets a received signal (for tests in one process).
    public static func reset() { signalNumber = 0; signalCount = 0 }

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

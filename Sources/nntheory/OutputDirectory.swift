import ArgumentParser
import Foundation
import NumericCore

/// The output-directory contract, the same for every command (docs/errors.md):
/// - `--out` must be absent or empty, or hold a run of the same command that this run continues (`--resume`), or be
///   reused with `--force`, which first removes what the previous nntheory run there wrote (as its manifest lists)
///   and nothing else;
/// - a lock (`flock` on `DIR/.nntheory.lock`, released by the kernel when the process ends however it ends) refuses a
///   second concurrent run into the same directory;
/// - the manifest `DIR/.nntheory-run.json` names the command and the top-level entries the run wrote (kept up to date
///   as files are written, through `AtomicFile.observer`);
/// - temporaries of interrupted writes are removed on every exit path (`finish`, registered with `atexit` and called
///   by the signal path of `StopRequest`), and those a killed process left are swept when the directory is reused.
enum OutputDirectory {
    static let lockName = ".nntheory.lock"
    static let manifestName = ".nntheory-run.json"

    /// DIR/.nntheory-run.json.
    struct Manifest: Codable {
        /// The command path, e.g. "cy train".
        var command: String
        /// The top-level files and folders the run(s) of this command wrote into DIR, sorted.
        var files: [String]
    }

    /// The directory of this process's run (a command runs once per process).
    final class State: @unchecked Sendable {
        let dir: URL
        let created: Bool
        let lockFD: Int32
        var manifest: Manifest
        let resumed: Bool
        /// Whether the command can continue an interrupted run (`--resume`).
        let resumable: Bool
        let lock = NSLock()
        init(dir: URL, created: Bool, lockFD: Int32, manifest: Manifest, resumed: Bool, resumable: Bool) {
            self.dir = dir; self.created = created; self.lockFD = lockFD; self.manifest = manifest
            self.resumed = resumed; self.resumable = resumable
        }
    }

    nonisolated(unsafe) static var current: State? = nil

    /// The leaf command of this process (set by `NNTheory.main` after parsing), named by its path ("cy train").
    nonisolated(unsafe) static var command = "nntheory"

    /// Prepares `path` under the contract (see the type): creates it if missing, takes the lock, sweeps stale
    /// temporaries, applies `--force`, checks a `--resume` target's command, and starts the manifest.
    /// - Parameters:
    ///   - resume: nil for a command without `--resume`, else whether it was given.
    /// - Throws: `InputError` naming `option`, the path and what was expected.
    @discardableResult
    static func prepare(_ path: String, option: String = "--out", resume: Bool?, force: Bool) throws -> URL {
        guard !path.isEmpty else { throw InputError("\(option): '' is empty; expected a directory name") }
        let dir = try createWritableDirectory(path, option: option)
        let created = Self.createdPath == dir.path
        let fd = try takeLock(dir, path: path, option: option)
        AtomicFile.sweepTemporaries(under: dir)
        let old = try? JSONOutput.decode(Manifest.self, from: Data(contentsOf: dir.appendingPathComponent(manifestName)))
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0 != lockName && $0 != manifestName }.sorted()
        var files: [String] = []
        if !entries.isEmpty || old.map({ !$0.files.isEmpty }) == true {
            if resume == true {
                if let old, old.command != command {
                    throw InputError("--resume: '\(path)' holds a `\(old.command)` run, not a `\(command)` run; expected the --out of the run to continue")
                }
                files = old?.files ?? entries
            } else if force {
                for f in old?.files ?? [] where !f.contains("/") && f != ".." && f != "." {
                    try? FileManager.default.removeItem(at: dir.appendingPathComponent(f))
                }
            } else {
                let holds = old.map { "holds a `\($0.command)` run" }
                    ?? "holds \(counted(entries.count, "entry", "entries")) (e.g. '\(entries[0])')"
                let ways = resume == nil ? "--force to replace its files" : "--resume to continue that run or --force to replace its files"
                throw InputError("\(option): '\(path)' is not empty (it \(holds)); expected an empty or new directory, or \(ways)")
            }
        }
        let state = State(dir: dir, created: created, lockFD: fd, manifest: Manifest(command: command, files: files),
                          resumed: resume == true, resumable: resume != nil)
        current = state
        pendingLock = nil
        try writeManifest(state)
        AtomicFile.observer = { urls in OutputDirectory.record(urls) }
        atexit { OutputDirectory.finish() }
        return dir
    }

    /// Creates `path` (and its parents) unless it exists, and checks that it is a writable directory; a one-line
    /// `InputError` naming `option` and the path otherwise. Used directly for the parent of a file output.
    @discardableResult
    static func createWritableDirectory(_ path: String, option: String) throws -> URL {
        let dir = URL(fileURLWithPath: path).standardizedFileURL
        var reason: String? = nil
        do {
            if !FileManager.default.fileExists(atPath: dir.path) { createdPath = dir.path }
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            if !FileManager.default.isWritableFile(atPath: dir.path) { reason = "permission denied" }
        } catch {
            reason = fileProblem(at: path, errno: posixErrorCode(of: error))
        }
        if let reason { throw InputError("\(option): cannot write '\(path)': \(reason); expected a writable directory") }
        return dir
    }

    /// The directory this process created (removed again if the run ends with nothing in it).
    nonisolated(unsafe) static var createdPath: String? = nil

    /// The lock `takeLock` took, until `prepare` hands it to the run's state: a refusal (a non-empty directory) or a
    /// stop between the two still releases and removes it (`finish`).
    nonisolated(unsafe) static var pendingLock: (path: String, fd: Int32)? = nil

    /// Takes the exclusive lock of `dir`, or throws naming the process that holds it.
    static func takeLock(_ dir: URL, path: String, option: String) throws -> Int32 {
        let lockPath = dir.appendingPathComponent(lockName).path
        let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw InputError("\(option): cannot write '\(path)': \(fileProblem(at: lockPath, errno: errno)); expected a writable directory")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buf = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buf, 31, 0)
            close(fd)
            let pid = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw InputError("\(option): '\(path)' is in use by another nntheory run (pid \(pid)); expected a directory no other run is writing into")
        }
        pendingLock = (lockPath, fd)
        let text = Array("\(getpid())\n".utf8)
        ftruncate(fd, 0)
        _ = pwrite(fd, text, text.count, 0)
        return fd
    }

    /// Adds the top-level entries of written files to the manifest, rewritten once if any is new (called by
    /// `AtomicFile` after each write, or once for files put in place together).
    static func record(_ urls: [URL]) {
        guard let s = current else { return }
        let root = s.dir.path + "/"
        let tops = urls.compactMap { url -> String? in
            let p = url.standardizedFileURL.path
            return p.hasPrefix(root) ? p.dropFirst(root.count).split(separator: "/").first.map(String.init) : nil
        }
        s.lock.lock(); defer { s.lock.unlock() }
        let new = Set(tops).subtracting(s.manifest.files)
        guard !new.isEmpty else { return }
        s.manifest.files = (s.manifest.files + new).sorted()
        try? writeManifest(s)
    }

    static func writeManifest(_ s: State) throws {
        try AtomicFile.writeUnobserved(JSONOutput.encode(s.manifest), to: s.dir.appendingPathComponent(manifestName))
    }

    /// Every exit path: removes temporaries; a run that wrote nothing leaves the directory as it found it (removed
    /// if this process created it, the manifest removed otherwise); releases and removes the lock. Idempotent.
    static func finish() {
        AtomicFile.removeTemporaries()
        AtomicFile.observer = nil
        guard let s = current else {
            if let l = pendingLock {
                pendingLock = nil
                unlink(l.path)
                close(l.fd)
            }
            removeIfEmpty(createdPath)
            return
        }
        current = nil
        let fm = FileManager.default
        if s.manifest.files.isEmpty && !s.resumed { try? fm.removeItem(at: s.dir.appendingPathComponent(manifestName)) }
        unlink(s.dir.appendingPathComponent(lockName).path)
        close(s.lockFD)
        if s.created { removeIfEmpty(s.dir.path) }
    }

    /// The signal path of a run that does not stop by itself (`StopRequest`): says what is kept, cleans up as
    /// `finish` does and exits with 128 + the signal.
    @Sendable static func stopNow(_ signal: Int32) {
        let kept: String
        if let s = current, s.resumable, !s.manifest.files.isEmpty {
            kept = "the checkpoints in \(s.dir.path) are kept: rerun with --resume to continue from the last one"
        } else {
            kept = "nothing to resume from"
        }
        FileHandle.standardError.write(Data("\nerror: stopped by \(StopRequest.name(signal)) before the run finished; \(kept)\n".utf8))
        finish()
        _exit(128 + signal)
    }

    private static func removeIfEmpty(_ path: String?) {
        guard let path, let items = try? FileManager.default.contentsOfDirectory(atPath: path), items.isEmpty else { return }
        try? FileManager.default.removeItem(atPath: path)
        if createdPath == path { createdPath = nil }
    }

    /// The command path of a command type within `root` ("cy train"), found by walking the subcommand tree.
    static func path(of type: ParsableCommand.Type, in root: ParsableCommand.Type) -> String? {
        func walk(_ t: ParsableCommand.Type, _ prefix: [String]) -> [String]? {
            if t == type { return prefix }
            for c in t.configuration.subcommands {
                if let p = walk(c, prefix + [c.configuration.commandName ?? String(describing: c).lowercased()]) { return p }
            }
            return nil
        }
        return walk(root, []).map { $0.joined(separator: " ") }
    }
}

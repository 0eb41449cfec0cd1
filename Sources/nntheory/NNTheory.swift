import ArgumentParser
import Foundation
import NumericCore

@main
struct NNTheory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nntheory",
        abstract: "Neural-network theory for physics: NN field theories, NTKs, Calabi–Yau metrics, metric flows.",
        discussion: """
        Outputs: arrays as .npy (np.load reads them as they are), summaries as JSON, plots as SVG.
        Randomness is seeded and counter-based: the same --seed gives the same numbers on any thread count.
        Networks are given as SPECs, layers separated by spaces (--net "Dense(512) Relu Dense(1)"); the SPEC
        grammar is documented in docs/networks.md.
        """,
        version: "0.1.0",
        subcommands: [
            CorrelatorsCommand.self, KernelCommand.self, NTKCommand.self, FreeFieldCommand.self, Phi4Command.self,
            CYCommand.self, TrainCommand.self, FlowCommand.self, DemoCommand.self,
        ]
    )

    static func main() {
        OpenBLASThreadTimeout.shorten()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // --help/--version and errors already reported by `reportingErrors` as they are; a command-line parse
            // error as one line (ArgumentParser's message, where to find help) instead of the message plus usage.
            let code = exitCode(for: error)
            guard code != .success, !(error is ExitCode) else { exit(withError: error) }
            FileHandle.standardError.write(Data((oneLineParseError(fullMessage(for: error)) + "\n").utf8))
            Foundation.exit(code.rawValue)
        }
    }

    /// "Error: Missing expected argument '--net <net>'" + usage + "See 'nntheory kernel --help' …" →
    /// "error: missing expected argument '--net <net>' (see 'nntheory kernel --help')".
    static func oneLineParseError(_ message: String) -> String {
        let lines = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        var first = lines.first ?? "invalid command line"
        if first.hasPrefix("Error: ") { first = String(first.dropFirst("Error: ".count)) }
        if let c = first.first { first = c.lowercased() + first.dropFirst() }
        let hint = lines.first { $0.hasPrefix("See '") }.flatMap { $0.split(separator: "'").dropFirst().first }
        return "error: \(first)" + (hint.map { " (see '\($0)')" } ?? "")
    }
}

/// Runs a command body, turning any error into a one-line message on stderr and exit status 2.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as ExitCode {
        throw e
    } catch {
        removeEmptyOutputDirectory()
        let text = (error as? SettingError).map { $0.renamed(flagName(of: $0.setting)) } ?? fileErrorDescription(error) ?? "\(error)"
        let line = text.split(separator: "\n").first.map(String.init) ?? text
        FileHandle.standardError.write(Data("error: \(line)\n".utf8))
        throw ExitCode(2)
    }
}

/// A Foundation file error (NSCocoaErrorDomain or NSPOSIXErrorDomain) as one line naming the path and the reason,
/// e.g. "cannot write '/a/b/c': '/a/b' is a file, not a directory; expected a writable directory"; nil for other errors.
func fileErrorDescription(_ error: Error) -> String? {
    let ns = error as NSError
    guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return nil }
    let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
    let reading = ns.domain == NSCocoaErrorDomain && (256..<512).contains(ns.code)   // NSFileRead… codes
    let errno = posixErrorCode(of: ns)
    let (what, expected) = reading ? ("cannot read", "expected a readable file")
        : ("cannot write", errno == EISDIR ? "expected a file name" : "expected a writable directory")
    guard let path else { return "\(what): \(ns.localizedDescription); \(expected)" }
    return "\(what) '\(path)': \(fileProblem(at: path, errno: errno)); \(expected)"
}

/// Why `path` cannot be created or written: an ancestor that is a file, else the reason `errno` names.
func fileProblem(at path: String, errno: Int32?) -> String {
    var dir = URL(fileURLWithPath: path), isDir: ObjCBool = false
    while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir) { dir.deleteLastPathComponent() }
    if dir.path != "/" && !isDir.boolValue {
        return dir.path == URL(fileURLWithPath: path).path ? "a file is in the way" : "'\(dir.path)' is a file, not a directory"
    }
    switch errno {
    case EACCES?, EPERM?: return "permission denied"
    case ENOENT?: return "no such directory"
    case ENOTDIR?: return "a file is in the way"
    case EISDIR?: return "it is a directory"
    case let e?: return String(cString: strerror(e)).lowercased()
    case nil: return FileManager.default.isWritableFile(atPath: dir.path) ? "cannot be written" : "permission denied"
    }
}

/// Creates the output directory `path` up front, before any heavy work, and checks that it is writable; otherwise a
/// one-line `InputError` naming `option` and the path. Every command with an output directory calls it first.
@discardableResult
func prepareOutputDirectory(_ path: String, option: String = "--out") throws -> URL {
    let dir = URL(fileURLWithPath: path)
    var reason: String? = nil
    do {
        if !FileManager.default.fileExists(atPath: dir.path) { OutputDirectory.created = dir }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        if !FileManager.default.isWritableFile(atPath: dir.path) { reason = "permission denied" }
    } catch {
        reason = fileProblem(at: path, errno: posixErrorCode(of: error))
    }
    if let reason { throw InputError("\(option): cannot write '\(path)': \(reason); expected a writable directory") }
    return dir
}

/// The output directory this process created (a command runs once per process), so that a run stopped by bad
/// input does not leave an empty directory behind.
enum OutputDirectory {
    nonisolated(unsafe) static var created: URL? = nil
}

/// Removes the output directory this process created if the run failed before writing anything into it.
func removeEmptyOutputDirectory() {
    guard let dir = OutputDirectory.created,
          let items = try? FileManager.default.contentsOfDirectory(atPath: dir.path), items.isEmpty else { return }
    try? FileManager.default.removeItem(at: dir)
    OutputDirectory.created = nil
}

/// "1 positive number", "2 positive numbers".
func counted(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
}

/// Parses a comma-separated list, naming the option in the error; an empty item ("2,,4", "2,") is an error.
func parseList<T>(_ text: String, option: String, expected: String, _ convert: (String) -> T?) throws -> [T] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }.map { s in
        guard let v = convert(s) else { throw InputError("\(option): '\(s)' in '\(text)' is not \(expected)") }
        return v
    }
}

/// The command-line flag of a library setting (`SettingError.setting`): the fields whose flag is not their
/// kebab-case name are listed; every other field `fooBar` is `--foo-bar`.
func flagName(of setting: String) -> String {
    let renamed = ["rate": "--lr", "learningRate": "--lr", "initRate": "--init-lr", "evalSide": "--eval-grid",
                   "initExpression": "--init", "dimension": "--dim"]
    if let f = renamed[setting] { return f }
    return "--" + setting.reduce(into: "") { s, c in s += c.isUppercase ? "-" + c.lowercased() : String(c) }
}

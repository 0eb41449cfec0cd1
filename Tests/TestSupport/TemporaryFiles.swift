import Foundation

/// A fresh path in the system's temporary directory, `<prefix>-<UUID>`; nothing is created there.
public func temporaryDirectoryURL(prefix: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
}

/// A fresh, empty directory `<prefix>-<UUID>` in the system's temporary directory; the caller removes it.
public func makeTemporaryDirectory(prefix: String) throws -> URL {
    let url = temporaryDirectoryURL(prefix: prefix)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs `python3 -c script` (through /usr/bin/env; numpy is expected to be importable) and returns its exit status
/// and its standard output and error together.
public func runPython(_ script: String) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let out = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: out, as: UTF8.self))
}

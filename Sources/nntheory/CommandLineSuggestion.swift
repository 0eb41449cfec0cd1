import ArgumentParser
import Foundation

/// "Did you mean …?" for a mistyped option or subcommand: the command line is walked down the subcommand tree as far
/// as its words name subcommands; a word where a subcommand is expected that names none, or a `--option` the reached
/// command does not have, is matched against the valid names by edit distance (Damerau–Levenshtein, at most 2 and at
/// most a third of the word). ArgumentParser reports such a word as "unexpected argument", or a missing required
/// option first; this names the word and the likely intent instead.
enum CommandLineSuggestion {
    /// A one-line diagnosis of the first unknown subcommand or option in `arguments` (argv without argv[0]), or nil.
    static func diagnose(_ arguments: [String], root: ParsableCommand.Type = NNTheory.self) -> String? {
        var command: ParsableCommand.Type = root, path = [root.configuration.commandName ?? "nntheory"]
        var i = 0
        // Descend while the words name subcommands.
        while i < arguments.count {
            let word = arguments[i], subs = command.configuration.subcommands
            guard !subs.isEmpty else { break }
            if word.hasPrefix("-") {
                // Options straight after a group go to its default subcommand (e.g. `ntk` → `ntk compute`).
                if let d = command.configuration.defaultSubcommand { command = d; path.append(names(of: d)[0]) }
                break
            }
            if let next = subs.first(where: { names(of: $0).contains(word) }) {
                command = next; path.append(word); i += 1; continue
            }
            let candidates = subs.flatMap { names(of: $0) }
            let hint = closest(to: word, among: candidates).map { "; did you mean '\($0)'?" } ?? "; expected one of \(candidates.joined(separator: ", "))"
            return "unknown command '\(word)' for '\(path.joined(separator: " "))'\(hint) (see '\(path.joined(separator: " ")) --help')"
        }
        // Options of the reached command, as its help lists them.
        let help = root.helpMessage(for: command, columns: 200)
        var valid = Set(["--help", "--version"])
        var k = help.startIndex
        while let r = help.range(of: "--", range: k..<help.endIndex) {
            var e = r.upperBound
            while e < help.endIndex, help[e].isLetter || help[e].isNumber || help[e] == "-" { e = help.index(after: e) }
            if e > r.upperBound { valid.insert(String(help[r.lowerBound..<e])) }
            k = e
        }
        for word in arguments[i...] where word.hasPrefix("--") && word.count > 2 {
            let name = String(word.split(separator: "=", maxSplits: 1).first ?? Substring(word))
            guard !valid.contains(name) else { continue }
            let hint = closest(to: name, among: valid.sorted()).map { "; did you mean '\($0)'?" } ?? ""
            return "unknown option '\(name)' for '\(path.joined(separator: " "))'\(hint) (see '\(path.joined(separator: " ")) --help')"
        }
        return nil
    }

    /// The command's name and aliases.
    static func names(of c: ParsableCommand.Type) -> [String] {
        [c.configuration.commandName ?? String(describing: c).lowercased()] + c.configuration.aliases
    }

    /// The candidate nearest to `word` when it is close enough: distance ≤ 2 and ≤ ⌈|word|/3⌉.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let limit = min(2, (word.count + 2) / 3)
        let scored = candidates.map { ($0, distance(word, $0)) }.filter { $0.1 <= limit }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Damerau–Levenshtein distance (insertions, deletions, substitutions, adjacent transpositions).
    static func distance(_ a: String, _ b: String) -> Int {
        let s = Array(a), t = Array(b)
        if s.isEmpty { return t.count }
        if t.isEmpty { return s.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: t.count + 1), count: s.count + 1)
        for i in 0...s.count { d[i][0] = i }
        for j in 0...t.count { d[0][j] = j }
        for i in 1...s.count { for j in 1...t.count {
            let cost = s[i - 1] == t[j - 1] ? 0 : 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, s[i - 1] == t[j - 2], s[i - 2] == t[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        } }
        return d[s.count][t.count]
    }
}

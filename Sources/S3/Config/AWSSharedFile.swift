import Foundation

/// The INI dialect of `~/.aws/credentials` and `~/.aws/config`: `[section]` headers, `key = value`
/// lines, `#`/`;` comments. Indented lines (nested `services` settings) are skipped.
struct AWSSharedFile: Sendable, Equatable {
    /// Settings by section name, as written (`default`, `profile dev`, `dev`).
    var sections: [String: [String: String]] = [:]

    init(text: String) {
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            if rawLine.first == " " || rawLine.first == "\t" { continue }
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().split(separator: " ", omittingEmptySubsequences: true)
                    .joined(separator: " ")
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
            } else if let current, let equals = line.firstIndex(of: "=") {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                if !value.isEmpty { sections[current, default: [:]][key] = value }
            }
        }
    }

    /// Reads `path`; a missing or unreadable file is an empty one.
    init(path: String) {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        self.init(text: text)
    }

    /// The settings of `profile` in a credentials file (`[name]`).
    func credentialsProfile(_ profile: String) -> [String: String] { sections[profile] ?? [:] }

    /// The settings of `profile` in a config file (`[profile name]`, or `[default]`).
    func configProfile(_ profile: String) -> [String: String] {
        if profile == "default" { return sections["default"] ?? sections["profile default"] ?? [:] }
        return sections["profile \(profile)"] ?? [:]
    }
}

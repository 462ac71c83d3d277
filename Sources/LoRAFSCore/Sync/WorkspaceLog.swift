import Catalog
import Foundation

/// The workspace's change log in the bucket: one small JSON object per change,
/// `workspaces/WS/log/<ms>-<mount>-<seq>.json`, written once (`If-None-Match: *`)
/// and never rewritten. Every mount writes its own changes there and lists the
/// others' with `start-after`, so a refresh costs the changes since the last one,
/// not the LoRAs.
///
/// Keys order the changes: per name, the entry with the greatest key wins, on
/// every mount, whatever order the entries are read in (last writer wins).
struct LogKey: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// A hybrid logical clock: the writer's wall clock in milliseconds, but never
    /// less than one past the greatest key it has seen, so a change made after
    /// seeing another always sorts after it, whatever the clocks say.
    let milliseconds: Int64
    /// The mount that wrote it (12 hex digits, fixed per state directory).
    let mount: String
    /// That mount's counter, so one millisecond holds many changes.
    let sequence: Int

    /// Fixed width, so the string order is the key order (and S3's listing order).
    var description: String {
        Self.padded(String(milliseconds), to: 13) + "-" + mount + "-" + Self.padded(String(sequence), to: 8)
    }

    init(milliseconds: Int64, mount: String, sequence: Int) {
        self.milliseconds = milliseconds
        self.mount = mount
        self.sequence = sequence
    }

    init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 13, parts[2].count == 8, Self.isMountID(String(parts[1])),
              let milliseconds = Int64(parts[0]), let sequence = Int(parts[2]) else { return nil }
        self.init(milliseconds: milliseconds, mount: String(parts[1]), sequence: sequence)
    }

    /// The smallest key at `milliseconds`: `start-after` for a listing from that time.
    static func floor(_ milliseconds: Int64) -> String { padded(String(max(0, milliseconds)), to: 13) }

    static func < (a: LogKey, b: LogKey) -> Bool { a.description < b.description }

    static func isMountID(_ text: String) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    static func newMountID() -> String { String(UUID().uuidString.lowercased().filter { $0 != "-" }.prefix(12)) }

    private static func padded(_ digits: String, to width: Int) -> String {
        String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// One entry of the log: the new state of the names one operation changed
/// (`lora` nil: the name is gone). An upload or overwrite names one LoRA; a
/// rename the old name (gone) and the new one; a delete one name, gone.
struct LogEntry: StoredJSON, Equatable, Sendable {
    struct Change: Codable, Equatable, Sendable {
        var name: String
        var lora: LoRARecord?
    }

    var version = 1
    var workspace: String
    var mount: String
    var changes: [Change]

}

extension ObjectLayout {
    var logPrefix: String { prefix + "log/" }

    func logObjectKey(_ key: LogKey) -> String { logPrefix + key.description + ".json" }

    /// The log key an object key names, nil for anything else under the prefix.
    func logKey(ofObject objectKey: String) -> LogKey? {
        guard objectKey.hasPrefix(logPrefix), objectKey.hasSuffix(".json") else { return nil }
        return LogKey(String(objectKey.dropFirst(logPrefix.count).dropLast(5)))
    }
}

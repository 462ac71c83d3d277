import Foundation

/// A document lorafs stores as JSON (a manifest, a log entry, a snapshot, the sync
/// state): keys sorted, so the same value is always the same bytes.
protocol StoredJSON: Codable {}

extension StoredJSON {
    /// The bytes to store. Throws rather than storing an empty document.
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return [UInt8](try encoder.encode(self))
    }

    static func decode(_ bytes: [UInt8]) throws -> Self {
        try JSONDecoder().decode(Self.self, from: Data(bytes))
    }
}

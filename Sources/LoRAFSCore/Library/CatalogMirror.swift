import Catalog
import Synchronization

/// The catalog's LoRA rows, kept in memory by the mount so that `getattr`,
/// `readdir` and `lookup` answer without SQLite. Updated after each committed
/// catalog change (never before: a row shows only once it is stored).
final class CatalogMirror: Sendable {
    private let rows: Mutex<[String: LoRARecord]>

    init(catalog: any LoRACatalog) throws {
        var rows: [String: LoRARecord] = [:]
        for record in try catalog.allLoRAs() { rows[record.name] = record }
        self.rows = Mutex(rows)
    }

    subscript(name: String) -> LoRARecord? { rows.withLock { $0[name] } }

    func contains(_ name: String) -> Bool { rows.withLock { $0[name] != nil } }

    /// Every row, sorted by name.
    var all: [LoRARecord] { rows.withLock { Array($0.values) }.sorted { $0.name < $1.name } }

    var names: [String] { rows.withLock { Array($0.keys) }.sorted() }

    /// How many LoRAs, and their bytes in all.
    var totals: (count: Int, bytes: UInt64) {
        rows.withLock { rows in (rows.count, rows.values.reduce(UInt64(0)) { $0 + UInt64($1.size) }) }
    }

    func store(_ record: LoRARecord) { rows.withLock { $0[record.name] = record } }

    func remove(_ name: String) { rows.withLock { _ = $0.removeValue(forKey: name) } }

    func rename(from source: String, to record: LoRARecord) {
        rows.withLock { rows in
            rows[source] = nil
            rows[record.name] = record
        }
    }
}

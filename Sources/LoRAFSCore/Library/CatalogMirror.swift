import Catalog
import Synchronization

/// The catalog's LoRA rows, kept in memory by the mount so that `getattr`,
/// `readdir` and `lookup` answer without SQLite. Updated after each committed
/// catalog change (never before: a row shows only once it is stored), and by
/// `refresh()` with what others changed in a shared catalog since it last looked.
final class CatalogMirror: Sendable {
    private struct Rows {
        var byName: [String: LoRARecord] = [:]
        /// The catalog's change version these rows reflect.
        var version: Int64 = 0
        /// Names this mount changed while a refresh was reading the catalog: that
        /// refresh's snapshot may predate them, so it leaves them alone (the next
        /// refresh delivers them again if the catalog has something newer).
        var touched: Set<String> = []
        var refreshing = false

        /// Which name holds each object (an object has one name at most).
        var byKey: [String: String] = [:]

        mutating func touch(_ names: String...) { if refreshing { touched.formUnion(names) } }

        mutating func put(_ record: LoRARecord) {
            drop(record.name)
            byName[record.name] = record
            byKey[record.objectKey] = record.name
        }

        @discardableResult
        mutating func drop(_ name: String) -> LoRARecord? {
            guard let old = byName.removeValue(forKey: name) else { return nil }
            if byKey[old.objectKey] == name { byKey[old.objectKey] = nil }
            return old
        }
    }

    private let catalog: any LoRACatalog
    private let rows = Mutex(Rows())
    /// One refresh at a time; never taken by lookups.
    private let refreshLock = Mutex(())

    init(catalog: any LoRACatalog) throws {
        self.catalog = catalog
        _ = try refresh()
    }

    /// Applies the catalog's changes since the last refresh (all rows the first
    /// time); returns how many rows it changed here (this mount's own changes are
    /// already applied). Costs the number of changes, not rows.
    @discardableResult
    func refresh() throws -> Int { try refreshReplacing().count }

    /// `refresh()`, telling which rows it replaced or removed here: what each
    /// name showed before, and what it shows now (nil: gone).
    func refreshReplacing() throws -> [(old: LoRARecord?, new: LoRARecord?)] {
        try refreshLock.withLock { _ in
            let since = rows.withLock { rows in
                rows.refreshing = true
                return rows.version
            }
            let fetched = Result { try catalog.changes(since: since) }
            return try rows.withLock { rows in
                defer {
                    rows.refreshing = false
                    rows.touched = []
                }
                let changes = try fetched.get()
                guard changes.version > rows.version else { return [] }
                var applied: [(old: LoRARecord?, new: LoRARecord?)] = []
                for name in changes.deleted where !rows.touched.contains(name) {
                    if let old = rows.drop(name) { applied.append((old, nil)) }
                }
                for record in changes.upserted where !rows.touched.contains(record.name) && rows.byName[record.name] != record {
                    applied.append((rows.byName[record.name], record))
                    rows.put(record)
                }
                rows.version = changes.version
                return applied
            }
        }
    }

    subscript(name: String) -> LoRARecord? { rows.withLock { $0.byName[name] } }

    func contains(_ name: String) -> Bool { rows.withLock { $0.byName[name] != nil } }

    /// The name whose row holds `objectKey`, if any.
    func name(holding objectKey: String) -> String? { rows.withLock { $0.byKey[objectKey] } }

    /// Every row, sorted by name.
    var all: [LoRARecord] { unordered.sorted { $0.name < $1.name } }

    /// Every row, in no particular order: what `readdir` needs (`ls` sorts for itself),
    /// without sorting 100,000 names per listing.
    var unordered: [LoRARecord] { rows.withLock { Array($0.byName.values) } }

    var names: [String] { rows.withLock { Array($0.byName.keys) }.sorted() }

    /// How many LoRAs, and their bytes in all.
    var totals: (count: Int, bytes: UInt64) {
        rows.withLock { rows in (rows.byName.count, rows.byName.values.reduce(UInt64(0)) { $0 + UInt64($1.size) }) }
    }

    func store(_ record: LoRARecord) {
        rows.withLock { rows in
            rows.put(record)
            rows.touch(record.name)
        }
    }

    func remove(_ name: String) {
        rows.withLock { rows in
            rows.drop(name)
            rows.touch(name)
        }
    }

    func rename(from source: String, to record: LoRARecord) {
        rows.withLock { rows in
            rows.drop(source)
            rows.put(record)
            rows.touch(source, record.name)
        }
    }
}

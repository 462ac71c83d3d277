/// Every failure a catalog reports, whatever its engine, so that the filesystem
/// can explain it (and map it to an errno) without knowing SQLite or PostgreSQL.
public enum CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The row (a LoRA to rename, a job to update) does not exist.
    case notFound(String)
    /// A job with this name already exists.
    case exists(String)
    /// A conditional update found another row than the caller read: `expected` and
    /// `found` are object keys, `nil` meaning "no row". Nothing was changed.
    case conflict(name: String, expected: String?, found: String?)
    /// The engine could not run `operation` now because of other transactions (a
    /// serialization failure, a deadlock, a lock it waited for too long; SQLite's
    /// BUSY and LOCKED); nothing was changed, and trying again may succeed.
    case busy(operation: String, message: String)
    /// The engine's disk is full (SQLite's FULL, PostgreSQL's 53100 disk_full); nothing was changed.
    case noSpace(operation: String, message: String)
    /// The catalog cannot be written (SQLite's READONLY, PostgreSQL's 25006 in a
    /// read-only transaction or on a standby); nothing was changed.
    case readOnly(operation: String, message: String)
    /// Any other failure of the engine: `operation` is the catalog call (`open`, `upsert`, ...),
    /// `code` the engine's result code, `message` its own words. SQLite: the extended
    /// result code (e.g. 5 for SQLITE_BUSY, 26 for SQLITE_NOTADB). PostgreSQL: the
    /// SQLSTATE packed into an integer (`PostgreSQLCatalog.SQLState`), the message ending
    /// in `[SQLSTATE 23505]`; its low byte means nothing on its own.
    case engine(operation: String, code: Int32, message: String)

    /// One sentence, fit to follow "the catalog at PATH: ".
    public var description: String {
        switch self {
        case .notFound(let name):
            return "\"\(name)\" is not in the catalog"
        case .exists(let name):
            return "\"\(name)\" is already in the catalog"
        case .conflict(let name, let expected, let found):
            return "\"\(name)\" changed in the catalog meanwhile: expected \(Self.describe(expected)), found \(Self.describe(found))"
        case .busy(let operation, let message):
            return "catalog \(operation) could not run now: \(message)"
        case .noSpace(let operation, let message):
            return "catalog \(operation) failed, its disk is full: \(message)"
        case .readOnly(let operation, let message):
            return "catalog \(operation) failed, it is read-only: \(message)"
        case .engine(let operation, let code, let message):
            return "catalog \(operation) failed: \(message) (result code \(code))"
        }
    }

    private static func describe(_ objectKey: String?) -> String {
        objectKey.map { "object \($0)" } ?? "no row"
    }
}

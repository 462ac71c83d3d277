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
    /// The engine failed: `operation` is the catalog call (`open`, `upsert`, ...),
    /// `code` the engine's result code (SQLite's extended result code, e.g. 5 for
    /// SQLITE_BUSY, 26 for SQLITE_NOTADB), `message` its own words.
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
        case .engine(let operation, let code, let message):
            return "catalog \(operation) failed: \(message) (result code \(code))"
        }
    }

    private static func describe(_ objectKey: String?) -> String {
        objectKey.map { "object \($0)" } ?? "no row"
    }
}

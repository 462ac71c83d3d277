/// PostgreSQL's error codes (SQLSTATE, five characters of `[0-9A-Z]`) as the `code` of
/// `CatalogError.engine`, which is an `Int32`.
///
/// The packing is PostgreSQL's own (`MAKE_SQLSTATE` in `utils/elog.h`): six bits per
/// character, the first character lowest. The message of the error carries the five
/// characters too (`... [SQLSTATE 23505]`), for people.
public enum SQLState {
    /// The `CatalogError.engine` code of `sqlState`, e.g. `"23505"` (unique violation).
    public static func resultCode(_ sqlState: String) -> Int32 {
        var code: Int32 = 0
        for (index, byte) in sqlState.utf8.prefix(5).enumerated() {
            code |= (Int32(byte &- UInt8(ascii: "0")) & 0x3F) << (6 * index)
        }
        return code
    }

    /// The five characters behind a code made by `resultCode(_:)`.
    public static func sqlState(ofResultCode code: Int32) -> String {
        String(decoding: (0..<5).map { UInt8((code >> (6 * $0)) & 0x3F) &+ UInt8(ascii: "0") }, as: UTF8.self)
    }

    // The states the catalog looks at.
    static let uniqueViolation = "23505"
    static let serializationFailure = "40001"
    static let deadlockDetected = "40P01"
    static let lockNotAvailable = "55P03"
    static let diskFull = "53100"
    static let readOnlySQLTransaction = "25006"
    static let insufficientPrivilege = "42501"
    /// No connection could be made (libpq gives no SQLSTATE of its own for it).
    static let unableToConnect = "08001"
    /// The connection broke during a statement.
    static let connectionFailure = "08006"
    /// The server is ending the session: admin_shutdown (`pg_terminate_backend`, a fast
    /// shutdown), crash_shutdown, idle_session_timeout.
    static let serverClosing: Set<String> = ["57P01", "57P02", "57P05"]
    /// The connection broke during COMMIT.
    static let transactionResolutionUnknown = "08007"
    static let inFailedTransaction = "25P02"
    static let characterNotInRepertoire = "22021"
    static let invalidParameterValue = "22023"
    static let internalError = "XX000"
    /// A value the catalog read back that it cannot decode.
    static let invalidTextRepresentation = "22P02"
}

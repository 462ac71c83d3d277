import Catalog
import GRDB

// The record types live in Catalog, which must not know GRDB, so GRDB learns them
// here. Conformances in an extension rather than private row types: the Codable
// coding keys already are the column names, and a mirror struct would repeat
// twelve fields and a conversion each way. (No `@retroactive`: Swift does not
// count a type from the same package as foreign.) The risk of such a conformance,
// a second, clashing one elsewhere, cannot arise: this is the only module that
// imports GRDB.

extension LoRARecord: FetchableRecord, PersistableRecord {
    /// The table of LoRA rows.
    public static let databaseTableName = "loras"
}

extension JobRecord: FetchableRecord, PersistableRecord {
    /// The table of generation jobs.
    public static let databaseTableName = "jobs"
}

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

    /// Read column by column rather than through `Decodable`: a mount loads every row,
    /// and GRDB's decoder costs several times as much per row (100,000 rows at mount).
    public init(row: Row) throws {
        self.init(name: row["name"], objectKey: row["object_key"], size: row["size"], sha256: row["sha256"],
                  uploadedAt: row["uploaded_at"], kind: row["kind"], rank: row["rank"], hiddenSize: row["hidden_size"],
                  hasImageCrossAttention: row["has_image_cross_attention"], timestepRange: row["timestep_range"],
                  triggerPhrase: row["trigger_phrase"], baseModel: row["base_model"])
    }
}

extension JobRecord: FetchableRecord, PersistableRecord {
    /// The table of generation jobs.
    public static let databaseTableName = "jobs"
}

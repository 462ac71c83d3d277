/// What changed in the LoRA rows since a given change version: enough for a
/// mount to bring its in-memory mirror up to date without reading every row.
public struct CatalogChanges: Sendable, Equatable {
    /// The catalog's change version when these changes were read; pass it to the
    /// next `changes(since:)`.
    public var version: Int64
    /// The current state of every row inserted or replaced since, sorted by name.
    /// A row changed several times appears once, as it is now.
    public var upserted: [LoRARecord]
    /// The names whose rows were deleted since (and not re-created), sorted.
    /// A rename shows as its old name here and its new name in `upserted`.
    public var deleted: [String]

    /// A set of changes as of `version`.
    public init(version: Int64, upserted: [LoRARecord], deleted: [String]) {
        self.version = version
        self.upserted = upserted
        self.deleted = deleted
    }
}

import Catalog
import Foundation
import Logging

/// What every subtree of one mount shares: the configuration, the bucket and its
/// key layout, the catalog and its in-memory mirror, the transfer threads, the log
/// and the error journal.
final class WorkspaceServices: Sendable {
    let options: WorkspaceOptions
    let layout: ObjectLayout
    let store: any ObjectStore
    let catalog: any LoRACatalog
    /// The catalog's LoRA rows in memory: `getattr` and `readdir` never wait on SQLite.
    let mirror: CatalogMirror
    let logger: Logger
    let journal = ErrorJournal()
    /// S3 transfers block these plain threads, never FUSE's or Swift's cooperative pool.
    let uploads: WorkerPool
    let downloads: WorkerPool
    let partBuffers: PartBufferPool
    /// The read budget: chunks of stored objects being read, for all open files together.
    let readBuffers: PartBufferPool
    /// Deletes and manifest rewrites that `rm` and `mv` do not wait for.
    let background: BackgroundStorage
    /// The bucket's change log: what this mount changes goes there, what others change comes from there.
    let sync: WorkspaceSync
    let mountedAt = Date()

    init(options: WorkspaceOptions, store: any ObjectStore, catalog: any LoRACatalog, logger: Logger) throws {
        self.options = options
        layout = options.layout
        self.store = store
        self.catalog = catalog
        self.logger = logger
        mirror = try CatalogMirror(catalog: catalog)
        uploads = WorkerPool(name: "lorafs-upload", threads: 8)
        downloads = WorkerPool(name: "lorafs-download", threads: 4)
        partBuffers = PartBufferPool(capacity: Int(options.partSize), limit: options.maxPartsInFlight)
        readBuffers = PartBufferPool(capacity: 8 << 20, limit: 8)
        background = BackgroundStorage(logger: logger)
        sync = try WorkspaceSync(options: options, store: store, catalog: catalog, mirror: mirror, logger: logger) {
            [journal, logger] error in
            journal.record(error)
            logger.error("\(error.reason)", metadata: ["errno": "\(FSError.errnoName(error.errno))"])
        }
    }

    deinit {
        uploads.stop()
        downloads.stop()
    }

    /// Logs a failure, keeps it for `.lorafs/errors`, and hands it back for throwing.
    func report(_ error: FSError) -> FSError {
        journal.record(error)
        logger.error("\(error.reason)", metadata: ["errno": "\(FSError.errnoName(error.errno))"])
        return error
    }

    func report(_ failure: FSError.Failure) -> FSError { report(FSError(failure)) }

    var rootModified: Double { mountedAt.timeIntervalSince1970 }

    /// Deletes a replaced LoRA's object and manifest in the background; a failure
    /// only leaves an orphan for `fsck`.
    func deleteObjects(of record: LoRARecord) {
        background.later("delete \(record.objectKey)") { [self] in try deleteObjectsNow(of: record) }
    }

    /// The manifest goes first: it is what tells `fsck --rebuild` the name exists,
    /// so a crash between the two leaves an orphan to collect, not a LoRA brought back.
    func deleteObjectsNow(of record: LoRARecord) throws {
        try store.deleteObject(key: layout.manifestKey(forObject: record.objectKey))
        try store.deleteObject(key: record.objectKey)
    }

    /// Writes (or rewrites, after `mv`) the manifest of `record`.
    func putManifest(of record: LoRARecord) throws {
        try store.putManifest(of: record, layout: layout)
    }
}

import Catalog
import Foundation
import LoRAFormats

/// `lorafs fsck`: the workspace's catalog as the bucket alone says it should
/// be, compared with the local one, and (with `rebuild`) written over it.
///
/// The bucket holds, per LoRA, the object (`loras/ID.EXT`) and its manifest
/// (`manifests/ID.json`: name, size, SHA-256, upload time; rewritten by `mv`).
/// An object without a manifest (a crash between the upload and the manifest)
/// is recovered from its own metadata when that carries name and SHA-256.
public struct CatalogCheck: Sendable {
    /// What the bucket and the catalog disagree on.
    public struct Report: Sendable {
        /// The catalog the bucket describes, sorted by name.
        public var expected: [LoRARecord] = []
        /// In the bucket, not in the catalog.
        public var missingRows: [String] = []
        /// In the catalog, with no object in the bucket.
        public var extraRows: [String] = []
        /// In both, but with another object, size or SHA-256.
        public var mismatchedRows: [String] = []
        /// Objects no manifest or metadata names, and older copies of a name (left in place).
        public var orphans: [String] = []
        /// Manifests that are unreadable or name a missing object.
        public var staleManifests: [String] = []
        /// Orphans and stale manifests deleted by `collect` (older than its grace).
        public var collected: [String] = []

        /// Orphans and stale manifests still in the bucket after this run.
        public var leftovers: [String] { (orphans + staleManifests).filter { !collected.contains($0) } }

        public var isConsistent: Bool { missingRows.isEmpty && extraRows.isEmpty && mismatchedRows.isEmpty }
    }

    let store: any ObjectStore
    let layout: ObjectLayout

    public init(store: any ObjectStore, workspace: String) {
        self.store = store
        layout = ObjectLayout(workspace: workspace)
    }

    /// After a rebuild of the catalog of `stateDirectory` (not a shared one): its next
    /// mount applies the workspace's change log over it (`SyncState.markCatalogRebuilt`).
    public static func markRebuilt(stateDirectory: String) throws {
        try SyncState.markCatalogRebuilt(stateDirectory: stateDirectory)
    }

    /// Reads the bucket and compares; with `rebuild`, replaces the catalog's LoRA rows.
    /// - Parameters:
    ///   - collect: delete orphaned objects and stale manifests older than `grace`
    ///     seconds (younger ones may be an upload a live mount is just recording).
    public func run(catalog: any LoRACatalog, rebuild: Bool, collect: Bool = false, grace: TimeInterval = 3600) throws -> Report {
        var report = Report()
        let objects = Dictionary(try store.listObjects(prefix: layout.lorasPrefix).map { ($0.key, $0.size) },
                                 uniquingKeysWith: { first, _ in first })
        var named: [String: LoRARecord] = [:]
        var described = Set<String>()
        func offer(_ record: LoRARecord) {
            if let current = named[record.name] {
                let (keep, drop) = current.uploadedAt >= record.uploadedAt ? (current, record) : (record, current)
                named[record.name] = keep
                report.orphans.append(drop.objectKey)
            } else {
                named[record.name] = record
            }
        }
        for manifest in try store.listObjects(prefix: layout.manifestsPrefix) {
            guard let record = try? readManifest(manifest.key, size: manifest.size),
                  objects[record.objectKey] == UInt64(record.size) else {
                report.staleManifests.append(manifest.key)
                continue
            }
            described.insert(record.objectKey)
            offer(record)
        }
        for (key, size) in objects where !described.contains(key) {
            if let record = try recoverFromMetadata(key, size: size) { offer(record) } else { report.orphans.append(key) }
        }
        report.expected = named.values.map(withSummary).sorted { $0.name < $1.name }

        let current = Dictionary(try catalog.allLoRAs().map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for record in report.expected {
            guard let row = current[record.name] else {
                report.missingRows.append(record.name)
                continue
            }
            if row.objectKey != record.objectKey || row.size != record.size || row.sha256 != record.sha256 {
                report.mismatchedRows.append(record.name)
            }
        }
        report.extraRows = current.keys.filter { named[$0] == nil }.sorted()
        report.orphans.sort()
        if rebuild { try catalog.replaceAllLoRAs(with: report.expected) }
        if collect { report.collected = try self.collect(report.orphans + report.staleManifests, olderThan: grace) }
        return report
    }

    private func readManifest(_ key: String, size: UInt64) throws -> LoRARecord? {
        try Manifest.decode(try store.getObject(key: key, range: 0..<size)).record(in: layout)
    }

    /// A single-PUT object carries name, size and SHA-256 in its own metadata.
    private func recoverFromMetadata(_ key: String, size: UInt64) throws -> LoRARecord? {
        guard let metadata = try store.metadata(of: key),
              let name = metadata[ObjectMetadata.name]?.removingPercentEncoding, case .lora(let kind) = LoRANameRules.classify(name),
              let sha256 = metadata[ObjectMetadata.sha256], metadata[ObjectMetadata.size] == String(size) else { return nil }
        let uploadedAt = metadata[ObjectMetadata.uploadedAt].flatMap { try? Date($0, strategy: .iso8601) }
        return LoRARecord(name: name, objectKey: key, size: Int64(size), sha256: sha256,
                          uploadedAt: uploadedAt?.timeIntervalSince1970 ?? 0, kind: kind.rawValue)
    }

    /// Adds what the safetensors header says (two ranged GETs); unchanged on any failure.
    private func withSummary(_ record: LoRARecord) -> LoRARecord {
        guard record.kind == LoRAFileKind.safetensors.rawValue, record.size >= 8,
              let first = try? store.getObject(key: record.objectKey, range: 0..<8),
              case .needBytes(let need)? = try? SafetensorsHeader.parse(prefix: first), need <= UInt64(record.size),
              let prefix = try? store.getObject(key: record.objectKey, range: 0..<need),
              case .header(let header)? = try? SafetensorsHeader.parse(prefix: prefix) else { return record }
        var enriched = record
        enriched.describe(header.loraSummary)
        return enriched
    }

    /// Deletes `keys` whose upload began more than `grace` seconds ago (the
    /// `lorafs-uploaded-at` metadata every lorafs object carries); returns those deleted.
    private func collect(_ keys: [String], olderThan grace: TimeInterval) throws -> [String] {
        var deleted: [String] = []
        let cutoff = Date().addingTimeInterval(-grace)
        for key in keys {
            guard let metadata = try store.metadata(of: key) else { continue }
            let started = metadata[ObjectMetadata.uploadedAt].flatMap { try? Date($0, strategy: .iso8601) }
            if let started, started > cutoff { continue }
            try store.deleteObject(key: key)
            deleted.append(key)
        }
        return deleted
    }
}

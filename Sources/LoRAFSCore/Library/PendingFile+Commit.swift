import Catalog
import Foundation
import LoRAFormats

extension PendingFile {
    /// Validates, finishes the upload and records the file under `name` (lock held):
    /// the bytes are in S3, the manifest beside them, and the row in the catalog and
    /// its mirror, or nothing is, and the failure is sticky.
    ///
    /// A staging file prepared at its close for this kind and unchanged since is
    /// only recorded: no S3 request before the row (its manifest follows in the background).
    ///
    /// - Parameter named: called once the file passed validation, holding the
    ///   library's lock, to give the pending file its final name.
    func commit(as name: String, kind: LoRAFileKind, named: (PendingFile) -> Void) throws(FSError) {
        if var record = prepared, !dirty, record.kind == kind.rawValue {
            prepared = nil
            named(self)
            role = .lora(kind)
            record.name = name
            try self.record(record, manifestNow: false)
            return
        }
        dropPrepared()
        let record = try store(as: name, kind: kind) {
            named(self)
            role = .lora(kind)
        }
        try self.record(record, manifestNow: true)
    }

    /// The writer's `close()` of a staging file (lock held): validates and uploads
    /// it completely for the LoRA it will most likely be renamed to (its name's
    /// guess, else the kind its first bytes show), so that the rename only records
    /// it. A refusal or an S3 failure fails this `close()`, as it would the rename.
    /// Bytes of no LoRA kind wait for the rename, which refuses them.
    func prepare() throws(FSError) {
        guard dirty, failure == nil, size > 0 else { return }
        let target: (name: String, kind: LoRAFileKind)
        if let guess = streamTarget {
            target = guess
        } else {
            let prefix: [UInt8]
            do { prefix = try spool.read(at: 0, count: Int(min(size, 9))) } catch { throw fail(.failed(name, .spool, error)) }
            guard let kind = LoRAFileKind.sniff(prefix) else { return }
            target = (name, kind)
        }
        dropPrepared()
        prepared = try store(as: target.name, kind: target.kind) {}
        dirty = false
        streamable = false
        services.logger.info("uploaded, waiting for its rename", metadata: ["name": "\(name)", "key": "\(prepared!.objectKey)"])
    }

    /// Validates the spooled file as `kind` and completes its upload (lock held);
    /// on failure the upload is aborted and the failure is sticky.
    ///
    /// - Parameter validated: called once the file passed validation, before the upload drains.
    private func store(as name: String, kind: LoRAFileKind, validated: () -> Void) throws(FSError) -> LoRARecord {
        let size = self.size
        let summary: LoRASummary?
        do throws(FSError) { summary = try validate(as: name, kind: kind) } catch { throw fail(error) }
        if !streamable || upload == nil || uploadKind != kind {
            abandonUpload()
            startUploadIfNeeded(name: name, kind: kind)
        }
        validated()
        let upload = self.upload!
        do {
            let result = try upload.drain(size: size, stallTimeout: services.options.s3Timeout)
            try upload.complete(result: result)
            CrashPoint.reach(.uploadCompleted)
            self.upload = nil
            return LoRARecord(name: name, objectKey: upload.key, size: Int64(size), sha256: result.sha256.hexString,
                              uploadedAt: Date().timeIntervalSince1970, kind: kind.rawValue, summary: summary)
        } catch {
            // Sticky, like a refusal: the writer was told the copy failed, so a
            // later close or release must not store it after all.
            throw fail(.failed(name, .upload, error), abortInBackground: true)
        }
    }

    /// Records an uploaded object under its name (lock held): the manifest (now, or
    /// in the background after the row), the change-log entry and the catalog row,
    /// and the mirror; the object it replaces is deleted after the delete delay.
    private func record(_ record: LoRARecord, manifestNow: Bool) throws(FSError) {
        let name = record.name
        do {
            if manifestNow {
                try services.putManifest(of: record)
                CrashPoint.reach(.manifestWritten)
            }
            let replaced = try services.sync.change([.init(name: name, lora: record)]) {
                let replaced = try services.catalog.upsert(record)
                services.mirror.store(record)
                return replaced
            }
            CrashPoint.reach(.uploadRecorded)
            if let replaced, replaced.objectKey != record.objectKey { services.sync.scheduleDelete(replaced) }
        } catch {
            services.deleteObjects(of: record)
            failure = services.report(.failed(name, .record, error))
            throw failure!
        }
        if !manifestNow {
            services.background.later("write the manifest of \(name)") { [services] in try services.putManifest(of: record) }
        }
        dirty = false
        streamable = false
        services.logger.info("stored", metadata: ["name": "\(name)", "size": "\(record.size)", "key": "\(record.objectKey)"])
    }

    /// Full validation of the spooled file; returns what a safetensors header says about the LoRA.
    private func validate(as name: String, kind: LoRAFileKind) throws(FSError) -> LoRASummary? {
        do {
            switch kind {
            case .safetensors:
                return try SafetensorsHeader.validate(spool.source(size: size)).loraSummary
            case .ckpt:
                _ = try CheckpointValidator.validate(spool.source(size: size))
                return nil
            }
        } catch {
            throw FSError(.refused(name, error))
        }
    }
}

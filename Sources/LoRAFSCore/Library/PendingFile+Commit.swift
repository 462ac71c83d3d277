import Catalog
import Foundation
import LoRAFormats

extension PendingFile {
    /// Validates, finishes the upload and records the file under `name` (lock held):
    /// the bytes are in S3, the manifest beside them, and the row in the catalog and
    /// its mirror, or nothing is, and the failure is sticky.
    ///
    /// - Parameter named: called once the file passed validation, holding the
    ///   library's lock, to give the pending file its final name.
    func commit(as name: String, kind: LoRAFileKind, named: (PendingFile) -> Void) throws(FSError) {
        let size = self.size
        let summary: LoRASummary?
        do throws(FSError) { summary = try validate(as: name, kind: kind) } catch { throw fail(error) }
        if !streamable || upload == nil || uploadKind != kind {
            abandonUpload()
            startUploadIfNeeded(name: name, kind: kind)
        }
        named(self)
        role = .lora(kind)
        let upload = self.upload!
        let record: LoRARecord
        do {
            let result = try upload.drain(size: size, stallTimeout: services.options.s3Timeout)
            try upload.complete(result: result)
            CrashPoint.reach(.uploadCompleted)
            record = LoRARecord(name: name, objectKey: upload.key, size: Int64(size), sha256: result.sha256.hexString,
                                uploadedAt: Date().timeIntervalSince1970, kind: kind.rawValue, summary: summary)
        } catch {
            // Sticky, like a refusal: the writer was told the copy failed, so a
            // later close or release must not store it after all.
            throw fail(.failed(name, .upload, error), abortInBackground: true)
        }
        self.upload = nil
        do {
            try services.putManifest(of: record)
            CrashPoint.reach(.manifestWritten)
            let replaced = try services.catalog.upsert(record)
            CrashPoint.reach(.uploadRecorded)
            services.mirror.store(record)
            if let replaced, replaced.objectKey != record.objectKey { services.deleteObjects(of: replaced) }
        } catch {
            services.deleteObjects(of: record)
            failure = services.report(.failed(name, .record, error))
            throw failure!
        }
        dirty = false
        streamable = false
        services.logger.info("stored", metadata: ["name": "\(name)", "size": "\(size)", "key": "\(record.objectKey)"])
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

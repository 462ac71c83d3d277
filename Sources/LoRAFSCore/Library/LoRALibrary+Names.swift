import Catalog
import Foundation
import LoRAFormats

extension LoRALibrary {
    /// `unlink`: deletes the object, then the row. If S3 refuses, the LoRA stays.
    func unlink(_ path: [String]) throws(FSError) {
        let name = try name(path)
        let record = services.mirror[name]
        if record == nil, let file = pending.withLock({ $0[name] }) {
            pending.withLock { map in if map[name] === file { map[name] = nil } }
            file.lock.lock()
            file.abandonUpload()
            file.dropPrepared()
            file.failure = FSError.notFound(name)
            file.lock.unlock()
            return
        }
        guard let record else { throw FSError.notFound(name) }
        // The row goes first, and only if it is still the one we saw: a row never
        // points at a deleted object, and a LoRA renamed or replaced meanwhile
        // (another process, another mount) keeps its bytes.
        do { try services.catalog.delete(named: name, ifCurrentObjectKey: record.objectKey) } catch {
            refreshAfterConflict(error)
            throw services.report(.failed(name, .deleteRecord, error))
        }
        CrashPoint.reach(.rowDeleted)
        // S3 gets a moment (the kernel holds the directory's lock meanwhile, so `ls`
        // waits too); a slow or hung S3 finishes the delete in the background, and
        // what it cannot delete stays an orphan for fsck: never a row without an object.
        switch services.background.run("delete \(record.objectKey)", patience: Self.deletePatience, { [services] in
            try services.deleteObjectsNow(of: record)
        }) {
        case .done:
            break
        case .continuing:
            services.logger.notice("S3 is slow: the object is deleted in the background", metadata: ["name": "\(name)"])
        case .failed(let error):
            // S3 refused: the LoRA stays, under its row again.
            do { try services.catalog.upsert(record, ifCurrentObjectKey: nil) } catch {
                services.mirror.remove(name)
                services.logger.warning("the row of an object S3 would not delete could not be restored; fsck will report the object",
                                        metadata: ["name": "\(name)", "key": "\(record.objectKey)", "error": "\(error)"])
            }
            throw services.report(.failed(name, .delete, error))
        }
        services.mirror.remove(name)
        services.logger.info("deleted", metadata: ["name": "\(name)", "key": "\(record.objectKey)"])
    }

    /// `rename`: a catalog update for stored LoRAs (no S3 copy); the commit of a
    /// staging file written by rsync, safetensors or an atomic save.
    func rename(from sourcePath: [String], to targetPath: [String], noReplace: Bool) throws(FSError) {
        let (source, target) = (try name(sourcePath), try name(targetPath))
        let record = services.mirror[source]
        let (file, targetPending, targetBusy) = pending.withLock { map in
            (map[source], map[target] != nil, map[target].map { $0 !== map[source] && $0.openHandles > 0 } ?? false)
        }
        if targetBusy { throw services.report(.busy(target)) }
        if noReplace && (services.mirror.contains(target) || targetPending) {
            throw FSError(.exists(target, why: "already exists"))
        }
        let targetRole = try role(for: target)
        if let file, record == nil || file.role == .staging {
            return try commitRename(file, from: source, to: target, targetRole: targetRole)
        }
        guard let record else { throw FSError.notFound(source) }
        guard case .lora = targetRole else {
            throw services.report(.notPermitted(target, "a stored LoRA can only be renamed to a .safetensors or .ckpt name"))
        }
        guard LoRANameRules.classify(target) == LoRANameRules.classify(source) else {
            throw services.report(.notPermitted("\(source) -> \(target)", "renaming cannot change the file type"))
        }
        let replaced: LoRARecord?
        do { replaced = try services.catalog.rename(from: source, to: target, ifCurrentObjectKey: record.objectKey) } catch {
            refreshAfterConflict(error)
            throw services.report(.failed("\(source) -> \(target)", .rename, error))
        }
        CrashPoint.reach(.renameRecorded)
        var renamed = record
        renamed.name = target
        services.mirror.rename(from: source, to: renamed)
        if let replaced, replaced.objectKey != record.objectKey { services.deleteObjects(of: replaced) }
        // The bucket learns the new name in the background: `mv` never waits on S3.
        services.background.later("rewrite the manifest of \(target)") { [services, renamed] in try services.putManifest(of: renamed) }
    }

    /// How long `rm` waits for S3 before leaving the delete to the background.
    static let deletePatience: TimeInterval = 2

    /// A conditional update found a row someone else changed (a shared catalog):
    /// the mirror catches up, so the user sees what is there now.
    private func refreshAfterConflict(_ error: any Error) {
        guard case CatalogError.conflict = error else { return }
        do { try services.mirror.refresh() } catch {
            services.logger.warning("could not refresh the catalog mirror", metadata: ["error": "\(error)"])
        }
    }

    private func commitRename(_ file: PendingFile, from source: String, to target: String,
                              targetRole: PendingFile.Role) throws(FSError) {
        file.lock.lock()
        defer { file.lock.unlock() }
        if let failure = file.failure { throw failure }
        switch targetRole {
        case .staging:
            // Staging to staging (a tool shuffling temp names): just move it.
            pending.withLock { map in
                map[source] = nil
                map[target] = file
                file.name = target
            }
        case .lora:
            try commit(file, as: target)
            pending.withLock { map in
                if map[source] === file { map[source] = nil }
                if file.openHandles > 0 { map[target] = file }
            }
        }
    }
}

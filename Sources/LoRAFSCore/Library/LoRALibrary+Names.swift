import Catalog
import Foundation
import LoRAFormats

extension LoRALibrary {
    /// `unlink`: removes the row (and tells the bucket's log); the object is deleted
    /// after the delete delay, once no mount's name points at it. `rm` never waits on S3.
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
        // Only if the row is still the one we saw: a LoRA renamed or replaced
        // meanwhile (another process, another mount) keeps its bytes.
        do {
            try services.sync.change([.init(name: name, lora: nil)]) {
                try services.catalog.delete(named: name, ifCurrentObjectKey: record.objectKey)
                services.mirror.remove(name)
            }
        } catch {
            refreshAfterConflict(error)
            throw services.report(.failed(name, .deleteRecord, error))
        }
        CrashPoint.reach(.rowDeleted)
        services.sync.scheduleDelete(record)
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
        var renamed = record
        renamed.name = target
        let replaced: LoRARecord?
        do {
            // RENAME_NOREPLACE (`mv -n`) is the catalog's own condition too: a row that
            // appeared since the check above (another writer, another mount) is never replaced.
            replaced = try services.sync.change([.init(name: source, lora: nil), .init(name: target, lora: renamed)]) {
                let replaced = try services.catalog.rename(from: source, to: target, expecting: .objectKey(record.objectKey),
                                                           replacing: noReplace ? .objectKey(nil) : .anything)
                services.mirror.rename(from: source, to: renamed)
                return replaced
            }
        } catch {
            refreshAfterConflict(error)
            if noReplace, case CatalogError.conflict(let name, nil, _?) = error, name == target {
                throw FSError(.exists(target, why: "already exists"))
            }
            throw services.report(.failed("\(source) -> \(target)", .rename, error))
        }
        CrashPoint.reach(.renameRecorded)
        if let replaced, replaced.objectKey != record.objectKey { services.sync.scheduleDelete(replaced) }
        // The bucket learns the new name in the background: `mv` never waits on S3.
        services.background.later("rewrite the manifest of \(target)") { [services, renamed] in try services.putManifest(of: renamed) }
    }

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

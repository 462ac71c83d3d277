import Foundation
import LoRAFormats

extension PendingFile {
    /// `write`: into the spool; LoRA files also stream to S3 and are format-checked
    /// as soon as their header is complete.
    func write(at offset: UInt64, bytes: UnsafeRawBufferPointer) throws(FSError) -> Int {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        let end = offset + UInt64(bytes.count)
        let limit = services.options.maxFileSize
        if end > limit { throw fail(.tooLarge(name, limit: limit)) }
        do { try spool.write(at: offset, bytes) } catch { throw services.report(.failed(name, .spool, error)) }
        size = max(size, end)
        dirty = true
        if offset == contiguousEnd {
            contiguousEnd = end
        } else {
            streamable = false
            if offset < contiguousEnd { contiguousEnd = max(contiguousEnd, end) }
        }
        guard let target = streamTarget else { return bytes.count }
        // The 8-byte length prefix tells how much header follows; when this very
        // write completed it too, the header is checked now: this write fails.
        while let need = headerNeed, contiguousEnd >= need {
            do throws(FSError) { try checkPrefix(kind: target.kind) } catch { throw fail(error) }
            if headerNeed == need { break }  // no further along: wait for more bytes
        }
        // Nothing goes to S3 before the header passed: a file claiming a huge
        // header is refused before its bytes are uploaded.
        if streamable, headerNeed == nil {
            startUploadIfNeeded(name: target.name, kind: target.kind)
            upload?.advance(to: contiguousEnd)
        }
        return bytes.count
    }

    /// Fail fast: refuses a bad safetensors header (or a non-checkpoint) as soon as the bytes are there (lock held).
    private func checkPrefix(kind: LoRAFileKind) throws(FSError) {
        let available = contiguousEnd
        let prefix: [UInt8]
        do {
            prefix = try spool.read(at: 0, count: Int(min(available, kind == .ckpt ? 4 : (headerNeed ?? 8))))
        } catch {
            throw .failed(name, .spool, error)
        }
        do {
            switch kind {
            case .safetensors:
                switch try SafetensorsHeader.parse(prefix: prefix) {
                case .needBytes(let more):
                    headerNeed = more
                    let limit = services.options.maxFileSize
                    if more > limit { throw FSError(.tooLarge(name, limit: limit)) }
                case .header:
                    headerNeed = nil
                }
            case .ckpt:
                guard available >= 4 else { return }
                try CheckpointValidator.checkPrefix(prefix)
                headerNeed = nil
            }
        } catch let error as LoRAValidationError {
            throw FSError(.refused(name, error))
        } catch let error as FSError {
            throw error
        } catch {
            throw .failed(name, .spool, error)
        }
    }

    /// Starts streaming to a new object key (lock held); `name` goes into the
    /// object's metadata (the manifest written at commit carries the final name).
    func startUploadIfNeeded(name: String, kind: LoRAFileKind) {
        guard upload == nil else { return }
        uploadKind = kind
        let options = services.options
        upload = StreamingUpload(
            key: services.layout.newLoRAKey(kind: kind), store: services.store, spool: spool,
            metadata: ObjectMetadata.initial(workspace: options.workspace, name: name, kind: kind),
            partSize: options.partSize, maxInFlight: options.maxPartsInFlight, pool: services.uploads,
            buffers: services.partBuffers, logger: services.logger)
    }

    /// `truncate` / `ftruncate` (the caller checked the size limit).
    func truncate(to newSize: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        if size != newSize { truncateLocked(to: newSize) }
    }

    /// Truncates (lock held): the upload restarts if it already sent bytes past `size`.
    func truncateLocked(to newSize: UInt64) {
        try? spool.truncate(to: newSize)
        if newSize < contiguousEnd {
            contiguousEnd = newSize
            if upload != nil { streamable = false }
        }
        if newSize == 0 {
            abandonUpload()
            streamable = true
            headerNeed = 8
            failure = nil
        }
        size = newSize
        dirty = true
    }

    /// `fallocate`: reserves spool space; past the limit it fails at once with EFBIG.
    func allocate(offset: UInt64, length: UInt64, keepSize: Bool) throws(FSError) {
        lock.lock()
        defer { lock.unlock() }
        let end = offset + length
        let limit = services.options.maxFileSize
        if end > limit { throw services.report(.tooLarge(name, limit: limit)) }
        if !keepSize && end > size {
            do { try spool.truncate(to: end) } catch { throw .failed(name, .spool, error) }
            size = end
            dirty = true
        }
    }

    /// Reads what was written so far (the writer reading back, or a reader before the commit).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FSError) -> Int {
        lock.lock()
        defer { lock.unlock() }
        guard offset < size else { return 0 }
        let count = Int(min(UInt64(buffer.count), size - offset))
        do { return try spool.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])) } catch {
            throw .failed(name, .spool, error)
        }
    }
}

import Foundation
import Hashing
import Logging
import S3

/// Uploads a spool file to one S3 object while it is still being written.
///
/// The writer reports how far the file is contiguously written (`advance`); a
/// feeder thread reads each full part back from the spool, hashes it (in order,
/// once) and hands it to the transfer pool, keeping at most `maxInFlight` parts
/// in memory. Nothing becomes visible in S3 until `complete()`: a refused or
/// interrupted file is `abort()`ed and leaves no object and no multipart upload.
final class StreamingUpload: @unchecked Sendable {
    struct Result: Sendable {
        let sha256: [UInt8]
        let size: UInt64
    }

    let key: String
    private let store: any ObjectStore
    private let spool: SpoolFile
    private let metadata: [String: String]
    private let partSize: UInt64
    private let maxInFlight: Int
    private let pool: WorkerPool
    private let buffers: PartBufferPool
    private let logger: Logger

    // All below guarded by `condition`.
    private let condition = NSCondition()
    private var available: UInt64 = 0
    private var total: UInt64?
    private var fed: UInt64 = 0
    private var partCount = 0
    private var inFlight = 0
    private var uploadID: String?
    private var etags: [Int: String] = [:]
    private var failure: (any Error)?
    private var cancelled = false
    private var feederDone = false
    private var hasher = SHA256Hasher()
    private var digest: [UInt8]?
    /// Bytes acknowledged by S3, for `.lorafs/status`.
    private(set) var uploadedBytes: UInt64 = 0

    init(key: String, store: any ObjectStore, spool: SpoolFile, metadata: [String: String],
         partSize: UInt64, maxInFlight: Int, pool: WorkerPool, buffers: PartBufferPool, logger: Logger) {
        self.key = key
        self.store = store
        self.spool = spool
        self.metadata = metadata
        self.partSize = partSize
        self.maxInFlight = maxInFlight
        self.pool = pool
        self.buffers = buffers
        self.logger = logger
        let thread = Thread { [self] in self.feed() }
        thread.name = "lorafs-feeder"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The file is now contiguously written up to `end`.
    func advance(to end: UInt64) {
        condition.lock()
        if end > available {
            available = end
            condition.broadcast()
        }
        condition.unlock()
    }

    var progress: (uploaded: UInt64, fed: UInt64) {
        condition.lock()
        defer { condition.unlock() }
        return (uploadedBytes, fed)
    }

    /// Declares the final size and waits until every part is in S3 (not yet
    /// assembled). Returns the content's SHA-256. Fails with `UploadStalled` when
    /// no part finished for `stallTimeout` seconds: a hung S3 never holds a
    /// `close()` longer than that past its last progress.
    func drain(size: UInt64, stallTimeout: TimeInterval) throws -> Result {
        condition.lock()
        total = size
        available = max(available, size)
        condition.broadcast()
        var progress = (bytes: uploadedBytes, at: Date())
        while !(feederDone && inFlight == 0) && failure == nil {
            let woken = condition.wait(until: progress.at.addingTimeInterval(stallTimeout))
            if uploadedBytes != progress.bytes {
                progress = (uploadedBytes, Date())
            } else if !woken {
                failure = UploadStalled(seconds: stallTimeout)
                condition.broadcast()
            }
        }
        if let failure {
            condition.unlock()
            throw failure
        }
        let digest = self.digest ?? []
        condition.unlock()
        return Result(sha256: digest, size: size)
    }

    /// Makes the object visible: completes the multipart upload, or sends the
    /// whole (small) file in one PUT when it never filled a part.
    func complete(result: Result) throws {
        condition.lock()
        let uploadID = self.uploadID
        let parts = etags.sorted { $0.key < $1.key }.map { (number: $0.key, etag: $0.value) }
        condition.unlock()
        var metadata = self.metadata
        if let uploadID {
            try store.completeMultipartUpload(key: key, uploadID: uploadID, parts: parts)
        } else {
            metadata[ObjectMetadata.sha256] = result.sha256.hexString
            metadata[ObjectMetadata.size] = String(result.size)
            let body = try spool.read(at: 0, count: Int(result.size))
            try store.putObject(key: key, body: body, metadata: metadata, contentSHA256: result.sha256)
        }
    }

    /// `abort()` on a thread of its own: for an upload that failed talking to S3,
    /// whose in-flight parts may take until their own deadline to give up.
    func abortInBackground() {
        let thread = Thread { [self] in abort() }
        thread.name = "lorafs-abort"
        thread.start()
    }

    /// Stops feeding and aborts the multipart upload, if one was started.
    func abort() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !feederDone || inFlight > 0 { condition.wait() }
        let uploadID = self.uploadID
        self.uploadID = nil
        condition.unlock()
        guard let uploadID else { return }
        do {
            try store.abortMultipartUpload(key: key, uploadID: uploadID)
        } catch {
            retryAbort(uploadID: uploadID, after: error)
        }
    }

    /// A failed abort is tried again in the background (parts left in S3 cost
    /// money): five more times over about a minute, then left to the next mount,
    /// which aborts every upload of the workspace it finds.
    private func retryAbort(uploadID: String, after first: any Error) {
        logger.warning("abort of a multipart upload failed; retrying in the background",
                       metadata: ["key": "\(key)", "error": "\(first)"])
        let (store, key, logger) = (self.store, self.key, self.logger)
        let thread = Thread {
            for pause in [2.0, 4, 8, 16, 32] {
                Thread.sleep(forTimeInterval: pause)
                do {
                    try store.abortMultipartUpload(key: key, uploadID: uploadID)
                    logger.notice("multipart upload aborted after a retry", metadata: ["key": "\(key)"])
                    return
                } catch where (error as? S3Error)?.isNotFound == true {
                    return  // gone already
                } catch {
                    continue
                }
            }
            logger.warning("multipart upload still not aborted; the next mount aborts it", metadata: ["key": "\(key)"])
        }
        thread.name = "lorafs-abort-retry"
        thread.start()
    }

    // MARK: - Feeder thread

    private func feed() {
        while true {
            condition.lock()
            while !cancelled && failure == nil && !hasWork() { condition.wait() }
            if cancelled || failure != nil {
                finishFeeding(digest: nil)
                return
            }
            if let total, uploadID == nil, fed == 0, total <= partSize {
                // Small enough for one PUT: hash it here, `complete()` sends it.
                feedSmallFile(total: total)
                fed = total
            }
            if let total, fed >= total {
                finishFeeding(digest: hasher.finalize())
                return
            }
            let offset = fed
            let length = min(partSize, (total ?? UInt64.max) - offset)
            fed += length
            partCount += 1
            let number = partCount
            while inFlight >= maxInFlight && !cancelled && failure == nil { condition.wait() }
            inFlight += 1
            let needsUploadID = uploadID == nil
            condition.unlock()
            sendPart(number: number, offset: offset, length: length, createUpload: needsUploadID)
        }
    }

    /// Marks the feeder finished and releases the lock.
    private func finishFeeding(digest: [UInt8]?) {
        self.digest = digest
        feederDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// Whether the feeder has something to do (called with the lock held).
    private func hasWork() -> Bool {
        if total != nil { return true }
        return available >= fed + partSize
    }

    /// Hashes the whole small file for a single PUT (lock held; at most one part).
    private func feedSmallFile(total: UInt64) {
        do {
            let body = try spool.read(at: 0, count: Int(total))
            hasher.update(body)
        } catch {
            failure = error
        }
    }

    private func sendPart(number: Int, offset: UInt64, length: UInt64, createUpload: Bool) {
        let buffer = buffers.take()
        do {
            buffer.count = try spool.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer.storage[0..<Int(length)]))
            hasher.update(buffer.bytes)
            if createUpload {
                let id = try store.createMultipartUpload(key: key, metadata: metadata)
                condition.lock()
                uploadID = id
                condition.unlock()
                CrashPoint.reach(.uploadCreated)
            }
        } catch {
            buffers.give(buffer)
            fail(error)
            return
        }
        condition.lock()
        let uploadID = self.uploadID!
        condition.unlock()
        pool.submit { [self] in
            defer { buffers.give(buffer) }
            do {
                let etag = try store.uploadPart(key: key, uploadID: uploadID, partNumber: number, body: buffer.bytes)
                CrashPoint.reach(.partUploaded)
                condition.lock()
                etags[number] = etag
                inFlight -= 1
                uploadedBytes += length
                condition.broadcast()
                condition.unlock()
            } catch {
                fail(error)
            }
        }
    }

    private func fail(_ error: any Error) {
        condition.lock()
        if failure == nil { failure = error }
        inFlight -= 1
        condition.broadcast()
        condition.unlock()
    }
}

/// No part of an upload finished for `seconds`: S3 accepted the connections and stopped answering.
struct UploadStalled: Error, CustomStringConvertible {
    let seconds: TimeInterval
    var description: String {
        let shown = seconds.rounded() == seconds ? String(Int(seconds)) : String(format: "%.1f", seconds)
        return "S3 did not answer for \(shown) s"
    }
}

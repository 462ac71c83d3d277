import Catalog
import Foundation
import Generation
import HTTPTransport
import GenerationBackends
import Logging

extension JobBoard {
    /// The longest wait between two polls of an unchanged job.
    static let maxPollInterval: TimeInterval = 30

    func wake() {
        wakeup.lock()
        wakeup.signal()
        wakeup.unlock()
    }

    /// One plain thread polls every active job when it is due; a job whose state
    /// does not change is polled less and less often (up to 30 s). It ends at `stop()`.
    func startPoller() {
        let thread = Thread { [weak self] in
            while let board = self, !board.state.withLock({ $0.stopped }) {
                let next = board.pollDueJobs()
                board.wakeup.lock()
                _ = board.wakeup.wait(until: min(next, Date().addingTimeInterval(Self.maxPollInterval)))
                board.wakeup.unlock()
            }
        }
        thread.name = "lorafs-jobs"
        thread.start()
    }

    /// Polls the jobs that are due (if this mount holds their lease); returns when the next one is.
    private func pollDueJobs() -> Date {
        let now = Date()
        let (due, copying) = state.withLock { polling in
            (polling.schedule.filter { $0.value.next <= now && !polling.copying.contains($0.key) }.compactMap { polling.jobs[$0.key] },
             polling.copying.intersection(polling.held))
        }
        // A long copy of a video keeps its lease.
        for name in copying { _ = claim(name) }
        for record in due {
            if let current = claim(record.name) { poll(current) }
        }
        return state.withLock { $0.schedule.values.map(\.next).min() } ?? Date().addingTimeInterval(Self.maxPollInterval)
    }

    /// Takes or renews the job's lease; returns the job as the catalog holds it if this
    /// mount is to poll it. Another mount's job is looked at again when its lease could
    /// have run out; a job gone from the catalog is forgotten.
    private func claim(_ name: String) -> JobRecord? {
        let lease: JobLease
        do { lease = try catalog.leaseJob(named: name, to: mountID, seconds: options.jobLease) } catch CatalogError.notFound {
            state.withLock { $0.forget(name) }
            return nil
        } catch {
            logger.warning("cannot claim the job in the catalog; retrying", metadata: ["job": "\(name)", "error": "\(error)"])
            reschedule(name, changed: false)
            return nil
        }
        switch lease {
        case .held(let record):
            return state.withLock { polling in
                // The holder writes the job: its own state is the latest, unless it just
                // took the job over from another mount, whose last row this is.
                if polling.held.insert(name).inserted { polling.jobs[name] = record }
                guard let current = polling.jobs[name], BackendState(rawValue: current.state)?.isActive == true else {
                    polling.schedule[name] = nil  // finished meanwhile
                    return nil
                }
                return current
            }
        case .heldElsewhere:
            state.withLock { polling in
                polling.held.remove(name)
                if polling.jobs[name] != nil {
                    let interval = polling.schedule[name]?.interval ?? options.pollInterval
                    polling.schedule[name] = (Date().addingTimeInterval(options.jobLease / 2), interval)
                }
            }
            return nil
        }
    }

    private func poll(_ record: JobRecord) {
        guard let backend else { return }
        let status: BackendStatus
        do {
            status = try backend.status(of: submitted(record))
        } catch {
            if error.isTransient {
                logger.warning("job status unavailable; retrying", metadata: ["job": "\(record.name)", "error": "\(Redaction.presignedURLs(in: error.message))"])
                reschedule(record.name, changed: false)
            } else {
                update(record.name) { $0.state = BackendState.failed.rawValue; $0.error = error.message }
            }
            return
        }
        switch status.state {
        case .completed:
            guard let video = status.video else {
                update(record.name) { $0.state = BackendState.failed.rawValue; $0.error = "the backend reported no video" }
                return
            }
            copyVideo(of: record, video: video, backend: backend)
        case .failed, .cancelled:
            update(record.name) { $0.state = status.state.rawValue; $0.error = status.error ?? $0.error }
        case .queued, .running:
            let changed = status.state.rawValue != record.state
            if changed { update(record.name) { $0.state = status.state.rawValue } }
            reschedule(record.name, changed: changed)
        }
    }

    /// Providers delete outputs within the hour: the video is copied into the
    /// workspace's own prefix at once; the job shows `completed` when it is there.
    private func copyVideo(of record: JobRecord, video: VideoOutput, backend: any GenerationBackend) {
        state.withLock { _ = $0.copying.insert(record.name) }
        services.downloads.submit { [self] in
            defer { state.withLock { _ = $0.copying.remove(record.name) } }
            let key = services.layout.jobOutputKey(job: record.name)
            do {
                let bytes = try backend.download(video)
                try store.putObject(key: key, body: bytes, metadata: ["lorafs-workspace": options.workspace, "lorafs-job": record.name],
                                    contentSHA256: [])
                update(record.name) {
                    $0.state = BackendState.completed.rawValue
                    $0.outputKey = key
                    $0.outputSize = Int64(bytes.count)
                    $0.error = nil
                }
                logger.info("job completed", metadata: ["job": "\(record.name)", "bytes": "\(bytes.count)"])
            } catch let error as BackendError where error.isTransient {
                logger.warning("video download failed; retrying", metadata: ["job": "\(record.name)", "error": "\(Redaction.presignedURLs(in: error.message))"])
                reschedule(record.name, changed: false)
            } catch {
                update(record.name) { $0.state = BackendState.failed.rawValue; $0.error = "copying the video failed: \(error)" }
            }
        }
    }

    private func reschedule(_ name: String, changed: Bool) {
        state.withLock { polling in
            guard polling.jobs[name] != nil else { return }
            let previous = polling.schedule[name]?.interval ?? options.pollInterval
            let interval = changed ? options.pollInterval : min(Self.maxPollInterval, previous * 1.5)
            polling.schedule[name] = (Date().addingTimeInterval(interval), interval)
        }
    }

    /// Applies `change` to a job, stores it, and stops polling it once it is final.
    private func update(_ name: String, _ change: (inout JobRecord) -> Void) {
        let updated: JobRecord? = state.withLock { polling in
            guard var record = polling.jobs[name] else { return nil }
            change(&record)
            // A backend's message may quote the presigned LoRA URL it was given.
            record.error = record.error.map(Redaction.presignedURLs)
            record.updatedAt = Date().timeIntervalSince1970
            polling.jobs[name] = record
            if BackendState(rawValue: record.state)?.isActive != true { polling.schedule[name] = nil }
            return record
        }
        guard let updated else { return }
        do { try catalog.updateJob(updated) } catch {
            logger.error("cannot record the job's state", metadata: ["job": "\(name)", "error": "\(error)"])
        }
        if updated.state == BackendState.failed.rawValue {
            logger.warning("job failed", metadata: ["job": "\(name)", "error": "\(updated.error ?? "")"])
        }
    }
}

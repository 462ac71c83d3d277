import Catalog
import Foundation
import Generation
import GenerationBackends
import JSON
import Logging
import Synchronization

/// The workspace's generation jobs: submission of accepted specs, background
/// polling with back-off, the copy of each finished video into the workspace's
/// own prefix, cancellation. Jobs live in the catalog, so they survive remounts.
///
/// With a shared catalog every mount lists every job (reloaded when the catalog
/// says job rows changed), and exactly one polls each: the one holding the job's
/// lease in the catalog (`leaseJob`), taken by the submitter, renewed by every
/// poll, released at unmount; a mount that vanished hands its jobs on when its
/// leases run out (`jobLease`).
final class JobBoard: @unchecked Sendable {
    let backend: (any GenerationBackend)?
    let services: WorkspaceServices
    var store: any ObjectStore { services.store }
    var catalog: any LoRACatalog { services.catalog }
    var options: WorkspaceOptions { services.options }
    var logger: Logger { services.logger }

    struct Polling {
        var jobs: [String: JobRecord] = [:]
        /// When each active job is next polled, and its current interval.
        var schedule: [String: (next: Date, interval: TimeInterval)] = [:]
        /// Jobs whose video is being copied right now.
        var copying: Set<String> = []
        /// Jobs whose lease this mount held at its last claim.
        var held: Set<String> = []
        var stopped = false

        /// A job gone (removed here, or from the shared catalog): nothing of it stays.
        mutating func forget(_ name: String) {
            jobs[name] = nil
            schedule[name] = nil
            held.remove(name)
        }
    }

    let state: Mutex<Polling>
    let wakeup = NSCondition()

    init(backend: (any GenerationBackend)?, services: WorkspaceServices) throws {
        self.backend = backend
        self.services = services
        var polling = Polling()
        for job in try services.catalog.allJobs() {
            polling.jobs[job.name] = job
            if BackendState(rawValue: job.state)?.isActive == true { polling.schedule[job.name] = (Date(), services.options.pollInterval) }
        }
        state = Mutex(polling)
        if services.catalog.isShared {
            services.sync.jobsChanged.withLock { $0 = { [weak self] in self?.reload() } }
        }
        if backend != nil { startPoller() }
    }

    var mountID: String { services.sync.mountID }

    /// A shared catalog's job rows changed: this mount lists what it holds now, and
    /// tries at once to take the active jobs it does not poll (a mount that released
    /// them at unmount hands them on this way).
    func reload() {
        let rows: [JobRecord]
        do { rows = try catalog.allJobs() } catch {
            logger.warning("cannot read the jobs of the shared catalog", metadata: ["error": "\(error)"])
            return
        }
        state.withLock { polling in
            let names = Set(rows.map(\.name))
            for name in polling.jobs.keys where !names.contains(name) { polling.forget(name) }
            // The jobs this mount polls are its to write: its state of them is the latest.
            // A job seen for the first time was just submitted, and its submitter takes
            // its lease right after the insert: this mount looks again later. A known
            // job (released by a mount that unmounted) is tried at once.
            for row in rows where !polling.held.contains(row.name) {
                let known = polling.jobs[row.name] != nil
                polling.jobs[row.name] = row
                polling.schedule[row.name] = BackendState(rawValue: row.state)?.isActive == true
                    ? (Date().addingTimeInterval(known ? 0 : options.jobLease / 2), options.pollInterval) : nil
            }
        }
        wake()
    }

    /// At unmount: polling ends and the leases go back, so another mount polls the jobs now.
    func stop() {
        state.withLock { $0.stopped = true }
        wake()
        do { try catalog.releaseJobLeases(heldBy: mountID) } catch {
            logger.warning("cannot release the job leases; other mounts take the jobs when they run out", metadata: ["error": "\(error)"])
        }
    }

    var all: [JobRecord] { state.withLock { Array($0.jobs.values) } }
    func job(_ name: String) -> JobRecord? { state.withLock { $0.jobs[name] } }

    /// Job names become key segments and directory names.
    static func validate(jobName name: String) -> String? {
        ObjectLayout.isKeySegment(name, maxLength: 128) ? nil : "job names must be \(ObjectLayout.keySegmentRule(maxLength: 128))"
    }

    // MARK: - Submission

    /// Validates `bytes` as a spec against the workspace's LoRAs, presigns their
    /// URLs and hands the job to the backend; returns once the backend accepted it.
    func submit(name: String, bytes: [UInt8], loras: [LoRARecord]) throws(FSError) {
        let file = "generate/\(name).json"
        guard let backend else {
            throw FSError(.noGenerator(file))
        }
        if job(name) != nil { throw Self.exists(file, name) }
        let spec: JobSpec
        do { spec = try JobSpecParser.parse(bytes, workspace: loras.map(LoRAInfo.init)) } catch {
            throw FSError(.spec(file, error))
        }
        var presigned: [PresignedLoRA] = []
        do {
            for lora in spec.loras {
                let url = try store.presignedGetURL(key: lora.info.objectKey, expiresIn: options.presignExpiry)
                presigned.append(PresignedLoRA(lora, url: url, s3URI: store.uri(of: lora.info.objectKey)))
            }
        } catch {
            throw .failed(file, .presign, error)
        }
        let submitted: SubmittedJob
        do { submitted = try backend.submit(spec, loras: presigned) } catch {
            throw .failed(file, .submitJob(backend: backend.kind), error)
        }
        CrashPoint.reach(.jobSubmitted)
        let now = Date().timeIntervalSince1970
        let record = JobRecord(
            name: name, spec: String(decoding: spec.acceptedJSON(), as: UTF8.self), backend: backend.kind,
            backendID: submitted.backendID, statusURL: submitted.statusURL, responseURL: submitted.responseURL,
            cancelURL: submitted.cancelURL, state: BackendState.queued.rawValue, createdAt: now, updatedAt: now)
        do { try catalog.insertJob(record) } catch {
            try? backend.cancel(submitted)
            if case CatalogError.exists = error { throw Self.exists(file, name) }
            throw .failed(file, .recordJob, error)
        }
        // The submitter polls its job. A failed claim is no failure: whoever holds it polls.
        let lease = try? catalog.leaseJob(named: name, to: mountID, seconds: options.jobLease)
        state.withLock {
            $0.jobs[name] = record
            $0.schedule[name] = (Date().addingTimeInterval(options.pollInterval), options.pollInterval)
            if case .held = lease { $0.held.insert(name) }
        }
        logger.info("job submitted", metadata: ["job": "\(name)", "backend_id": "\(submitted.backendID)", "loras": "\(spec.loras.count)"])
        wake()
    }

    // MARK: - Removal

    /// `rm -r jobs/NAME`: cancels a queued or running job, then forgets it.
    func cancelAndForget(_ name: String) throws(FSError) {
        guard let record = job(name) else { throw FSError.notFound("jobs/\(name)") }
        if BackendState(rawValue: record.state)?.isActive == true, let backend {
            do { try backend.cancel(submitted(record)) } catch {
                throw .failed("jobs/\(name)", .cancelJob, error)
            }
        }
        if let key = record.outputKey { try? store.deleteObject(key: key) }
        do { try catalog.deleteJob(named: name) } catch { throw .failed("jobs/\(name)", .forgetJob, error) }
        state.withLock { $0.forget(name) }
        logger.info("job removed", metadata: ["job": "\(name)"])
    }

    static func exists(_ file: String, _ job: String) -> FSError {
        FSError(.exists(file, why: "a job named \"\(job)\" already exists"))
    }

    func submitted(_ record: JobRecord) -> SubmittedJob {
        SubmittedJob(backendID: record.backendID, statusURL: record.statusURL, responseURL: record.responseURL,
                     cancelURL: record.cancelURL)
    }

    // MARK: - Status

    /// `jobs/NAME/status.json`.
    static func statusJSON(_ record: JobRecord) -> [UInt8] {
        var object: [String: JSONValue] = [
            "state": .string(record.state),
            "backend": .string(record.backend),
            "backend_id": .string(record.backendID),
            "created_at": .string(Date(timeIntervalSince1970: record.createdAt).formatted(.iso8601)),
            "updated_at": .string(Date(timeIntervalSince1970: record.updatedAt).formatted(.iso8601)),
            "error": record.error.map(JSONValue.string) ?? .null,
        ]
        if let size = record.outputSize {
            object["output"] = .object(["file": .string("output.mp4"), "size": .int(Int(size))])
        }
        return JSONWriter.encode(.object(object), pretty: true)
    }
}

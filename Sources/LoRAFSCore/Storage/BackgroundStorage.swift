import Foundation
import Logging

/// S3 work that a directory operation must not wait for: the kernel holds the
/// parent directory's lock for the whole of an `unlink` or `rename`, so `ls` and
/// `stat` of the mount wait with it. Deletes and manifest rewrites run here, on
/// their own threads; the operation waits a moment for the usual quick answer
/// and otherwise returns, leaving the work to finish (or to log) on its own.
final class BackgroundStorage: Sendable {
    enum Outcome {
        case done
        case failed(any Error)
        /// Still running after the patience ran out; it finishes in the background.
        case continuing
    }

    private let threads = WorkerPool(name: "lorafs-background", threads: 2)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    deinit { threads.stop() }

    /// Runs `work`, waiting at most `patience` seconds for its outcome. Work that
    /// outlives the wait logs its failure when it ends (`what` names it).
    func run(_ what: String, patience: TimeInterval, _ work: @escaping @Sendable () throws -> Void) -> Outcome {
        let slot = Slot()
        threads.submit { [logger] in
            let outcome: Outcome
            do { try work(); outcome = .done } catch { outcome = .failed(error) }
            if !slot.deliver(outcome), case .failed(let error) = outcome {
                logger.warning("background S3 work failed; fsck will report what it left", metadata: ["what": "\(what)", "error": "\(error)"])
            }
        }
        return slot.wait(patience)
    }

    /// At unmount: lets queued deletes and manifest rewrites finish, at most `timeout` seconds.
    func finish(timeout: TimeInterval) {
        if !threads.waitUntilIdle(timeout: timeout) {
            logger.warning("unmounting with S3 work unfinished; fsck will report what it left")
        }
    }

    /// Runs `work` without waiting.
    func later(_ what: String, _ work: @escaping @Sendable () throws -> Void) {
        _ = run(what, patience: 0, work)
    }

    /// One outcome, handed from the worker to a waiter that may have given up.
    private final class Slot: @unchecked Sendable {
        private let condition = NSCondition()
        private var outcome: Outcome?
        private var abandoned = false

        /// Returns false when nobody waits for it any more.
        func deliver(_ value: Outcome) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            outcome = value
            condition.broadcast()
            return !abandoned
        }

        func wait(_ patience: TimeInterval) -> Outcome {
            condition.lock()
            defer { condition.unlock() }
            let deadline = Date().addingTimeInterval(patience)
            while outcome == nil, condition.wait(until: deadline) {}
            if let outcome { return outcome }
            abandoned = true
            return .continuing
        }
    }
}

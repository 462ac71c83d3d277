import Foundation

/// A fixed set of plain threads running queued jobs: S3 transfers block these,
/// never FUSE's own threads for long and never Swift's cooperative pool.
final class WorkerPool: @unchecked Sendable {
    // Guarded by `condition`.
    // A job holds its part's bytes: it must be dropped as soon as it is taken.
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    /// Jobs taken and still running.
    private var running = 0
    private let condition = NSCondition()

    init(name: String, threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in self.run() }
            thread.name = "\(name)-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.broadcast()  // idle-waiters share the condition
        condition.unlock()
    }

    /// Waits until no job is queued or running, at most `timeout` seconds; returns whether it got there.
    func waitUntilIdle(timeout: TimeInterval) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while !(jobs.isEmpty && running == 0) {
            if !condition.wait(until: deadline) { return jobs.isEmpty && running == 0 }
        }
        return true
    }

    /// Lets the threads finish the queued jobs and exit.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()  // the queue holds a few jobs: O(n) is fine
            running += 1
            condition.unlock()
            job()
            condition.lock()
            running -= 1
            condition.broadcast()
            condition.unlock()
        }
    }
}

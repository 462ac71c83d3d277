import Foundation

/// A fixed set of plain threads running queued jobs: S3 transfers block these,
/// never FUSE's own threads for long and never Swift's cooperative pool.
final class WorkerPool: @unchecked Sendable {
    // Guarded by `condition`.
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private let condition = NSCondition()

    init(name: String, threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [unowned self] in self.run() }
            thread.name = "\(name)-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head > 1024, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job()
        }
    }
}

import Foundation
import Synchronization

/// The recent refusals and failures, readable in the mount as `.lorafs/errors`
/// so a script that saw `cp` fail can show the precise reason.
final class ErrorJournal: Sendable {
    private let lines = Mutex<[String]>([])
    private let capacity: Int

    init(capacity: Int = 200) { self.capacity = capacity }

    /// Records `error`, returning the line as it appears in `.lorafs/errors`.
    @discardableResult
    func record(_ error: FSError, now: Date = Date()) -> String {
        let line = "\(now.formatted(.iso8601)) \(error.reason) (\(FSError.errnoName(error.errno)))"
        lines.withLock { lines in
            lines.append(line)
            if lines.count > capacity { lines.removeFirst(lines.count - capacity) }
        }
        return line
    }

    var last: String? { lines.withLock { $0.last } }

    var text: String { lines.withLock { $0.isEmpty ? "" : $0.joined(separator: "\n") + "\n" } }
}

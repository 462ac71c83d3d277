import Catalog
import Dispatch
import Foundation
import Synchronization

/// A listener on a workspace's NOTIFY channel: one thread and one connection of its own,
/// kept until `stop()`. Made by `PostgreSQLCatalog.startListening(onChange:)`.
///
/// The thread waits for notifications in `poll` slices of 100 ms, so `stop()` returns within
/// about that. A connection that breaks (or fails the heartbeat, a `SELECT 1` after 30 s
/// without news, which finds a server that vanished without closing the connection) is
/// replaced after a back-off doubling from 0.1 s to 5 s; `onChange` then runs, since
/// notifications sent meanwhile are lost.
public final class ChangeSubscription: CatalogFollowing {
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let listenerThread = Mutex<pthread_t?>(nil)

    init(pool: ConnectionPool, channel: NotifyChannel, onChange: @escaping @Sendable (CatalogEvents) -> Void) {
        let thread = Thread { [self] in
            listenerThread.withLock { $0 = pthread_self() }
            listen(pool: pool, channel: channel, onChange: onChange)
            finished.signal()
        }
        thread.name = "lorafs-pg-listen"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops listening and waits until the thread has ended, so `onChange` never runs after
    /// `stop()` returns (unless `stop()` is called from `onChange` itself, which does not
    /// wait). Calling it again does nothing more.
    public func stop() {
        stopping.store(true, ordering: .releasing)
        let onListenerThread = listenerThread.withLock { thread in
            thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        }
        guard !onListenerThread else { return }
        finished.wait()
        finished.signal()  // for the next caller of stop()
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

    private func listen(pool: ConnectionPool, channel: NotifyChannel, onChange: @Sendable (CatalogEvents) -> Void) {
        var backOff = Self.firstBackOff
        while !isStopping {
            do {
                let connection = try pool.connect(applicationName: "lorafs-listen")
                try connection.listen(to: channel)
                backOff = Self.firstBackOff
                onChange(.all)  // connected: whatever happened before is to be read now
                var quiet = 0
                while !isStopping {
                    let received = try connection.notifications(waitingAtMost: Self.sliceMilliseconds)
                    let events = received.filter { $0.channel == channel.name }.reduce(into: CatalogEvents()) {
                        $0.insert($1.payload == NotifyChannel.jobsPayload ? .jobs : .loras)
                    }
                    if !events.isEmpty {
                        quiet = 0
                        onChange(events)
                    } else {
                        quiet += Int(Self.sliceMilliseconds)
                        if quiet >= Self.heartbeatMilliseconds {
                            try connection.execute("SELECT 1")
                            quiet = 0
                        }
                    }
                }
            } catch {
                sleep(milliseconds: backOff)
                backOff = min(backOff * 2, Self.lastBackOff)
            }
        }
    }

    /// Sleeps in slices, returning early once `stop()` was called.
    private func sleep(milliseconds: Int) {
        var left = milliseconds
        while left > 0 && !isStopping {
            let slice = min(left, Int(Self.sliceMilliseconds))
            usleep(useconds_t(slice * 1000))
            left -= slice
        }
    }

    private static let sliceMilliseconds: Int32 = 100
    private static let heartbeatMilliseconds = 30_000
    private static let firstBackOff = 100
    private static let lastBackOff = 5_000
}

import Synchronization

/// Idle easy handles kept for reuse: a handle keeps its connections open, so reusing it saves a TCP
/// (and TLS) handshake per request. One handle serves one request at a time.
public final class CurlHandlePool: Sendable {
    private let idle = Mutex<[CurlEasyHandle]>([])
    private let maximumIdle: Int

    public init(maximumIdle: Int = 16) {
        self.maximumIdle = maximumIdle
        CurlGlobal.ensureInitialized()
    }

    /// Sends `request` on a pooled handle and waits for the whole response.
    public func perform(_ request: HTTPRequest, options: TransportOptions) -> Result<HTTPResponse, TransportError> {
        withHandle { $0.perform(request, options: options) }
    }

    /// Runs `body` with a handle taken from the pool (or a new one) and gives it back afterwards.
    public func withHandle<Result>(_ body: (CurlEasyHandle) -> Result) -> Result {
        let handle = idle.withLock { $0.popLast() } ?? CurlEasyHandle()
        defer {
            idle.withLock { handles in
                if handles.count < maximumIdle { handles.append(handle) }
            }
        }
        return body(handle)
    }
}

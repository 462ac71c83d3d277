import CCurl
import Synchronization

/// `curl_global_init`, called once per process before the first handle is made.
enum CurlGlobal {
    private static let initialized = Mutex(false)

    static func ensureInitialized() {
        initialized.withLock { done in
            guard !done else { return }
            let code = curl_global_init(Int(CURL_GLOBAL_ALL))
            precondition(code == CURLE_OK, "curl_global_init failed: \(String(cString: curl_easy_strerror(code)))")
            done = true
        }
    }
}

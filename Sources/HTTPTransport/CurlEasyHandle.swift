import CCurl

/// One libcurl easy handle (`CURL *`). Used by one thread at a time: the pool hands it out exclusively.
public final class CurlEasyHandle: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer

    init() {
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed") }
        self.handle = handle
    }

    deinit { curl_easy_cleanup(handle) }

    /// Sends `request` and waits for the whole response. The corresponding C function is `curl_easy_perform`.
    public func perform(_ request: HTTPRequest, options: TransportOptions) -> Result<HTTPResponse, TransportError> {
        curl_easy_reset(handle)  // options go, open connections stay
        let transfer = CurlTransfer(request: request)
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        // No `Expect: 100-continue` round trip before each body; no form Content-Type on POST.
        headerList = curl_slist_append(headerList, "Expect:")
        defer { curl_slist_free_all(headerList) }

        return withExtendedLifetime(transfer) {
            if let failure = configure(request, options, transfer, headerList, errorBuffer) {
                return .failure(failure)
            }
            let code = curl_easy_perform(handle)
            if code != CURLE_OK {
                var message = String(cString: errorBuffer)
                if message.isEmpty { message = String(cString: curl_easy_strerror(code)) }
                if transfer.exceededLimit { message = "response larger than the \(request.responseLimit) bytes expected" }
                return .failure(Self.transportError(code, message: message, aborted: transfer.exceededLimit))
            }
            var status = 0
            _ = lorafs_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            var response = HTTPResponse(status: status, headers: transfer.responseHeaders, body: transfer.responseBody)
            response.sinkCount = transfer.sinkCount
            return .success(response)
        }
    }

    private func configure(
        _ request: HTTPRequest, _ options: TransportOptions, _ transfer: CurlTransfer,
        _ headerList: UnsafeMutablePointer<curl_slist>?, _ errorBuffer: UnsafeMutablePointer<CChar>
    ) -> TransportError? {
        var codes: [CURLcode] = [
            lorafs_curl_setopt_str(handle, CURLOPT_URL, request.url),
            lorafs_curl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https"),
            lorafs_curl_setopt_long(handle, CURLOPT_PATH_AS_IS, 1),  // keys may hold `..` or `//`
            lorafs_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer),
            lorafs_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
            lorafs_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, options.connectTimeoutSeconds),
            lorafs_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedBytesPerSecond),
            lorafs_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, options.lowSpeedSeconds),
            lorafs_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, options.totalTimeoutMilliseconds),
            // HTTP/1.1 on every connection: libcurl 7.88 offers h2 over TLS, and an h2 upload that waits
            // on the server's flow-control window spins in poll (13 s of CPU per GiB copied over HTTPS,
            // against 2 s over HTTP/1.1). S3 speaks HTTP/1.1; parallelism comes from connections.
            lorafs_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1)),
            lorafs_curl_setopt_long(handle, CURLOPT_TCP_NODELAY, 1),
            lorafs_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1),
            lorafs_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1),
            lorafs_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2),
            lorafs_curl_setopt_long(handle, CURLOPT_BUFFERSIZE, 512 * 1024),
            lorafs_curl_setopt_long(handle, CURLOPT_UPLOAD_BUFFERSIZE, 512 * 1024),
            lorafs_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList),
            lorafs_curl_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, CurlTransfer.write),
            lorafs_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, transfer.context),
            lorafs_curl_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, CurlTransfer.header),
            lorafs_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, transfer.context),
        ]
        if let path = options.caBundlePath { codes.append(lorafs_curl_setopt_str(handle, CURLOPT_CAINFO, path)) }
        let bodySize = curl_off_t(request.body?.count ?? 0)
        let bodyOptions = [
            lorafs_curl_setopt_read_callback(handle, CurlTransfer.read),
            lorafs_curl_setopt_ptr(handle, CURLOPT_READDATA, transfer.context),
            lorafs_curl_setopt_seek_callback(handle, CurlTransfer.seek),
            lorafs_curl_setopt_ptr(handle, CURLOPT_SEEKDATA, transfer.context),
        ]
        switch request.method {
        case "GET":
            codes.append(lorafs_curl_setopt_long(handle, CURLOPT_HTTPGET, 1))
        case "HEAD":
            codes.append(lorafs_curl_setopt_long(handle, CURLOPT_NOBODY, 1))
        case "PUT":
            // A known length: libcurl sends Content-Length, never chunked (S3 refuses chunked PUT).
            codes += bodyOptions
            codes.append(lorafs_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
            codes.append(lorafs_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, bodySize))
        case "POST":
            codes += bodyOptions
            codes.append(lorafs_curl_setopt_long(handle, CURLOPT_POST, 1))
            codes.append(lorafs_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, bodySize))
        default:
            codes.append(lorafs_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method))
        }
        guard let failed = codes.first(where: { $0 != CURLE_OK }) else { return nil }
        return TransportError(
            code: Int(failed.rawValue), message: "libcurl option: " + String(cString: curl_easy_strerror(failed)),
            isRetryable: false, requestMayHaveBeenSent: false)
    }

    private static func transportError(_ code: CURLcode, message: String, aborted: Bool) -> TransportError {
        let neverConnected: Set<CURLcode> = [CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_PROXY]
        let permanent: Set<CURLcode> = [
            CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN, CURLE_WRITE_ERROR,
            CURLE_OUT_OF_MEMORY, CURLE_ABORTED_BY_CALLBACK, CURLE_BAD_FUNCTION_ARGUMENT, CURLE_UNKNOWN_OPTION,
            CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
        ]
        return TransportError(
            code: Int(code.rawValue), message: message, isRetryable: !aborted && !permanent.contains(code),
            requestMayHaveBeenSent: !neverConnected.contains(code))
    }
}

import Foundation
import CCurl

/// The state of one transfer that libcurl's callbacks read and write. Callbacks find it through the
/// context pointer (`Unmanaged`), never through globals.
final class CurlTransfer {
    private let body: UnsafeRawBufferPointer?
    private var bodyOffset = 0
    private let responseLimit: Int
    private let sink: UnsafeMutableRawBufferPointer?
    private(set) var sinkCount = 0
    /// The status of the response being received (a 100 Continue is followed by the real one).
    private var status = 0
    private(set) var responseBody: [UInt8] = []
    private(set) var responseHeaders: [(name: String, value: String)] = []
    /// Set when the response grew past `responseLimit` and the transfer was aborted.
    private(set) var exceededLimit = false

    init(request: HTTPRequest) {
        body = request.body
        responseLimit = request.responseLimit
        sink = request.responseSink
        if sink == nil, let expected = request.expectedResponseSize {
            responseBody.reserveCapacity(min(expected, responseLimit))
        }
    }

    var context: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    private static func from(_ context: UnsafeMutableRawPointer?) -> CurlTransfer {
        Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
    }

    // MARK: Request body (CURLOPT_READFUNCTION / CURLOPT_SEEKFUNCTION)

    static let read: curl_read_callback = { buffer, size, count, context in
        from(context).readBody(into: buffer, capacity: size * count)
    }

    private func readBody(into buffer: UnsafeMutablePointer<CChar>?, capacity: Int) -> Int {
        guard let body, let buffer, bodyOffset < body.count else { return 0 }
        let length = min(capacity, body.count - bodyOffset)
        UnsafeMutableRawPointer(buffer).copyMemory(from: body.baseAddress! + bodyOffset, byteCount: length)
        bodyOffset += length
        return length
    }

    /// libcurl rewinds the body when it resends on a fresh connection (a kept-alive one had closed).
    static let seek: curl_seek_callback = { context, offset, origin in
        from(context).seekBody(to: Int(offset), origin: origin)
    }

    private func seekBody(to offset: Int, origin: Int32) -> Int32 {
        guard origin == SEEK_SET, offset >= 0, offset <= (body?.count ?? 0) else {
            return Int32(CURL_SEEKFUNC_CANTSEEK)
        }
        bodyOffset = offset
        return Int32(CURL_SEEKFUNC_OK)
    }

    // MARK: Response (CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION)

    static let write: curl_write_callback = { data, size, count, context in
        from(context).appendBody(data, size * count)
    }

    private func appendBody(_ data: UnsafeMutablePointer<CChar>?, _ length: Int) -> Int {
        guard let data, length > 0 else { return 0 }
        if let sink, (200..<300).contains(status) {
            guard sinkCount + length <= sink.count else {
                exceededLimit = true
                return 0
            }
            (sink.baseAddress! + sinkCount).copyMemory(from: data, byteCount: length)
            sinkCount += length
            return length
        }
        guard responseBody.count + length <= responseLimit else {
            exceededLimit = true
            return 0  // makes libcurl stop with CURLE_WRITE_ERROR
        }
        responseBody.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
        return length
    }

    static let header: curl_write_callback = { data, size, count, context in
        from(context).appendHeader(data, size * count)
    }

    private func appendHeader(_ data: UnsafeMutablePointer<CChar>?, _ length: Int) -> Int {
        guard let data else { return 0 }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            responseHeaders.removeAll()  // a new response (after 100 Continue, say) starts over
            let fields = line.split(separator: " ", maxSplits: 2)
            status = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            responseHeaders.append((name, value))
            if name == "content-length", sink == nil, let size = Int(value), size <= responseLimit, responseBody.isEmpty {
                responseBody.reserveCapacity(size)
            }
        }
        return length
    }
}

/// Percent-encoding as SigV4 and S3 define it: every byte of the UTF-8 form except the unreserved
/// characters `A-Z a-z 0-9 - _ . ~` becomes `%XX` (uppercase hex).
enum URIEncoding {
    /// Encodes a query name or value, or a single path segment (`/` is encoded too).
    static func encode(_ string: String) -> String {
        encode(string, keepSlash: false)
    }

    /// Encodes an object key for a request path and canonical URI: `/` stays a separator.
    static func encodePath(_ key: String) -> String {
        encode(key, keepSlash: true)
    }

    /// Reverses `%XX` escapes (for keys listed with `encoding-type=url`). `+` stays `+`... unless
    /// `plusIsSpace`, as S3 writes spaces in url-encoded listings as `+`.
    static func decode(_ string: String, plusIsSpace: Bool) -> String {
        var out = [UInt8]()
        let bytes = Array(string.utf8)
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[index + 1...index + 2], as: UTF8.self), radix: 16)
            {
                out.append(value)
                index += 3
            } else {
                out.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func encode(_ string: String, keepSlash: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}

/// Query parameters of one request, kept raw (unencoded) until they are written out.
struct QueryParameters: Sendable, Equatable {
    var items: [(name: String, value: String)] = []

    init(_ items: [(name: String, value: String)] = []) { self.items = items }

    static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.items.elementsEqual(rhs.items) { $0.name == $1.name && $0.value == $1.value }
    }

    mutating func append(_ name: String, _ value: String) { items.append((name, value)) }

    /// The SigV4 canonical query string: names and values encoded, sorted by name then value, `name=value`
    /// joined by `&` (a valueless parameter becomes `name=`). Also used as the request's query string.
    var canonicalString: String {
        items.map { (URIEncoding.encode($0.name), URIEncoding.encode($0.value)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }
}

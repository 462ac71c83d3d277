/// Serializes ``JSONValue``s deterministically: object keys sorted, strings escaped minimally
/// (`/` and non-ASCII are written as is), numbers as their ``JSONNumber/text`` (integers without
/// a fraction, doubles in Swift's shortest round-tripping form: `0.8`, `1.0`, `1e-05`).
///
/// Keys are sorted rather than written in member order because what lorafs writes (schema.json,
/// status.json, accepted specs, backend request bodies) is built from literals and dictionaries
/// whose order is incidental, and those files must not change from one build to the next.
public enum JSONWriter {
    /// Encodes `value` as UTF-8; `pretty` puts one member per line with two-space indentation
    /// and ends with a newline.
    public static func encode(_ value: JSONValue, pretty: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out, pretty: pretty, indent: 0)
        if pretty { out.append(0x0A) }
        return out
    }

    private static func write(_ value: JSONValue, into out: inout [UInt8], pretty: Bool, indent: Int) {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let flag):
            out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number):
            out.append(contentsOf: number.text.utf8)
        case .string(let text):
            writeString(text, into: &out)
        case .array(let elements):
            writeContainer(open: "[", close: "]", count: elements.count, into: &out, pretty: pretty, indent: indent) {
                index, out in write(elements[index], into: &out, pretty: pretty, indent: indent + 1)
            }
        case .object(let object):
            let members = object.members.sorted { $0.key < $1.key }
            writeContainer(open: "{", close: "}", count: members.count, into: &out, pretty: pretty, indent: indent) {
                index, out in
                writeString(members[index].key, into: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                write(members[index].value, into: &out, pretty: pretty, indent: indent + 1)
            }
        }
    }

    private static func writeContainer(
        open: Unicode.Scalar, close: Unicode.Scalar, count: Int, into out: inout [UInt8], pretty: Bool, indent: Int,
        element: (Int, inout [UInt8]) -> Void
    ) {
        out.append(UInt8(ascii: open))
        for index in 0..<count {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            if pretty { newline(into: &out, indent: indent + 1) }
            element(index, &out)
        }
        if pretty, count > 0 { newline(into: &out, indent: indent) }
        out.append(UInt8(ascii: close))
    }

    private static func newline(into out: inout [UInt8], indent: Int) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    private static func writeString(_ text: String, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

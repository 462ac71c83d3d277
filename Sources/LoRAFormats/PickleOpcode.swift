/// Names and protocol levels of pickle opcodes, for decoding and for error messages.
enum PickleOpcode {
    /// `(name, protocol)` for every opcode of protocols 0 to 5.
    static let table: [UInt8: (name: String, proto: Int)] = {
        let entries: [(Character, String, Int)] = [
            ("(", "MARK", 0), (".", "STOP", 0), ("0", "POP", 0), ("1", "POP_MARK", 0),
            ("2", "DUP", 0), ("F", "FLOAT", 0), ("I", "INT", 0), ("L", "LONG", 0),
            ("N", "NONE", 0), ("P", "PERSID", 0), ("R", "REDUCE", 0), ("S", "STRING", 0),
            ("V", "UNICODE", 0), ("a", "APPEND", 0), ("b", "BUILD", 0), ("c", "GLOBAL", 0),
            ("d", "DICT", 0), ("g", "GET", 0), ("i", "INST", 0), ("l", "LIST", 0),
            ("p", "PUT", 0), ("s", "SETITEM", 0), ("t", "TUPLE", 0),
            ("G", "BINFLOAT", 1), ("J", "BININT", 1), ("K", "BININT1", 1), ("M", "BININT2", 1),
            ("Q", "BINPERSID", 1), ("T", "BINSTRING", 1), ("U", "SHORT_BINSTRING", 1),
            ("X", "BINUNICODE", 1), ("e", "APPENDS", 1), ("h", "BINGET", 1), ("j", "LONG_BINGET", 1),
            ("}", "EMPTY_DICT", 1), ("]", "EMPTY_LIST", 1), ("o", "OBJ", 1), ("q", "BINPUT", 1),
            ("r", "LONG_BINPUT", 1), ("u", "SETITEMS", 1), (")", "EMPTY_TUPLE", 1),
            ("B", "BINBYTES", 3), ("C", "SHORT_BINBYTES", 3),
        ]
        var table: [UInt8: (name: String, proto: Int)] = [:]
        for (char, name, proto) in entries { table[char.asciiValue!] = (name, proto) }
        let high: [(UInt8, String, Int)] = [
            (0x80, "PROTO", 2), (0x81, "NEWOBJ", 2), (0x82, "EXT1", 2), (0x83, "EXT2", 2),
            (0x84, "EXT4", 2), (0x85, "TUPLE1", 2), (0x86, "TUPLE2", 2), (0x87, "TUPLE3", 2),
            (0x88, "NEWTRUE", 2), (0x89, "NEWFALSE", 2), (0x8A, "LONG1", 2), (0x8B, "LONG4", 2),
            (0x8C, "SHORT_BINUNICODE", 4), (0x8D, "BINUNICODE8", 4), (0x8E, "BINBYTES8", 4),
            (0x8F, "EMPTY_SET", 4), (0x90, "ADDITEMS", 4), (0x91, "FROZENSET", 4),
            (0x92, "NEWOBJ_EX", 4), (0x93, "STACK_GLOBAL", 4), (0x94, "MEMOIZE", 4),
            (0x95, "FRAME", 4), (0x96, "BYTEARRAY8", 5), (0x97, "NEXT_BUFFER", 5),
            (0x98, "READONLY_BUFFER", 5),
        ]
        for (code, name, proto) in high { table[code] = (name, proto) }
        return table
    }()

    /// Whether `byte` can begin a protocol 0/1 pickle (one without a PROTO opcode).
    static func startsProtocol0Pickle(_ byte: UInt8) -> Bool {
        guard let info = table[byte] else { return false }
        return info.proto <= 1 && info.name != "STOP"
    }

    /// `0x95 (FRAME)` style label for messages.
    static func label(_ code: UInt8) -> String {
        let hex = String(code, radix: 16)
        let name = table[code]?.name ?? "unknown"
        return "0x\(hex.count == 1 ? "0" + hex : hex) (\(name))"
    }
}

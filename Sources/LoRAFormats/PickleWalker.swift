/// Walks one pickle statically, opcode by opcode, without executing anything.
///
/// Protocols 0 to 2 are decoded in full; opcodes of later protocols, the copyreg extension
/// opcodes (EXT1/2/4) and text persistent ids are refused. Every GLOBAL / INST must be in
/// ``PickleAllowList``; REDUCE, NEWOBJ, OBJ and INST may only call globals allowed as callable;
/// BUILD only applies to objects those calls made; SETITEM(S) and APPEND(S) only to containers.
struct PickleWalker<Source: ByteSource> {
    /// What a walk found.
    struct Result {
        var globals: Set<String> = []
        var tensorCount = 0
        /// Storages named by BINPERSID tuples, in the order they appear.
        var storages: [StorageRef] = []
        /// Where each key is in ``storages``.
        var storageIndex: [String: Int] = [:]
        var value: PickleValue = .none
    }

    /// One `("storage", torch.<Type>Storage, key, location, numel[, view_metadata])` persistent id.
    struct StorageRef {
        let key: String
        /// The storage global, e.g. `torch.HalfStorage`.
        let type: String
        /// The declared number of elements.
        let numel: Int64
        /// 5 items (zip format) or 6 (legacy format, with view metadata).
        let arity: Int
    }

    static var maxOpcodes: Int { 50_000_000 }
    static var maxStackDepth: Int { 1_000_000 }
    static var maxMemoEntries: Int { 4_000_000 }
    /// The longest string or bytes argument accepted (tensor names are short).
    static var maxStringLength: Int { 16 << 20 }

    let input: PickleInput<Source>
    var stack: [PickleValue] = []
    private var memo: [UInt64: PickleValue] = [:]
    var result = Result()
    var opOffset: UInt64 = 0
    var op: UInt8 = 0

    init(_ input: PickleInput<Source>) { self.input = input }

    /// Walks from the current input position through the next STOP opcode.
    static func walk(_ input: PickleInput<Source>) throws(LoRAValidationError) -> Result {
        var walker = PickleWalker(input)
        return try walker.run()
    }

    func invalid(_ what: String) -> LoRAValidationError {
        .invalid("malformed pickle: opcode \(PickleOpcode.label(op)) at offset \(opOffset) \(what)")
    }

    mutating func pop() throws(LoRAValidationError) -> PickleValue {
        guard let top = stack.popLast() else { throw invalid("pops an empty stack") }
        if case .mark = top { throw invalid("pops a MARK") }
        return top
    }

    private mutating func popToMark() throws(LoRAValidationError) -> [PickleValue] {
        guard let index = stack.lastIndex(where: { if case .mark = $0 { return true } else { return false } })
        else { throw invalid("has no MARK to pop to") }
        let items = Array(stack[(index + 1)...])
        stack.removeSubrange(index...)
        return items
    }

    mutating func push(_ value: PickleValue) throws(LoRAValidationError) {
        guard stack.count < Self.maxStackDepth else { throw invalid("grows the stack past \(Self.maxStackDepth) items") }
        stack.append(value)
    }

    private func checkGlobal(_ module: String, _ name: String) throws(LoRAValidationError) -> String {
        let qualified = "\(module).\(name)"
        guard PickleAllowList.use(of: qualified) != nil else {
            throw .unsafe("pickle imports \"\(qualified)\", which is not allowed in a checkpoint")
        }
        return qualified
    }

    private mutating func memoIndex(_ text: String) throws(LoRAValidationError) -> UInt64 {
        guard let index = UInt64(text) else { throw invalid("has a memo index \"\(text)\" that is not a number") }
        return index
    }

    private mutating func get(_ index: UInt64) throws(LoRAValidationError) {
        guard let value = memo[index] else { throw invalid("reads memo entry \(index), which was never stored") }
        try push(value)
    }

    private mutating func put(_ index: UInt64) throws(LoRAValidationError) {
        guard let top = stack.last else { throw invalid("memoizes an empty stack") }
        if case .mark = top { throw invalid("memoizes a MARK") }
        guard memo.count < Self.maxMemoEntries || memo[index] != nil else {
            throw invalid("stores more than \(Self.maxMemoEntries) memo entries")
        }
        memo[index] = top
    }

    mutating func target(_ check: (PickleValue) -> Bool, _ what: String) throws(LoRAValidationError) {
        guard let top = stack.last, check(top) else {
            throw .unsafe("pickle opcode \(PickleOpcode.label(op)) at offset \(opOffset) applies to something that is not \(what)")
        }
    }

    private static func int(fromLittleEndian raw: [UInt8]) -> Int64? {
        guard raw.count <= 8 else { return nil }
        if raw.isEmpty { return 0 }
        var v: UInt64 = raw.last! >= 0x80 ? ~0 : 0
        for b in raw.reversed() { v = v << 8 | UInt64(b) }
        return Int64(bitPattern: v)
    }

    private mutating func run() throws(LoRAValidationError) -> Result {
        var count = 0
        while true {
            count += 1
            if count > Self.maxOpcodes { throw .invalid("pickle has more than \(Self.maxOpcodes) opcodes") }
            opOffset = input.offset
            guard !input.atEnd else { throw .invalid("truncated pickle: it ends at offset \(opOffset) without a STOP opcode") }
            op = try input.byte("opcode")
            if try step() { return result }
        }
    }

    /// Executes one opcode symbolically; true at STOP.
    private mutating func step() throws(LoRAValidationError) -> Bool {
        let what = PickleOpcode.label(op)
        guard let info = PickleOpcode.table[op] else {
            throw .unsafe("unknown pickle opcode \(what) at offset \(opOffset)")
        }
        if op == 0x93 {
            throw .unsafe("pickle opcode \(what) is not allowed: it imports a name computed at load time, which cannot be checked statically (protocol > 2)")
        }
        if info.proto > 2 { throw .unsafe("pickle opcode \(what) is not allowed (protocol > 2)") }
        switch info.name {
        case "PROTO":
            let version = try input.byte(what)
            if version > 2 { throw .unsafe("pickle protocol \(version) is not allowed (torch.save writes protocol 2)") }
        case "STOP":
            result.value = try pop()
            return true
        case "MARK": try push(.mark)
        case "POP": guard stack.popLast() != nil else { throw invalid("pops an empty stack") }
        case "POP_MARK": _ = try popToMark()
        case "DUP": try push(try pop()); stack.append(stack.last!)
        case "NONE": try push(.none)
        case "NEWTRUE", "NEWFALSE": try push(.bool)
        case "INT":
            let text = try input.line(what)
            try push(text == "00" || text == "01" ? .bool : .int(Int64(text)))
        case "LONG": try push(.int(Int64(try input.line(what).replacing("L", with: ""))))
        case "FLOAT": _ = try input.line(what); try push(.float)
        case "BINFLOAT": try input.skip(8, what); try push(.float)
        case "BININT": try push(.int(Int64(Int32(truncatingIfNeeded: try input.uint(4, what)))))
        case "BININT1": try push(.int(Int64(try input.byte(what))))
        case "BININT2": try push(.int(Int64(try input.uint(2, what))))
        case "LONG1", "LONG4":
            let length = try input.uint(info.name == "LONG1" ? 1 : 4, what)
            guard length <= Int32.max else { throw invalid("has a length \(length) that is too large") }
            if length > 8 { try input.skip(length, what); try push(.int(nil)) } // never read a huge integer
            else { try push(.int(Self.int(fromLittleEndian: try input.bytes(Int(length), what)))) }
        case "STRING":
            var text = try input.line(what)
            if text.count >= 2, let q = text.first, q == "'" || q == "\"", text.last == q {
                text = String(text.dropFirst().dropLast())
            }
            try push(.string(text))
        case "UNICODE": try push(.string(try input.line(what)))
        case "BINSTRING", "SHORT_BINSTRING", "BINUNICODE":
            let raw = try input.uint(info.name == "SHORT_BINSTRING" ? 1 : 4, what)
            let length = info.name == "BINSTRING" ? Int64(Int32(truncatingIfNeeded: raw)) : Int64(raw)
            guard length >= 0 else { throw invalid("has a negative length") }
            guard length <= Self.maxStringLength else {
                throw invalid("has a \(length)-byte string, more than the \(Self.maxStringLength)-byte limit")
            }
            try push(.string(String(decoding: try input.bytes(Int(length), what), as: UTF8.self)))
        case "EMPTY_TUPLE": try push(.tuple([], depth: 1))
        case "TUPLE1", "TUPLE2", "TUPLE3":
            let n = Int(op - 0x84)
            var items: [PickleValue] = []
            for _ in 0..<n { items.insert(try pop(), at: 0) }
            try push(try container(items, list: false))
        case "TUPLE": try push(try container(try popToMark(), list: false))
        case "EMPTY_LIST": try push(.list([], depth: 1))
        case "LIST": try push(try container(try popToMark(), list: true))
        case "EMPTY_DICT": try push(.dict)
        case "DICT":
            guard try popToMark().count % 2 == 0 else { throw invalid("has an odd number of items") }
            try push(.dict)
        case "APPEND": try append([try pop()])
        case "APPENDS": try append(try popToMark())
        case "SETITEM": _ = try pop(); _ = try pop(); try target({ $0.isDictLike }, "a dict")
        case "SETITEMS":
            guard try popToMark().count % 2 == 0 else { throw invalid("has an odd number of items") }
            try target({ $0.isDictLike }, "a dict")
        case "GLOBAL":
            let module = try input.line(what)
            let name = try input.line(what)
            let qualified = try checkGlobal(module, name)
            result.globals.insert(qualified)
            try push(.global(qualified))
        case "INST":
            let module = try input.line(what)
            let name = try input.line(what)
            let qualified = try checkGlobal(module, name)
            result.globals.insert(qualified)
            try push(try call(.global(qualified), try container(try popToMark(), list: false)))
        case "OBJ":
            var items = try popToMark()
            guard !items.isEmpty else { throw invalid("has no class to instantiate") }
            let cls = items.removeFirst()
            try push(try call(cls, try container(items, list: false)))
        case "REDUCE":
            let args = try pop()
            try push(try call(try pop(), args))
        case "NEWOBJ":
            let args = try pop()
            try push(try call(try pop(), args))
        case "BUILD": try build(try pop())
        case "BINPERSID": try push(try persistentID(try pop()))
        case "PERSID": throw .unsafe("pickle opcode \(what) (a text persistent id) is not used by torch.save")
        case "EXT1", "EXT2", "EXT4":
            throw .unsafe("pickle opcode \(what) imports through the copyreg extension registry, which cannot be checked statically")
        case "GET": try get(try memoIndex(try input.line(what)))
        case "BINGET": try get(UInt64(try input.byte(what)))
        case "LONG_BINGET": try get(try input.uint(4, what))
        case "PUT": try put(try memoIndex(try input.line(what)))
        case "BINPUT": try put(UInt64(try input.byte(what)))
        case "LONG_BINPUT": try put(try input.uint(4, what))
        default: throw .unsafe("pickle opcode \(what) at offset \(opOffset) is not supported")
        }
        return false
    }
}

/// The checks of what a pickle does with the allowed globals: the argument shape of every
/// allowed call (modelled on what `torch.save` writes), the persistent ids, BUILD and APPEND.
extension PickleWalker {
    /// Globals whose calls return a tensor (the `data` of `_rebuild_parameter` and friends).
    static var tensorMakers: Set<String> {
        ["torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._tensor._rebuild_from_type_v2"]
    }

    func unsafeCall(_ name: String, _ why: String) -> LoRAValidationError {
        .unsafe("pickle calls \"\(name)\" at offset \(opOffset) with \(why)")
    }

    /// A tuple or list of `items`, refusing nesting past ``PickleValue/maxDepth``.
    func container(_ items: [PickleValue], list: Bool) throws(LoRAValidationError) -> PickleValue {
        guard let depth = PickleValue.depth(of: items) else {
            throw invalid("nests containers more than \(PickleValue.maxDepth) levels deep")
        }
        return list ? .list(items, depth: depth) : .tuple(items, depth: depth)
    }

    mutating func append(_ items: [PickleValue]) throws(LoRAValidationError) {
        try target({ $0.isList }, "a list")
        guard case .list(let old, _) = stack.removeLast() else { return }
        stack.append(try container(old + items, list: true))
    }

    /// BUILD: a state dict (or None) applied to an object an allowed call made.
    mutating func build(_ state: PickleValue) throws(LoRAValidationError) {
        try target({ $0.isObject }, "an object made by an allowed call")
        switch state {
        case .dict, .none, .object("collections.OrderedDict"): return
        case .tuple(let items, _) where items.count == 2 && items.allSatisfy({ $0.isNone || $0.isDictLike }): return
        default:
            throw .unsafe("pickle opcode \(PickleOpcode.label(op)) at offset \(opOffset) sets a state that is not a dict")
        }
    }

    /// Checks that `callee` may be called with `args` and returns the object it makes.
    mutating func call(_ callee: PickleValue, _ args: PickleValue) throws(LoRAValidationError) -> PickleValue {
        guard case .global(let name) = callee else {
            throw .unsafe("pickle opcode \(PickleOpcode.label(op)) at offset \(opOffset) calls something that is not an allowed global")
        }
        guard PickleAllowList.use(of: name) == .callable else {
            throw .unsafe("pickle calls \"\(name)\", which may only be used as a value")
        }
        guard let items = args.tupleItems else { throw invalid("calls \"\(name)\" without an argument tuple") }
        try checkArguments(name, items)
        if PickleAllowList.tensorRebuilders.contains(name) { result.tensorCount += 1 }
        return .object(name)
    }

    private func isTensor(_ v: PickleValue) -> Bool {
        if case .object(let name) = v { return Self.tensorMakers.contains(name) }
        return false
    }

    private func isHooks(_ v: PickleValue) -> Bool { v.isDictLike || v.isNone }

    private mutating func checkArguments(_ name: String, _ a: [PickleValue]) throws(LoRAValidationError) {
        switch name {
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            let v2 = name.hasSuffix("_v2")
            guard v2 ? (a.count == 6 || a.count == 7) : a.count == 4 else {
                throw unsafeCall(name, "\(a.count) arguments; torch.save writes \(v2 ? "6 or 7" : "4")")
            }
            guard case .persistent(let index) = a[0] else { throw unsafeCall(name, "a first argument that is not a storage") }
            guard case .int(let offset?) = a[1], offset >= 0 else { throw unsafeCall(name, "a storage offset that is not a non-negative integer") }
            guard let size = a[2].intTuple, let stride = a[3].intTuple, size.count == stride.count,
                  size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
                throw unsafeCall(name, "a size or stride that is not a tuple of non-negative integers of the same length")
            }
            if v2 {
                guard case .bool = a[4] else { throw unsafeCall(name, "a requires_grad that is not a bool") }
                guard isHooks(a[5]) else { throw unsafeCall(name, "backward hooks that are not an OrderedDict") }
                if a.count == 7, !isHooks(a[6]) { throw unsafeCall(name, "metadata that is not a dict") }
            }
            try checkExtent(index, offset: offset, size: size, stride: stride)
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            let withState = name.hasSuffix("_with_state")
            guard a.count == (withState ? 4 : 3), isTensor(a[0]) else {
                throw unsafeCall(name, "arguments other than (tensor, requires_grad, hooks\(withState ? ", state" : ""))")
            }
            guard case .bool = a[1], isHooks(a[2]), !withState || isHooks(a[3]) else {
                throw unsafeCall(name, "arguments other than (tensor, requires_grad, hooks\(withState ? ", state" : ""))")
            }
        case "torch._tensor._rebuild_from_type_v2":
            guard a.count == 4, case .global(let function) = a[0], PickleAllowList.tensorRebuilders.contains(function),
                  case .global(let type) = a[1], ["torch.Tensor", "torch.nn.parameter.Parameter"].contains(type),
                  a[2].tupleItems != nil, isHooks(a[3]) else {
                throw unsafeCall(name, "arguments other than (a tensor rebuilder, torch.Tensor or Parameter, its arguments, a state dict)")
            }
            _ = try call(a[0], a[2]) // the rebuilder it calls, with the arguments it passes
        case "torch.Size":
            guard a.count == 1, a[0].intTuple != nil else { throw unsafeCall(name, "arguments other than one tuple of integers") }
        case "collections.OrderedDict", "builtins.set", "builtins.frozenset", "__builtin__.set", "__builtin__.frozenset":
            guard a.isEmpty || (a.count == 1 && (a[0].isList || a[0].tupleItems != nil)) else {
                throw unsafeCall(name, "arguments other than nothing or one list")
            }
        case "_codecs.encode":
            guard a.count == 2, case .string = a[0], case .string(let encoding) = a[1], ["latin1", "latin-1"].contains(encoding)
            else { throw .unsafe("pickle calls \"_codecs.encode\" with arguments other than (text, \"latin1\")") }
        default:
            throw unsafeCall(name, "arguments the walker has no rule for")
        }
    }

    /// A tensor view must lie inside its storage (torch refuses it at load time otherwise).
    private func checkExtent(_ index: Int, offset: Int64, size: [Int64], stride: [Int64]) throws(LoRAValidationError) {
        let storage = result.storages[index]
        if size.contains(0) || storage.type.hasSuffix("UntypedStorage") { return } // untyped: counted in bytes
        var end = offset.addingReportingOverflow(1)
        for (n, s) in zip(size, stride) where !end.overflow {
            let step = (n - 1).multipliedReportingOverflow(by: s)
            end = step.overflow ? step : end.partialValue.addingReportingOverflow(step.partialValue)
        }
        guard !end.overflow, end.partialValue <= storage.numel else {
            throw .invalid("tensor of size \(size) at offset \(offset) runs past the end of storage \"\(storage.key)\" (\(storage.numel) elements)")
        }
    }

    /// A BINPERSID: only `("storage", torch.<Type>Storage, key, location, numel[, view_metadata])`.
    mutating func persistentID(_ pid: PickleValue) throws(LoRAValidationError) -> PickleValue {
        guard let items = pid.tupleItems, items.count == 5 || items.count == 6, case .string("storage") = items[0] else {
            throw .unsafe("pickle persistent id at offset \(opOffset) is not a (\"storage\", type, key, location, numel) tuple as torch.save writes")
        }
        guard case .global(let type) = items[1], PickleAllowList.elementSize(ofStorage: type) != nil else {
            throw .unsafe("pickle persistent id at offset \(opOffset) names a storage type that is not a torch storage class")
        }
        guard case .string(let key) = items[2], !key.isEmpty, case .string = items[3], case .int(let numel?) = items[4], numel >= 0 else {
            throw .invalid("malformed pickle: persistent id at offset \(opOffset) has a key, location or element count of the wrong type")
        }
        if items.count == 6, !items[5].isNone, items[5].tupleItems == nil {
            throw .invalid("malformed pickle: persistent id at offset \(opOffset) has view metadata that is not a tuple")
        }
        if let index = result.storageIndex[key] {
            let earlier = result.storages[index]
            guard earlier.type == type, earlier.numel == numel, earlier.arity == items.count else {
                throw .invalid("storage \"\(key)\" is declared twice with different types or sizes")
            }
            return .persistent(index)
        }
        result.storageIndex[key] = result.storages.count
        result.storages.append(StorageRef(key: key, type: type, numel: numel, arity: items.count))
        return .persistent(result.storages.count - 1)
    }
}

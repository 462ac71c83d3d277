/// The globals a checkpoint pickle may import, modelled on PyTorch's `weights_only` unpickler
/// (`torch/_weights_only_unpickler.py`) and narrowed to what `torch.save` emits for tensors
/// and state dicts with pickle protocol 2.
///
/// Each callable is also held to the argument shape `torch.save` writes (see
/// `PickleWalker+Calls.swift`): `_rebuild_tensor_v2(storage, offset, size, stride,
/// requires_grad, hooks[, metadata])` with a storage persistent id and a view inside it,
/// `OrderedDict()` with no argument or one list, `_rebuild_from_type_v2` only around a
/// tensor rebuilder with `torch.Tensor` or `Parameter`, and so on.
///
/// Everything else is refused, including `os.system`, `posix.system`, `nt.system`,
/// `builtins.eval`/`exec`/`getattr`, `subprocess.*`, `pydoc.locate`, `importlib.import_module`,
/// `runpy._run_code`, `torch.load` and `numpy.core.multiarray._reconstruct`.
public enum PickleAllowList {
    /// How a pickle may use an allowed global.
    public enum Use: Sendable, Equatable {
        /// May be called by REDUCE / NEWOBJ / OBJ / INST (and used as a value).
        case callable
        /// May only be referenced as a value (a storage type, a dtype, a tensor class).
        case value
    }

    /// The allowed globals, as `module.name`, with how each may be used.
    ///
    /// | global | why `torch.save` emits it |
    /// |---|---|
    /// | `collections.OrderedDict` | state dicts |
    /// | `torch._utils._rebuild_tensor_v2`, `_rebuild_tensor` | every tensor (v1 in very old files) |
    /// | `torch._utils._rebuild_parameter`, `_rebuild_parameter_with_state` | `nn.Parameter` values |
    /// | `torch._tensor._rebuild_from_type_v2` | tensors saved with a Python subclass / state |
    /// | `torch.Size` | sizes stored in metadata |
    /// | `_codecs.encode` | Python 3 `bytes` pickled with protocol 2 (`encode(str, "latin1")`) |
    /// | `builtins.set`, `frozenset` (also `__builtin__.*`) | sets in protocol 2 |
    /// | `torch.*Storage`, `torch.storage.UntypedStorage` | storage types in persistent ids |
    /// | `torch.float16`, `bfloat16`, `float32`, ... | dtypes stored as values |
    /// | `torch.Tensor`, `torch.nn.parameter.Parameter` | types passed to `_rebuild_from_type_v2` |
    public static let globals: [String: Use] = {
        var table: [String: Use] = [
            "collections.OrderedDict": .callable,
            "torch._utils._rebuild_tensor_v2": .callable,
            "torch._utils._rebuild_tensor": .callable,
            "torch._utils._rebuild_parameter": .callable,
            "torch._utils._rebuild_parameter_with_state": .callable,
            "torch._tensor._rebuild_from_type_v2": .callable,
            "torch.Size": .callable,
            "_codecs.encode": .callable,
            "builtins.set": .callable,
            "builtins.frozenset": .callable,
            "__builtin__.set": .callable,
            "__builtin__.frozenset": .callable,
            "torch.Tensor": .value,
            "torch.nn.parameter.Parameter": .value,
            "torch.storage.UntypedStorage": .value,
        ]
        for (storage, _) in storageElementSizes { table["torch.\(storage)"] = .value }
        for dtype in dtypes { table["torch.\(dtype)"] = .value }
        return table
    }()

    /// Typed storage classes and the size of one element in bytes.
    public static let storageElementSizes: [String: Int] = [
        "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "DoubleStorage": 8,
        "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1,
        "ByteStorage": 1, "BoolStorage": 1,
    ]

    /// Tensor dtypes that may appear as values (`torch.float16` and friends).
    public static let dtypes = [
        "float16", "bfloat16", "float32", "float64", "half", "float", "double",
        "int8", "uint8", "int16", "int32", "int64", "bool",
        "float8_e4m3fn", "float8_e5m2",
    ]

    /// Globals whose REDUCE builds one tensor (counted in ``CheckpointSummary/tensorCount``).
    static let tensorRebuilders: Set<String> = ["torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor"]

    /// Globals whose instances accept SETITEM(S) like a dict.
    static let dictLike: Set<String> = ["collections.OrderedDict"]

    /// How `module.name` may be used, or nil when it is not allowed at all.
    public static func use(of qualifiedName: String) -> Use? {
        globals[qualifiedName]
    }

    /// The element size in bytes of a storage global such as `torch.FloatStorage`.
    static func elementSize(ofStorage qualifiedName: String) -> Int? {
        if qualifiedName == "torch.storage.UntypedStorage" { return 1 } // counted in bytes
        guard qualifiedName.hasPrefix("torch.") else { return nil }
        return storageElementSizes[String(qualifiedName.dropFirst("torch.".count))]
    }
}

/// A symbolic value on the walker's stack: enough to check how globals are used and what
/// the tensor rebuilders receive, never the tensor data.
indirect enum PickleValue {
    case mark, none, bool, int(Int64?), float, string(String), bytes
    case global(String), dict, object(String)
    /// A tuple or list with its items and its nesting depth (1 for one holding no containers).
    case tuple([PickleValue], depth: Int)
    case list([PickleValue], depth: Int)
    /// A storage named by a BINPERSID: the index of its ``PickleWalker/StorageRef``.
    case persistent(Int)

    /// Containers may nest this deep (torch.save nests three or four levels).
    static let maxDepth = 64

    var isList: Bool { if case .list = self { true } else { false } }
    var isObject: Bool { if case .object = self { true } else { false } }
    var isNone: Bool { if case .none = self { true } else { false } }

    /// A dict, or an instance of a dict-like allowed class (`OrderedDict`).
    var isDictLike: Bool {
        switch self {
        case .dict: return true
        case .object(let name): return PickleAllowList.dictLike.contains(name)
        default: return false
        }
    }

    /// The items of a tuple, or nil.
    var tupleItems: [PickleValue]? { if case .tuple(let items, _) = self { items } else { nil } }

    /// The integers of a tuple of known integers (a size or a stride), or nil.
    var intTuple: [Int64]? {
        guard let items = tupleItems else { return nil }
        var out: [Int64] = []
        for item in items {
            guard case .int(let v?) = item else { return nil }
            out.append(v)
        }
        return out
    }

    var depth: Int {
        switch self {
        case .tuple(_, let d), .list(_, let d): return d
        default: return 0
        }
    }

    /// The depth of a container holding `items`, or nil past ``maxDepth``.
    static func depth(of items: [PickleValue]) -> Int? {
        let d = 1 + (items.map(\.depth).max() ?? 0)
        return d > maxDepth ? nil : d
    }
}

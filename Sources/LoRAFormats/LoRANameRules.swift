/// How a file name is treated by the filesystem.
public enum LoRANameClass: Sendable, Equatable {
    /// A LoRA file of the given kind, e.g. `style.safetensors` or `x.ckpt`.
    case lora(LoRAFileKind)
    /// A temporary name a tool writes and then renames: accepted, never committed under this name.
    case staging
    /// Not allowed; the associated value is a human reason without the file name.
    case refused(String)
}

/// File-name rules for the LoRA directory.
///
/// Rules, applied in order:
/// 1. Impossible or dangerous names are refused: empty, `.`, `..`, names with `/`, NUL or
///    another control character (below 0x20, or 0x7F), longer than 255 bytes of UTF-8,
///    or (for ``classify(utf8Bytes:)``) not valid UTF-8.
/// 2. Staging names: hidden names (`.NAME.XXXXXX` from rsync, `.goutputstream-XXXXXX`),
///    names that continue after `.safetensors`/`.ckpt` with punctuation
///    (`NAME.safetensors.part`, `NAME.safetensors.tmp.1700000000.42`, `NAME.ckpt~`),
///    names ending in `.tmp`, `.part`, `.partial`, `.incomplete` or `~`, names containing
///    `.tmp.` (`NAME.tmp.TIMESTAMP.RAND`), and Python `tempfile` names (`tmp` + 8 of `[a-z0-9_]`).
/// 3. Names ending in `.safetensors` or `.ckpt` (any case) are LoRA files.
/// 4. Everything else is refused.
public enum LoRANameRules {
    /// The longest name accepted, in bytes of UTF-8 (the usual `NAME_MAX`).
    public static let maxNameBytes = 255

    /// The reason given for names that are neither LoRA files nor staging names.
    public static let wrongExtensionReason = "only .safetensors and .ckpt files can be stored here"

    static let extensions = LoRAFileKind.allCases.map { (suffix: $0.fileExtension, kind: $0) }
    static let stagingSuffixes = [".tmp", ".part", ".partial", ".incomplete", "~"]
    static let pythonTempAlphabet = Set("abcdefghijklmnopqrstuvwxyz0123456789_")

    /// Classifies a file name given as raw bytes, refusing bytes that are not valid UTF-8.
    public static func classify(utf8Bytes: [UInt8]) -> LoRANameClass {
        guard let name = String(validating: utf8Bytes, as: UTF8.self) else {
            return .refused("the name is not valid UTF-8")
        }
        return classify(name)
    }

    /// Classifies a file name (a single path component).
    public static func classify(_ name: String) -> LoRANameClass {
        if let reason = basicRefusal(name) { return .refused(reason) }
        if isStaging(name) { return .staging }
        let lower = name.lowercased()
        for (suffix, kind) in extensions where lower.hasSuffix(suffix) {
            if lower == suffix { return .refused("\"\(name)\" has no name before its extension") }
            return .lora(kind)
        }
        if continuesAfterExtension(lower) {
            return .refused("\"\(name)\" is not a LoRA name (it does not end in .safetensors or .ckpt) "
                + "nor a temporary name a copy tool renames afterwards; nothing would be stored")
        }
        return .refused(wrongExtensionReason)
    }

    /// Guesses the eventual kind of a staging name from the `.safetensors` or `.ckpt` it
    /// contains (the last one wins); `nil` when it contains neither.
    public static func stagingTargetKind(_ name: String) -> LoRAFileKind? {
        let lower = name.lowercased()
        var best: (position: String.Index, kind: LoRAFileKind)?
        for (suffix, kind) in extensions {
            guard let range = lower.ranges(of: suffix).last else { continue }
            if best == nil || range.lowerBound > best!.position { best = (range.lowerBound, kind) }
        }
        return best?.kind
    }

    static func basicRefusal(_ name: String) -> String? {
        if name.isEmpty { return "the name is empty" }
        if name == "." || name == ".." { return "\"\(name)\" is not a file name" }
        if name.utf8.contains(UInt8(ascii: "/")) { return "a file name cannot contain \"/\"" }
        if let c = name.utf8.first(where: { $0 < 0x20 || $0 == 0x7F }) {
            let hex = String(c, radix: 16, uppercase: true)
            return c == 0
                ? "the name contains a NUL byte"
                : "the name contains the control character 0x\(hex.count == 1 ? "0" + hex : hex)"
        }
        let length = name.utf8.count
        if length > maxNameBytes {
            return "the name is \(length) bytes long; the limit is \(maxNameBytes) bytes of UTF-8"
        }
        return nil
    }

    /// Temporary names only where a rename follows: the ones rsync, editors,
    /// downloaders and Python's `tempfile` actually use. Anything else would be
    /// dropped in silence when it is never renamed, so it is refused instead.
    static func isStaging(_ name: String) -> Bool {
        let lower = name.lowercased()
        for suffix in stagingSuffixes where lower.hasSuffix(suffix) && lower.count > suffix.count { return true }
        if lower.contains(".tmp.") { return true }
        if name.hasPrefix(".goutputstream-") { return true }
        return isRsyncTempName(name) || isPythonTempName(name)
    }

    /// rsync's `.NAME.XXXXXX`: a leading dot, a name, a dot and 6 letters or digits.
    static func isRsyncTempName(_ name: String) -> Bool {
        guard name.hasPrefix("."), let dot = name.lastIndex(of: "."), dot > name.startIndex else { return false }
        let random = name[name.index(after: dot)...]
        let base = name[name.index(after: name.startIndex)..<dot]
        return !base.isEmpty && random.count == 6 && random.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// True when `.safetensors` / `.ckpt` is followed by punctuation and more characters,
    /// e.g. `a.safetensors.part` or `a.ckpt~`, but not `a.ckpts.txt`.
    static func continuesAfterExtension(_ lower: String) -> Bool {
        for (suffix, _) in extensions {
            for found in lower.ranges(of: suffix) where found.upperBound < lower.endIndex {
                let next = lower[found.upperBound]
                if !(next.isLetter || next.isNumber) { return true }
            }
        }
        return false
    }

    /// Python's `tempfile` names: `tmp` followed by exactly 8 characters of `[a-z0-9_]`.
    static func isPythonTempName(_ name: String) -> Bool {
        guard name.hasPrefix("tmp") else { return false }
        let rest = name.dropFirst(3)
        return rest.count == 8 && rest.allSatisfy { pythonTempAlphabet.contains($0) }
    }
}

/// Finds the LoRAs a spec names in a workspace and decides their experts.
///
/// - A name matches a file exactly, or with `.safetensors` (then `.ckpt`) appended when the
///   extension is omitted; if the workspace holds both `NAME.safetensors` and `NAME.ckpt`, the
///   bare `NAME` is ambiguous and refused.
/// - The `lora` shorthand names one LoRA at scale 1.0. A file matching as above wins; otherwise
///   the files whose ``LoRANaming`` pair stem equals the name (case-insensitively) are used, each on
///   its own expert: normally a high/low pair, or a lone half when only one exists. Two candidates
///   for the same expert are ambiguous and refused. A pair is refused on `ti2v-5B`, which has one expert.
struct LoRAResolver {
    /// How many names an error lists before "and N more".
    static let listedNames = 20

    let workspace: [LoRAInfo]
    let model: WanModel
    private let byName: [String: LoRAInfo]

    init(workspace: [LoRAInfo], model: WanModel) {
        self.workspace = workspace
        self.model = model
        self.byName = Dictionary(workspace.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The file `name` designates, or `nil` when none does.
    func file(named name: String, field: String) throws(SpecError) -> LoRAInfo? {
        if let exact = byName[name] { return exact }
        let candidates = LoRANaming.extensions.compactMap { byName[name + $0] }
        if candidates.count > 1 {
            let names = candidates.map { quoted($0.name) }.joined(separator: " and ")
            throw SpecError(field: field, reason: "\(quoted(name)) is ambiguous: the workspace has \(names); name one in full")
        }
        return candidates.first
    }

    /// Resolves one `loras[]` entry; `expert` is the spec's explicit expert, if any.
    func entry(name: String, scale: Double, expert: LoRAExpert?, field: String) throws(SpecError) -> ResolvedLoRA {
        guard let info = try file(named: name, field: field) else {
            throw SpecError(field: field, reason: "\(quoted(name)) is not in this workspace (\(available()))")
        }
        try check(info, field: field)
        return ResolvedLoRA(info: info, scale: scale, expert: model.isMoE ? expert ?? LoRANaming.inferredExpert(for: info) : .both)
    }

    /// Resolves the `lora` shorthand: one file, or the high/low pair under that stem.
    func shorthand(_ name: String, field: String) throws(SpecError) -> [ResolvedLoRA] {
        if let info = try file(named: name, field: field) {
            try check(info, field: field)
            return [ResolvedLoRA(info: info, scale: 1.0, expert: model.isMoE ? LoRANaming.inferredExpert(for: info) : .both)]
        }
        let wanted = LoRANaming.stem(of: name).lowercased()
        var halves: [LoRAExpert: [LoRAInfo]] = [:]
        for info in workspace {
            guard let marker = LoRANaming.marker(in: info.name), marker.pairStem.lowercased() == wanted else { continue }
            halves[marker.expert, default: []].append(info)
        }
        guard !halves.isEmpty else {
            throw SpecError(
                field: field,
                reason: "\(quoted(name)) is not in this workspace, as a file or as a high/low pair (\(available()))")
        }
        var resolved: [ResolvedLoRA] = []
        for expert in [LoRAExpert.high, .low] {
            guard let files = halves[expert]?.sorted(by: { $0.name < $1.name }) else { continue }
            if files.count > 1 {
                let names = files.map { quoted($0.name) }.joined(separator: ", ")
                throw SpecError(
                    field: field,
                    reason: "\(quoted(name)) is ambiguous: \(names) are all \(expert.rawValue)-noise halves; list them in \"loras\" instead")
            }
            try check(files[0], field: field)
            resolved.append(ResolvedLoRA(info: files[0], scale: 1.0, expert: expert))
        }
        if !model.isMoE {
            let names = resolved.map { quoted($0.info.name) }.joined(separator: ", ")
            throw SpecError(
                field: field,
                reason: "\(quoted(name)) means the high/low-noise LoRA \(names) for the A14B experts, but \(model.rawValue) has a single expert")
        }
        return resolved
    }

    /// Refuses a LoRA whose tensor shapes do not fit the model.
    func check(_ info: LoRAInfo, field: String) throws(SpecError) {
        if let reason = info.incompatibility(with: model) { throw SpecError(field: field, reason: reason) }
    }

    /// `have: a.safetensors, b.safetensors` (sorted, at most ``listedNames``), or a note that there are none.
    func available() -> String {
        let names = workspace.map(\.name).sorted { ($0.lowercased(), $0) < ($1.lowercased(), $1) }
        if names.isEmpty { return "the workspace has no LoRAs" }
        var text = "have: " + names.prefix(Self.listedNames).joined(separator: ", ")
        if names.count > Self.listedNames { text += " and \(names.count - Self.listedNames) more" }
        return text
    }
}

extension JobSpecParser {
    /// `loras` (entries `{name, scale?, expert?, sha256?}`) or the `lora` shorthand, resolved
    /// against the workspace and checked for compatibility with the model.
    ///
    /// - `scale` defaults to 1.0; `expert` defaults as ``LoRANaming/inferredExpert(for:)`` says and
    ///   is refused for `ti2v-5B` (whose single expert takes every LoRA, recorded as `both`).
    /// - `sha256` (optional, as written in an accepted spec) pins the content: a different file
    ///   under that name is refused.
    /// - The same file twice on overlapping experts is refused (high and low separately is fine).
    static func parseLoRAs(_ fields: SpecFields, model: WanModel, workspace: [LoRAInfo]) throws(SpecError) -> [ResolvedLoRA] {
        let resolver = LoRAResolver(workspace: workspace, model: model)
        let shorthand = fields.value("lora")
        let list = fields.value("loras")
        if shorthand != nil, list != nil {
            throw SpecError(field: "lora", reason: "\"lora\" and \"loras\" cannot be used together; list every LoRA in \"loras\"")
        }
        if shorthand != nil {
            guard let name = try fields.string("lora", maxLength: 255), !name.isEmpty else {
                throw SpecError(field: "lora", reason: "\"\" is not a LoRA name")
            }
            return try resolver.shorthand(name, field: "lora")
        }
        guard let list else { return [] }
        guard case .array(let entries) = list else {
            throw fields.wrongType("loras", expected: "an array of {\"name\", \"scale\", \"expert\"} objects", got: list)
        }
        guard entries.count <= SpecLimits.maxLoRAs else {
            throw SpecError(field: "loras", reason: "\(entries.count) LoRAs listed; at most \(SpecLimits.maxLoRAs) are allowed")
        }
        var resolved: [ResolvedLoRA] = []
        for (index, entry) in entries.enumerated() {
            let path = "loras[\(index)]"
            guard let members = entry.objectValue else {
                throw SpecError(
                    field: path,
                    reason: "expected an object like {\"name\": \"style.safetensors\"}, got \(entry.excerpt()) (\(entry.typeName))")
            }
            let lora = try parseEntry(SpecFields(members: members, path: path), model: model, resolver: resolver)
            if let clash = resolved.firstIndex(where: { $0.info.name == lora.info.name && overlap($0.expert, lora.expert) }) {
                throw SpecError(
                    field: "\(path).name",
                    reason: "\(quoted(lora.info.name)) is already listed at loras[\(clash)] for the same expert")
            }
            resolved.append(lora)
        }
        return resolved
    }

    private static func parseEntry(_ fields: SpecFields, model: WanModel, resolver: LoRAResolver) throws(SpecError) -> ResolvedLoRA {
        try fields.rejectUnknown(allowed: loraFields, hints: loraHints)
        _ = try fields.require("name", "the LoRA's file name")
        guard let name = try fields.string("name", maxLength: 255), !name.isEmpty else {
            throw SpecError(field: fields.field("name"), reason: "\"\" is not a LoRA name")
        }
        let scale = try fields.number("scale", in: SpecLimits.loraScale) ?? 1.0
        let expertName = try fields.choice("expert", LoRAExpert.allCases.map(\.rawValue), what: "expert")
        if let expertName, !model.isMoE {
            throw SpecError(
                field: fields.field("expert"),
                reason: "\(quoted(expertName)) cannot be chosen: \(model.rawValue) has a single expert (omit \"expert\")")
        }
        let pinned = try fields.string("sha256", maxLength: 64)
        let lora = try resolver.entry(
            name: name, scale: scale, expert: expertName.flatMap(LoRAExpert.init(rawValue:)), field: fields.field("name"))
        if let pinned, pinned.lowercased() != lora.info.sha256.lowercased() {
            throw SpecError(
                field: fields.field("sha256"),
                reason: "\(quoted(pinned)) does not match \(quoted(lora.info.name)) in the workspace (sha256 \(lora.info.sha256))")
        }
        return lora
    }

    private static func overlap(_ first: LoRAExpert, _ second: LoRAExpert) -> Bool {
        first == .both || second == .both || first == second
    }
}

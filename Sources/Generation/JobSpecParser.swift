import JSON
/// Parses and validates job specs (version 1) and describes them as a JSON Schema.
///
/// Fields (see ``SpecLimits`` for the bounds): `version` (optional, must be 1), `model`
/// (required: `t2v-A14B`, `i2v-A14B`, `ti2v-5B`, any case), `prompt` (required, not blank),
/// `negative_prompt`, `loras` (entries `{name, scale?, expert?, sha256?}`) or `lora` (shorthand;
/// not both), `resolution` (`480p`/`720p`) and/or `width` + `height` (when both are given they
/// must agree), `frames`, `fps`, `steps`, `guidance_scale`, `guidance_scale_2` (A14B low-noise
/// expert; refused for `ti2v-5B`), `shift`, `seed`, `image` (an https URL: required for
/// `i2v-A14B`, optional for `ti2v-5B`, refused for `t2v-A14B`), `interpolate`.
/// A `null` member counts as omitted; omitted parameters take the model's defaults (``WanModel``).
/// A key given twice in one object is refused, naming it and its line and column.
/// The first problem found is thrown, checking fields in the order above.
public enum JobSpecParser {
    static let topLevelFields = [
        "version", "model", "prompt", "negative_prompt", "lora", "loras", "resolution", "width", "height",
        "frames", "fps", "steps", "guidance_scale", "guidance_scale_2", "shift", "seed", "image", "interpolate",
    ]
    static let loraFields = ["name", "scale", "expert", "sha256"]
    static let topLevelHints = [
        "num_frames": "frames", "frames_per_second": "fps", "num_inference_steps": "steps",
        "image_url": "image", "negative": "negative_prompt", "cfg": "guidance_scale", "guidance": "guidance_scale",
        "sample_shift": "shift", "size": "width", "aspect_ratio": "width", "lora_name": "lora", "spec_version": "version",
    ]
    static let loraHints = [
        "weight": "scale", "strength": "scale", "lora_scale": "scale", "transformer": "expert",
        "path": "name", "url": "name", "file": "name",
    ]

    /// How specs are read: a repeated key is refused (see ``parse(_:workspace:)``); a byte-order
    /// mark is skipped, as some editors write one.
    static let specOptions = JSONParser.Options(duplicateKeys: .refuse, allowsByteOrderMark: true)

    /// Parses and validates spec version 1 strictly against the workspace's LoRAs.
    public static func parse(_ bytes: [UInt8], workspace: [LoRAInfo]) throws(SpecError) -> JobSpec {
        guard bytes.count <= SpecLimits.maxDocumentBytes else {
            throw SpecError(field: "", reason: "the spec is \(bytes.count) bytes; at most \(SpecLimits.maxDocumentBytes) are read")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes, options: specOptions)
        } catch {
            if let key = error.repeatedKey {
                // Refused rather than last-wins: with two "steps" the writer meant one of them,
                // and silently picking the last would run a job the user did not ask for.
                let field = JSONPathComponent.render(error.path + [.key(key)])
                throw SpecError(field: field, reason: "\(error); give each field once")
            }
            throw SpecError(field: "", reason: "not valid JSON: \(error)")
        }
        guard let members = document.objectValue else {
            throw SpecError(field: "", reason: "the spec must be a JSON object, got \(document.excerpt()) (\(document.typeName))")
        }
        let fields = SpecFields(members: members, path: "")
        try fields.rejectUnknown(allowed: topLevelFields, hints: topLevelHints)
        if fields.value("version") != nil {
            let version = try fields.integer("version", in: Int.min...Int.max)
            guard version == JobSpec.version else {
                throw SpecError(field: "version", reason: "unsupported version \(version!) (this lorafs reads version \(JobSpec.version))")
            }
        }
        _ = try fields.require("model", "the model (\(modelNames))")
        let modelName = try fields.choice("model", WanModel.allCases.map(\.rawValue), what: "model")!
        let model = WanModel(rawValue: modelName)!

        let prompt = try fields.string("prompt", maxLength: SpecLimits.maxPromptLength)
        guard let prompt else { throw SpecError(field: "prompt", reason: "missing: a prompt is required") }
        guard prompt.contains(where: { !$0.isWhitespace }) else {
            throw SpecError(field: "prompt", reason: "\(quoted(prompt)) is blank; describe the video")
        }
        let negative = try fields.string("negative_prompt", maxLength: SpecLimits.maxPromptLength)
        let loras = try parseLoRAs(fields, model: model, workspace: workspace)
        let size = try parseSize(fields, model: model)

        let frames = try fields.integer("frames", in: SpecLimits.frames) ?? model.defaultFrames
        guard (frames - 1) % 4 == 0 else {
            let below = frames - (frames - 1) % 4
            throw SpecError(field: "frames", reason: "\(frames) is not 4n+1 (try \(below) or \(below + 4))")
        }
        let fps = try fields.integer("fps", in: SpecLimits.fps) ?? model.defaultFPS
        let steps = try fields.integer("steps", in: SpecLimits.steps) ?? model.defaultSteps
        let guidance = try fields.number("guidance_scale", in: SpecLimits.guidanceScale) ?? model.defaultGuidanceScale
        var guidance2 = model.defaultGuidanceScale2
        if let value = fields.value("guidance_scale_2") {
            guard model.isMoE else {
                throw SpecError(
                    field: "guidance_scale_2",
                    reason: "\(value.excerpt()) is for the A14B low-noise expert; \(model.rawValue) has a single expert (use guidance_scale)")
            }
            guidance2 = try fields.number("guidance_scale_2", in: SpecLimits.guidanceScale)
        }
        let shift = try fields.number("shift", in: SpecLimits.shift) ?? model.defaultShift
        let seed = try fields.integer("seed", in: SpecLimits.seed)
        let image = try parseImage(fields, model: model)
        let interpolate = try fields.bool("interpolate") ?? false

        return JobSpec(
            model: model, prompt: prompt, negativePrompt: negative?.isEmpty == false ? negative : nil, loras: loras,
            width: size.width, height: size.height, resolution: size.resolution, frames: frames, fps: fps, steps: steps,
            guidanceScale: guidance, guidanceScale2: guidance2, shift: shift, seed: seed, image: image,
            interpolate: interpolate)
    }

    static var modelNames: String { WanModel.allCases.map(\.rawValue).joined(separator: ", ") }

    /// `resolution` and/or `width` + `height`, checked against the model's size rules.
    static func parseSize(_ fields: SpecFields, model: WanModel) throws(SpecError) -> (width: Int, height: Int, resolution: String?) {
        let resolution = try fields.choice("resolution", WanModel.resolutions, what: "resolution")
        let width = try fields.integer("width", in: SpecLimits.side)
        let height = try fields.integer("height", in: SpecLimits.side)
        for (key, value) in [("width", width), ("height", height)] {
            if let value, value % model.sizeMultiple != 0 {
                throw SpecError(field: key, reason: "\(value) is not a multiple of \(model.sizeMultiple), as \(model.rawValue) needs")
            }
        }
        if width != nil, height == nil { throw SpecError(field: "height", reason: "missing: \"width\" needs \"height\" too") }
        if height != nil, width == nil { throw SpecError(field: "width", reason: "missing: \"height\" needs \"width\" too") }
        guard let width, let height else {
            let name = resolution ?? WanModel.defaultResolution
            let size = model.size(forResolution: name)!
            return (size.width, size.height, name)
        }
        if let resolution {
            let size = model.size(forResolution: resolution)!
            guard (width, height) == (size.width, size.height) || (width, height) == (size.height, size.width) else {
                throw SpecError(
                    field: "resolution",
                    reason: "\(quoted(resolution)) is \(size.width)x\(size.height) or \(size.height)x\(size.width) for \(model.rawValue), "
                        + "not \(width)x\(height); give either resolution or width/height")
            }
        }
        return (width, height, resolution)
    }

    /// `image`: an https URL, per the model's requirement.
    static func parseImage(_ fields: SpecFields, model: WanModel) throws(SpecError) -> String? {
        let image = try fields.string("image", maxLength: SpecLimits.maxImageURLLength)
        switch (model.imageRequirement, image) {
        case (.refused, let image?):
            throw SpecError(
                field: "image",
                reason: "\(JSONValue.string(image).excerpt()) given, but \(model.rawValue) is text-to-video; use i2v-A14B or ti2v-5B")
        case (.required, nil):
            throw SpecError(field: "image", reason: "missing: \(model.rawValue) needs an image (an https URL)")
        case (_, let image?):
            guard isHTTPSURL(image) else {
                throw SpecError(field: "image", reason: "\(JSONValue.string(image).excerpt()) is not an https:// URL")
            }
            return image
        case (_, nil):
            return nil
        }
    }

    /// `https://HOST...` with a non-empty host and no whitespace or control characters.
    static func isHTTPSURL(_ text: String) -> Bool {
        guard text.lowercased().hasPrefix("https://") else { return false }
        guard !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else { return false }
        let host = text.dropFirst("https://".count).prefix { !"/?#".contains($0) }
        return !host.isEmpty && !host.hasPrefix("@") && !host.hasPrefix(":")
    }
}

import JSON
/// A spec as accepted: every default applied, every LoRA resolved.
///
/// Built by ``JobSpecParser/parse(_:workspace:)``; ``acceptedJSON()`` is what `jobs/NAME/spec.json`
/// shows, and is itself a valid spec (it parses back to an equal `JobSpec` while the workspace
/// still holds the same LoRAs, pinned by their `sha256`).
public struct JobSpec: Sendable, Equatable {
    /// The spec format version this type describes.
    public static let version = 1

    /// The model variant.
    public var model: WanModel
    /// The text prompt.
    public var prompt: String
    /// What the video should avoid; `nil` when not given (or empty).
    public var negativePrompt: String?
    /// The LoRAs in the order given (a shorthand pair: high, then low). Empty for plain WAN 2.2.
    public var loras: [ResolvedLoRA]
    /// Output width in pixels. For `i2v-A14B` (and `ti2v-5B` with an image) width x height is the
    /// target area and the image decides the aspect ratio.
    public var width: Int
    /// Output height in pixels.
    public var height: Int
    /// `480p`/`720p` when the size was given (or defaulted) that way; `nil` for an explicit width/height.
    public var resolution: String?
    /// Number of frames, 4n+1.
    public var frames: Int
    /// Frames per second.
    public var fps: Int
    /// Sampling steps.
    public var steps: Int
    /// Classifier-free guidance (of the high-noise expert for the A14B models).
    public var guidanceScale: Double
    /// Guidance of the A14B low-noise expert; `nil` for `ti2v-5B`.
    public var guidanceScale2: Double?
    /// Sample shift.
    public var shift: Double
    /// Random seed; `nil` lets the backend choose.
    public var seed: Int?
    /// HTTPS URL of the conditioning image (`i2v-A14B`, optionally `ti2v-5B`).
    public var image: String?
    /// Whether the backend should interpolate frames (default false: the model's native fps).
    public var interpolate: Bool

    /// Creates a spec; values are taken as given (validation is the parser's job).
    public init(
        model: WanModel, prompt: String, negativePrompt: String? = nil, loras: [ResolvedLoRA] = [],
        width: Int, height: Int, resolution: String? = nil, frames: Int, fps: Int, steps: Int,
        guidanceScale: Double, guidanceScale2: Double? = nil, shift: Double, seed: Int? = nil,
        image: String? = nil, interpolate: Bool = false
    ) {
        self.model = model
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.loras = loras
        self.width = width
        self.height = height
        self.resolution = resolution
        self.frames = frames
        self.fps = fps
        self.steps = steps
        self.guidanceScale = guidanceScale
        self.guidanceScale2 = guidanceScale2
        self.shift = shift
        self.seed = seed
        self.image = image
        self.interpolate = interpolate
    }

    /// The parameters shared by ``acceptedJSON()`` and the RunPod input, with the spec's field names
    /// (`model`, `prompt`, `negative_prompt`, `width`, `height`, `resolution`, `frames`, `fps`,
    /// `steps`, `guidance_scale`, `guidance_scale_2`, `shift`, `seed`, `image`, `interpolate`);
    /// optional ones only when set. LoRAs are not included.
    public func parameterMembers() -> [String: JSONValue] {
        var members: [String: JSONValue] = [
            "model": .string(model.rawValue),
            "prompt": .string(prompt),
            "width": .int(width),
            "height": .int(height),
            "frames": .int(frames),
            "fps": .int(fps),
            "steps": .int(steps),
            "guidance_scale": .double(guidanceScale),
            "shift": .double(shift),
            "interpolate": .bool(interpolate),
        ]
        if let negativePrompt { members["negative_prompt"] = .string(negativePrompt) }
        if let resolution { members["resolution"] = .string(resolution) }
        if let guidanceScale2 { members["guidance_scale_2"] = .double(guidanceScale2) }
        if let seed { members["seed"] = .int(seed) }
        if let image { members["image"] = .string(image) }
        return members
    }

    /// The spec as accepted, as a JSON value (see ``acceptedJSON()``).
    public func acceptedValue() -> JSONValue {
        var members = parameterMembers()
        members["version"] = .int(Self.version)
        members["loras"] = .array(
            loras.map { lora in
                var entry: [String: JSONValue] = [
                    "name": .string(lora.info.name),
                    "scale": .double(lora.scale),
                    "sha256": .string(lora.info.sha256),
                ]
                if model.isMoE { entry["expert"] = .string(lora.expert.rawValue) }
                return .object(entry)
            })
        return .object(members)
    }

    /// The spec as accepted, as JSON (for `jobs/NAME/spec.json`): normalized, defaults filled in,
    /// LoRAs as `{name, scale, expert, sha256}` (no `expert` for `ti2v-5B`, whose single expert
    /// takes every LoRA). Pretty-printed with sorted keys.
    public func acceptedJSON() -> [UInt8] {
        JSONWriter.encode(acceptedValue(), pretty: true)
    }
}

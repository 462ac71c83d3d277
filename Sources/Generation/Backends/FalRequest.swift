import JSON
/// The input sent to fal's WAN 2.2 LoRA endpoints (`fal-ai/wan/v2.2-a14b/text-to-video/lora`,
/// `.../image-to-video/lora` and the 5B endpoints) through its queue API.
public enum FalRequest {
    /// fal's documented range for `num_inference_steps`; the spec's steps are clamped into it
    /// (the `ti2v-5B` default of 50 is sent as 40).
    public static let stepsRange = 2...40
    /// fal's range for `shift`; the spec's shift is clamped into it (the `t2v-A14B` default 12 is sent as 10).
    public static let shiftRange = 1.0...10.0

    /// fal's documented input for fal-ai/wan/v2.2-a14b/{text-to-video,image-to-video}/lora (and the
    /// 5B endpoints), as compact JSON:
    /// `prompt`, `negative_prompt`, `num_frames`, `frames_per_second`, `resolution`, `aspect_ratio`,
    /// `num_inference_steps`, `guidance_scale`, `guidance_scale_2` (A14B), `shift`, `seed`, `image_url`,
    /// `loras: [{path, scale, transformer}]` (`transformer` always set: `high`, `low` or `both`) and
    /// `interpolator_model` (`"none"`, or `"film"` when the spec asks to interpolate).
    ///
    /// `resolution` is the spec's `480p`/`720p`, or for an explicit size the nearest of fal's
    /// 480p/580p/720p by the short side. `aspect_ratio` is `auto` when an image is given with a named
    /// resolution (the image decides), else 16:9, 9:16 or 1:1 from width/height.
    public static func body(for spec: JobSpec, loras: [PresignedLoRA]) -> [UInt8] {
        JSONWriter.encode(input(for: spec, loras: loras), pretty: false)
    }

    /// The input of ``body(for:loras:)`` as a JSON value.
    public static func input(for spec: JobSpec, loras: [PresignedLoRA]) -> JSONValue {
        var input: [String: JSONValue] = [
            "prompt": .string(spec.prompt),
            "num_frames": .int(spec.frames),
            "frames_per_second": .int(spec.fps),
            "resolution": .string(resolution(for: spec)),
            "aspect_ratio": .string(aspectRatio(for: spec)),
            "num_inference_steps": .int(min(max(spec.steps, stepsRange.lowerBound), stepsRange.upperBound)),
            "guidance_scale": .double(spec.guidanceScale),
            "shift": .double(min(max(spec.shift, shiftRange.lowerBound), shiftRange.upperBound)),
            "interpolator_model": .string(spec.interpolate ? "film" : "none"),
            "loras": .array(
                loras.map { lora in
                    ["path": .string(lora.url), "scale": .double(lora.scale), "transformer": .string(lora.expert.rawValue)]
                }),
        ]
        if let negative = spec.negativePrompt { input["negative_prompt"] = .string(negative) }
        if let guidance2 = spec.guidanceScale2 { input["guidance_scale_2"] = .double(guidance2) }
        if let seed = spec.seed { input["seed"] = .int(seed) }
        if let image = spec.image { input["image_url"] = .string(image) }
        return .object(input)
    }

    /// `480p`, `580p` or `720p`.
    static func resolution(for spec: JobSpec) -> String {
        if let resolution = spec.resolution { return resolution }
        let shortSide = min(spec.width, spec.height)
        if shortSide <= 528 { return "480p" }
        if shortSide <= 648 { return "580p" }
        return "720p"
    }

    /// `auto`, `16:9`, `9:16` or `1:1`.
    static func aspectRatio(for spec: JobSpec) -> String {
        if spec.image != nil, spec.resolution != nil { return "auto" }
        let ratio = Double(spec.width) / Double(spec.height)
        if ratio >= 4.0 / 3.0 { return "16:9" }
        if ratio <= 3.0 / 4.0 { return "9:16" }
        return "1:1"
    }
}

import JSON
/// The `POST /run` body sent to a RunPod serverless endpoint (and to `scripts/local-worker`).
///
/// ## The input a worker receives
/// ```json
/// {"input": {
///    "version": 1,
///    "model": "t2v-A14B",            // t2v-A14B | i2v-A14B | ti2v-5B
///    "prompt": "...", "negative_prompt": "...",          // negative_prompt only when given
///    "width": 1280, "height": 720, "resolution": "720p",  // resolution only when named
///    "frames": 81, "fps": 16, "steps": 40,
///    "guidance_scale": 4.0, "guidance_scale_2": 3.0,      // guidance_scale_2: A14B low-noise expert
///    "shift": 12.0, "seed": 42, "image": "https://...",   // seed, image only when given
///    "interpolate": false,
///    "loras": [{"name": "boat_high_noise.safetensors", "url": "https://...presigned...",
///               "s3_uri": "s3://bucket/key.safetensors", "sha256": "…", "size": 307000000,
///               "scale": 0.8, "expert": "high"}]         // expert: high | low | both
///  },
///  "policy": {"executionTimeout": 3600000}}
/// ```
/// A worker should download each LoRA from `url` (it expires; `--presign-expiry`), check `size`
/// and `sha256`, apply it with `scale` to the `expert` transformer(s), and return the video as
/// `output.video_url`, `output.video.url`, `output.url` or base64 in `output.video` (see ``RunPodResponse``).
public enum RunPodRequest {
    /// A default `policy.executionTimeout`: one hour (RunPod's own default of 10 minutes is too
    /// short for 720p A14B).
    public static let defaultExecutionTimeoutMs = 3_600_000

    /// The `/run` body as compact JSON: the accepted spec's parameters plus `version` and `loras`
    /// under `input`, and `policy.executionTimeout` in milliseconds.
    public static func body(for spec: JobSpec, loras: [PresignedLoRA], executionTimeoutMs: Int) -> [UInt8] {
        var input = spec.parameterMembers()
        input["version"] = .int(JobSpec.version)
        input["loras"] = .array(
            loras.map { lora in
                [
                    "name": .string(lora.name), "url": .string(lora.url), "s3_uri": .string(lora.s3URI),
                    "sha256": .string(lora.sha256), "size": .int(Int(clamping: lora.size)),
                    "scale": .double(lora.scale), "expert": .string(lora.expert.rawValue),
                ]
            })
        let body: JSONValue = [
            "input": .object(input),
            "policy": ["executionTimeout": .int(executionTimeoutMs)],
        ]
        return JSONWriter.encode(body, pretty: false)
    }
}

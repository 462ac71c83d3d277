/// The bounds a version-1 spec is validated against (shared by the parser and the JSON Schema).
///
/// Choices, where WAN-NOTES leaves room:
/// - frames 17...161 and 4n+1 (fal's range; the official 81 and 121 inside it);
/// - fps 4...60 (fal's range); steps 1...100; guidance 0...20; shift 1...20;
/// - LoRA scale 0...4 (fal's range), at most 16 LoRAs;
/// - width and height 256...1920 each, multiples of 16 (A14B: VAE stride 8 x patch 2) or
///   32 (`ti2v-5B`: VAE stride 16 x patch 2);
/// - seed 0...4294967295 (an unsigned 32-bit seed, which every WAN stack accepts);
/// - prompt and negative prompt at most 2000 characters; image URL at most 4096 characters;
/// - a spec document at most 1 MiB.
public enum SpecLimits {
    /// Frame count range (values must also be 4n+1).
    public static let frames = 17...161
    /// Frames-per-second range.
    public static let fps = 4...60
    /// Sampling-steps range.
    public static let steps = 1...100
    /// Guidance range (both experts).
    public static let guidanceScale = 0.0...20.0
    /// Sample-shift range.
    public static let shift = 1.0...20.0
    /// LoRA strength range.
    public static let loraScale = 0.0...4.0
    /// The most LoRAs a spec may list.
    public static let maxLoRAs = 16
    /// Width and height range.
    public static let side = 256...1920
    /// Seed range.
    public static let seed = 0...4_294_967_295
    /// Longest prompt / negative prompt, in characters.
    public static let maxPromptLength = 2000
    /// Longest image URL, in characters.
    public static let maxImageURLLength = 4096
    /// Longest spec document, in bytes.
    public static let maxDocumentBytes = 1 << 20
}

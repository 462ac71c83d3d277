/// Tensor-name conventions of LoRA files, as written by the tools WAN users train with.
///
/// | convention | example key |
/// |---|---|
/// | kohya / ComfyUI | `diffusion_model.blocks.0.self_attn.q.lora_down.weight`, `...lora_up.weight`, `...alpha` |
/// | PEFT / diffusers | `transformer.blocks.0.attn1.to_q.lora_A.weight`, `...lora_B.weight` (also `lora_A.default`) |
/// | old diffusers attention processors | `...to_q_lora.down.weight`, `...to_q_lora.up.weight` |
/// | musubi-tuner | `lora_unet_blocks_0_self_attn_q.lora_down.weight` |
/// | LyCORIS LoHa / LoKr / LoCon | `...hada_w1_a`, `...lokr_w1`, `...lora_mid.weight` |
public enum LoRAKeyConventions {
    /// Substrings that mark a tensor as a LoRA weight.
    public static let markers = [
        "lora_up", "lora_down", "lora_A", "lora_B", "lora.up", "lora.down", "lora_mid",
        "hada_w1_a", "hada_w1_b", "hada_w2_a", "hada_w2_b", "lokr_w1", "lokr_w2",
    ]
    /// Key prefixes of kohya-style flattened names (musubi-tuner writes `lora_unet_...`).
    public static let prefixes = ["lora_unet_", "lora_te_", "lora_te1_", "lora_te2_"]

    /// Markers of the "down" (A) half of a LoRA pair, whose first dimension is the rank.
    static let downMarkers = ["lora_down", "lora_A", "lora.down"]
    /// Markers of either half of a LoRA pair.
    static let pairMarkers = ["lora_up", "lora_down", "lora_A", "lora_B", "lora.up", "lora.down"]

    /// True when `name` follows one of the LoRA conventions above.
    public static func isLoRATensor(_ name: String) -> Bool {
        prefixes.contains { name.hasPrefix($0) } || markers.contains { name.contains($0) }
    }

    /// True for the down/A weight of a LoRA pair.
    static func isDownWeight(_ name: String) -> Bool {
        downMarkers.contains { name.contains($0) }
    }

    /// The module path of a LoRA up/down (A/B) weight (the part before the marker),
    /// or nil when `name` is not one.
    static func modulePath(_ name: String) -> Substring? {
        for marker in pairMarkers {
            guard let range = name.firstRange(of: marker) else { continue }
            var path = name[..<range.lowerBound]
            while let last = path.last, last == "." || last == "_" { path = path.dropLast() }
            return path
        }
        return nil
    }

    /// True when a module path names an attention q/k/v/o projection, in any convention:
    /// `self_attn.q`, `cross_attn.k_img`, `attn1.to_q`, `attn1.to_out.0`, `self_attn_o`...
    static func isAttentionProjection(_ path: Substring) -> Bool {
        guard path.contains("attn") else { return false }
        var tokens = path.split(whereSeparator: { $0 == "." || $0 == "_" })
        if let last = tokens.last, last.allSatisfy(\.isNumber) { tokens.removeLast() }
        guard let last = tokens.last else { return false }
        return ["q", "k", "v", "o", "out", "img"].contains(String(last))
    }
}

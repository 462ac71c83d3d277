/// What a safetensors LoRA header says about the model it was trained for.
public struct LoRASummary: Sendable, Equatable {
    /// The LoRA rank: the first dimension of a down (A) weight.
    public let rank: Int?
    /// The model width: the largest dimension among the LoRA up/down (A/B) weights of attention
    /// q/k/v/o layers. 5120 means WAN A14B (or Wan 2.1 14B), 3072 TI2V-5B, 1536 Wan 2.1 1.3B.
    public let hiddenSize: Int?
    /// True when any key mentions `k_img` or `v_img` (a Wan 2.1 I2V LoRA, which does not load on 2.2).
    public let hasImageCrossAttention: Bool
    /// `modelspec.timestep_range`, e.g. `875,1000` for a high-noise expert LoRA.
    public let timestepRange: String?
    /// `modelspec.trigger_phrase`.
    public let triggerPhrase: String?
    /// `ss_base_model_version`, else `modelspec.architecture` (weak signals: musubi writes
    /// `wan` / `wan2.1/lora` even for WAN 2.2 LoRAs).
    public let baseModel: String?
    /// The number of tensors in the file.
    public let tensorCount: Int

    /// The model family suggested by ``hiddenSize`` (``WanFamily/candidates``), or nil when unknown.
    public var modelFamilyHint: String? { hiddenSize.flatMap(WanFamily.init(hiddenSize:))?.candidates }

    /// Builds the summary from tensor entries and metadata.
    public init(tensors: [SafetensorsHeader.TensorEntry], metadata: [String: String]) {
        var rank: Int?
        var hidden: UInt64?
        var image = false
        for t in tensors {
            if t.name.contains("k_img") || t.name.contains("v_img") { image = true }
            guard t.shape.count >= 2, let path = LoRAKeyConventions.modulePath(t.name) else { continue }
            if rank == nil, LoRAKeyConventions.isDownWeight(t.name), t.shape[0] <= UInt64(Int.max) {
                rank = Int(t.shape[0])
            }
            if LoRAKeyConventions.isAttentionProjection(path), let widest = t.shape.max() {
                hidden = max(hidden ?? 0, widest)
            }
        }
        self.rank = rank
        self.hiddenSize = hidden.flatMap { $0 <= UInt64(Int.max) ? Int($0) : nil }
        self.hasImageCrossAttention = image
        self.timestepRange = metadata["modelspec.timestep_range"]
        self.triggerPhrase = metadata["modelspec.trigger_phrase"]
        self.baseModel = metadata["ss_base_model_version"] ?? metadata["modelspec.architecture"]
        self.tensorCount = tensors.count
    }
}

extension SafetensorsHeader {
    /// A summary of the LoRA for generation: rank, model width, image cross-attention,
    /// and the ModelSpec / kohya metadata that identify its target.
    public var loraSummary: LoRASummary {
        LoRASummary(tensors: tensors, metadata: metadata)
    }
}

/// One stored LoRA: the row that makes a file appear in the mount.
///
/// The object key never contains the name (names change with `mv`, keys do not),
/// so a rename is a catalog update and never an S3 copy.
public struct LoRARecord: Codable, Sendable, Equatable {
    /// The file name in the mount, e.g. `boat-style.safetensors`.
    public var name: String
    /// The S3 key of the object holding the bytes.
    public var objectKey: String
    /// The object's size in bytes (the file's size in the mount).
    public var size: Int64
    /// Lowercase hex SHA-256 of the content.
    public var sha256: String
    /// Upload time, seconds since 1970 (the file's mtime in the mount).
    public var uploadedAt: Double
    /// `safetensors` or `ckpt`.
    public var kind: String
    /// What the safetensors header says about the LoRA (nil for `.ckpt` and unknowns).
    public var rank: Int?
    /// The model width its tensors target: 5120 (WAN A14B), 3072 (TI2V-5B), 1536 (Wan 2.1 1.3B).
    public var hiddenSize: Int?
    /// `k_img` / `v_img` keys: a Wan 2.1 I2V LoRA.
    public var hasImageCrossAttention: Bool
    /// `modelspec.timestep_range`, which tells a high-noise from a low-noise LoRA.
    public var timestepRange: String?
    /// `modelspec.trigger_phrase`: the words the LoRA was trained to respond to.
    public var triggerPhrase: String?
    /// `ss_base_model_version` (else `modelspec.architecture`): the model the LoRA was trained on.
    public var baseModel: String?

    /// A LoRA row; the header summary defaults to unknown because `.ckpt` files have none.
    public init(name: String, objectKey: String, size: Int64, sha256: String, uploadedAt: Double, kind: String,
                rank: Int? = nil, hiddenSize: Int? = nil, hasImageCrossAttention: Bool = false,
                timestepRange: String? = nil, triggerPhrase: String? = nil, baseModel: String? = nil) {
        self.name = name
        self.objectKey = objectKey
        self.size = size
        self.sha256 = sha256
        self.uploadedAt = uploadedAt
        self.kind = kind
        self.rank = rank
        self.hiddenSize = hiddenSize
        self.hasImageCrossAttention = hasImageCrossAttention
        self.timestepRange = timestepRange
        self.triggerPhrase = triggerPhrase
        self.baseModel = baseModel
    }

    /// The column names of the `loras` table (snake case, shared by every engine).
    enum CodingKeys: String, CodingKey {
        case name
        case objectKey = "object_key"
        case size
        case sha256
        case uploadedAt = "uploaded_at"
        case kind
        case rank
        case hiddenSize = "hidden_size"
        case hasImageCrossAttention = "has_image_cross_attention"
        case timestepRange = "timestep_range"
        case triggerPhrase = "trigger_phrase"
        case baseModel = "base_model"
    }
}

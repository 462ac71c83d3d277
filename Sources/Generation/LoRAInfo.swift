import JSON
import LoRAFormats

/// What the catalog knows about a stored LoRA (filled from its safetensors header at upload time).
public struct LoRAInfo: Sendable, Equatable {
    /// The file name in the workspace, e.g. `boat-style_high_noise.safetensors`.
    public var name: String
    /// The S3 object key holding the bytes.
    public var objectKey: String
    /// Size in bytes.
    public var size: UInt64
    /// SHA-256 of the content, lowercase hex.
    public var sha256: String
    /// Transformer hidden size the tensors target: 5120 (A14B), 3072 (TI2V-5B), 1536 (Wan 2.1 1.3B);
    /// `nil` when unknown (e.g. a `.ckpt`).
    public var hiddenSize: Int?
    /// Whether the LoRA has `k_img`/`v_img` keys, i.e. it is a Wan 2.1 I2V LoRA.
    public var hasImageCrossAttention: Bool
    /// `modelspec.timestep_range` from the metadata, e.g. `875,1000`.
    public var timestepRange: String?

    /// Creates a description of a stored LoRA.
    public init(
        name: String, objectKey: String, size: UInt64, sha256: String, hiddenSize: Int? = nil,
        hasImageCrossAttention: Bool = false, timestepRange: String? = nil
    ) {
        self.name = name
        self.objectKey = objectKey
        self.size = size
        self.sha256 = sha256
        self.hiddenSize = hiddenSize
        self.hasImageCrossAttention = hasImageCrossAttention
        self.timestepRange = timestepRange
    }

    /// The model family a hidden size belongs to, for messages: 5120 → "Wan 2.2 A14B",
    /// 3072 → "Wan 2.2 TI2V-5B", 1536 → "Wan 2.1 1.3B", else "not a Wan model".
    public static func familyName(hiddenSize: Int) -> String {
        WanFamily(hiddenSize: hiddenSize)?.name ?? "not a Wan model"
    }

    /// Why this LoRA cannot load on `model`, or `nil` when it can (or when its shapes are unknown).
    ///
    /// The reason names both sides, e.g. `"x.safetensors" targets hidden size 3072 (Wan 2.2 TI2V-5B)
    /// but t2v-A14B needs 5120 (Wan 2.2 A14B)`.
    public func incompatibility(with model: WanModel) -> String? {
        if hasImageCrossAttention {
            return "\(quoted(name)) is a Wan 2.1 I2V LoRA (k_img/v_img keys), which does not load on Wan 2.2 \(model.rawValue)"
        }
        if let hiddenSize, hiddenSize != model.hiddenSize {
            return "\(quoted(name)) targets hidden size \(hiddenSize) (\(Self.familyName(hiddenSize: hiddenSize))) "
                + "but \(model.rawValue) needs \(model.hiddenSize) (\(model.familyName))"
        }
        return nil
    }
}

/// A LoRA of an accepted spec: what it is, how strongly and on which expert it is applied.
public struct ResolvedLoRA: Sendable, Equatable {
    /// The stored LoRA.
    public var info: LoRAInfo
    /// The LoRA strength, 0...4.
    public var scale: Double
    /// The expert it is applied to (always `both` for `ti2v-5B`).
    public var expert: LoRAExpert

    /// Creates a resolved LoRA.
    public init(info: LoRAInfo, scale: Double, expert: LoRAExpert) {
        self.info = info
        self.scale = scale
        self.expert = expert
    }
}

/// `"text"` with JSON-style escaping of quotes and backslashes, for messages.
func quoted(_ text: String) -> String {
    String(decoding: JSONWriter.encode(.string(text), pretty: false), as: UTF8.self)
}

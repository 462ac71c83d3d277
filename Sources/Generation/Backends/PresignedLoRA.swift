/// A LoRA as sent to a backend: the presigned URL is made by the caller.
public struct PresignedLoRA: Sendable, Equatable {
    /// The file name in the workspace.
    public var name: String
    /// A presigned HTTPS GET URL for the object.
    public var url: String
    /// `s3://bucket/key`.
    public var s3URI: String
    /// SHA-256 of the content, lowercase hex.
    public var sha256: String
    /// Size in bytes.
    public var size: UInt64
    /// The LoRA strength.
    public var scale: Double
    /// The expert it applies to.
    public var expert: LoRAExpert

    /// Creates a LoRA reference from its parts.
    public init(name: String, url: String, s3URI: String, sha256: String, size: UInt64, scale: Double, expert: LoRAExpert) {
        self.name = name
        self.url = url
        self.s3URI = s3URI
        self.sha256 = sha256
        self.size = size
        self.scale = scale
        self.expert = expert
    }

    /// A resolved LoRA with the URL and S3 URI made for it.
    public init(_ lora: ResolvedLoRA, url: String, s3URI: String) {
        self.init(
            name: lora.info.name, url: url, s3URI: s3URI, sha256: lora.info.sha256, size: lora.info.size,
            scale: lora.scale, expert: lora.expert)
    }
}

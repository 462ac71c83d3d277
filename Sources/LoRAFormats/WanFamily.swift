/// The Wan model families, told apart by the transformer hidden size a LoRA's
/// attention weights have: the one table behind every family name in messages.
public enum WanFamily: Int, Sendable, CaseIterable {
    /// 5120: Wan 2.2 A14B (both experts); Wan 2.1 14B has the same width.
    case a14B = 5120
    /// 3072: Wan 2.2 TI2V-5B.
    case ti2v5B = 3072
    /// 1536: Wan 2.1 1.3B.
    case wan21_1_3B = 1536

    /// The family of `hiddenSize`, or nil when no Wan model has that width.
    public init?(hiddenSize: Int) { self.init(rawValue: hiddenSize) }

    /// The transformer hidden size.
    public var hiddenSize: Int { rawValue }

    /// The family's name in messages, e.g. `Wan 2.2 A14B`.
    public var name: String {
        switch self {
        case .a14B: "Wan 2.2 A14B"
        case .ti2v5B: "Wan 2.2 TI2V-5B"
        case .wan21_1_3B: "Wan 2.1 1.3B"
        }
    }

    /// What a LoRA of this width may target, naming every model of that width
    /// (the width alone cannot tell Wan 2.2 A14B from Wan 2.1 14B).
    public var candidates: String {
        self == .a14B ? "14B (Wan 2.2 A14B or Wan 2.1 14B)" : name
    }
}

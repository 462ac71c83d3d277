/// A WAN 2.2 model variant a job can run on, with its official defaults
/// (the configs in the Wan-Video/Wan2.2 repository).
///
/// | variant | experts | hidden | default size | frames @ fps | steps | guidance (high/low) | shift |
/// |---|---|---|---|---|---|---|---|
/// | `t2v-A14B` | 2 | 5120 | 1280x720 | 81 @ 16 | 40 | 4.0 / 3.0 | 12 |
/// | `i2v-A14B` | 2 | 5120 | 1280x720 | 81 @ 16 | 40 | 3.5 / 3.5 | 5 |
/// | `ti2v-5B` | 1 | 3072 | 1280x704 | 121 @ 24 | 50 | 5.0 | 5 |
public enum WanModel: String, Sendable, CaseIterable, Codable {
    case t2vA14B = "t2v-A14B"
    case i2vA14B = "i2v-A14B"
    case ti2v5B = "ti2v-5B"

    /// Whether the model has two experts (high-noise and low-noise), the A14B models.
    public var isMoE: Bool { self != .ti2v5B }

    /// The transformer's hidden size, which a LoRA's tensor shapes must match.
    public var hiddenSize: Int { self == .ti2v5B ? 3072 : 5120 }

    /// The model family a LoRA for this model targets, as used in messages ("Wan 2.2 A14B").
    public var familyName: String { LoRAInfo.familyName(hiddenSize: hiddenSize) }

    /// Default number of frames (4n+1).
    public var defaultFrames: Int { self == .ti2v5B ? 121 : 81 }

    /// Default frames per second.
    public var defaultFPS: Int { self == .ti2v5B ? 24 : 16 }

    /// Default number of sampling steps.
    public var defaultSteps: Int { self == .ti2v5B ? 50 : 40 }

    /// Default classifier-free guidance; for the A14B models, of the high-noise expert.
    public var defaultGuidanceScale: Double {
        switch self {
        case .t2vA14B: 4.0
        case .i2vA14B: 3.5
        case .ti2v5B: 5.0
        }
    }

    /// Default guidance of the low-noise expert (A14B models); `nil` for the single-expert model.
    public var defaultGuidanceScale2: Double? {
        switch self {
        case .t2vA14B: 3.0
        case .i2vA14B: 3.5
        case .ti2v5B: nil
        }
    }

    /// Default sample shift.
    public var defaultShift: Double { self == .t2vA14B ? 12.0 : 5.0 }

    /// The timestep (of 1000) at and above which the high-noise expert runs: 875 (T2V), 900 (I2V);
    /// `nil` for the single-expert model.
    public var expertBoundary: Int? {
        switch self {
        case .t2vA14B: 875
        case .i2vA14B: 900
        case .ti2v5B: nil
        }
    }

    /// Whether a conditioning image is required (`i2v-A14B`), optional (`ti2v-5B`) or refused (`t2v-A14B`).
    public var imageRequirement: ImageRequirement {
        switch self {
        case .t2vA14B: .refused
        case .i2vA14B: .required
        case .ti2v5B: .optional
        }
    }

    /// Whether a model takes a conditioning image.
    public enum ImageRequirement: Sendable, Equatable {
        case required, optional, refused
    }

    /// Width and height for a named resolution in landscape orientation: `480p` is 832x480,
    /// `720p` is 1280x720 for the A14B models and 1280x704 for `ti2v-5B` (whose sizes are
    /// multiples of 32); `nil` for an unknown name.
    public func size(forResolution resolution: String) -> (width: Int, height: Int)? {
        switch resolution {
        case "480p": (832, 480)
        case "720p": self == .ti2v5B ? (1280, 704) : (1280, 720)
        default: nil
        }
    }

    /// The resolutions ``size(forResolution:)`` knows.
    public static let resolutions = ["480p", "720p"]

    /// The resolution used when a spec names neither `resolution` nor `width`/`height`.
    public static let defaultResolution = "720p"

    /// What width and height must be multiples of: 16 for the A14B models (VAE stride 8, patch 2),
    /// 32 for `ti2v-5B` (VAE stride 16, patch 2).
    public var sizeMultiple: Int { self == .ti2v5B ? 32 : 16 }
}

/// Which A14B expert a LoRA is applied to.
public enum LoRAExpert: String, Sendable, Codable, CaseIterable {
    /// The high-noise expert (early, noisy timesteps: layout and motion).
    case high
    /// The low-noise expert (late timesteps: detail).
    case low
    /// Both experts (and always for the single-expert `ti2v-5B`).
    case both
}

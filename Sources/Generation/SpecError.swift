/// Why a job spec was refused: the field at fault and a human sentence.
public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field at fault as a path: `model`, `frames`, `loras[1].name`, `lora`;
    /// empty for the whole document (bad JSON, not an object).
    public let field: String
    /// A human sentence naming the offending value, e.g.
    /// `"x.safetensors" is not in this workspace (have: a.safetensors, b.safetensors)`.
    public let reason: String

    /// Creates an error for `field`.
    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    /// `FIELD: REASON`, or just the reason for the whole document.
    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}

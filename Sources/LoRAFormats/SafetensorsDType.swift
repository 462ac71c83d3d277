/// The element types a safetensors header may name, as in the reference implementation
/// (`huggingface/safetensors`, `safetensors/src/tensor.rs`, `enum Dtype`).
///
/// Sub-byte types (`F4`, `F6_E2M3`, `F6_E3M2`) are handled like the reference: the tensor's
/// total bit count must be a whole number of bytes, and that byte count must match its offsets.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6E2M3 = "F6_E2M3"
    case f6E3M2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8E5M2 = "F8_E5M2"
    case f8E4M3 = "F8_E4M3"
    case f8E8M0 = "F8_E8M0"
    case f8E4M3FNUZ = "F8_E4M3FNUZ"
    case f8E5M2FNUZ = "F8_E5M2FNUZ"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// The size of one element in bits.
    public var bitSize: UInt64 {
        switch self {
        case .f4: return 4
        case .f6E2M3, .f6E3M2: return 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// The number of bytes `shape` occupies in this type, or a reason why it cannot be stored
    /// (element count overflow, or a sub-byte tensor that does not fill whole bytes).
    func byteCount(of shape: [UInt64]) -> Result<UInt64, ByteCountProblem> {
        var elements: UInt64 = 1
        for dim in shape {
            let product = elements.multipliedReportingOverflow(by: dim)
            if product.overflow { return .failure(.overflow) }
            elements = product.partialValue
        }
        let bits = elements.multipliedReportingOverflow(by: bitSize)
        if bits.overflow { return .failure(.overflow) }
        if bits.partialValue % 8 != 0 { return .failure(.partialByte(bits: bits.partialValue)) }
        return .success(bits.partialValue / 8)
    }

    /// Why ``byteCount(of:)`` failed.
    enum ByteCountProblem: Error {
        case overflow
        case partialByte(bits: UInt64)
    }
}

import Foundation

/// Builds safetensors files in memory: a kohya-style LoRA of F16 tensors.
enum TestLoRA {
    /// A valid LoRA of about `dataBytes` bytes of tensor data (rounded to whole tensors).
    /// `width` (the model's hidden size, 5120 for WAN A14B) overrides `dataBytes`.
    static func safetensors(dataBytes: Int = 4096, seed: UInt8 = 1, width: Int? = nil) -> [UInt8] {
        let rank = 4
        let width = width ?? max(1, dataBytes / (2 * rank * 2))
        let count = rank * width * 2  // F16 bytes per tensor
        let header = """
            {"__metadata__":{"ss_network_dim":"4"},\
            "blocks.0.self_attn.q.lora_down.weight":{"dtype":"F16","shape":[\(rank),\(width)],"data_offsets":[0,\(count)]},\
            "blocks.0.self_attn.q.lora_up.weight":{"dtype":"F16","shape":[\(width),\(rank)],"data_offsets":[\(count),\(2 * count)]}}
            """
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8)
        bytes += (0..<(2 * count)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
        return bytes
    }
}

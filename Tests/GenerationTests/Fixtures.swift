import Generation
import JSON

/// LoRAs of a test workspace, and helpers to parse specs against it.
enum Fixtures {
    static func lora(
        _ name: String, hidden: Int? = 5120, kImg: Bool = false, range: String? = nil, size: UInt64 = 1000
    ) -> LoRAInfo {
        let hex = String(repeating: String(name.count % 10), count: 64)
        return LoRAInfo(
            name: name, objectKey: "workspaces/w/loras/\(name.count).safetensors", size: size, sha256: hex,
            hiddenSize: hidden, hasImageCrossAttention: kImg, timestepRange: range)
    }

    static let workspace: [LoRAInfo] = [
        lora("boat-style.safetensors"),
        lora("boat-style-low.safetensors"),
        lora("sea_high_noise.safetensors"),
        lora("sea_low_noise.safetensors"),
        lora("storm-high-noise.safetensors"),
        lora("storm-low-noise.safetensors"),
        lora("Lightning_T2V_HIGH.safetensors"),
        lora("Lightning_T2V_LOW.safetensors"),
        lora("rain-H.safetensors"),
        lora("rain-L.safetensors"),
        lora("high_noise_fog.safetensors"),
        lora("low_noise_fog.safetensors"),
        lora("musubi-a.safetensors", range: "875,1000"),
        lora("musubi-b.safetensors", range: "[0, 875]"),
        lora("ti2v-style.safetensors", hidden: 3072),
        lora("small-wan21.safetensors", hidden: 1536),
        lora("wan21-i2v.safetensors", kImg: true),
        lora("legacy.ckpt", hidden: nil),
        lora("high-contrast.safetensors"),
    ]

    static func parse(_ json: String, workspace: [LoRAInfo] = Fixtures.workspace) throws(SpecError) -> JobSpec {
        try JobSpecParser.parse(Array(json.utf8), workspace: workspace)
    }

    /// The error a spec is refused with, or `nil` if it is accepted.
    static func rejection(_ json: String, workspace: [LoRAInfo] = Fixtures.workspace) -> SpecError? {
        do {
            _ = try parse(json, workspace: workspace)
            return nil
        } catch {
            return error
        }
    }

    static func json(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONParser.parse(bytes)
    }
}

import JSON
import Testing
@testable import Generation

@Suite struct SchemaTests {
    @Test func listsTheLoRANamesAndIsValidJSON() throws {
        let names = ["sea_high_noise.safetensors", "sea_low_noise.safetensors", "boat.ckpt"]
        let schema = try JSONParser.parse(JobSpecParser.schema(loraNames: names))
        #expect(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema")
        #expect(schema["type"] == "object" && schema["additionalProperties"] == false)
        #expect(schema["required"] == ["model", "prompt"])
        let loraName = schema["properties"]?["loras"]?["items"]?["properties"]?["name"]
        #expect(loraName?["enum"] == ["boat.ckpt", "sea_high_noise.safetensors", "sea_low_noise.safetensors"])
        #expect(schema["properties"]?["lora"]?["enum"] == ["boat.ckpt", "sea_high_noise.safetensors", "sea_low_noise.safetensors", "sea"])
        #expect(schema["properties"]?["model"]?["enum"] == ["t2v-A14B", "i2v-A14B", "ti2v-5B"])
    }

    @Test func propertiesMatchTheParsersFields() throws {
        let schema = try JSONParser.parse(JobSpecParser.schema(loraNames: []))
        let properties = schema["properties"]?.objectValue ?? [:]
        #expect(Set(properties.keys) == Set(JobSpecParser.topLevelFields))
        let entry = schema["properties"]?["loras"]?["items"]?["properties"]?.objectValue ?? [:]
        #expect(Set(entry.keys) == Set(JobSpecParser.loraFields))
        #expect(schema["properties"]?["lora"]?["not"] == .object([:]))
        guard case .array(let frames)? = properties["frames"]?["enum"] else {
            Issue.record("frames has no enum")
            return
        }
        #expect(frames.first == 17 && frames.last == 161 && frames.count == 37)
    }
}

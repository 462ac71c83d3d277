import Testing
import LoRAFormats

@Suite struct WanFamilyTests {
    @Test func hiddenSizesNameTheirFamily() {
        #expect(WanFamily(hiddenSize: 5120)?.name == "Wan 2.2 A14B")
        #expect(WanFamily(hiddenSize: 5120)?.candidates == "14B (Wan 2.2 A14B or Wan 2.1 14B)")
        #expect(WanFamily(hiddenSize: 3072)?.name == "Wan 2.2 TI2V-5B")
        #expect(WanFamily(hiddenSize: 1536)?.candidates == "Wan 2.1 1.3B")
        #expect(WanFamily(hiddenSize: 4096) == nil)
    }

    @Test func fileKindsKnowTheirExtensions() {
        #expect(LoRAFileKind.allCases.map(\.fileExtension) == [".safetensors", ".ckpt"])
    }
}

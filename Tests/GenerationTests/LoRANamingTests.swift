import Testing
@testable import Generation

@Suite struct LoRANamingTests {
    @Test(arguments: [
        ("boat-style_high_noise.safetensors", LoRAExpert.high, "boat-style"),
        ("boat-style_low_noise.safetensors", .low, "boat-style"),
        ("boat-style-High-Noise.ckpt", .high, "boat-style"),
        ("boat_HighNoise_v2.safetensors", .high, "boat_v2"),
        ("high_noise_boat.safetensors", .high, "boat"),
        ("Wan2.2-Lightning_T2V-A14B-4steps-lora_HIGH_fp16.safetensors", .high, "Wan2.2-Lightning_T2V-A14B-4steps-lora_fp16"),
        ("Wan2.2-Lightning_T2V-A14B-4steps-lora_LOW_fp16.safetensors", .low, "Wan2.2-Lightning_T2V-A14B-4steps-lora_fp16"),
        ("boat-H.safetensors", .high, "boat"),
        ("boat-L-v1.safetensors", .low, "boat-v1"),
        ("boat_high.safetensors", .high, "boat"),
        ("boat_ln.safetensors", .low, "boat"),
        ("boat low.safetensors", .low, "boat"),
    ])
    func markers(name: String, expert: LoRAExpert, stem: String) {
        let marker = LoRANaming.marker(in: name)
        #expect(marker?.expert == expert)
        #expect(marker?.pairStem == stem)
    }

    @Test(arguments: [
        "high-contrast-style.safetensors", "boat.safetensors", "HIGH_LOW.safetensors", "high.safetensors",
        "boat_high_noise_low_noise.safetensors", "slow-motion.safetensors",
    ])
    func namesWithoutAConvention(name: String) {
        #expect(LoRANaming.marker(in: name) == nil)
    }

    @Test(arguments: [
        ("875,1000", LoRAExpert?.some(.high)), ("[875, 1000]", .high), ("900,1000", .high), ("(0, 875)", .low),
        ("0,900", .low), ("0,1000", .both), ("500-1000", .both), ("0.875,1", .high), ("0, 0.9", .low),
        ("", nil), ("high", nil), ("1000,875", nil), ("1,2,3", nil), ("0,2000", nil),
    ])
    func timestepRanges(text: String, expert: LoRAExpert?) {
        #expect(LoRANaming.expert(fromTimestepRange: text) == expert)
    }

    @Test func inferredExpertPrefersTheRange() {
        #expect(LoRANaming.inferredExpert(for: Fixtures.lora("x_low_noise.safetensors", range: "875,1000")) == .high)
        #expect(LoRANaming.inferredExpert(for: Fixtures.lora("x_low_noise.safetensors", range: "garbled")) == .low)
        #expect(LoRANaming.inferredExpert(for: Fixtures.lora("x.safetensors")) == .both)
    }

    @Test func stems() {
        #expect(LoRANaming.stem(of: "a.SafeTensors") == "a")
        #expect(LoRANaming.stem(of: "a.ckpt") == "a")
        #expect(LoRANaming.stem(of: ".ckpt") == ".ckpt")
        #expect(LoRANaming.stem(of: "a.bin") == "a.bin")
    }

    @Test func modelDefaultsMatchTheOfficialTable() {
        #expect(WanModel.t2vA14B.isMoE && WanModel.i2vA14B.isMoE && !WanModel.ti2v5B.isMoE)
        #expect(WanModel.allCases.map(\.hiddenSize) == [5120, 5120, 3072])
        #expect(WanModel.allCases.map(\.defaultFrames) == [81, 81, 121])
        #expect(WanModel.allCases.map(\.defaultFPS) == [16, 16, 24])
        #expect(WanModel.allCases.map(\.defaultSteps) == [40, 40, 50])
        #expect(WanModel.allCases.map(\.defaultShift) == [12, 5, 5])
        #expect(WanModel.allCases.map(\.expertBoundary) == [875, 900, nil])
        #expect(WanModel.ti2v5B.size(forResolution: "720p")! == (1280, 704))
    }
}

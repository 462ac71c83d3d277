import Testing
@testable import Generation

@Suite struct AcceptedSpecTests {
    @Test func plainT2VTakesEveryDefault() throws {
        let spec = try Fixtures.parse(#"{"model": "t2v-A14B", "prompt": "a paper boat"}"#)
        #expect(spec.model == .t2vA14B)
        #expect(spec.loras.isEmpty)
        #expect((spec.width, spec.height) == (1280, 720))
        #expect(spec.resolution == "720p")
        #expect(spec.frames == 81 && spec.fps == 16 && spec.steps == 40)
        #expect(spec.guidanceScale == 4.0 && spec.guidanceScale2 == 3.0 && spec.shift == 12.0)
        #expect(spec.seed == nil && spec.image == nil && spec.negativePrompt == nil && !spec.interpolate)
    }

    @Test func oneLoRAWithDefaultsOnEachModel() throws {
        let t2v = try Fixtures.parse(#"{"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "boat-style.safetensors"}]}"#)
        #expect(t2v.loras.map(\.info.name) == ["boat-style.safetensors"])
        #expect(t2v.loras[0].scale == 1.0 && t2v.loras[0].expert == .both)

        let i2v = try Fixtures.parse(
            #"{"model": "i2v-A14B", "prompt": "p", "image": "https://x.test/a.png", "loras": [{"name": "boat-style", "scale": 0.5}]}"#)
        #expect(i2v.loras[0].info.name == "boat-style.safetensors" && i2v.loras[0].scale == 0.5)
        #expect(i2v.guidanceScale == 3.5 && i2v.guidanceScale2 == 3.5 && i2v.shift == 5.0 && i2v.steps == 40)
        #expect(i2v.image == "https://x.test/a.png")

        let ti2v = try Fixtures.parse(#"{"model": "ti2v-5B", "prompt": "p", "loras": [{"name": "ti2v-style"}]}"#)
        #expect(ti2v.loras[0].expert == .both)
        #expect((ti2v.width, ti2v.height) == (1280, 704))
        #expect(ti2v.frames == 121 && ti2v.fps == 24 && ti2v.steps == 50 && ti2v.guidanceScale == 5.0)
        #expect(ti2v.guidanceScale2 == nil && ti2v.shift == 5.0 && ti2v.image == nil)
    }

    @Test func twoLoRAsOnDifferentExperts() throws {
        let spec = try Fixtures.parse(
            """
            {"model": "t2v-A14B", "prompt": "a paper boat on a stormy sea, cinematic", "negative_prompt": "blurry",
             "loras": [{"name": "boat-style.safetensors", "scale": 0.8, "expert": "high"},
                       {"name": "boat-style-low.safetensors", "scale": 0.8, "expert": "low"}],
             "resolution": "720p", "frames": 81, "fps": 16, "steps": 30, "guidance_scale": 3.5, "seed": 42}
            """)
        #expect(spec.loras.map(\.expert) == [.high, .low])
        #expect(spec.loras.map(\.scale) == [0.8, 0.8])
        #expect(spec.steps == 30 && spec.guidanceScale == 3.5 && spec.guidanceScale2 == 3.0 && spec.seed == 42)
        #expect(spec.negativePrompt == "blurry")
    }

    @Test func sameFileOnBothExpertsSeparately() throws {
        let spec = try Fixtures.parse(
            #"{"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "boat-style", "expert": "high", "scale": 1}, {"name": "boat-style", "expert": "low", "scale": 0.5}]}"#)
        #expect(spec.loras.map(\.expert) == [.high, .low])
    }

    @Test(arguments: [
        ("sea", "sea_high_noise.safetensors", "sea_low_noise.safetensors"),
        ("storm", "storm-high-noise.safetensors", "storm-low-noise.safetensors"),
        ("lightning_t2v", "Lightning_T2V_HIGH.safetensors", "Lightning_T2V_LOW.safetensors"),
        ("rain", "rain-H.safetensors", "rain-L.safetensors"),
        ("fog.safetensors", "high_noise_fog.safetensors", "low_noise_fog.safetensors"),
    ])
    func shorthandResolvesAPair(stem: String, high: String, low: String) throws {
        let spec = try Fixtures.parse(#"{"model": "t2v-A14B", "prompt": "p", "lora": "\#(stem)"}"#)
        #expect(spec.loras.map(\.info.name) == [high, low])
        #expect(spec.loras.map(\.expert) == [.high, .low])
        #expect(spec.loras.allSatisfy { $0.scale == 1.0 })
    }

    @Test func shorthandWithoutExtensionPrefersTheFile() throws {
        let spec = try Fixtures.parse(#"{"model": "t2v-A14B", "prompt": "p", "lora": "boat-style"}"#)
        #expect(spec.loras.map(\.info.name) == ["boat-style.safetensors"])
        #expect(spec.loras[0].expert == .both)
        let ckpt = try Fixtures.parse(#"{"model": "t2v-A14B", "prompt": "p", "lora": "legacy"}"#)
        #expect(ckpt.loras.map(\.info.name) == ["legacy.ckpt"])
    }

    @Test func shorthandWithALoneHalf() throws {
        let workspace = [Fixtures.lora("wind_HIGH.safetensors")]
        let spec = try Fixtures.parse(
            #"{"model": "i2v-A14B", "prompt": "p", "image": "https://a.b/c", "lora": "wind"}"#, workspace: workspace)
        #expect(spec.loras.map(\.expert) == [.high])
    }

    @Test func expertFromTimestepRangeThenFileName() throws {
        let spec = try Fixtures.parse(
            """
            {"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "musubi-a"}, {"name": "musubi-b"},
             {"name": "sea_low_noise"}, {"name": "rain-H"}, {"name": "high-contrast"}, {"name": "legacy.ckpt"}]}
            """)
        #expect(spec.loras.map(\.expert) == [.high, .low, .low, .high, .both, .both])
    }

    @Test func explicitExpertWinsOverConventions() throws {
        let spec = try Fixtures.parse(#"{"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "musubi-a", "expert": "both"}]}"#)
        #expect(spec.loras[0].expert == .both)
    }

    @Test func explicitSizeAndOtherParameters() throws {
        let spec = try Fixtures.parse(
            """
            {"version": 1, "model": "T2V-a14b", "prompt": "p", "width": 480, "height": 832, "frames": 17, "fps": 4,
             "steps": 1, "guidance_scale": 0, "guidance_scale_2": 20, "shift": 8.5, "seed": 0, "interpolate": true,
             "negative_prompt": "", "image": null}
            """)
        #expect(spec.model == .t2vA14B)
        #expect((spec.width, spec.height) == (480, 832) && spec.resolution == nil)
        #expect(spec.frames == 17 && spec.fps == 4 && spec.steps == 1)
        #expect(spec.guidanceScale == 0 && spec.guidanceScale2 == 20 && spec.shift == 8.5)
        #expect(spec.seed == 0 && spec.interpolate && spec.negativePrompt == nil)
    }

    @Test func resolution480pAndMatchingSize() throws {
        let spec = try Fixtures.parse(#"{"model": "t2v-A14B", "prompt": "p", "resolution": "480p", "frames": 81.0}"#)
        #expect((spec.width, spec.height) == (832, 480) && spec.resolution == "480p")
        #expect(spec.frames == 81)
        let portrait = try Fixtures.parse(#"{"model": "t2v-A14B", "prompt": "p", "resolution": "480p", "width": 480, "height": 832}"#)
        #expect((portrait.width, portrait.height) == (480, 832))
    }

    @Test func ti2vTakesAnOptionalImage() throws {
        let spec = try Fixtures.parse(#"{"model": "ti2v-5B", "prompt": "p", "image": "https://img.test/x.jpg?sig=1"}"#)
        #expect(spec.image == "https://img.test/x.jpg?sig=1")
    }

    @Test func acceptedJSONIsNormalizedAndParsesBack() throws {
        let spec = try Fixtures.parse(
            #"{"model": "t2v-A14B", "prompt": "a \"boat\"", "lora": "sea", "seed": 7, "resolution": "480p"}"#)
        let bytes = spec.acceptedJSON()
        let value = try Fixtures.json(bytes)
        #expect(value["version"] == 1)
        #expect(value["model"] == "t2v-A14B")
        #expect(value["prompt"] == "a \"boat\"")
        #expect(value["frames"] == 81 && value["steps"] == 40 && value["guidance_scale_2"] == 3.0 && value["shift"] == 12.0)
        #expect(value["width"] == 832 && value["resolution"] == "480p" && value["seed"] == 7)
        #expect(
            value["loras"] == [
                ["name": "sea_high_noise.safetensors", "scale": 1.0, "expert": "high", "sha256": .string(String(repeating: "6", count: 64))],
                ["name": "sea_low_noise.safetensors", "scale": 1.0, "expert": "low", "sha256": .string(String(repeating: "5", count: 64))],
            ])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("{\n  \"fps\": 16,\n  \"frames\": 81,"))
        #expect(try JobSpecParser.parse(bytes, workspace: Fixtures.workspace) == spec)
    }

    @Test func acceptedJSONOfTi2vOmitsExpertAndParsesBack() throws {
        let spec = try Fixtures.parse(#"{"model": "ti2v-5B", "prompt": "p", "loras": [{"name": "ti2v-style", "scale": 2}]}"#)
        let value = try Fixtures.json(spec.acceptedJSON())
        guard case .array(let items)? = value["loras"] else {
            Issue.record("no loras array")
            return
        }
        #expect(items.count == 1 && items[0]["expert"] == nil && items[0]["scale"] == 2.0)
        #expect(value["guidance_scale_2"] == nil)
        #expect(try JobSpecParser.parse(spec.acceptedJSON(), workspace: Fixtures.workspace) == spec)
    }
}

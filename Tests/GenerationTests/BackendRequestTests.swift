import Testing
@testable import Generation

@Suite struct BackendRequestTests {
    func presigned(_ spec: JobSpec) -> [PresignedLoRA] {
        spec.loras.map {
            PresignedLoRA($0, url: "https://s3.test/b/\($0.info.objectKey)?X-Amz-Signature=abc", s3URI: "s3://b/\($0.info.objectKey)")
        }
    }

    @Test func falBodyForATwoExpertT2VJob() throws {
        let spec = try Fixtures.parse(
            #"{"model": "t2v-A14B", "prompt": "boat", "negative_prompt": "blurry", "lora": "sea", "seed": 42, "resolution": "480p"}"#)
        let body = try Fixtures.json(FalRequest.body(for: spec, loras: presigned(spec)))
        #expect(body["prompt"] == "boat" && body["negative_prompt"] == "blurry")
        #expect(body["num_frames"] == 81 && body["frames_per_second"] == 16)
        #expect(body["resolution"] == "480p" && body["aspect_ratio"] == "16:9")
        #expect(body["num_inference_steps"] == 40)
        #expect(body["guidance_scale"] == 4.0 && body["guidance_scale_2"] == 3.0)
        #expect(body["shift"] == 10.0)  // 12 clamped to fal's 1...10
        #expect(body["seed"] == 42 && body["image_url"] == nil)
        #expect(body["interpolator_model"] == "none")
        #expect(
            body["loras"] == [
                ["path": "https://s3.test/b/workspaces/w/loras/26.safetensors?X-Amz-Signature=abc", "scale": 1.0, "transformer": "high"],
                ["path": "https://s3.test/b/workspaces/w/loras/25.safetensors?X-Amz-Signature=abc", "scale": 1.0, "transformer": "low"],
            ])
    }

    @Test func falTransformerIsAlwaysSetAndInterpolationIsOptIn() throws {
        let spec = try Fixtures.parse(#"{"model": "ti2v-5B", "prompt": "p", "loras": [{"name": "ti2v-style", "scale": 0.7}], "interpolate": true}"#)
        let body = try Fixtures.json(FalRequest.body(for: spec, loras: presigned(spec)))
        #expect(body["loras"] == [["path": .string(presigned(spec)[0].url), "scale": 0.7, "transformer": "both"]])
        #expect(body["interpolator_model"] == "film")
        #expect(body["num_inference_steps"] == 40)  // 50 clamped to fal's 2...40
        #expect(body["guidance_scale_2"] == nil && body["seed"] == nil && body["negative_prompt"] == nil)
    }

    @Test func falSizeMapping() throws {
        let portrait = try Fixtures.parse(#"{"model": "t2v-A14B", "prompt": "p", "width": 576, "height": 1024}"#)
        let body = try Fixtures.json(FalRequest.body(for: portrait, loras: []))
        #expect(body["resolution"] == "580p" && body["aspect_ratio"] == "9:16" && body["loras"] == [])
        let square = try Fixtures.parse(#"{"model": "t2v-A14B", "prompt": "p", "width": 720, "height": 720}"#)
        #expect(try Fixtures.json(FalRequest.body(for: square, loras: []))["aspect_ratio"] == "1:1")
        let i2v = try Fixtures.parse(#"{"model": "i2v-A14B", "prompt": "p", "image": "https://i.test/a.png"}"#)
        let i2vBody = try Fixtures.json(FalRequest.body(for: i2v, loras: []))
        #expect(i2vBody["aspect_ratio"] == "auto" && i2vBody["image_url"] == "https://i.test/a.png" && i2vBody["resolution"] == "720p")
        #expect(i2vBody["guidance_scale"] == 3.5 && i2vBody["guidance_scale_2"] == 3.5 && i2vBody["shift"] == 5.0)
    }

    @Test func runPodBodyCarriesTheSpecAndPresignedLoRAs() throws {
        let spec = try Fixtures.parse(
            #"{"model": "i2v-A14B", "prompt": "boat", "image": "https://i.test/a.png", "loras": [{"name": "sea_high_noise", "scale": 0.8}, {"name": "storm-low-noise", "scale": 0.6}], "seed": 3}"#)
        let loras = presigned(spec)
        let body = try Fixtures.json(RunPodRequest.body(for: spec, loras: loras, executionTimeoutMs: 5_400_000))
        #expect(body["policy"] == ["executionTimeout": 5_400_000])
        let input = body["input"]
        #expect(input?["version"] == 1 && input?["model"] == "i2v-A14B" && input?["prompt"] == "boat")
        #expect(input?["width"] == 1280 && input?["height"] == 720 && input?["resolution"] == "720p")
        #expect(input?["frames"] == 81 && input?["fps"] == 16 && input?["steps"] == 40)
        #expect(input?["guidance_scale"] == 3.5 && input?["guidance_scale_2"] == 3.5 && input?["shift"] == 5.0)
        #expect(input?["seed"] == 3 && input?["image"] == "https://i.test/a.png" && input?["interpolate"] == false)
        #expect(input?["negative_prompt"] == nil)
        #expect(
            input?["loras"] == [
                [
                    "name": "sea_high_noise.safetensors", "url": .string(loras[0].url), "s3_uri": "s3://b/workspaces/w/loras/26.safetensors",
                    "sha256": .string(String(repeating: "6", count: 64)), "size": 1000, "scale": 0.8, "expert": "high",
                ],
                [
                    "name": "storm-low-noise.safetensors", "url": .string(loras[1].url), "s3_uri": "s3://b/workspaces/w/loras/27.safetensors",
                    "sha256": .string(String(repeating: "7", count: 64)), "size": 1000, "scale": 0.6, "expert": "low",
                ],
            ])
    }

    @Test func runPodBodyWithoutLoRAs() throws {
        let spec = try Fixtures.parse(#"{"model": "t2v-A14B", "prompt": "p"}"#)
        let body = try Fixtures.json(RunPodRequest.body(for: spec, loras: [], executionTimeoutMs: RunPodRequest.defaultExecutionTimeoutMs))
        #expect(body["input"]?["loras"] == [])
        #expect(body["policy"]?["executionTimeout"] == 3_600_000)
        #expect(body["input"]?["image"] == nil && body["input"]?["seed"] == nil)
    }

    @Test func presignedLoRAFromResolved() {
        let info = Fixtures.lora("big.safetensors", size: 307_000_000)
        let lora = PresignedLoRA(ResolvedLoRA(info: info, scale: 0.5, expert: .low), url: "https://u", s3URI: "s3://b/k")
        #expect(lora == PresignedLoRA(name: "big.safetensors", url: "https://u", s3URI: "s3://b/k", sha256: info.sha256, size: 307_000_000, scale: 0.5, expert: .low))
    }
}

import LoRAFormats
import Testing

@Suite("LoRA summary")
struct LoRASummaryTests {
    @Test func aKohyaA14BLoRAReportsRankAndWidth() throws {
        let header = try parsedHeader(safetensors(kohyaLoRA(width: 5120, rank: 4),
                                                  metadata: ["modelspec.timestep_range": "875,1000",
                                                             "modelspec.trigger_phrase": "in neon style",
                                                             "ss_base_model_version": "wan"]))
        let summary = header.loraSummary
        #expect(summary.rank == 4)
        #expect(summary.hiddenSize == 5120)
        #expect(summary.hasImageCrossAttention == false)
        #expect(summary.timestepRange == "875,1000")
        #expect(summary.triggerPhrase == "in neon style")
        #expect(summary.baseModel == "wan")
        #expect(summary.tensorCount == 3)
        #expect(summary.modelFamilyHint?.contains("14B") == true)
    }

    @Test func aPeftTI2VLoRAReportsWidth3072() throws {
        let summary = try parsedHeader(safetensors(peftLoRA(width: 3072, rank: 16))).loraSummary
        #expect(summary.rank == 16)
        #expect(summary.hiddenSize == 3072)
        #expect(summary.baseModel == nil)
    }

    @Test func feedForwardLayersDoNotCountTowardsTheWidth() throws {
        let tensors = [
            T(name: "diffusion_model.blocks.0.ffn.0.lora_down.weight", shape: [4, 1536]),
            T(name: "diffusion_model.blocks.0.ffn.0.lora_up.weight", shape: [8960, 4]),
            T(name: "diffusion_model.blocks.0.self_attn.o.lora_up.weight", shape: [1536, 4]),
        ]
        let summary = try parsedHeader(safetensors(tensors)).loraSummary
        #expect(summary.hiddenSize == 1536)
        #expect(summary.rank == 4)
    }

    @Test(arguments: ["lora_unet_blocks_0_self_attn_q.lora_down.weight", "transformer.blocks.0.attn1.to_out.0.lora_A.weight",
                      "diffusion_model.blocks.0.cross_attn.k_img.lora_down.weight"])
    func attentionLayersAreFoundInEveryConvention(name: String) throws {
        let summary = try parsedHeader(safetensors([T(name: name, shape: [4, 5120])])).loraSummary
        #expect(summary.hiddenSize == 5120)
        #expect(summary.rank == 4)
    }

    @Test func imageCrossAttentionKeysMarkAWan21I2VLoRA() throws {
        let tensors = kohyaLoRA() + [T(name: "diffusion_model.blocks.0.cross_attn.v_img.lora_up.weight", shape: [64, 4])]
        #expect(try parsedHeader(safetensors(tensors)).loraSummary.hasImageCrossAttention)
    }

    @Test func modelspecArchitectureIsTheFallbackBaseModel() throws {
        let header = try parsedHeader(safetensors(kohyaLoRA(), metadata: ["modelspec.architecture": "wan2.1/lora"]))
        #expect(header.loraSummary.baseModel == "wan2.1/lora")
    }
}

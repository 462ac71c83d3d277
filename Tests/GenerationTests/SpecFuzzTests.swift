import Generation
import MutationFuzzing
import Testing

/// Mutated job specs: each is accepted or refused with a `SpecError` (line and
/// column for bad JSON, the field otherwise), never a crash or a hang; an accepted
/// one always writes back as JSON the strict parser reads again.
@Suite("fuzzing the spec parser")
struct SpecFuzzTests {
    static let seeds: [[UInt8]] = [
        #"{"model": "t2v-A14B", "prompt": "a paper boat", "resolution": "480p", "frames": 17, "steps": 4}"#,
        #"{"model": "i2v-A14B", "prompt": "p", "image": "https://x.test/a.png", "loras": [{"name": "boat-style", "scale": 0.5}]}"#,
        #"{"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "sea", "expert": "high"}, {"name": "sea_low_noise.safetensors", "scale": 1e0}], "seed": 18446744073709551615}"#,
        #"{"model": "ti2v-5B", "prompt": "\u00e9\ud83d\ude00", "negative_prompt": "", "guidance_scale": [4.0, 3.0], "frames": 121.0}"#,
    ].map { Array($0.utf8) }

    @Test func theSpecParserSurvivesMutations() {
        var accepted = 0
        let outcome = MutationFuzzing.fuzz("spec", Self.seeds, isRefusal: { $0 is SpecError }) { input in
            let spec = try JobSpecParser.parse(input, workspace: Fixtures.workspace)
            accepted += 1
            #expect((try? Fixtures.json(spec.acceptedJSON())) != nil, "an accepted spec wrote JSON its own parser refuses")
        }
        #expect(outcome.problems.isEmpty, "\(outcome.problems.prefix(5))")
        #expect(outcome.inputs >= min(MutationFuzzing.runs, 1000))
        #expect(accepted > 0, "no mutated spec was accepted: the seeds are not valid")
    }
}

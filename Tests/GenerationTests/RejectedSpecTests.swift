import Testing
@testable import Generation

@Suite struct RejectedSpecTests {
    /// Asserts that `json` is refused for `field` with a reason containing every one of `mentions`.
    func expectRejected(
        _ json: String, field: String, mentions: [String], workspace: [LoRAInfo] = Fixtures.workspace,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let error = Fixtures.rejection(json, workspace: workspace) else {
            Issue.record("accepted: \(json)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
        for text in mentions {
            #expect(error.reason.contains(text), "\(error) lacks \(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func badJSON() {
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p",}"#, field: "", mentions: ["not valid JSON", "line 1, column 37"])
        expectRejected("{\"model\": \"t2v-A14B\",\n \"prompt\": 'p'}", field: "", mentions: ["not valid JSON", "line 2"])
        expectRejected("", field: "", mentions: ["empty"])
    }

    @Test func aRepeatedTopLevelKeyIsRefusedNamingItsLineAndColumn() throws {
        let json = "{\"model\": \"t2v-A14B\", \"prompt\": \"p\",\n  \"steps\": 20,\n    \"steps\": 40}"
        let error = try #require(Fixtures.rejection(json))
        #expect(error.field == "steps")
        #expect(error.reason == #"repeated key "steps" at line 3, column 5; give each field once"#)
        // Repeated with the same value is refused too: the document is ambiguous either way.
        expectRejected(#"{"model": "t2v-A14B", "model": "t2v-A14B", "prompt": "p"}"#, field: "model", mentions: ["repeated key \"model\"", "line 1, column 23"])
    }

    @Test func aRepeatedKeyInsideALoRAEntryIsRefusedWithItsPath() throws {
        let json = "{\"model\": \"t2v-A14B\", \"prompt\": \"p\", \"loras\": [\n  {\"name\": \"sea_low_noise\"},\n  {\"name\": \"storm-low-noise\", \"scale\": 1, \"scale\": 2}]}"
        let error = try #require(Fixtures.rejection(json))
        #expect(error.field == "loras[1].scale")
        #expect(error.description == #"loras[1].scale: repeated key "scale" at line 3, column 43; give each field once"#)
        // The same key in two different objects is not a repetition.
        #expect(Fixtures.rejection(#"{"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "sea_low_noise"}, {"name": "storm-low-noise"}]}"#) == nil)
    }

    @Test func notAnObject() {
        expectRejected(#"["t2v-A14B"]"#, field: "", mentions: ["must be a JSON object", "[\"t2v-A14B\"]", "array"])
        expectRejected("42", field: "", mentions: ["42"])
    }

    @Test func unknownFields() {
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "num_frames": 81}"#, field: "num_frames", mentions: ["\"num_frames\"", "\"frames\""])
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "colour": 1}"#, field: "colour", mentions: ["unknown field \"colour\"", "allowed"])
        expectRejected(
            #"{"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "sea_high_noise", "weight": 1}]}"#,
            field: "loras[0].weight", mentions: ["\"weight\"", "\"scale\""])
    }

    @Test func wrongTypes() {
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "frames": "81"}"#, field: "frames", mentions: ["an integer", "\"81\"", "a string"])
        expectRejected(#"{"model": "t2v-A14B", "prompt": 5}"#, field: "prompt", mentions: ["a string", "5"])
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "interpolate": "yes"}"#, field: "interpolate", mentions: ["true or false", "\"yes\""])
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "seed": true}"#, field: "seed", mentions: ["an integer", "true", "boolean"])
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "guidance_scale": [1]}"#, field: "guidance_scale", mentions: ["a number", "[1]"])
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "loras": {"name": "x"}}"#, field: "loras", mentions: ["an array", "{\"name\":\"x\"}"])
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "loras": ["sea_high_noise"]}"#, field: "loras[0]", mentions: ["\"sea_high_noise\""])
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "lora": 3}"#, field: "lora", mentions: ["a string", "3"])
        expectRejected(#"{"model": ["t2v-A14B"], "prompt": "p"}"#, field: "model", mentions: ["a string"])
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "steps": 30.5}"#, field: "steps", mentions: ["30.5", "whole number"])
    }

    @Test func unknownModelNamesTheAllowedOnes() {
        expectRejected(#"{"model": "t2v-1.3B", "prompt": "p"}"#, field: "model", mentions: ["\"t2v-1.3B\"", "t2v-A14B", "i2v-A14B", "ti2v-5B"])
        expectRejected(#"{"prompt": "p"}"#, field: "model", mentions: ["missing", "t2v-A14B"])
    }

    @Test func versionOtherThanOne() {
        expectRejected(#"{"version": 2, "model": "t2v-A14B", "prompt": "p"}"#, field: "version", mentions: ["unsupported version 2"])
        expectRejected(#"{"version": "1", "model": "t2v-A14B", "prompt": "p"}"#, field: "version", mentions: ["\"1\""])
    }

    @Test func missingOrBlankPrompt() {
        expectRejected(#"{"model": "t2v-A14B"}"#, field: "prompt", mentions: ["missing"])
        expectRejected(#"{"model": "t2v-A14B", "prompt": "  "}"#, field: "prompt", mentions: ["\"  \"", "blank"])
        let long = String(repeating: "a", count: 2001)
        expectRejected(#"{"model": "t2v-A14B", "prompt": "\#(long)"}"#, field: "prompt", mentions: ["2001 characters", "2000"])
    }

    @Test func loraAndLorasTogether() {
        expectRejected(
            #"{"model": "t2v-A14B", "prompt": "p", "lora": "sea", "loras": [{"name": "boat-style"}]}"#,
            field: "lora", mentions: ["\"lora\" and \"loras\""])
    }

    @Test func nameNotInWorkspaceListsTheNames() {
        let workspace = [Fixtures.lora("a.safetensors"), Fixtures.lora("b.safetensors")]
        expectRejected(
            #"{"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "a"}, {"name": "x.safetensors"}]}"#,
            field: "loras[1].name", mentions: ["\"x.safetensors\" is not in this workspace (have: a.safetensors, b.safetensors)"],
            workspace: workspace)
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "lora": "ocean"}"#, field: "lora", mentions: ["\"ocean\"", "high/low pair", "have:"])
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "lora": "a"}"#, field: "lora", mentions: ["no LoRAs"], workspace: [])
        let error = Fixtures.rejection(#"{"model": "t2v-A14B", "prompt": "p"}"#)
        #expect(error == nil)
    }

    @Test func manyNamesAreCut() {
        let workspace = (0..<25).map { Fixtures.lora("l\($0).safetensors") }
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "lora": "zz"}"#, field: "lora", mentions: ["and 5 more"], workspace: workspace)
    }

    @Test func ambiguousNames() {
        let both = [Fixtures.lora("x.safetensors"), Fixtures.lora("x.ckpt")]
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "lora": "x"}"#, field: "lora", mentions: ["ambiguous", "x.safetensors", "x.ckpt"], workspace: both)
        let twoHighs = [Fixtures.lora("y_high_noise.safetensors"), Fixtures.lora("y_HIGH.safetensors"), Fixtures.lora("y_low_noise.safetensors")]
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "lora": "y"}"#, field: "lora", mentions: ["ambiguous", "y_HIGH.safetensors"], workspace: twoHighs)
    }

    @Test func duplicateEntryOnTheSameExpert() {
        expectRejected(
            #"{"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "sea_high_noise"}, {"name": "sea_high_noise.safetensors", "expert": "both"}]}"#,
            field: "loras[1].name", mentions: ["\"sea_high_noise.safetensors\"", "loras[0]"])
    }

    @Test func framesNotFourNPlusOne() {
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "frames": 80}"#, field: "frames", mentions: ["80 is not 4n+1", "77", "81"])
    }

    @Test func outOfRangeValues() {
        let cases: [(String, String, [String])] = [
            (#""frames": 165"#, "frames", ["165", "17...161"]),
            (#""frames": 13"#, "frames", ["13"]),
            (#""fps": 61"#, "fps", ["61", "4...60"]),
            (#""steps": 0"#, "steps", ["0", "1...100"]),
            (#""guidance_scale": 20.5"#, "guidance_scale", ["20.5", "0...20"]),
            (#""guidance_scale_2": -1"#, "guidance_scale_2", ["-1"]),
            (#""shift": 0.5"#, "shift", ["0.5", "1...20"]),
            (#""seed": -1"#, "seed", ["-1", "0...4294967295"]),
            (#""seed": 4294967296"#, "seed", ["4294967296"]),
            (#""seed": 1e20"#, "seed", ["1e20", "out of range"]),  // quoted as written
            (#""width": 1000, "height": 480"#, "width", ["1000", "multiple of 16"]),
            (#""width": 4096, "height": 480"#, "width", ["4096", "256...1920"]),
            (#""width": 832"#, "height", ["missing", "\"width\""]),
            (#""resolution": "1080p""#, "resolution", ["\"1080p\"", "480p, 720p"]),
            (#""resolution": "720p", "width": 832, "height": 480"#, "resolution", ["\"720p\"", "832x480"]),
            (#""loras": [{"name": "sea_low_noise", "scale": 4.5}]"#, "loras[0].scale", ["4.5", "0...4"]),
            (#""loras": [{"name": "sea_low_noise", "expert": "middle"}]"#, "loras[0].expert", ["\"middle\"", "high, low, both"]),
            (#""loras": [{"scale": 1}]"#, "loras[0].name", ["missing"]),
            (#""image": "https://a.test/x.png""#, "image", ["\"https://a.test/x.png\"", "t2v-A14B"]),
        ]
        for (member, field, mentions) in cases {
            expectRejected(#"{"model": "t2v-A14B", "prompt": "p", \#(member)}"#, field: field, mentions: mentions)
        }
        let tooMany = Array(repeating: #"{"name": "sea_low_noise", "expert": "low"}"#, count: 17).joined(separator: ",")
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "loras": [\#(tooMany)]}"#, field: "loras", mentions: ["17 LoRAs", "16"])
    }

    @Test func ti2vSizesAreMultiplesOf32() {
        expectRejected(#"{"model": "ti2v-5B", "prompt": "p", "width": 1280, "height": 720}"#, field: "height", mentions: ["720", "multiple of 32"])
    }

    @Test func expertOnTi2v() {
        expectRejected(
            #"{"model": "ti2v-5B", "prompt": "p", "loras": [{"name": "ti2v-style", "expert": "high"}]}"#,
            field: "loras[0].expert", mentions: ["\"high\"", "ti2v-5B", "single expert"])
        expectRejected(#"{"model": "ti2v-5B", "prompt": "p", "guidance_scale_2": 3}"#, field: "guidance_scale_2", mentions: ["3", "ti2v-5B"])
        let pair = [Fixtures.lora("p_high_noise.safetensors", hidden: 3072), Fixtures.lora("p_low_noise.safetensors", hidden: 3072)]
        expectRejected(#"{"model": "ti2v-5B", "prompt": "p", "lora": "p"}"#, field: "lora", mentions: ["p_high_noise.safetensors", "single expert"], workspace: pair)
    }

    @Test func imageRules() {
        expectRejected(#"{"model": "i2v-A14B", "prompt": "p"}"#, field: "image", mentions: ["missing", "i2v-A14B"])
        expectRejected(#"{"model": "i2v-A14B", "prompt": "p", "image": "http://a.test/x.png"}"#, field: "image", mentions: ["\"http://a.test/x.png\"", "https://"])
        expectRejected(#"{"model": "ti2v-5B", "prompt": "p", "image": "https:///x"}"#, field: "image", mentions: ["\"https:///x\""])
        expectRejected(#"{"model": "ti2v-5B", "prompt": "p", "image": "file:///etc/passwd"}"#, field: "image", mentions: ["file:///etc/passwd"])
    }

    @Test func incompatibleHiddenSizeEachWay() {
        expectRejected(
            #"{"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "ti2v-style.safetensors"}]}"#,
            field: "loras[0].name",
            mentions: ["\"ti2v-style.safetensors\" targets hidden size 3072 (Wan 2.2 TI2V-5B) but t2v-A14B needs 5120 (Wan 2.2 A14B)"])
        expectRejected(
            #"{"model": "ti2v-5B", "prompt": "p", "lora": "boat-style"}"#,
            field: "lora", mentions: ["\"boat-style.safetensors\" targets hidden size 5120 (Wan 2.2 A14B) but ti2v-5B needs 3072 (Wan 2.2 TI2V-5B)"])
        expectRejected(
            #"{"model": "i2v-A14B", "prompt": "p", "image": "https://a.b/c", "loras": [{"name": "sea_high_noise"}, {"name": "small-wan21"}]}"#,
            field: "loras[1].name", mentions: ["\"small-wan21.safetensors\"", "1536 (Wan 2.1 1.3B)", "i2v-A14B needs 5120"])
        let odd = [Fixtures.lora("odd.safetensors", hidden: 2048)]
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p", "lora": "odd"}"#, field: "lora", mentions: ["2048 (not a Wan model)"], workspace: odd)
    }

    @Test func wan21I2VLoRA() {
        expectRejected(
            #"{"model": "i2v-A14B", "prompt": "p", "image": "https://a.b/c", "loras": [{"name": "wan21-i2v"}]}"#,
            field: "loras[0].name",
            mentions: ["\"wan21-i2v.safetensors\" is a Wan 2.1 I2V LoRA (k_img/v_img keys), which does not load on Wan 2.2", "i2v-A14B"])
    }

    @Test func pinnedSHA256Mismatch() {
        let sha = String(repeating: "f", count: 64)
        expectRejected(
            #"{"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "boat-style", "sha256": "\#(sha)"}]}"#,
            field: "loras[0].sha256", mentions: [sha, "\"boat-style.safetensors\""])
    }

    @Test func oversizedDocument() {
        let padding = String(repeating: " ", count: SpecLimits.maxDocumentBytes)
        expectRejected(#"{"model": "t2v-A14B", "prompt": "p"}"# + padding, field: "", mentions: ["1048612 bytes"])
    }

    @Test func descriptionJoinsFieldAndReason() {
        let workspace = [Fixtures.lora("a.safetensors"), Fixtures.lora("b.safetensors")]
        let error = Fixtures.rejection(
            #"{"model": "t2v-A14B", "prompt": "p", "loras": [{"name": "a"}, {"name": "x.safetensors"}]}"#, workspace: workspace)
        #expect(error?.description == #"loras[1].name: "x.safetensors" is not in this workspace (have: a.safetensors, b.safetensors)"#)
        #expect(SpecError(field: "frames", reason: "80 is not 4n+1").description == "frames: 80 is not 4n+1")
        #expect(SpecError(field: "", reason: "not valid JSON").description == "not valid JSON")
    }
}

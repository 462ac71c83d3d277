import JSON
extension JobSpecParser {
    /// The JSON Schema (draft 2020-12) of the spec, with an enum of the workspace's LoRA names
    /// (for `generate/schema.json`).
    ///
    /// `loras[].name` lists the full file names; `lora` also lists the pair stems the shorthand
    /// accepts (`boat-style` for `boat-style_high_noise.safetensors` + `boat-style_low_noise.safetensors`).
    /// The schema states the same bounds as the parser, including 4n+1 frames, the per-model
    /// image rules, size multiples and "`lora` or `loras`"; the parser stays the authority (it
    /// also accepts names without their extension and models in any case).
    public static func schema(loraNames: [String]) -> [UInt8] {
        JSONWriter.encode(schemaValue(loraNames: loraNames), pretty: true)
    }

    static func schemaValue(loraNames: [String]) -> JSONValue {
        let names = Array(Set(loraNames)).sorted()
        let stems = Set(names.compactMap { LoRANaming.marker(in: $0)?.pairStem }).subtracting(names)
        let properties: [String: JSONValue] = [
            "version": ["const": 1, "description": "Spec format version; only 1 exists."],
            "model": ["enum": .array(WanModel.allCases.map { .string($0.rawValue) }), "description": "WAN 2.2 variant."],
            "prompt": [
                "type": "string", "minLength": 1, "maxLength": .int(SpecLimits.maxPromptLength), "pattern": "\\S",
                "description": "What the video shows.",
            ],
            "negative_prompt": ["type": "string", "maxLength": .int(SpecLimits.maxPromptLength)],
            "lora": nameSchema(names + stems.sorted(), description: "One LoRA at scale 1.0, or the high/low pair under this stem."),
            "loras": [
                "type": "array", "maxItems": .int(SpecLimits.maxLoRAs),
                "items": [
                    "type": "object", "additionalProperties": false, "required": ["name"],
                    "properties": [
                        "name": nameSchema(names, description: "A LoRA file of this workspace."),
                        "scale": range(SpecLimits.loraScale, default: 1.0),
                        "expert": [
                            "enum": ["high", "low", "both"],
                            "description": "A14B expert; default from the LoRA's timestep range or file name, else both.",
                        ],
                        "sha256": ["type": "string", "pattern": "^[0-9a-fA-F]{64}$", "description": "Pins the file's content."],
                    ],
                ],
            ],
            "resolution": ["enum": .array(WanModel.resolutions.map { .string($0) }), "default": .string(WanModel.defaultResolution)],
            "width": range(SpecLimits.side, multipleOf: 16),
            "height": range(SpecLimits.side, multipleOf: 16),
            "frames": [
                "enum": .array(stride(from: SpecLimits.frames.lowerBound, through: SpecLimits.frames.upperBound, by: 4).map { .int($0) }),
                "description": "4n+1; default 81 (A14B) or 121 (ti2v-5B).",
            ],
            "fps": range(SpecLimits.fps),
            "steps": range(SpecLimits.steps),
            "guidance_scale": range(SpecLimits.guidanceScale),
            "guidance_scale_2": range(SpecLimits.guidanceScale),
            "shift": range(SpecLimits.shift),
            "seed": range(SpecLimits.seed),
            "image": [
                "type": "string", "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]://[^/?#\\s]+",
                "maxLength": .int(SpecLimits.maxImageURLLength),
            ],
            "interpolate": ["type": "boolean", "default": false],
        ]
        return [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "lorafs WAN 2.2 job spec, version 1",
            "description": "Write NAME.json into generate/ to submit a job; omitted parameters take the model's defaults.",
            "type": "object",
            "additionalProperties": false,
            "required": ["model", "prompt"],
            "properties": .object(properties),
            "dependentRequired": ["width": ["height"], "height": ["width"]],
            "allOf": [
                ["not": ["required": ["lora", "loras"]]],
                modelRule("i2v-A14B", ["required": ["image"]]),
                modelRule("t2v-A14B", ["not": ["required": ["image"]]]),
                modelRule(
                    "ti2v-5B",
                    [
                        "not": ["required": ["guidance_scale_2"]],
                        "properties": [
                            "width": ["multipleOf": 32], "height": ["multipleOf": 32],
                            "loras": ["items": ["not": ["required": ["expert"]]]],
                        ],
                    ]),
            ],
        ]
    }

    private static func nameSchema(_ names: [String], description: String) -> JSONValue {
        guard !names.isEmpty else { return ["not": [:], "description": "The workspace has no LoRAs yet."] }
        return ["type": "string", "enum": .array(names.map { .string($0) }), "description": .string(description)]
    }

    private static func range(_ bounds: ClosedRange<Int>, multipleOf: Int? = nil) -> JSONValue {
        var schema: [String: JSONValue] = [
            "type": "integer", "minimum": .int(bounds.lowerBound), "maximum": .int(bounds.upperBound),
        ]
        if let multipleOf { schema["multipleOf"] = .int(multipleOf) }
        return .object(schema)
    }

    private static func range(_ bounds: ClosedRange<Double>, default value: Double? = nil) -> JSONValue {
        var schema: [String: JSONValue] = [
            "type": "number", "minimum": .double(bounds.lowerBound), "maximum": .double(bounds.upperBound),
        ]
        if let value { schema["default"] = .double(value) }
        return .object(schema)
    }

    private static func modelRule(_ model: String, _ then: JSONValue) -> JSONValue {
        ["if": ["properties": ["model": ["const": .string(model)]], "required": ["model"]], "then": then]
    }
}

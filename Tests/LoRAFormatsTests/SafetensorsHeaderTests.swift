import LoRAFormats
import Testing

@Suite("safetensors header validation")
struct SafetensorsHeaderTests {
    @Test func aKohyaLoRAWithLoraUpDownAndAlphaIsAccepted() throws {
        let file = safetensors(kohyaLoRA())
        let header = try parsedHeader(file)
        try header.validate(fileSize: UInt64(file.count))
        #expect(header.tensors.count == 3)
        #expect(header.dataStart == 8 + header.headerLength)
        #expect(header.expectedFileSize == UInt64(file.count))
        #expect(header.tensors.map(\.begin) == [0, 512, 1024])
        #expect(header.tensors[0].dtype == "BF16")
    }

    @Test func aPeftLoRAWithLoraAAndBIsAccepted() throws {
        let file = safetensors(peftLoRA())
        let header = try SafetensorsHeader.validate(InMemoryByteSource(file))
        #expect(header.tensors.map(\.name).allSatisfy { $0.contains("lora_") })
    }

    @Test func metadataIsReadAsAStringMap() throws {
        let file = safetensors(kohyaLoRA(), metadata: ["ss_network_dim": "4", "modelspec.title": "Sty\"le"])
        let header = try parsedHeader(file)
        #expect(header.metadata == ["ss_network_dim": "4", "modelspec.title": "Sty\"le"])
    }

    @Test func tensorsAreSortedByOffsetWhateverTheirOrderInTheHeader() throws {
        let json = #"{"b.lora_up.weight":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},"a.lora_down.weight":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#
        let header = try parsedHeader(safetensorsFile(header: json, dataBytes: 4))
        #expect(header.tensors.map(\.name) == ["a.lora_down.weight", "b.lora_up.weight"])
    }

    @Test func fewerThanEightBytesAskForEight() throws {
        for count in 0..<8 {
            let result = try SafetensorsHeader.parse(prefix: [UInt8](repeating: 0x10, count: count))
            guard case .needBytes(8) = result else { Issue.record("expected needBytes(8) for \(count)"); continue }
        }
    }

    @Test func aPartialHeaderAsksForTheWholeHeader() throws {
        let file = safetensors(kohyaLoRA())
        let length = file.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        let result = try SafetensorsHeader.parse(prefix: Array(file.prefix(20)))
        guard case .needBytes(let n) = result else { Issue.record("expected needBytes"); return }
        #expect(n == 8 + length)
        guard case .header = try SafetensorsHeader.parse(prefix: Array(file.prefix(Int(n)))) else {
            Issue.record("expected the header once all of it arrived"); return
        }
    }

    @Test func aHugeHeaderLengthIsRefusedFromTheFirstEightBytes() {
        let html = Array("<!DOCTYPE html><html>".utf8)
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: Array(html.prefix(8))) }
        let length = html.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect(error == LoRAValidationError(.invalidFormat, "header length \(length) exceeds the 100000000-byte limit (is this really a safetensors file?)"))
    }

    @Test func aFileShorterThanEightBytesIsRefused() {
        let error = validationError { _ = try SafetensorsHeader.validate(InMemoryByteSource([1, 2, 3])) }
        #expect(error?.reason.contains("too short") == true)
    }

    @Test func aHeaderRunningPastTheEndOfTheFileIsRefused() {
        let file = Array(safetensors(kohyaLoRA()).prefix(40))
        let error = validationError { _ = try SafetensorsHeader.validate(InMemoryByteSource(file)) }
        #expect(error?.kind == .invalidFormat)
        #expect(error?.reason.contains("too short for its") == true)
    }

    @Test func aTruncatedCopyIsRefusedWithBothSizes() throws {
        let file = safetensors(kohyaLoRA())
        let header = try parsedHeader(file)
        let short = UInt64(file.count - 100)
        let error = validationError { try header.validate(fileSize: short) }
        #expect(error?.reason == "file is \(short) bytes but its header describes \(file.count) bytes (truncated copy?)")
    }

    @Test func trailingBytesAfterTheLastTensorAreRefused() {
        let file = safetensors(kohyaLoRA()) + [0, 0, 0]
        let error = validationError { _ = try SafetensorsHeader.validate(InMemoryByteSource(file)) }
        #expect(error?.reason.contains("3 unexpected trailing bytes") == true)
    }

    @Test func aHeaderThatIsNotUTF8IsRefused() {
        let file = le64(8) + [0x7B, 0xFF, 0xFE, 0x20, 0x20, 0x20, 0x20, 0x7D]
        #expect(validationError { _ = try SafetensorsHeader.parse(prefix: file) }?.reason == "header is not valid UTF-8")
    }

    @Test func aHeaderNotStartingWithABraceIsRefused() {
        let file = safetensorsFile(header: " " + headerJSON(kohyaLoRA()), dataBytes: 1028)
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: file) }
        #expect(error?.reason.hasPrefix("header does not start with \"{\"") == true)
        let array = safetensorsFile(header: "[1,2]", dataBytes: 0)
        #expect(validationError { _ = try SafetensorsHeader.parse(prefix: array) } != nil)
    }

    @Test func invalidJSONIsRefused() {
        let file = safetensorsFile(header: #"{"a.lora_up.weight":{"dtype":"F16",}"#, dataBytes: 0)
        #expect(validationError { _ = try SafetensorsHeader.parse(prefix: file) }?.reason.hasPrefix("header is not valid JSON") == true)
    }

    @Test func anUnknownDtypeIsRefusedNamingTheTensor() {
        var tensors = kohyaLoRA()
        tensors[0].dtype = "F17"
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensors(tensors)) }
        #expect(error?.reason == #"tensor "diffusion_model.blocks.0.self_attn.q.lora_down.weight": dtype "F17" is not a safetensors dtype"#)
    }

    @Test func aShapeThatDoesNotMatchTheOffsetsIsRefused() {
        let json = #"{"x.lora_up.weight":{"dtype":"F16","shape":[4,4],"data_offsets":[0,30]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 30)) }
        #expect(error?.reason == #"tensor "x.lora_up.weight": shape [4, 4] of F16 needs 32 bytes but data_offsets span 30"#)
    }

    @Test func negativeOrFractionalShapesAreRefused() {
        for shape in ["[-1,4]", "[1.5]", "[\"4\"]", "4"] {
            let json = #"{"x.lora_up.weight":{"dtype":"F16","shape":"# + shape + #","data_offsets":[0,8]}}"#
            let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 8)) }
            #expect(error?.reason == #"tensor "x.lora_up.weight": shape must be a list of non-negative integers"#, "\(shape)")
        }
    }

    @Test func aShapeWhoseSizeOverflowsIsRefused() {
        let json = #"{"x.lora_up.weight":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 8)) }
        #expect(error?.reason.contains("overflows") == true)
    }

    @Test func subByteDtypesMustFillWholeBytes() throws {
        let good = #"{"x.lora_up.weight":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}"#
        #expect(try parsedHeader(safetensorsFile(header: good, dataBytes: 2)).tensors.count == 1)
        let odd = #"{"x.lora_up.weight":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: odd, dataBytes: 2)) }
        #expect(error?.reason == #"tensor "x.lora_up.weight": shape [3] of F4 is 12 bits, not a whole number of bytes"#)
    }

    @Test func offsetsThatEndBeforeTheyBeginAreRefused() {
        let json = #"{"x.lora_up.weight":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 8)) }
        #expect(error?.reason == #"tensor "x.lora_up.weight": data_offsets [8, 0] end before they begin"#)
    }

    @Test func overlappingTensorsAreRefused() {
        let json = #"{"a.lora_down.weight":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},"blocks.0.lora_up.weight":{"dtype":"U8","shape":[16],"data_offsets":[8,24]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 24)) }
        #expect(error?.reason == #"tensor "blocks.0.lora_up.weight": data_offsets [8, 24] overlap the previous tensor"#)
    }

    @Test func aGapBetweenTensorsIsRefused() {
        let json = #"{"a.lora_down.weight":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"a.lora_up.weight":{"dtype":"U8","shape":[8],"data_offsets":[16,24]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 24)) }
        #expect(error?.reason == #"tensor "a.lora_up.weight": data_offsets [16, 24] leave a gap after the previous tensor, which ends at 8"#)
    }

    @Test func dataThatDoesNotStartAtZeroIsRefused() {
        let json = #"{"a.lora_up.weight":{"dtype":"U8","shape":[8],"data_offsets":[8,16]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 16)) }
        #expect(error?.reason.hasPrefix(#"tensor "a.lora_up.weight": data_offsets [8, 16] do not start at 0"#) == true)
    }

    @Test func duplicateTensorNamesAreRefused() {
        let json = #"{"a.lora_up.weight":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"a.lora_up.weight":{"dtype":"U8","shape":[8],"data_offsets":[8,16]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 16)) }
        #expect(error?.reason == #"tensor name "a.lora_up.weight" appears more than once in the header"#)
    }

    @Test func aKeyRepeatedInsideAnEntryIsRefused() {
        let json = #"{"a.lora_up.weight":{"dtype":"U8","shape":[8],"dtype":"U8","data_offsets":[0,8]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 8)) }
        #expect(error?.reason == #"header repeats the key "dtype" inside an entry"#)
    }

    @Test func largeOffsetsAreExact() throws {
        // 2^53 + 1 has no exact double: a parser going through Double would report 2^53.
        let json = #"{"a.lora_up.weight":{"dtype":"U8","shape":[9007199254740993],"data_offsets":[0,9007199254740993]}}"#
        let header = try parsedHeader(safetensorsFile(header: json, dataBytes: 0))
        #expect(header.tensors.first?.end == 9_007_199_254_740_993)
        let error = validationError { try header.validate(fileSize: header.dataStart) }
        #expect(error?.reason == "file is \(header.dataStart) bytes but its header describes \(header.dataStart + 9_007_199_254_740_993) bytes (truncated copy?)")
    }

    @Test func offsetsNearUInt64MaxAreReadExactlyAndRefusedWithoutOverflow() {
        // Eight tensors of the largest size a U8 shape allows (2^61 - 1 bytes) tile to UInt64.max - 7,
        // which with the header no file can be.
        let size: UInt64 = 2_305_843_009_213_693_951
        let entries = (0..<8).map { i in
            #""t\#(i).lora_up.weight":{"dtype":"U8","shape":[\#(size)],"data_offsets":[\#(UInt64(i) * size),\#(UInt64(i + 1) * size)]}"#
        }
        let json = "{" + entries.joined(separator: ",") + "}"
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 0)) }
        #expect(error?.reason == #"tensor "t7.lora_up.weight": data_offsets end at 18446744073709551608, beyond the largest possible file"#)
        let max = #"{"a.lora_up.weight":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551615]}}"#
        #expect(validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: max, dataBytes: 0)) }?.reason
            == #"tensor "a.lora_up.weight": shape [1] of U8 needs 1 bytes but data_offsets span 18446744073709551615"#)
        let past = #"{"a.lora_up.weight":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551616]}}"#
        #expect(validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: past, dataBytes: 0)) }?.reason
            == #"tensor "a.lora_up.weight": data_offsets must be two non-negative integers [begin, end]"#)
    }

    @Test func theFirstBadTensorAsWrittenIsReported() {
        let json = #"{"z.lora_up.weight":{"dtype":"F17","shape":[1],"data_offsets":[0,1]},"a.lora_up.weight":{"dtype":"F18","shape":[1],"data_offsets":[1,2]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 2)) }
        #expect(error?.reason == #"tensor "z.lora_up.weight": dtype "F17" is not a safetensors dtype"#)
    }

    @Test func deepNestingIsRefusedAsInvalidJSON() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let json = #"{"__metadata__":"# + deep + "}"
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 0)) }
        #expect(error?.reason.hasPrefix("header is not valid JSON: nesting deeper than 64 levels at byte") == true)
    }

    @Test func metadataWithANonStringValueIsRefused() {
        let json = #"{"__metadata__":{"ss_network_dim":4},"a.lora_up.weight":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 8)) }
        #expect(error?.reason == #""__metadata__" value for "ss_network_dim" is not a string"#)
    }

    @Test func entriesWithMissingOrExtraFieldsAreRefused() {
        let missing = #"{"a.lora_up.weight":{"dtype":"U8","shape":[8]}}"#
        #expect(validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: missing, dataBytes: 8)) }?.reason
            == #"tensor "a.lora_up.weight": missing "data_offsets""#)
        let extra = #"{"a.lora_up.weight":{"dtype":"U8","shape":[8],"data_offsets":[0,8],"x":1}}"#
        #expect(validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: extra, dataBytes: 8)) }?.reason.contains("unexpected field \"x\"") == true)
    }

    @Test func aFullModelWithoutLoRATensorsIsRefused() {
        let file = safetensors([T(name: "blocks.0.self_attn.q.weight"), T(name: "blocks.0.self_attn.q.bias")])
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: file) }
        #expect(error?.reason == "no LoRA tensors found (expected names like ...lora_up.weight or ...lora_A.weight); is this a full model rather than a LoRA?")
    }

    @Test(arguments: ["lora_unet_blocks_0_self_attn_q.lora_down.weight", "blocks.0.attn1.to_q_lora.up.weight",
                      "blocks.0.ffn.0.hada_w1_a", "blocks.0.ffn.0.lokr_w1", "transformer.blocks.0.attn1.to_q.lora_B.default.weight"])
    func otherLoRANamingConventionsAreRecognised(name: String) throws {
        #expect(try parsedHeader(safetensors([T(name: name)])).tensors.count == 1)
    }

    @Test func escapedTensorNamesAreDecoded() throws {
        let json = #"{"bl\u00f6cks.0.lora_up.weight\ud83d\ude00":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}"#
        let header = try parsedHeader(safetensorsFile(header: json, dataBytes: 8))
        #expect(header.tensors.first?.name == "blöcks.0.lora_up.weight😀")
    }

    @Test func loneSurrogatesInTheHeaderAreRefused() {
        let json = #"{"a.lora_up.weight\ud83d":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}"#
        let error = validationError { _ = try SafetensorsHeader.parse(prefix: safetensorsFile(header: json, dataBytes: 8)) }
        #expect(error?.reason.contains("lone surrogate") == true)
    }
}

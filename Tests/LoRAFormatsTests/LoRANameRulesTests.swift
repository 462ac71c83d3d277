import LoRAFormats
import Testing

@Suite("file-name rules")
struct LoRANameRulesTests {
    @Test(arguments: [
        ("style.safetensors", LoRAFileKind.safetensors), ("Style.SafeTensors", .safetensors),
        ("x.ckpt", .ckpt), ("wan22_high_noise.CKPT", .ckpt), ("my lora (v2).safetensors", .safetensors),
        ("tmpa1b2c3d4.safetensors", .safetensors), ("émoji-✨.safetensors", .safetensors),
    ])
    func loraFileNamesAreClassifiedByExtension(name: String, kind: LoRAFileKind) {
        #expect(LoRANameRules.classify(name) == .lora(kind))
    }

    @Test(arguments: [
        ".a.safetensors.Xy12Zq", ".goutputstream-ABC123", ".notes.txt.AbC123",
        "a.safetensors.tmp.1700000000.42", "a.safetensors.part", "a.ckpt.partial~", "a.safetensors~",
        "a.tmp", "a.part", "a.partial", "download.incomplete", "notes~",
        "tmpa1b2c3d4", "tmp_zz9y8x7", "a.tmp.1700000000.42",
    ])
    func temporaryNamesAreStaging(name: String) {
        #expect(LoRANameRules.classify(name) == .staging)
    }

    @Test(arguments: ["x.txt", "readme", "model.bin", "a.ckpts.txt", "a.safetensorsx", "tmpABCDEFGH", "tmpa1b2c3d",
                      ".hidden", ".tmp"])
    func otherNamesAreRefusedForTheirExtension(name: String) {
        #expect(LoRANameRules.classify(name) == .refused(LoRANameRules.wrongExtensionReason))
    }

    @Test(arguments: ["x.safetensors.bak", "x.ckpt.old", "x.safetensors.1", ".a.safetensors.toolong7"])
    func aLoRANameWithSomethingAfterItIsRefusedNotTakenForATempFile(name: String) {
        guard case .refused(let reason) = LoRANameRules.classify(name) else {
            Issue.record("\(name) was not refused")
            return
        }
        #expect(reason.contains("nor a temporary name"))
    }

    @Test func aBareExtensionIsNotALoRAName() {
        #expect(LoRANameRules.classify(".safetensors") == .refused("\".safetensors\" has no name before its extension"))
        #expect(LoRANameRules.classify(".CKPT") == .refused("\".CKPT\" has no name before its extension"))
    }

    @Test func impossibleNamesAreRefusedWithAReason() {
        #expect(LoRANameRules.classify("") == .refused("the name is empty"))
        #expect(LoRANameRules.classify(".") == .refused("\".\" is not a file name"))
        #expect(LoRANameRules.classify("..") == .refused("\"..\" is not a file name"))
        #expect(LoRANameRules.classify("a/b") == .refused("a file name cannot contain \"/\""))
        #expect(LoRANameRules.classify("a/b.safetensors") == .refused("a file name cannot contain \"/\""))
        #expect(LoRANameRules.classify("a\u{0}.ckpt") == .refused("the name contains a NUL byte"))
        #expect(LoRANameRules.classify("a\nb.ckpt") == .refused("the name contains the control character 0x0A"))
        #expect(LoRANameRules.classify("a\u{7F}.ckpt") == .refused("the name contains the control character 0x7F"))
    }

    @Test func namesLongerThan255BytesAreRefused() {
        let ok = String(repeating: "a", count: 255 - 5) + ".ckpt"
        #expect(LoRANameRules.classify(ok) == .lora(.ckpt))
        let long = String(repeating: "a", count: 256 - 12) + ".safetensors"
        #expect(LoRANameRules.classify(long) == .refused("the name is 256 bytes long; the limit is 255 bytes of UTF-8"))
        let multibyte = String(repeating: "é", count: 125) + ".safetensors" // 250 + 12 bytes
        guard case .refused = LoRANameRules.classify(multibyte) else { Issue.record("expected refusal"); return }
    }

    @Test func rawBytesThatAreNotUTF8AreRefused() {
        #expect(LoRANameRules.classify(utf8Bytes: [0x61, 0xFF, 0x2E, 0x63, 0x6B, 0x70, 0x74]) == .refused("the name is not valid UTF-8"))
        #expect(LoRANameRules.classify(utf8Bytes: Array("a.ckpt".utf8)) == .lora(.ckpt))
    }

    @Test func stagingNamesGuessTheirEventualKind() {
        #expect(LoRANameRules.stagingTargetKind(".a.safetensors.Xy12Zq") == .safetensors)
        #expect(LoRANameRules.stagingTargetKind("a.ckpt.partial~") == .ckpt)
        #expect(LoRANameRules.stagingTargetKind("A.SAFETENSORS.part") == .safetensors)
        #expect(LoRANameRules.stagingTargetKind("a.ckpt.safetensors.tmp") == .safetensors)
        #expect(LoRANameRules.stagingTargetKind("tmpa1b2c3d4") == nil)
        #expect(LoRANameRules.stagingTargetKind(".goutputstream-ABC123") == nil)
    }
}

import LoRAFormats
import Testing

/// Malicious pickles inside an otherwise well-formed torch zip checkpoint.
@Suite("pickle safety")
struct PickleSafetyTests {
    func refusal(_ pickle: [UInt8]) -> LoRAValidationError? {
        validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(torchZip(pickle: pickle, storages: 0))) }
    }

    /// GLOBAL module name, a string argument, REDUCE: the classic `os.system("...")` payload.
    func callPickle(_ module: String, _ name: String, argument: String = "touch /tmp/pwned") -> [UInt8] {
        var p = Pickle.proto2()
        p.global(module, name); p.mark(); p.unicode(argument); p.tuple(); p.reduce(); p.stop()
        return p.bytes
    }

    @Test func aPickleThatImportsPosixSystemIsRefusedAsUnsafe() {
        #expect(refusal(callPickle("posix", "system")) == LoRAValidationError(.unsafePickle, #"pickle imports "posix.system", which is not allowed in a checkpoint"#))
    }

    @Test(arguments: [("os", "system"), ("nt", "system"), ("builtins", "eval"), ("builtins", "exec"),
                      ("__builtin__", "eval"), ("builtins", "getattr"), ("subprocess", "Popen"),
                      ("subprocess", "check_output"), ("pydoc", "locate"), ("importlib", "import_module"),
                      ("runpy", "_run_code"), ("torch", "load"), ("numpy.core.multiarray", "_reconstruct")])
    func dangerousGlobalsAreRefusedAsUnsafe(module: String, name: String) {
        let error = refusal(callPickle(module, name))
        #expect(error?.kind == .unsafePickle)
        #expect(error?.reason.contains("\"\(module).\(name)\"") == true)
    }

    @Test func stackGlobalIsRefusedBecauseItsTargetIsComputedAtLoadTime() {
        var p = Pickle.proto2()
        p.unicode("os"); p.unicode("system"); p.op([0x93]); p.mark(); p.unicode("id"); p.tuple(); p.reduce(); p.stop()
        let error = refusal(p.bytes)
        #expect(error?.kind == .unsafePickle)
        #expect(error?.reason.hasPrefix("pickle opcode 0x93 (STACK_GLOBAL) is not allowed") == true)
    }

    @Test func aProtocol4FrameIsRefused() {
        let pickle: [UInt8] = [0x80, 0x02, 0x95, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x4E, 0x2E]
        #expect(refusal(pickle) == LoRAValidationError(.unsafePickle, "pickle opcode 0x95 (FRAME) is not allowed (protocol > 2)"))
    }

    @Test func aProtocol4HeaderIsRefused() {
        #expect(refusal([0x80, 0x04, 0x4E, 0x2E])?.kind == .unsafePickle)
    }

    @Test func theInstOpcodeIsCheckedAgainstTheAllowList() {
        var p = Pickle.proto2()
        p.mark(); p.unicode("id"); p.inst("os", "system"); p.stop()
        #expect(refusal(p.bytes) == LoRAValidationError(.unsafePickle, #"pickle imports "os.system", which is not allowed in a checkpoint"#))
    }

    @Test func callingAValueOnlyGlobalIsRefused() {
        #expect(refusal(callPickle("torch", "FloatStorage"))?.reason == #"pickle calls "torch.FloatStorage", which may only be used as a value"#)
    }

    @Test func callingSomethingThatIsNotAGlobalIsRefused() {
        var p = Pickle.proto2()
        p.unicode("os.system"); p.mark(); p.unicode("id"); p.tuple(); p.reduce(); p.stop()
        #expect(refusal(p.bytes)?.kind == .unsafePickle)
    }

    @Test func buildOnAnAllowedClassItselfIsRefused() {
        // BUILD on a class object would set attributes on the class (monkey-patching).
        var p = Pickle.proto2()
        p.global("torch", "FloatStorage"); p.emptyDict(); p.build(); p.stop()
        #expect(refusal(p.bytes)?.kind == .unsafePickle)
    }

    @Test func codecsEncodeIsOnlyAllowedForLatin1() throws {
        var ok = Pickle.proto2()
        ok.global("_codecs", "encode"); ok.mark(); ok.unicode("abc"); ok.unicode("latin1"); ok.tuple(); ok.reduce(); ok.stop()
        #expect(refusal(ok.bytes) == nil)
        var bad = Pickle.proto2()
        bad.global("_codecs", "encode"); bad.mark(); bad.unicode("abc"); bad.unicode("rot13"); bad.tuple(); bad.reduce(); bad.stop()
        #expect(refusal(bad.bytes)?.kind == .unsafePickle)
    }

    @Test func copyregExtensionOpcodesAreRefused() {
        #expect(refusal([0x80, 0x02, 0x82, 0x01, 0x2E])?.reason.contains("EXT1") == true)
    }

    @Test func unknownOpcodesAreRefused() {
        #expect(refusal([0x80, 0x02, 0xFF, 0x2E]) == LoRAValidationError(.unsafePickle, "unknown pickle opcode 0xff (unknown) at offset 2"))
    }

    @Test func aPersistentIdThatIsNotAStorageTupleIsRefused() {
        var p = Pickle.proto2()
        p.unicode("module"); p.binpersid(); p.stop()
        #expect(refusal(p.bytes)?.kind == .unsafePickle)
    }

    @Test func memoReferencesMustExist() {
        var p = Pickle.proto2()
        p.binget(7); p.stop()
        #expect(refusal(p.bytes)?.reason.contains("memo entry 7") == true)
    }

    @Test func aLegacyCheckpointWithAMaliciousMainPickleIsRefused() {
        var file = CheckpointValidator.legacyMagicPickle
        file += [0x80, 0x02, UInt8(ascii: "M"), 0xE9, 0x03, 0x2E]
        file += [0x80, 0x02, 0x7D, 0x2E]
        file += callPickle("posix", "system")
        #expect(validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(file)) }?.kind == .unsafePickle)
    }

    @Test func aBareMaliciousPickleIsReportedAsUnsafe() {
        let error = validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(callPickle("posix", "system"))) }
        #expect(error?.kind == .unsafePickle)
    }

    @Test func protocolZeroTextOpcodesAreDecoded() throws {
        // (dp0\nS'a'\np1\nI1\nsg1\nL5L\ns.  ==  {'a': 1, <memo 1>: 5}
        let text = "(dp0\nS'a'\np1\nI1\nsg1\nL5L\ns."
        let summary = try CheckpointValidator.validate(InMemoryByteSource(torchZip(pickle: Array(text.utf8), storages: 0)))
        #expect(summary.tensorCount == 0)
        #expect(summary.globals.isEmpty)
    }

    @Test func appendingToSomethingThatIsNotAListIsRefused() {
        var p = Pickle.proto2()
        p.global("collections", "OrderedDict"); p.int(1); p.op([UInt8(ascii: "a")]); p.stop()
        #expect(refusal(p.bytes)?.kind == .unsafePickle)
    }
}

import LoRAFormats
import Testing

/// The argument shapes the walker allows for each allowed call, and its resource bounds.
@Suite("pickle call rules")
struct PickleCallRuleTests {
    func refusal(_ pickle: [UInt8], storages: Int = 1) -> LoRAValidationError? {
        validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(torchZip(pickle: pickle, storages: storages))) }
    }

    /// `_rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())` with `args` changed.
    func rebuild(size: [Int] = [4, 4], stride: [Int] = [4, 1], offset: Int = 0, hooks: Bool = true, extra: Bool = false) -> [UInt8] {
        var p = Pickle.proto2()
        p.global("torch._utils", "_rebuild_tensor_v2"); p.mark()
        p.mark(); p.unicode("storage"); p.global("torch", "FloatStorage"); p.unicode("0"); p.unicode("cpu"); p.int(16); p.tuple()
        p.binpersid(); p.int(offset)
        p.mark(); for v in size { p.int(v) }; p.tuple()
        p.mark(); for v in stride { p.int(v) }; p.tuple()
        p.newFalse()
        if hooks { p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce() } else { p.unicode("hooks") }
        if extra { p.int(1); p.int(2) }
        p.tuple(); p.reduce(); p.stop()
        return p.bytes
    }

    @Test func aWellFormedRebuildPasses() {
        #expect(refusal(rebuild()) == nil)
    }

    @Test func tooManyArgumentsAreRefused() {
        #expect(refusal(rebuild(extra: true))?.reason == #"pickle calls "torch._utils._rebuild_tensor_v2" at offset 134 with 8 arguments; torch.save writes 6 or 7"#)
    }

    @Test func hooksThatAreNotAnOrderedDictAreRefused() {
        #expect(refusal(rebuild(hooks: false))?.kind == .unsafePickle)
    }

    @Test func aViewPastItsStorageIsRefused() {
        #expect(refusal(rebuild(size: [4, 4], stride: [4, 1], offset: 1))?.reason
            == "tensor of size [4, 4] at offset 1 runs past the end of storage \"0\" (16 elements)")
        #expect(refusal(rebuild(size: [2, 2], stride: [8, 1], offset: 0)) == nil)
    }

    @Test func aStorageThatIsNotAPersistentIdIsRefused() {
        var p = Pickle.proto2()
        p.global("torch._utils", "_rebuild_tensor_v2"); p.mark(); p.unicode("x"); p.int(0)
        p.emptyTuple(); p.emptyTuple(); p.newFalse(); p.emptyDict(); p.tuple(); p.reduce(); p.stop()
        #expect(refusal(p.bytes, storages: 0)?.reason.hasSuffix("with a first argument that is not a storage") == true)
    }

    @Test func orderedDictWithAStringArgumentIsRefused() {
        var p = Pickle.proto2()
        p.global("collections", "OrderedDict"); p.mark(); p.unicode("x"); p.tuple(); p.reduce(); p.stop()
        #expect(refusal(p.bytes, storages: 0)?.reason == #"pickle calls "collections.OrderedDict" at offset 35 with arguments other than nothing or one list"#)
    }

    @Test func rebuildFromTypeOnlyWrapsATensorRebuilder() {
        var p = Pickle.proto2()
        p.global("torch._tensor", "_rebuild_from_type_v2"); p.mark()
        p.global("collections", "OrderedDict"); p.global("torch", "Tensor"); p.emptyTuple(); p.emptyDict()
        p.tuple(); p.reduce(); p.stop()
        #expect(refusal(p.bytes, storages: 0)?.kind == .unsafePickle)
    }

    @Test func aStorageTypeThatIsNotAStorageClassIsRefused() {
        var p = Pickle.proto2()
        p.mark(); p.unicode("storage"); p.global("torch", "Tensor"); p.unicode("0"); p.unicode("cpu"); p.int(16); p.tuple()
        p.binpersid(); p.stop()
        #expect(refusal(p.bytes)?.reason.hasSuffix("names a storage type that is not a torch storage class") == true)
    }

    @Test func torchSizeTakesOneTupleOfIntegers() {
        var p = Pickle.proto2()
        p.global("torch", "Size"); p.mark(); p.unicode("x"); p.tuple(); p.reduce(); p.stop()
        #expect(refusal(p.bytes, storages: 0)?.kind == .unsafePickle)
    }

    @Test func buildWithAStateThatIsNotADictIsRefused() {
        var p = Pickle.proto2()
        p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce(); p.unicode("x"); p.build(); p.stop()
        #expect(refusal(p.bytes, storages: 0)?.kind == .unsafePickle)
    }

    /// 100 000 levels: a walker that recursed per level, with no limit, would overflow its stack here.
    @Test func nestingPast64LevelsIsRefusedEvenAHundredThousandDeep() {
        var p = Pickle.proto2()
        p.op([UInt8(ascii: "N")])
        for _ in 0..<100_000 { p.op([0x85]) } // TUPLE1
        p.stop()
        #expect(refusal(p.bytes, storages: 0)?.reason.contains("nests containers more than 64 levels deep") == true)
    }

    @Test func aHugeStringIsRefusedBeforeItIsRead() {
        let pickle: [UInt8] = [0x80, 0x02, UInt8(ascii: "X")] + le32(0x7FFF_FFFF) + [0x2E]
        #expect(refusal(pickle, storages: 0)?.reason.contains("more than the 16777216-byte limit") == true)
    }
}

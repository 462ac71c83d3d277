import Foundation
import LoRAFormats
import MutationFuzzing
import Testing

/// Mutation fuzzing of the zip reader, the pickle walker and the safetensors header parser:
/// seeds (real torch files and built ones) mutated by bit flips, byte writes, inserts, deletes,
/// truncation and splices. Each input must be accepted or refused with a LoRAValidationError:
/// never a crash, a hang (time per input is bounded) or reads out of proportion to its size.
/// The loop and its settings are `MutationFuzzing`'s (Tests/MutationFuzzing).
@Suite("fuzzing")
struct FuzzTests {
    /// A reading source that counts what is asked of it.
    final class CountingSource: ByteSource {
        let inner: InMemoryByteSource
        var bytesRead = 0
        init(_ bytes: [UInt8]) { inner = InMemoryByteSource(bytes) }
        var size: UInt64 { inner.size }
        func read(at offset: UInt64, count: Int) throws -> [UInt8] {
            bytesRead += count
            return try inner.read(at: offset, count: count)
        }
    }

    static func fuzz(_ label: String, _ seeds: [[UInt8]], _ body: ([UInt8]) throws -> Void) -> Int {
        let outcome = MutationFuzzing.fuzz(label, seeds, isRefusal: { $0 is LoRAValidationError }, body)
        #expect(outcome.problems.isEmpty, "\(outcome.problems.prefix(5))")
        return outcome.inputs
    }

    static func fixtures() -> [[UInt8]] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasSuffix(".py") }.compactMap { try? [UInt8](Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    static func checkpoint(_ input: [UInt8]) throws {
        let source = CountingSource(input)
        _ = try CheckpointValidator.validate(source)
        #expect(source.bytesRead <= 4 * input.count + (1 << 20), "read \(source.bytesRead) bytes of a \(input.count)-byte file")
    }

    @Test func theZipReaderSurvivesMutations() {
        let names = HostileCheckpointTests.names
        let seeds = Self.fixtures().filter { $0.starts(with: [0x50, 0x4B]) }
            + [torchZip(pickle: stateDictPickle(names), storages: 2), torchZip(pickle: stateDictPickle(names), storages: 2, zip64: true),
               torchZip(pickle: stateDictPickle(names), storages: 2, descriptor: true)]
        #expect(Self.fuzz("zip", seeds, Self.checkpoint) > 0)
    }

    @Test func thePickleWalkerSurvivesMutations() {
        let names = HostileCheckpointTests.names
        let seeds = Self.fixtures().filter { !$0.starts(with: [0x50, 0x4B]) }
            + [legacyCheckpoint(names), stateDictPickle(names), Array("(dp0\nS'a'\np1\nI1\nsg1\nL5L\ns.".utf8)]
        // Pickles alone (wrapped in a zip so the walker sees them as data.pkl) and whole legacy files.
        _ = Self.fuzz("pickle", seeds) { input in
            if input.count % 2 == 0 { try Self.checkpoint(input) } else { try Self.checkpoint(torchZip(pickle: input, storages: 2)) }
        }
    }

    @Test func theSafetensorsHeaderParserSurvivesMutations() {
        let seeds = [safetensors(kohyaLoRA()), safetensors(peftLoRA(), metadata: ["ss_network_dim": "8", "modelspec.title": "x"])]
        #expect(Self.fuzz("safetensors", seeds) { input in _ = try SafetensorsHeader.parse(prefix: input) } > 0)
    }
}

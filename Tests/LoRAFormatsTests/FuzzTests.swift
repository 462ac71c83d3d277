import Foundation
import LoRAFormats
import Testing

/// Mutation fuzzing of the zip reader, the pickle walker and the safetensors header parser:
/// seeds (real torch files and built ones) mutated by bit flips, byte writes, inserts, deletes,
/// truncation and splices. Each input must be accepted or refused with a LoRAValidationError:
/// never a crash, a hang (time per input is bounded) or reads out of proportion to its size.
/// CI runs `LORAFS_FUZZ_RUNS` (default 5000) inputs per parser; `scripts/fuzz` sets
/// `LORAFS_FUZZ_SECONDS` to run each parser for that long instead (and `LORAFS_FUZZ_KEEP` to a
/// folder where the input being tried is kept, so a crash leaves it for a regression test).
@Suite("fuzzing")
struct FuzzTests {
    static let env = ProcessInfo.processInfo.environment
    static let runs = Int(env["LORAFS_FUZZ_RUNS"] ?? "") ?? 5000
    static let seconds = Double(env["LORAFS_FUZZ_SECONDS"] ?? "")
    static let seed = UInt64(env["LORAFS_FUZZ_SEED"] ?? "") ?? 0x10_4AF5

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

    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    }

    static func mutate(_ input: [UInt8], _ seeds: [[UInt8]], _ rng: inout SplitMix) -> [UInt8] {
        var out = input
        for _ in 0...rng.below(4) {
            let at = rng.below(out.count + 1)
            switch rng.below(8) {
            case 0 where !out.isEmpty: out[min(at, out.count - 1)] ^= UInt8(1 << rng.below(8))
            case 1 where !out.isEmpty:
                let interesting: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x2E, 0x28, 0x63, 0x51, 0x52, 0x93, 0x95]
                out[min(at, out.count - 1)] = interesting[rng.below(interesting.count)]
            case 2: out.insert(contentsOf: (0..<rng.below(16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            case 3 where !out.isEmpty: out.removeSubrange(at..<min(out.count, at + 1 + rng.below(32)))
            case 4: out = Array(out.prefix(at))
            case 5 where out.count >= 4: // a 32-bit field set to an edge value
                let p = min(at, out.count - 4)
                let v: [UInt32] = [0, 0xFFFF_FFFF, 0x7FFF_FFFF, UInt32(out.count), 0x8000_0000]
                out.replaceSubrange(p..<p + 4, with: le32(v[rng.below(v.count)]))
            case 6:
                let other = seeds[rng.below(seeds.count)]
                let from = rng.below(other.count)
                out.insert(contentsOf: other[from..<min(other.count, from + rng.below(256))], at: at)
            default: if !out.isEmpty { let i = rng.below(out.count), j = rng.below(out.count); out.swapAt(i, j) }
            }
        }
        return out
    }

    /// Runs `body` over mutated seeds; returns the number of inputs tried.
    @discardableResult
    static func fuzz(_ label: String, _ seeds: [[UInt8]], _ body: ([UInt8]) throws -> Void) -> Int {
        var rng = SplitMix(state: seed ^ UInt64(label.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        let start = Date()
        var count = 0
        var corpus = seeds
        while seconds.map({ Date().timeIntervalSince(start) < $0 }) ?? (count < runs) {
            let input = mutate(corpus[rng.below(corpus.count)], seeds, &rng)
            if let keep = env["LORAFS_FUZZ_KEEP"] { // a crash leaves the input that caused it here
                FileManager.default.createFile(atPath: "\(keep)/\(label).last", contents: Data(input))
            }
            let t0 = Date()
            do { try body(input) } catch is LoRAValidationError {} catch {
                Issue.record("\(label): unexpected error \(error) for input \(hex(input))")
            }
            if Date().timeIntervalSince(t0) > 2 { Issue.record("\(label): slow input (\(Date().timeIntervalSince(t0)) s): \(hex(input))") }
            if count % 8 == 0, corpus.count < 256 { corpus.append(input) }
            count += 1
        }
        if seconds != nil { print("fuzz \(label): \(count) inputs in \(Int(Date().timeIntervalSince(start))) s") }
        return count
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.prefix(64).map { String($0, radix: 16) }.joined(separator: " ")
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
        Self.fuzz("pickle", seeds) { input in
            if input.count % 2 == 0 { try Self.checkpoint(input) } else { try Self.checkpoint(torchZip(pickle: input, storages: 2)) }
        }
    }

    @Test func theSafetensorsHeaderParserSurvivesMutations() {
        let seeds = [safetensors(kohyaLoRA()), safetensors(peftLoRA(), metadata: ["ss_network_dim": "8", "modelspec.title": "x"])]
        Self.fuzz("safetensors", seeds) { input in _ = try SafetensorsHeader.parse(prefix: input) }
    }
}

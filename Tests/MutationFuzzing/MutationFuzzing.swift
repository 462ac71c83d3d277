import Foundation

/// The mutation fuzzer the parser tests share: seeds mutated by bit flips, byte
/// writes, inserts, deletes, truncation, 32-bit edge values and splices. Each input
/// must be accepted or refused with the parser's own error: never a crash, another
/// error, or a hang (time per input is bounded). CI runs `LORAFS_FUZZ_RUNS` (default
/// 5000) inputs per parser; `scripts/fuzz` sets `LORAFS_FUZZ_SECONDS` to run each for
/// that long instead, and `LORAFS_FUZZ_KEEP` to a folder where the input being tried is
/// kept, so a crash leaves it behind for a regression test.
public enum MutationFuzzing {
    static let env = ProcessInfo.processInfo.environment
    public static let runs = Int(env["LORAFS_FUZZ_RUNS"] ?? "") ?? 5000
    public static let seconds = Double(env["LORAFS_FUZZ_SECONDS"] ?? "")
    static let seed = UInt64(env["LORAFS_FUZZ_SEED"] ?? "") ?? 0x10_4AF5

    /// What a run found: how many inputs it tried and every problem, one line each.
    public struct Outcome: Sendable {
        public var inputs = 0
        public var problems: [String] = []
    }

    /// A small deterministic generator, so a seed reproduces a run.
    public struct SplitMix {
        var state: UInt64
        public init(state: UInt64) { self.state = state }
        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    }

    public static func mutate(_ input: [UInt8], _ seeds: [[UInt8]], _ rng: inout SplitMix) -> [UInt8] {
        var out = input
        for _ in 0...rng.below(4) {
            let at = rng.below(out.count + 1)
            switch rng.below(8) {
            case 0 where !out.isEmpty: out[min(at, out.count - 1)] ^= UInt8(1 << rng.below(8))
            case 1 where !out.isEmpty:
                let interesting: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x2E, 0x28, 0x63, 0x51, 0x52, 0x93, 0x95, 0x22, 0x7B, 0x5B]
                out[min(at, out.count - 1)] = interesting[rng.below(interesting.count)]
            case 2: out.insert(contentsOf: (0..<rng.below(16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            case 3 where !out.isEmpty: out.removeSubrange(at..<min(out.count, at + 1 + rng.below(32)))
            case 4: out = Array(out.prefix(at))
            case 5 where out.count >= 4: // a 32-bit field set to an edge value
                let p = min(at, out.count - 4)
                let v: [UInt32] = [0, 0xFFFF_FFFF, 0x7FFF_FFFF, UInt32(truncatingIfNeeded: out.count), 0x8000_0000]
                withUnsafeBytes(of: v[rng.below(v.count)].littleEndian) { out.replaceSubrange(p..<p + 4, with: $0) }
            case 6:
                let other = seeds[rng.below(seeds.count)]
                let from = rng.below(other.count)
                out.insert(contentsOf: other[from..<min(other.count, from + rng.below(256))], at: at)
            default: if !out.isEmpty { let i = rng.below(out.count), j = rng.below(out.count); out.swapAt(i, j) }
            }
        }
        return out
    }

    /// Runs `body` over mutated seeds. An error that `isRefusal` accepts is the
    /// parser saying no, which is fine; any other error, or an input slower than 2 s,
    /// is a problem.
    public static func fuzz(_ label: String, _ seeds: [[UInt8]], isRefusal: (any Error) -> Bool,
                            _ body: ([UInt8]) throws -> Void) -> Outcome {
        var rng = SplitMix(state: seed ^ UInt64(label.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        let start = Date()
        var outcome = Outcome()
        var corpus = seeds
        while seconds.map({ Date().timeIntervalSince(start) < $0 }) ?? (outcome.inputs < runs) {
            let input = mutate(corpus[rng.below(corpus.count)], seeds, &rng)
            if let keep = env["LORAFS_FUZZ_KEEP"] {
                FileManager.default.createFile(atPath: "\(keep)/\(label).last", contents: Data(input))
            }
            let t0 = Date()
            do { try body(input) } catch where isRefusal(error) {} catch {
                outcome.problems.append("\(label): unexpected error \(error) for input \(hex(input))")
            }
            let took = Date().timeIntervalSince(t0)
            if took > 2 { outcome.problems.append("\(label): slow input (\(took) s): \(hex(input))") }
            if outcome.inputs % 8 == 0, corpus.count < 256 { corpus.append(input) }
            outcome.inputs += 1
        }
        if seconds != nil { print("fuzz \(label): \(outcome.inputs) inputs in \(Int(Date().timeIntervalSince(start))) s") }
        return outcome
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.prefix(64).map { String($0, radix: 16) }.joined(separator: " ")
    }
}

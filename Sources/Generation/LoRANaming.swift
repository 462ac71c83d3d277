import LoRAFormats

/// How WAN 2.2 LoRA files say which A14B expert they are for: the file-name conventions of the
/// high/low pairs people publish, and musubi-tuner's `modelspec.timestep_range`.
///
/// ## File-name markers (case-insensitive unless noted)
/// The stem (the name without `.safetensors`/`.ckpt`) is split into words at `_`, `-`, `.` and
/// spaces. A marker is:
/// - `high_noise`, `high-noise`, `highnoise` (and `low…`) anywhere: `boat_high_noise`,
///   `high_noise_boat`, `boat_HighNoise_v2`;
/// - the word `high`/`hn`/`h` (and `low`/`ln`/`l`) as the LAST word: `boat_high`, `boat-H`, `boat_ln`;
/// - the same words written in CAPITALS anywhere: `boat_HIGH_fp16`, `boat-H-v1`.
///
/// A lowercase `high`/`low` elsewhere is a plain word (`high-contrast-style` is not a high-noise LoRA).
/// A name with no marker, or with more than one, has no convention. Removing the marker and one
/// separator next to it gives the pair's stem: `boat-style_high_noise` and `boat-style_low_noise`
/// are the pair `boat-style`; so are `boat-style_HIGH`/`boat-style_LOW`, `boat-style-H`/`boat-style-L`
/// and `high_noise_boat-style`/`low_noise_boat-style`.
public enum LoRANaming {
    /// The LoRA file extensions, which may be omitted when naming a LoRA in a spec.
    public static let extensions = LoRAFileKind.allCases.map(\.fileExtension)

    /// `name` without a trailing `.safetensors`/`.ckpt` (any case).
    public static func stem(of name: String) -> String {
        let lower = name.lowercased()
        for ext in extensions where lower.hasSuffix(ext) && lower.count > ext.count {
            return String(name.dropLast(ext.count))
        }
        return name
    }

    /// The expert a file name marks and the pair stem left once the marker is removed;
    /// `nil` when the name follows no convention (or is ambiguous).
    public static func marker(in name: String) -> (expert: LoRAExpert, pairStem: String)? {
        let parts = split(stem(of: name))
        var found: [(expert: LoRAExpert, first: Int, last: Int)] = []
        var index = 0
        while index < parts.count {
            let word = parts[index].text
            let lower = word.lowercased()
            let isLast = index == parts.count - 1
            let isCapitals = word == word.uppercased() && word != word.lowercased()
            if ["high", "low"].contains(lower), index + 1 < parts.count, parts[index + 1].text.lowercased() == "noise" {
                found.append((lower == "high" ? .high : .low, index, index + 1))
                index += 2
                continue
            }
            if lower == "highnoise" || lower == "lownoise" {
                found.append((lower == "highnoise" ? .high : .low, index, index))
            } else if ["high", "hn", "h"].contains(lower), isLast || isCapitals {
                found.append((.high, index, index))
            } else if ["low", "ln", "l"].contains(lower), isLast || isCapitals {
                found.append((.low, index, index))
            }
            index += 1
        }
        guard found.count == 1, let match = found.first, parts.count > match.last - match.first + 1 else { return nil }
        return (match.expert, join(parts, removing: match.first...match.last))
    }

    /// The expert a `modelspec.timestep_range` says a LoRA was trained for, or `nil` when the
    /// text is not a range of two numbers.
    ///
    /// Accepted forms: `875,1000`, `[875, 1000]`, `(0, 875)`, `875-1000`, and fractions of one
    /// (`0.875,1`). A range lying within 875...1000 is `high`, within 0...900 is `low` (875 and 900
    /// are the T2V and I2V switch points, so either model's musubi ranges classify the same way);
    /// any other range spans both experts and is `both`.
    public static func expert(fromTimestepRange text: String) -> LoRAExpert? {
        var numbers: [Double] = []
        var current = ""
        for character in text + " " {
            if character.isNumber || (character == "." && !current.isEmpty) {
                current.append(character)
            } else if !current.isEmpty {
                guard let number = Double(current) else { return nil }
                numbers.append(number)
                current = ""
            }
        }
        guard numbers.count == 2, numbers[0] < numbers[1] else { return nil }
        let scale = numbers[1] <= 1 ? 1000.0 : 1.0
        let (low, high) = (numbers[0] * scale, numbers[1] * scale)
        guard high <= 1000 else { return nil }
        if low >= 875 { return .high }
        if high <= 900 { return .low }
        return .both
    }

    /// The expert a LoRA is for when a spec does not say: from its timestep range, else from its
    /// file name, else `both`.
    public static func inferredExpert(for info: LoRAInfo) -> LoRAExpert {
        if let range = info.timestepRange, let expert = expert(fromTimestepRange: range) { return expert }
        return marker(in: info.name)?.expert ?? .both
    }

    private struct Part {
        var separatorBefore: String
        var text: String
    }

    private static func split(_ stem: String) -> [Part] {
        var parts: [Part] = []
        var separator = ""
        var word = ""
        for character in stem {
            if "_-. ".contains(character) {
                if !word.isEmpty {
                    parts.append(Part(separatorBefore: separator, text: word))
                    word = ""
                    separator = ""
                }
                separator.append(character)
            } else {
                word.append(character)
            }
        }
        if !word.isEmpty { parts.append(Part(separatorBefore: separator, text: word)) }
        return parts
    }

    private static func join(_ parts: [Part], removing range: ClosedRange<Int>) -> String {
        var kept = parts
        let next = range.upperBound + 1
        if range.lowerBound == 0, next < kept.count {
            kept[next].separatorBefore = kept[0].separatorBefore
        }
        kept.removeSubrange(range)
        return kept.map { $0.separatorBefore + $0.text }.joined()
    }
}

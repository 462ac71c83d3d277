import Catalog
import Generation
import LoRAFormats

/// The one copy between what a header says (`LoRASummary`), what the catalog
/// keeps (`LoRARecord`) and what a job spec resolves against (`LoRAInfo`).
extension LoRARecord {
    init(name: String, objectKey: String, size: Int64, sha256: String, uploadedAt: Double, kind: String,
         summary: LoRASummary?) {
        self.init(name: name, objectKey: objectKey, size: size, sha256: sha256, uploadedAt: uploadedAt, kind: kind)
        if let summary { describe(summary) }
    }

    /// Fills in what a safetensors header says about the LoRA.
    mutating func describe(_ summary: LoRASummary) {
        rank = summary.rank
        hiddenSize = summary.hiddenSize
        hasImageCrossAttention = summary.hasImageCrossAttention
        timestepRange = summary.timestepRange
        triggerPhrase = summary.triggerPhrase
        baseModel = summary.baseModel
    }
}

extension LoRAInfo {
    init(_ record: LoRARecord) {
        self.init(name: record.name, objectKey: record.objectKey, size: UInt64(record.size), sha256: record.sha256,
                  hiddenSize: record.hiddenSize, hasImageCrossAttention: record.hasImageCrossAttention,
                  timestepRange: record.timestepRange)
    }
}

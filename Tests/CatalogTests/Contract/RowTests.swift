import Catalog
import Testing

/// Rows and jobs: what every catalog engine must do alike, run against each.

@Test(arguments: CatalogEngine.allCases) func aMissingJobIsNotFound(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    #expect(throws: CatalogError.notFound("ghost")) { try catalog.updateJob(job("ghost")) }
}

@Test(arguments: CatalogEngine.allCases) func jobsAreStoredUpdatedAndForgotten(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    let boat = job("boat", createdAt: 2)
    try catalog.insertJob(boat)
    try catalog.insertJob(job("ark", createdAt: 1))
    #expect(throws: CatalogError.exists("boat")) { try catalog.insertJob(boat) }
    var done = boat
    done.state = "completed"
    done.statusURL = "https://queue.example/status?x='1'"
    done.responseURL = "https://queue.example/response"
    done.cancelURL = "https://queue.example/cancel"
    done.error = "none"
    done.updatedAt = 3.25
    done.outputKey = "workspaces/t/jobs/boat/output.mp4"
    done.outputSize = 1 << 40
    try catalog.updateJob(done)
    #expect(try catalog.allJobs() == [job("ark", createdAt: 1), done])  // oldest first
    #expect(try catalog.deleteJob(named: "boat") == done)
    #expect(try catalog.deleteJob(named: "boat") == nil)
    #expect(try catalog.allJobs() == [job("ark", createdAt: 1)])
}

@Test(arguments: CatalogEngine.allCases) func loraSummariesRoundTrip(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    var row = record("high.safetensors")
    row.hiddenSize = 5120
    row.rank = 32
    row.timestepRange = "875,1000"
    row.triggerPhrase = "boat style"
    row.baseModel = "wan2.2"
    row.hasImageCrossAttention = true
    try catalog.upsert(row)
    #expect(try catalog.lora(named: "high.safetensors") == row)
}

@Test(arguments: CatalogEngine.allCases) func renameKeepsTheObjectKeyAndReplacesTheTarget(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    try catalog.upsert(record("a.safetensors", key: "ka"))
    try catalog.upsert(record("b.safetensors", key: "kb"))
    let replaced = try catalog.rename(from: "a.safetensors", to: "b.safetensors")
    #expect(replaced == record("b.safetensors", key: "kb"))
    #expect(try catalog.allLoRAs() == [record("b.safetensors", key: "ka")])
    // Onto a free name, nothing is replaced.
    #expect(try catalog.rename(from: "b.safetensors", to: "c.safetensors") == nil)
    #expect(try catalog.allLoRAs() == [record("c.safetensors", key: "ka")])
}

@Test(arguments: CatalogEngine.allCases) func renamingAMissingRowFails(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    #expect(throws: CatalogError.notFound("x.ckpt")) { try catalog.rename(from: "x.ckpt", to: "y.ckpt") }
}

@Test(arguments: CatalogEngine.allCases) func upsertReturnsTheRowItReplaces(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    #expect(try catalog.upsert(record("a.safetensors", key: "k1")) == nil)
    let replaced = try catalog.upsert(record("a.safetensors", key: "k2", size: 99))
    #expect(replaced == record("a.safetensors", key: "k1"))
    #expect(try catalog.lora(named: "a.safetensors") == record("a.safetensors", key: "k2", size: 99))
    #expect(try catalog.allLoRAs().count == 1)
}

@Test(arguments: CatalogEngine.allCases) func anEmptyCatalogListsNothing(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    #expect(try catalog.allLoRAs().isEmpty)
    #expect(try catalog.allJobs().isEmpty)
    #expect(try catalog.lora(named: "a.safetensors") == nil)
}

@Test(arguments: CatalogEngine.allCases) func deleteReturnsTheRowItRemoved(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    try catalog.upsert(record("a.safetensors"))
    #expect(try catalog.delete(named: "a.safetensors") == record("a.safetensors"))
    #expect(try catalog.delete(named: "a.safetensors") == nil)
    #expect(try catalog.allLoRAs().isEmpty)
}

@Test(arguments: CatalogEngine.allCases) func replaceAllLoRAsReplacesEveryRow(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    try catalog.upsert(record("old.safetensors"))
    let rebuilt = (0..<300).map { record("r\($0).safetensors", size: Int64($0)) }
    try catalog.replaceAllLoRAs(with: rebuilt)
    #expect(try catalog.allLoRAs() == rebuilt.sorted { $0.name < $1.name })
    try catalog.replaceAllLoRAs(with: [])
    #expect(try catalog.allLoRAs().isEmpty)
}

@Test(arguments: CatalogEngine.allCases) func everyFieldRoundTripsWhateverItHolds(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    // Characters that array literals and SQL quote: the values travel as parameters, so none matters.
    let awkward = [#"quote".safetensors"#, #"back\slash.ckpt"#, "comma,{brace}.ckpt", "NULL", "it's; DROP TABLE lorafs_loras;--",
                   "space and\ttab.ckpt", "ünïcödé-名前.safetensors", "emoji-🎞️.ckpt"]
    var rows: [LoRARecord] = []
    for (index, name) in awkward.enumerated() {
        var row = record(name, key: "key-\(name)", size: Int64.max - Int64(index))
        row.uploadedAt = [0.1, 1e300, -0.0, 1_700_000_000.123456789, .leastNonzeroMagnitude, .infinity, 1, 2][index]
        row.rank = index.isMultiple(of: 2) ? nil : Int(Int32.max) + index
        row.hiddenSize = index.isMultiple(of: 3) ? nil : 5120
        row.hasImageCrossAttention = index.isMultiple(of: 2)
        row.timestepRange = index == 1 ? "875,1000" : nil
        row.triggerPhrase = index == 2 ? #"a "quoted" \ phrase"# : nil
        row.baseModel = index == 3 ? "" : nil
        rows.append(row)
    }
    // One at a time (upsert's statement) and all at once (replaceAll's arrays).
    for row in rows { try catalog.upsert(row) }
    let sorted = rows.sorted { $0.name < $1.name }
    #expect(try catalog.allLoRAs() == sorted)
    try catalog.replaceAllLoRAs(with: [])
    try catalog.replaceAllLoRAs(with: rows)
    #expect(try catalog.allLoRAs() == sorted)
    for row in rows { #expect(try catalog.lora(named: row.name) == row) }
    #expect(try catalog.changes(since: 0).upserted == sorted)
}

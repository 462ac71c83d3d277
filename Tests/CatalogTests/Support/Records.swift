import Catalog
import Foundation
import PostgreSQLCatalog
import SQLiteCatalog

/// A LoRA row whose object key defaults to one derived from the name.
func record(_ name: String, key: String? = nil, size: Int64 = 10) -> LoRARecord {
    LoRARecord(name: name, objectKey: key ?? "workspaces/t/loras/\(name)", size: size,
               sha256: String(repeating: "a", count: 64), uploadedAt: 1_700_000_000.5, kind: "safetensors")
}

func job(_ name: String, createdAt: Double = 1) -> JobRecord {
    JobRecord(name: name, spec: "{}", backend: "local", backendID: "id-\(name)", state: "queued",
              createdAt: createdAt, updatedAt: createdAt)
}

/// A workspace name no other test uses.
func freshWorkspace() -> String { "ws-\(UUID().uuidString.lowercased())" }

/// The engines behind `LoRACatalog`: the contract tests (`Contract/`) run against each,
/// seen only through the protocol.
enum CatalogEngine: String, CaseIterable, Sendable, CustomStringConvertible {
    /// The default: an SQLite file (here in memory).
    case sqlite
    /// A team's: a fresh workspace in the test cluster's shared database.
    case postgresql

    func makeCatalog() throws -> any LoRACatalog {
        switch self {
        case .sqlite: try SQLiteCatalog()
        case .postgresql: try makePostgreSQLCatalog()
        }
    }

    var description: String { rawValue }
}

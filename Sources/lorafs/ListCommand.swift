import ArgumentParser
import Catalog
import Foundation
import LoRAFSCore
import SQLiteCatalog

/// `lorafs ls`: the catalog without mounting.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List the LoRAs of a workspace's catalog without mounting it.")

    @OptionGroup var selection: WorkspaceSelection

    @Flag(help: "Print a JSON array of {name, size, sha256, uploaded_at, object_key}.")
    var json = false

    func run() throws {
        let path = StateDirectory.catalogPath(selection.directory)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no catalog at \(path): workspace \"\(selection.workspace)\" was never mounted with this state directory")
        }
        let records = try SQLiteCatalog(path: path).allLoRAs()
        if json {
            let rows: [[String: Any]] = records.map {
                ["name": $0.name, "size": $0.size, "sha256": $0.sha256, "object_key": $0.objectKey,
                 "uploaded_at": Date(timeIntervalSince1970: $0.uploadedAt).formatted(.iso8601)]
            }
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for record in records {
                let date = Date(timeIntervalSince1970: record.uploadedAt).formatted(.iso8601)
                print("\(String(record.size).leftPadded(to: 12))  \(date)  \(record.name)")
            }
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

import ArgumentParser
import Catalog
import Foundation
import JSON
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
        let location = try selection.catalogLocation()
        if case .sqlite(let path) = location, !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no catalog at \(path): workspace \"\(selection.workspace)\" was never mounted with this state directory")
        }
        let records = try location.open(workspace: selection.workspace).allLoRAs()
        if json {
            let rows: [JSONValue] = records.map {
                ["name": .string($0.name), "size": .int(Int($0.size)), "sha256": .string($0.sha256),
                 "object_key": .string($0.objectKey),
                 "uploaded_at": .string(Date(timeIntervalSince1970: $0.uploadedAt).formatted(.iso8601))]
            }
            // The same writer as status.json and the accepted specs: sorted keys, and a final newline.
            print(String(decoding: JSONWriter.encode(.array(rows), pretty: true), as: UTF8.self), terminator: "")
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

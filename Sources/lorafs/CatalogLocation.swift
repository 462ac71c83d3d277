import ArgumentParser
import Catalog
import PostgreSQLCatalog
import SQLiteCatalog

/// Where a workspace's catalog lives: `--catalog sqlite:PATH` (the default is
/// `STATE_DIR/catalog.sqlite`) or `--catalog postgresql://USER@HOST/DB` (a team's
/// shared catalog; the password from `~/.pgpass` or `PGPASSWORD`, as libpq reads them).
enum CatalogLocation: Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgresql(url: String)

    init(parsing text: String?, stateDirectory: String) throws {
        guard let text else {
            self = .sqlite(path: StateDirectory.catalogPath(stateDirectory))
            return
        }
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw ValidationError("--catalog sqlite:PATH needs a path") }
            self = .sqlite(path: StateDirectory.absolute(path))
        } else if text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") {
            self = .postgresql(url: text)
        } else {
            throw ValidationError("--catalog must be sqlite:PATH or postgresql://USER@HOST/DATABASE, not \"\(text)\"")
        }
    }

    func open(workspace: String) throws -> any LoRACatalog {
        switch self {
        case .sqlite(let path): try SQLiteCatalog(path: path)
        case .postgresql(let url): try PostgreSQLCatalog(url: url, workspace: workspace)
        }
    }

    /// For messages: never a password.
    var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgresql(let url): Self.withoutPassword(url)
        }
    }

    /// `postgresql://user:secret@host/db` -> `postgresql://user@host/db`.
    static func withoutPassword(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + String(url[at...])
    }
}

// swift-tools-version: 6.0
import PackageDescription

// Layout (see docs/ARCHITECTURE.md):
//   C shims, one per C library:  CFuse, CCurl, CCrypto, CLibPQ, CPlatform (libc)
//   OS calls, one typed wrapper each: Platform
//   Domain libraries (no FUSE):  JSON, LoRAFormats, Hashing, HTTPTransport, S3, Catalog, Generation, GenerationBackends, LoRAFSCore
//   Catalog engines:             SQLiteCatalog (the only GRDB user), PostgreSQLCatalog (the only libpq user)
//   The one FUSE binding:        FUSEAdapter
//   The command:                 lorafs
let package = Package(
    name: "lorafs",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lorafs", targets: ["lorafs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // MARK: C libraries (module map + a small header of typed wrappers each)
        .systemLibrary(name: "CFuse", pkgConfig: "fuse3", providers: [.apt(["libfuse3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CPlatform"),

        // MARK: The one place for libc and /proc calls
        .target(name: "Platform", dependencies: ["CPlatform"]),

        // MARK: Domain libraries
        // Foundation-free; Double.rounded() needs libm, which Foundation would otherwise bring.
        .target(name: "JSON", linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]),
        .target(name: "LoRAFormats", dependencies: ["JSON"]),
        .target(name: "Hashing", dependencies: ["CCrypto"]),
        .target(name: "HTTPTransport", dependencies: ["CCurl"]),
        .target(name: "S3", dependencies: [
            "HTTPTransport", "Hashing",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Catalog"),
        .target(name: "SQLiteCatalog", dependencies: [
            "Catalog",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "PostgreSQLCatalog", dependencies: ["Catalog", "CLibPQ"]),
        .target(name: "Generation", dependencies: ["JSON", "LoRAFormats"]),
        .target(name: "GenerationBackends", dependencies: ["Generation", "HTTPTransport"]),
        .target(name: "LoRAFSCore", dependencies: [
            "JSON", "LoRAFormats", "Hashing", "S3", "HTTPTransport", "Catalog", "Generation", "GenerationBackends", "Platform",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: The FUSE binding
        .target(name: "FUSEAdapter", dependencies: [
            "CFuse", "LoRAFSCore",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: The command
        .executableTarget(name: "lorafs", dependencies: [
            "FUSEAdapter", "LoRAFSCore", "S3", "Catalog", "SQLiteCatalog", "PostgreSQLCatalog", "GenerationBackends", "JSON", "HTTPTransport",
            "Platform",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Tests
        // The mutation fuzzer the parser tests share (a library, so two test targets can use it).
        .target(name: "MutationFuzzing", path: "Tests/MutationFuzzing"),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "LoRAFormatsTests", dependencies: ["LoRAFormats", "MutationFuzzing"], exclude: ["Fixtures"]),
        .testTarget(name: "S3Tests", dependencies: ["S3", "Hashing"]),
        // Contract/: the tests every catalog engine passes alike, run against each;
        // SQLite/ and PostgreSQL/: each engine's own. A PostgreSQL cluster of their own
        // (Debian's `postgresql`) starts once per test process (Support/).
        .testTarget(name: "CatalogTests", dependencies: [
            "Catalog", "SQLiteCatalog", "PostgreSQLCatalog", "Platform",
            // Only to write an old-schema SQLite file and to damage one, as another version would.
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "LoRAFSCoreTests", dependencies: ["LoRAFSCore", "LoRAFormats", "Generation", "GenerationBackends", "Catalog", "SQLiteCatalog", "S3", "Platform", "Hashing"]),
        .testTarget(name: "GenerationTests", dependencies: ["Generation", "JSON", "MutationFuzzing"]),
        .testTarget(name: "PlatformTests", dependencies: ["Platform"]),
        .testTarget(name: "HTTPTransportTests", dependencies: ["HTTPTransport"]),
    ]
)

// swift-tools-version: 6.1
import PackageDescription

// The layers, each a target that depends only on targets listed before it (ARCHITECTURE.md):
// FiletSupport → FiletSyntax → FiletRunbook → FiletJournal → FiletTransport → FiletActions, FiletNotify
// → FiletEngine → FiletReports → filet.
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let yams = Target.Dependency.product(name: "Yams", package: "Yams")

let package = Package(
    name: "filet",
    // Linux is what filet is built, tested and shipped on. SwiftPM's `platforms` only sets Apple systems'
    // minimum versions, so it is left out rather than suggest a macOS that is never built or tested.
    products: [
        .executable(name: "filet", targets: ["filet"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // Test and benchmark oracle only: never linked into `filet`.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        /// JSON values, UTF-8, hex, UTC time, durable files, blocking work and timeouts: no domain.
        .target(name: "FiletSupport"),
        /// Bytes to a located node tree, and diagnostics: knows no runbook.
        .target(name: "FiletSyntax", dependencies: ["FiletSupport"]),
        /// The runbook model, its schema, templates, conditions, masking and the plan (DAG).
        .target(name: "FiletRunbook", dependencies: ["FiletSyntax", "FiletSupport"]),
        /// The one typed record schema, writer, reader, verifier, checkpoints, recovery.
        .target(name: "FiletJournal", dependencies: ["FiletRunbook", "FiletSupport", crypto]),
        /// HTTP, TCP and DNS exchanges with their timing and failures: what checks and webhooks send through.
        .target(name: "FiletTransport", dependencies: ["FiletRunbook", "FiletSupport"]),
        /// Commands and checks: a prepared action in, an observation out.
        .target(name: "FiletActions", dependencies: ["FiletTransport", "FiletRunbook", "FiletSupport", crypto]),
        /// Notification payloads, signing, webhook and file delivery, the outbox store.
        .target(name: "FiletNotify", dependencies: ["FiletTransport", "FiletJournal", "FiletRunbook", "FiletSupport", crypto]),
        /// The executor, notification routing, resume policy, outbox delivery and the run sessions.
        .target(
            name: "FiletEngine",
            dependencies: [
                "FiletActions", "FiletNotify", "FiletJournal", "FiletRunbook", "FiletSyntax", "FiletSupport", crypto,
            ]
        ),
        /// Timelines, readiness and the md / html / json reports, rebuilt from journals.
        .target(name: "FiletReports", dependencies: ["FiletEngine", "FiletActions", "FiletNotify", "FiletJournal", "FiletRunbook", "FiletSupport"]),
        /// The command line: flags → one library call → rendering → one exit-code table.
        .executableTarget(
            name: "filet",
            dependencies: [
                "FiletReports", "FiletEngine", "FiletNotify", "FiletActions", "FiletJournal", "FiletRunbook",
                "FiletSyntax", "FiletSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        /// Seeded generators of runbook-shaped documents and loopback servers, shared by tests and benchmarks.
        .target(name: "FiletTestSupport", dependencies: ["FiletNotify", "FiletJournal", "FiletRunbook", "FiletSyntax", "FiletSupport"]),
        .executableTarget(
            name: "filet-bench",
            dependencies: [
                "FiletEngine", "FiletNotify", "FiletActions", "FiletJournal", "FiletRunbook", "FiletSyntax",
                "FiletSupport", "FiletTestSupport", yams,
            ],
            path: "Benchmarks/filet-bench"
        ),
        /// The fuzz targets (FuzzTarget): libFuzzer + AddressSanitizer through scripts/fuzz.sh, else a replayer.
        .executableTarget(name: "filet-fuzz", dependencies: ["FiletTestSupport"], path: "Fuzz/filet-fuzz"),
        .testTarget(name: "FiletSupportTests", dependencies: ["FiletSupport"]),
        .testTarget(name: "FiletSyntaxTests", dependencies: ["FiletSyntax", "FiletSupport", "FiletTestSupport", yams]),
        .testTarget(name: "FiletRunbookTests", dependencies: ["FiletRunbook", "FiletSyntax", "FiletSupport", "FiletTestSupport"]),
        .testTarget(name: "FiletJournalTests", dependencies: ["FiletJournal", "FiletRunbook", "FiletSupport", crypto, "FiletTestSupport"]),
        .testTarget(name: "FiletTransportTests", dependencies: ["FiletTransport", "FiletSupport", "FiletTestSupport"]),
        .testTarget(
            name: "FiletActionsTests",
            dependencies: ["FiletActions", "FiletTransport", "FiletRunbook", "FiletSupport", "FiletTestSupport"]
        ),
        .testTarget(
            name: "FiletNotifyTests",
            dependencies: ["FiletNotify", "FiletTransport", "FiletJournal", "FiletRunbook", "FiletSupport", "FiletTestSupport"]
        ),
        .testTarget(
            name: "FiletEngineTests",
            dependencies: [
                "FiletReports", "FiletEngine", "FiletActions", "FiletNotify", "FiletJournal", "FiletRunbook", "FiletSyntax",
                "FiletSupport", "FiletTestSupport",
            ]
        ),
        .testTarget(
            name: "FiletReportsTests",
            dependencies: ["FiletReports", "FiletEngine", "FiletNotify", "FiletJournal", "FiletRunbook", "FiletSupport", "FiletTestSupport"]
        ),
        .testTarget(
            name: "FiletCLITests",
            dependencies: ["FiletEngine", "FiletJournal", "FiletRunbook", "FiletSyntax", "FiletSupport", "FiletTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Strict settings on every target, as swift-log 1.16.2 applies them.
for target in package.targets {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    settings.append(.enableUpcomingFeature("NonisolatedNonsendingByDefault"))
    // Every public type says whether it is Sendable.
    settings.append(.unsafeFlags(["-Xfrontend", "-require-explicit-sendable"]))
    target.swiftSettings = settings
}

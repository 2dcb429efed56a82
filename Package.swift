// swift-tools-version: 6.1
import PackageDescription

/// Strict settings shared by every target (as swift-log does).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "filet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "filet", targets: ["filet"]),
        .library(name: "FiletKit", targets: ["FiletKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // Test and benchmark oracle only: never linked into `filet`.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(
            name: "FiletKit",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "filet",
            dependencies: [
                "FiletKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        /// Seeded generators of runbook-shaped documents, shared by tests and benchmarks.
        .target(name: "FiletTestSupport", dependencies: ["FiletKit"], swiftSettings: strictSettings),
        .executableTarget(
            name: "filet-bench",
            dependencies: ["FiletKit", "FiletTestSupport", .product(name: "Yams", package: "Yams")],
            path: "Benchmarks/filet-bench",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FiletKitTests",
            dependencies: ["FiletKit", "FiletTestSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FiletCLITests",
            dependencies: ["FiletKit", "FiletTestSupport"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version: 6.1
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "immuta",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Immuta", targets: ["Immuta"]),
        .library(name: "ImmutaStorage", targets: ["ImmutaStorage"]),
        .executable(name: "immutad", targets: ["immutad"]),
        .executable(name: "immutactl", targets: ["immutactl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        .target(name: "CImmutaChecksum"),
        // The lock every module uses: Synchronization.Mutex, or a pthread mutex for ThreadSanitizer.
        .target(name: "ImmutaLocks", swiftSettings: upcoming),
        .target(
            name: "ImmutaStorage",
            dependencies: [
                "ImmutaLocks",
                "CImmutaChecksum",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "immuta-storage-bench",
            dependencies: ["ImmutaStorage", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: upcoming
        ),
        .target(
            name: "ImmutaProtocol",
            dependencies: ["CImmutaChecksum", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: upcoming
        ),
        .target(
            name: "ImmutaServer",
            dependencies: [
                "ImmutaLocks",
                "ImmutaMirror",
                "ImmutaStorage",
                "ImmutaProtocol",
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "Immuta",
            dependencies: [
                "ImmutaLocks",
                "ImmutaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "immutad",
            dependencies: [
                "ImmutaLocks",
                "ImmutaServer",
                "ImmutaStorage",
                "ImmutaSystemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "immutactl",
            dependencies: [
                "ImmutaLocks",
                "Immuta",
                "ImmutaStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: upcoming
        ),
        // Test tool, not installed: libFuzzer target for the frame decoder and request parsing (scripts/fuzz.sh).
        .executableTarget(
            name: "immuta-fuzz-decoder",
            dependencies: ["ImmutaProtocol", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: upcoming
        ),
        // Test tool, not installed: sends random and mutated frames to a live immutad (scripts/fuzz.sh).
        .executableTarget(
            name: "immuta-netfuzz",
            dependencies: [
                "ImmutaLocks",
                "ImmutaTestSupport",
                "Immuta",
                "ImmutaProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .target(name: "ImmutaDaemonTesting", dependencies: ["ImmutaLocks"], swiftSettings: upcoming),
        // Test tool, not installed: kills, damages and fills the disk of a real immutad and checks
        // that nothing acknowledged is lost or altered (scripts/crashcheck.sh).
        .executableTarget(
            name: "immuta-crashcheck",
            dependencies: [
                "ImmutaLocks",
                "ImmutaTestSupport",
                "Immuta",
                "ImmutaProtocol",
                "ImmutaDaemonTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcoming
        ),
        // Test-only consumer-group member process for ImmutaIntegrationTests; not installed.
        .executableTarget(
            name: "immuta-group-member",
            dependencies: ["Immuta", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: upcoming
        ),
        // Test-only stand-in for a test runner that starts a daemon, for ImmutaIntegrationTests; not installed.
        .executableTarget(name: "immuta-daemon-runner", dependencies: ["ImmutaDaemonTesting"], swiftSettings: upcoming),
        .testTarget(
            name: "ImmutaIntegrationTests",
            dependencies: [
                "ImmutaLocks",
                "ImmutaTestSupport",
                "Immuta",
                "ImmutaProtocol",
                "ImmutaDaemonTesting",
                "immutad",
                "immutactl",
                "immuta-group-member",
                "immuta-daemon-runner",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ImmutaServerTests",
            dependencies: ["ImmutaServer", "ImmutaMirror", "ImmutaTestSupport"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ImmutaProtocolTests",
            dependencies: [
                "ImmutaTestSupport",
                "ImmutaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .target(name: "ImmutaTestSupport", dependencies: ["ImmutaLocks", "ImmutaStorage"], swiftSettings: upcoming),
        .testTarget(
            name: "ImmutaStorageTests",
            dependencies: [
                "ImmutaLocks",
                "ImmutaStorage",
                "ImmutaTestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: upcoming
        ),
        // The NATS C client (libnats), for mirroring topics into NATS JetStream.
        .systemLibrary(name: "CNats", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        // Mirrors (topics published into JetStream streams) and sources (streams appended to
        // topics). The storage engine stays free of networking: only this module links libnats.
        .target(
            name: "ImmutaMirror",
            dependencies: ["CNats", "ImmutaStorage", "ImmutaLocks", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ImmutaMirrorTests",
            dependencies: [
                "CNats", "Immuta", "ImmutaMirror", "ImmutaStorage", "ImmutaDaemonTesting", "ImmutaTestSupport", "ImmutaLocks",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        // systemd integration: notify, socket activation, watchdog, journal logging.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(
            name: "ImmutaSystemd",
            dependencies: ["ImmutaLocks", "CSystemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming
        ),
        // Test-only child process for ImmutaSystemdTests; not installed.
        .executableTarget(
            name: "immuta-systemd-probe",
            dependencies: ["ImmutaSystemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ImmutaSystemdTests",
            dependencies: [
                "ImmutaLocks", "ImmutaSystemd", "ImmutaTestSupport", "immuta-systemd-probe",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
    ],
    swiftLanguageModes: [.v6]
)

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
        .library(name: "ImmutaStorage", targets: ["ImmutaStorage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .target(name: "CImmutaChecksum"),
        .target(
            name: "ImmutaStorage",
            dependencies: [
                "CImmutaChecksum",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ImmutaStorageTests",
            dependencies: ["ImmutaStorage"],
            swiftSettings: upcoming
        ),
    ],
    swiftLanguageModes: [.v6]
)

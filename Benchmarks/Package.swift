// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so that the product's build and test run never compile them.
// Run: `cd Benchmarks && swift package benchmark` (see README, "Performance").
let package = Package(
    name: "SMSBridgeBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The package identity of a path dependency is its folder name; CI clones into other names, so name it.
        .package(name: "main", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", .upToNextMinor(from: "2.101.2")),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
    ],
    targets: [
        .executableTarget(
            name: "SMPPCodec",
            dependencies: [
                .product(name: "SMPP", package: "main"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/SMPPCodec",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "connector-load",
            dependencies: [
                .product(name: "SMPPClient", package: "main"),
                .product(name: "SMSCSimulator", package: "main"),
                .product(name: "SMPP", package: "main"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tools/ConnectorLoad"
        ),
        // A load tool, not a package-benchmark benchmark: `swift run -c release simulator-load --help`
        // (see README, "Simulator").
        .executableTarget(
            name: "simulator-load",
            dependencies: [
                .product(name: "SMPP", package: "main"),
                .product(name: "SMSCSimulator", package: "main"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/SimulatorLoad"
        ),
        // HTTP load against a running service: `scripts/bench-bridge` (see README, "Performance").
        .executableTarget(
            name: "bridge-load",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Tools/BridgeLoad"
        ),
        // A webhook endpoint that measures delivery rate and latency: `scripts/bench-webhooks`.
        .executableTarget(
            name: "webhook-load",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tools/WebhookLoad"
        ),
    ]
)

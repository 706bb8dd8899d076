// swift-tools-version: 6.1
import PackageDescription

// connbench's fuzzer: libFuzzer driving the readers of outside input that the root
// package's ConnFuzz target holds. A package of its own because it is built with
// `-sanitize=fuzzer` (every module instrumented for coverage), which the root's build and
// tests must never be; `fuzz.sh` next to this file builds and runs it.
let package = Package(
    name: "connbench-fuzz",
    dependencies: [
        .package(name: "connbench", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "connbench-fuzz",
            dependencies: [.product(name: "ConnFuzz", package: "connbench")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

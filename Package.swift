// swift-tools-version: 6.1
import PackageDescription

// Layers, each its own target, so that each can be read and tested alone; each depends
// only on those above it, and the compiler holds it to that:
//
//   ConnSys ← ConnModel ← ConnAnalysis ← ConnEngine ← ConnStudies ← ConnCLI ← connbench
//   ConnSys, ConnModel ← ConnReport ← ConnCLI
//   ConnSys ← ConnProbe ← ConnCLI
//   ConnCLI ← ConnFuzz
//
//   CNuma, CConnShim  C views of what Swift's Glibc module lacks (libnuma, epoll, GNU calls)
//   CUring            liburing (io_uring), behind CConnShim's plain uring functions
//   CZlib             zlib's deflate, for HdrHistogram's compressed encoding (latency.hlog)
//   ConnSys           the thin typed syscall layer: every syscall goes through one wrapper
//   ConnModel         values only: run configuration and its parsers, report values, the
//                     study values (sweep, compare, hold); it reads no file and calls no socket
//   ConnAnalysis      pure analyses of those values: the onset detector, the port budget's
//                     prediction, the verdict, figure warnings, compare statistics, the
//                     scalability fit, the hold's limit (no threads, sockets or files)
//   ConnEngine        workers, drivers, built-in listener, lab, kernel trace, and the
//                     readings of /proc and /sys that fill ConnModel's values: one run
//   ConnStudies       what runs the engine many times: compare, sweep, hold, merge, exhaust
//   ConnProbe         provokes each errno of the connect() reference table and classifies it
//   ConnReport        pure reporters of report values (text, CSV, JSON, HdrHistogram, HTML)
//                     and the one place that writes files; it reads ConnModel only
//   ConnCLI           argument parsing and printing only
//   ConnFuzz          each reader of outside input as a function of bytes, for libFuzzer
//                     (Tests/Fuzz) and the unit tests' corpus replay
//
// Access: what crosses targets is `package`, visible to this package only. `public` is
// what the products hand to the Benchmarks package (a run's config and report, the
// listener, the runner, the latency histogram's layout) and ConnSys: its hot-path
// wrappers are `@inlinable`, and an inlinable body may only name public (or
// `@usableFromInline`) declarations.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "connbench",
    products: [
        .executable(name: "connbench", targets: ["connbench"]),
        .library(name: "ConnModel", targets: ["ConnModel"]),
        .library(name: "ConnEngine", targets: ["ConnEngine"]),
        .library(name: "ConnReport", targets: ["ConnReport"]),
        .library(name: "ConnFuzz", targets: ["ConnFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CNuma",
            pkgConfig: "numa",
            providers: [.apt(["libnuma-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // liburing for the io_uring engine; only CConnShim's uring.c includes it (see
        // Sources/CUring/shim.h for why Swift does not import it).
        .systemLibrary(
            name: "CUring",
            pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]
        ),
        .target(name: "CConnShim", dependencies: ["CUring"], linkerSettings: [.linkedLibrary("uring")]),
        .target(
            name: "ConnSys",
            dependencies: [
                "CConnShim", "CNuma",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ConnModel",
            dependencies: [
                "ConnSys",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ConnAnalysis",
            dependencies: [
                "ConnSys", "ConnModel",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ConnEngine",
            dependencies: [
                "ConnSys", "ConnModel", "ConnAnalysis",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ConnStudies",
            dependencies: [
                "ConnSys", "ConnModel", "ConnAnalysis", "ConnEngine",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ConnReport",
            dependencies: [
                "ConnModel", "ConnSys", "CZlib",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .target(name: "ConnProbe", dependencies: ["ConnSys"], swiftSettings: strict),
        .target(
            name: "ConnCLI",
            dependencies: [
                "ConnEngine", "ConnStudies", "ConnModel", "ConnAnalysis", "ConnReport", "ConnProbe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "connbench", dependencies: ["ConnCLI"], swiftSettings: strict),
        // The readers of outside input as functions of bytes: libFuzzer drives them from
        // the Tests/Fuzz package, the unit tests replay its corpus through them.
        .target(
            name: "ConnFuzz",
            dependencies: ["ConnSys", "ConnModel", "ConnAnalysis", "ConnEngine", "ConnStudies", "ConnReport", "ConnCLI"],
            swiftSettings: strict
        ),
        // No root, no sockets, no namespaces, no spawned programs: seconds.
        .testTarget(
            name: "ConnbenchUnitTests",
            dependencies: [
                "ConnModel", "ConnAnalysis", "ConnEngine", "ConnStudies", "ConnReport", "ConnSys", "ConnProbe", "ConnCLI", "ConnFuzz",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        // Real sockets, listeners, namespaces, servers and the built binary.
        .testTarget(
            name: "ConnbenchEndToEndTests",
            dependencies: [
                "ConnCLI", "ConnEngine", "ConnStudies", "ConnModel", "ConnAnalysis", "ConnReport", "ConnSys", "ConnProbe",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            exclude: ["Fixtures"],  // data the tests read by path (#filePath), not resources
            swiftSettings: strict
        ),
    ]
)

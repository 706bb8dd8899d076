// swift-tools-version: 6.1
import PackageDescription

// connbench's benchmarks, in their own package so that the root package's builds and tests
// never compile package-benchmark (it makes a clean root build 2–3× slower).
//
// Run from the repository root (README.md here says how to read the output):
//   swift package --package-path Benchmarks --allow-writing-to-package-directory benchmark
// Only the root's products are used (ConnEngine, and ConnModel for the run's values); ConnSys is not one, so the benchmarks do
// not import it.
// It builds in Benchmarks/.build, never in the root's .build.
let package = Package(
    name: "connbench-benchmarks",
    dependencies: [
        .package(name: "connbench", path: ".."),
        // The "MallocInterposer" trait alone: it gives the malloc counts. package-benchmark's
        // other default trait (RuntimeInterposer, for ARC counts) is left off on purpose —
        // its ARC metrics crash here, so no benchmark asks for them.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        // The version the root package pins, for the module the benchmarks name directly
        // (ConnEngine's LatencyHistogram hands out its `Histogram`).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
    ],
    targets: [
        .executableTarget(
            name: "ConnectPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ConnEngine", package: "connbench"),
                .product(name: "ConnModel", package: "connbench"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/ConnectPath",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ]
)

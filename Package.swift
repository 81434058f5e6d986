// swift-tools-version: 6.0
import PackageDescription

// No build setting changes behaviour: the plan contract is checked once per plan (hp_plan_seal),
// not by a flag in the walk loop.
let package = Package(
    name: "HeapPack",
    products: [
        .library(name: "HeapPack", targets: ["HeapPack"]),
        .library(name: "HeapPackInspect", targets: ["HeapPackInspect"]),
        .executable(name: "heappack", targets: ["heappack"]),
        .executable(name: "heappack-demo", targets: ["heappack-demo"]),
    ],
    dependencies: [
        // The `heappack` tool's command line.
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        // Property tests: seeds, case counts and reproducible failure reports.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // libunwind: whether a code pointer from a packet is a function's entry (.eh_frame).
        .systemLibrary(
            name: "CLibunwind",
            path: "CSupport/CLibunwind",
            providers: [.apt(["libunwind-dev"])]
        ),
        .target(
            name: "CHeapPack",
            dependencies: ["CLibunwind"],
            path: "CSupport/CHeapPack",
            // The module map's `link "unwind"` autolinks only for Swift importers; the shim is C.
            linkerSettings: [.linkedLibrary("unwind")]
        ),
        .target(
            name: "HeapPack",
            dependencies: ["CHeapPack"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // `inspect` as a command any program can embed: only the writing binary has a packet's types.
        .target(
            name: "HeapPackInspect",
            dependencies: ["HeapPack", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "heappack",
            dependencies: ["HeapPackInspect", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "heappack-demo",
            dependencies: ["HeapPack", "HeapPackInspect"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Benchmarks of ../shared/bench/WORKLOADS.md: `swift run -c release heappack-bench`.
        .executableTarget(
            name: "heappack-bench",
            dependencies: ["HeapPack"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "HeapPackTestSupport",
            dependencies: ["HeapPack"],
            path: "Tests/HeapPackTestSupport",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Writes and reads packets for the cross-process tests: two runs of one binary.
        .executableTarget(
            name: "heappack-peer",
            dependencies: ["HeapPack", "HeapPackInspect", "HeapPackTestSupport"],
            path: "Tests/Peer",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Built without reflection metadata, to check that HeapPack refuses clearly there.
        .executableTarget(
            name: "heappack-noreflection",
            dependencies: ["HeapPack"],
            path: "Tests/NoReflection",
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-Xfrontend", "-disable-reflection-metadata"])]
        ),
        .testTarget(
            name: "HeapPackTests",
            dependencies: ["HeapPack", "CHeapPack", "HeapPackTestSupport", "heappack", "heappack-demo", "heappack-peer", "heappack-noreflection",
                           .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

// swift-tools-version: 6.1
import PackageDescription

// No build setting changes behaviour: the plan contract is checked once per plan (hp_plan_seal),
// not by a flag in the walk loop.
let package = Package(
    name: "HeapPack",
    products: [
        .library(name: "HeapPack", targets: ["HeapPack"]),
        .library(name: "HeapPackInspect", targets: ["HeapPackInspect"]),
        .library(name: "HeapPackCluster", targets: ["HeapPackCluster"]),
        .executable(name: "heappack", targets: ["heappack"]),
        .executable(name: "heappack-demo", targets: ["heappack-demo"]),
    ],
    // MPI: HeapPackCluster's Open MPI transport (Cluster.mpi(), SPMDCluster). A trait, not a
    // product, because it adds to the same Cluster API and worker entry point; and off by
    // default, so HeapPack and Cluster.local build on machines without Open MPI (SwiftPM builds
    // every target of a package, but reads CMPI's header only when a trait-enabled import does).
    traits: [.trait(name: "MPI", description: "Cluster.mpi() and SPMDCluster over Open MPI (libopenmpi-dev)")],
    dependencies: [
        // The `heappack` tool's command line.
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        // Property tests: seeds, case counts and reproducible failure reports.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        // HMAC-SHA256 tags of authenticated packets (PackOptions.authenticationKey). 4.x builds on
        // FoundationEssentials, 3.x on all of Foundation; the API HeapPack uses is the same in both.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // libunwind: whether a code pointer from a packet is a function's entry (.eh_frame), and
        // the stack of a crashing cluster worker.
        .systemLibrary(
            name: "CLibunwind",
            path: "CSupport/CLibunwind",
            providers: [.apt(["libunwind-dev"])]
        ),
        // xxHash: the packet checksum (XXH3-64, dispatched to the machine's widest vector unit).
        .systemLibrary(
            name: "CXXHash",
            path: "CSupport/CXXHash",
            providers: [.apt(["libxxhash-dev"])]
        ),
        .target(
            name: "CHeapPack",
            dependencies: ["CLibunwind", "CXXHash"],
            path: "CSupport/CHeapPack",
            // The module maps' `link` autolinks only for Swift importers; the shim is C.
            linkerSettings: [.linkedLibrary("unwind"), .linkedLibrary("xxhash")]
        ),
        .target(
            name: "HeapPack",
            dependencies: ["CHeapPack", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The cluster worker's fatal-signal handler and the Linux calls Swift cannot make itself.
        .target(
            name: "CHeapPackCluster",
            dependencies: ["CLibunwind"],
            path: "CSupport/CHeapPackCluster",
            // The module map's `link` reaches only Swift importers; this C target calls libunwind itself.
            linkerSettings: [.linkedLibrary("unwind")]
        ),
        // Open MPI for the MPI trait; its shim is header-only (CSupport/CMPI/shim.h says why).
        .systemLibrary(
            name: "CMPI",
            path: "CSupport/CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        // Ships closures to worker processes of the same binary: docs/CLUSTER.md.
        .target(
            name: "HeapPackCluster",
            dependencies: ["HeapPack", "CHeapPackCluster", .target(name: "CMPI", condition: .when(traits: ["MPI"]))],
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
        // sumEuler, nqueens and a parallel map on HeapPackCluster workers: speedup per number of
        // workers against the sequential program, as a table and an SVG chart.
        .executableTarget(
            name: "heappack-nodes",
            dependencies: ["HeapPackCluster", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // libFuzzer target over unpack and inspect: `bash scripts/fuzz.sh` (see the README).
        .executableTarget(
            name: "heappack-fuzz",
            dependencies: ["HeapPack", "CHeapPack", "HeapPackTestSupport"],
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
        // The coordinator of each cluster test scenario, and its own workers: closures travel
        // only between processes of one binary.
        .executableTarget(
            name: "heappack-cluster-check",
            dependencies: ["HeapPackCluster", "HeapPack", "CHeapPackCluster"],
            path: "Tests/ClusterCheck",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // MPI scenarios under mpiexec (the MPI trait): Tests/HeapPackTests/Cluster/MPITests.swift.
        .executableTarget(
            name: "heappack-mpi-check",
            dependencies: ["HeapPackCluster", "HeapPack"],
            path: "Tests/MPICheck",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // A worker of another binary, which a coordinator must refuse at the handshake.
        .executableTarget(
            name: "heappack-cluster-foreign",
            dependencies: ["HeapPackCluster"],
            path: "Tests/ClusterForeignWorker",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Random value graphs on many threads and across processes, with every object's life
        // counted; scripts/stress.sh runs it under AddressSanitizer and ThreadSanitizer.
        .executableTarget(
            name: "heappack-stress",
            dependencies: ["HeapPack", "HeapPackTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
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
                           "heappack-cluster-check", "heappack-cluster-foreign", "heappack-nodes", "heappack-mpi-check",
                           .product(name: "PropertyBased", package: "swift-property-based"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Graft",
    products: [
        .executable(name: "graft", targets: ["GraftCLI"]),
        .library(name: "Graft", targets: ["TensorCore", "GraphIR", "ONNXFormat", "KerasFormat", "Surgery"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // C libraries from Debian -dev packages, found with pkg-config.
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // setjmp/longjmp error handling for libjpeg and libpng (Swift cannot longjmp).
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"]),
        // protoc-c output for Formats/onnx/onnx.proto, committed (Formats/onnx/regenerate.sh).
        .target(name: "CONNXProto", dependencies: ["CProtobufC"]),

        .target(name: "TensorCore"),
        .target(name: "GraphIR", dependencies: ["TensorCore"]),
        .target(name: "HDF5Support", dependencies: ["CHDF5", "TensorCore"]),
        .target(name: "ONNXFormat", dependencies: ["GraphIR", "CONNXProto"]),
        .target(name: "Surgery", dependencies: ["GraphIR"]),
        // AVX2 (as in Runtime) so the resize loops vectorise; bounds and overflow checks stay on for hostile images.
        .target(name: "ImageData", dependencies: ["TensorCore", "GraphIR", "CImageCodecs"],
                swiftSettings: [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]),
        .target(name: "KerasFormat", dependencies: [
            "GraphIR", "HDF5Support",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        // OpenBLAS's sgemm as the runtime and Backprop call it (`BLAS.sgemm`).
        .target(name: "LinearAlgebra", dependencies: ["COpenBLAS"]),
        .target(name: "Runtime", dependencies: ["GraphIR", "LinearAlgebra"],
                swiftSettings: [.unsafeFlags(["-Ounchecked", "-Xcc", "-march=x86-64-v3"]), .swiftLanguageMode(.v5)]),
        // Forward and backward of a trainable trailing subgraph (fine-tuning the last blocks).
        .target(name: "Backprop", dependencies: ["GraphIR", "TensorCore", "LinearAlgebra", "Surgery"],
                swiftSettings: [.unsafeFlags(["-Ounchecked", "-Xcc", "-march=x86-64-v3"]), .swiftLanguageMode(.v5)]),
        .target(name: "Training", dependencies: ["Runtime", "Backprop", "ImageData", "Surgery", "GraphIR", "HDF5Support", "COpenBLAS"]),
        .executableTarget(name: "InferenceBenchmark", dependencies: ["Runtime", "ONNXFormat", "KerasFormat", "Surgery"],
                          path: "Benchmarks/InferenceBenchmark"),
        .executableTarget(name: "GraftCLI", dependencies: [
            "ONNXFormat", "KerasFormat", "Surgery", "Runtime", "ImageData", "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .executableTarget(name: "BackpropBenchmark", dependencies: ["Backprop", "Surgery", "KerasFormat", "ONNXFormat"],
                          path: "Benchmarks/BackpropBenchmark"),
        // libFuzzer entry points (issue #7); scripts/fuzz.sh builds them instrumented and links libFuzzer.
        .target(name: "GraftFuzz", dependencies: ["ONNXFormat", "KerasFormat", "ImageData", "Surgery", "Runtime"],
                path: "Fuzz/GraftFuzz"),

        // Benchmarks (no framework): run by the scripts in Benchmarks/, never by tests.
        .executableTarget(name: "LoadBenchmark", dependencies: ["ONNXFormat", "KerasFormat"],
                          path: "Benchmarks/LoadBenchmark"),

        .target(name: "TestSupport", dependencies: ["GraphIR", "TensorCore"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "GraphIRTests", dependencies: ["GraphIR", "TestSupport"]),
        .testTarget(name: "SurgeryTests", dependencies: ["Surgery", "Runtime", "ONNXFormat", "KerasFormat", "TestSupport"]),
        .testTarget(name: "ONNXFormatTests", dependencies: ["ONNXFormat", "TestSupport"]),
        .testTarget(name: "KerasFormatTests", dependencies: ["KerasFormat", "HDF5Support", "ONNXFormat", "Surgery", "TestSupport"]),
        .testTarget(name: "ImageDataTests", dependencies: ["ImageData", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "LinearAlgebra", "ONNXFormat", "KerasFormat", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "ONNXNodeTests", dependencies: ["ONNXFormat", "Runtime", "TestSupport"]),
        .testTarget(name: "BackpropTests", dependencies: ["Backprop", "Runtime", "Surgery", "ONNXFormat", "KerasFormat", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Backprop", "KerasFormat", "ONNXFormat", "Runtime", "Surgery", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["GraftCLI", "ONNXFormat", "KerasFormat", "Runtime", "TestSupport",
                                                          "HDF5Support", "Training"],
                    exclude: ["Fixtures"]),
    ]
)

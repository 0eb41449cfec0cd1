// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "nntheory",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nntheory", targets: ["nntheory"]),
        .library(name: "NumericCore", targets: ["NumericCore"]),
        .library(name: "Ensembles", targets: ["Ensembles"]),
        .library(name: "NTK", targets: ["NTK"]),
        .library(name: "FieldTheory", targets: ["FieldTheory"]),
        .library(name: "CYBridge", targets: ["CYBridge"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "MetricFlow", targets: ["MetricFlow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    ],
    targets: [
        // C headers of OpenBLAS (cblas), LAPACKE and FFTW3 (Debian: libopenblas-dev liblapacke-dev libfftw3-dev).
        .systemLibrary(name: "CNumericLibs", path: "Sources/CNumericLibs"),
        // Shared numerical core: dense arrays, BLAS/LAPACK/FFTW bindings, counter-based RNG, .npy I/O, quadrature.
        .target(
            name: "NumericCore",
            dependencies: ["CNumericLibs", .product(name: "Numerics", package: "swift-numerics")]
        ),
        .target(name: "Ensembles", dependencies: ["NumericCore"]),
        .target(name: "NTK", dependencies: ["NumericCore", "Ensembles"]),
        .target(name: "FieldTheory", dependencies: ["NumericCore", "Ensembles"]),
        .target(name: "CYBridge", dependencies: ["NumericCore"]),
        // Differentiation through input derivatives (jets), parameter gradients, optimisers, checkpoints.
        .target(name: "Training", dependencies: ["NumericCore"]),
        .target(name: "MetricFlow", dependencies: ["NumericCore", "CYBridge", "NTK", "Training"]),
        .executableTarget(
            name: "nntheory",
            dependencies: [
                "NumericCore", "Ensembles", "NTK", "FieldTheory", "CYBridge", "Training", "MetricFlow",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "NumericCoreTests", dependencies: ["NumericCore"]),
        .testTarget(name: "EnsemblesTests", dependencies: ["Ensembles", "NumericCore"]),
        .testTarget(name: "NTKTests", dependencies: ["NTK", "NumericCore"]),
        .testTarget(name: "FieldTheoryTests", dependencies: ["FieldTheory", "Ensembles", "NumericCore"]),
        .testTarget(name: "CYBridgeTests", dependencies: ["CYBridge", "NumericCore"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "NumericCore"]),
        .testTarget(name: "MetricFlowTests", dependencies: ["MetricFlow", "Training", "NumericCore"]),
        .testTarget(name: "CLITests", dependencies: ["nntheory"]),
    ]
)

// swift-tools-version:6.1
import PackageDescription

let numerics: Target.Dependency = .product(name: "Numerics", package: "swift-numerics")

let package = Package(
    name: "nntheory",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nntheory", targets: ["nntheory"]),
        .library(name: "NumericCore", targets: ["NumericCore"]),
        .library(name: "Networks", targets: ["Networks"]),
        .library(name: "Optimization", targets: ["Optimization"]),
        .library(name: "Ensembles", targets: ["Ensembles"]),
        .library(name: "NTK", targets: ["NTK"]),
        .library(name: "FieldTheory", targets: ["FieldTheory"]),
        .library(name: "CYBridge", targets: ["CYBridge"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "MetricFlow", targets: ["MetricFlow"]),
    ],
    // MPI: the optional MPI build (`make mpi` → .build-mpi/release/nntheory; needs libopenmpi-dev), in which
    // `mpirun -np K nntheory …` splits correlators, cy sample, cy sigma and cy donaldson across K ranks (docs/cluster.md).
    traits: [.trait(name: "MPI", description: "Run under mpirun: correlators and the CY sampling, σ and Donaldson split across ranks")],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    ],
    targets: [
        // C headers of OpenBLAS (cblas), LAPACKE and FFTW3 (Debian: libopenblas-dev liblapacke-dev libfftw3-dev).
        .systemLibrary(name: "CNumericLibs", path: "Sources/CNumericLibs"),
        // The C interface of MPI (Debian: libopenmpi-dev), only in the MPI build.
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // The process group of a command line: MPI_COMM_WORLD's ranks in the MPI build under mpirun, else one process.
        .target(name: "MPIRuntime", dependencies: ["NumericCore", .target(name: "CMPI", condition: .when(traits: ["MPI"]))]),
        // AVX2 kernels of the ensemble sampler (Philox words, ziggurat normals, four-lane erf), chosen at run time;
        // bit-identical to the portable Swift code they stand in for.
        .target(name: "CVectorKernels"),
        // OpenBLAS' thread-pool controls as weak references (bound whether OpenBLAS is linked shared or static).
        .target(name: "COpenBLASPool"),
        // File calls Swift's Glibc module does not declare (fallocate: reserving an output's blocks before writing it).
        .target(name: "CFileBlocks"),
        // Shared numerical core: dense arrays, BLAS/LAPACK/FFTW bindings, counter-based RNG, .npy I/O, quadrature.
        .target(
            name: "NumericCore",
            dependencies: ["CNumericLibs", "CVectorKernels", "COpenBLASPool", "CFileBlocks", numerics]
        ),
        // One network description for every module: activations (value, derivatives, kernel map), Dense layers,
        // `Serial` compositions with a flat parameter vector, the SPEC grammar, input jets and parameter gradients,
        // metric parametrisations and metric networks.
        .target(name: "Networks", dependencies: ["NumericCore", "CVectorKernels"]),
        // Optimisers over a flat parameter vector (GD, momentum, Adam, L-BFGS) and learning-rate schedules.
        .target(name: "Optimization", dependencies: ["NumericCore"]),
        .target(name: "Ensembles", dependencies: ["NumericCore", "Networks", "CVectorKernels"]),
        .target(name: "NTK", dependencies: ["NumericCore", "Networks", "Optimization", "Ensembles"]),
        .target(name: "FieldTheory", dependencies: ["NumericCore", "Ensembles", numerics]),
        .target(name: "CYBridge", dependencies: ["NumericCore", numerics]),
        // Curvature of network metrics through input jets, curvature losses, training runs and checkpoints.
        .target(name: "Training", dependencies: ["NumericCore", "Networks", "Optimization", "CYBridge", numerics]),
        // Metric flows on tori: the reference Ricci flow (pseudo-spectral, exponential time stepping), Perelman's
        // functionals, kernel and network realisations of the gradient flow of a metric, and their comparison.
        .target(name: "MetricFlow", dependencies: ["NumericCore", "Networks", "Optimization", "CYBridge", "NTK", "Training", numerics]),
        .executableTarget(
            name: "nntheory",
            dependencies: [
                "NumericCore", "Networks", "Optimization", "Ensembles", "NTK", "FieldTheory", "CYBridge", "Training",
                "MetricFlow", "MPIRuntime", numerics, .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["BuildInfoPlugin"]
        ),
        // The git commit the CLI is built from (`nntheory --version`, every summary's `run.commit`).
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        // Helpers shared by the test targets: random inputs, finite differences, error measures, Monte Carlo statistics,
        // temporary directories and the python3 runner.
        // The test process holds OpenBLAS at one thread (tests run concurrently; its thread count is process-wide).
        .target(name: "CTestSupport", path: "Tests/CTestSupport"),
        .target(name: "TestSupport", dependencies: ["NumericCore", "CTestSupport"], path: "Tests/TestSupport"),
        .testTarget(name: "NumericCoreTests", dependencies: ["NumericCore", "CVectorKernels", "CFileBlocks", "TestSupport"]),
        .testTarget(name: "NetworksTests", dependencies: ["Networks", "NumericCore", "TestSupport"]),
        .testTarget(name: "OptimizationTests", dependencies: ["Optimization", "NumericCore", "TestSupport"]),
        .testTarget(name: "EnsemblesTests", dependencies: ["Ensembles", "Networks", "NumericCore", "TestSupport"]),
        .testTarget(name: "NTKTests", dependencies: ["NTK", "Networks", "Ensembles", "NumericCore", "TestSupport"]),
        .testTarget(name: "FieldTheoryTests", dependencies: ["FieldTheory", "Ensembles", "NumericCore", "TestSupport"]),
        .testTarget(name: "CYBridgeTests", dependencies: ["CYBridge", "NumericCore", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "NTK", "Networks", "Optimization", "NumericCore", "CYBridge", "TestSupport", numerics]),
        .testTarget(name: "MetricFlowTests", dependencies: ["MetricFlow", "Training", "NTK", "Networks", "NumericCore", "CYBridge", "TestSupport", numerics]),
        .testTarget(name: "CLITests", dependencies: ["nntheory", "TestSupport"]),
        .testTarget(name: "FuzzTests", dependencies: ["Networks", "CYBridge", "Training", "NumericCore"]),
    ]
)

#!/usr/bin/env bash
# Builds the in-process timing harness Benchmarks/training/timing/main.swift against the objects of the
# release build in SCRATCH (default .build-train), without touching Package.swift. Output: $SCRATCH/release/training-timing.
#   swift build -c release --scratch-path .build-train --product nntheory && bash Benchmarks/training/build_timing.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
SC=${SCRATCH:-.build-train}
S=$SC/release
objs=()
for m in Training NumericCore RealModule ComplexModule Numerics _NumericsShims; do
  for o in "$S/$m.build"/*.o; do objs+=("$o"); done
done
swiftc -O -module-name TrainingTiming -I "$S/Modules" -Xcc -fmodule-map-file=Sources/CNumericLibs/module.modulemap \
  -I Sources/CNumericLibs -I "$S/_NumericsShims.build" -Xcc -I -Xcc "$SC/checkouts/swift-numerics/Sources/_NumericsShims/include" \
  Benchmarks/training/timing/main.swift "${objs[@]}" -lopenblas -llapacke -lfftw3 -o "$S/training-timing"
echo "$S/training-timing"

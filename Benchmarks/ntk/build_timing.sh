#!/usr/bin/env bash
# Builds the in-process timing harness Benchmarks/ntk/timing/main.swift against the objects of the release
# build in SCRATCH (default .build-bench), without touching Package.swift. Output: $SCRATCH/ntk-timing.
#   swift build -c release --scratch-path .build-bench --product nntheory && bash Benchmarks/ntk/build_timing.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
S=${SCRATCH:-.build-bench}/release
objs=()
for m in NTK NumericCore Ensembles RealModule ComplexModule Numerics _NumericsShims; do
  for o in "$S/$m.build"/*.o; do objs+=("$o"); done
done
swiftc -O -module-name NTKTiming -I "$S/Modules" -Xcc -fmodule-map-file=Sources/CNumericLibs/module.modulemap \
  -I Sources/CNumericLibs -I "$S/_NumericsShims.build" -Xcc -I -Xcc "${SCRATCH:-.build-bench}/checkouts/swift-numerics/Sources/_NumericsShims/include" \
  Benchmarks/ntk/timing/main.swift "${objs[@]}" -lopenblas -llapacke -lfftw3 -o "$S/ntk-timing"
echo "$S/ntk-timing"

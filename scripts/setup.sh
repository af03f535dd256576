#!/usr/bin/env bash
# From a fresh Debian 12 machine to the main job: installs what is missing, builds build/mnet
# (Release), and prints MobileNetV1's per-layer cost and latency table.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target mnet
build/mnet profile configs/mobilenet_v1.json

#!/usr/bin/env bash
# Installs the Debian 12 packages mnet needs that are not there yet (apt-get, as root or via sudo).
#   scripts/install_deps.sh          build dependencies
#   scripts/install_deps.sh --test   plus what the test suite uses (PyTorch for the parity tests,
#                                    clang 14 with its sanitizer/libFuzzer runtime for the fuzz pass)
set -euo pipefail

packages=(g++ cmake make libopenblas-openmp-dev libcli11-dev nlohmann-json3-dev libstb-dev catch2)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(python3-numpy python3-pil python3-torch python3-torchvision clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2

#!/usr/bin/env bash
# Installs the Debian 12 packages mnet needs that are not there yet (apt-get, as root or via sudo).
#   scripts/install_deps.sh          build dependencies
#   scripts/install_deps.sh --test   plus what the test suite uses (PyTorch for the parity tests,
#                                    clang 14 with its sanitizer/libFuzzer runtime for the fuzz pass,
#                                    Debian's chromium and tests/browser's npm packages for the browser test)
set -euo pipefail

packages=(g++ cmake make libopenblas-openmp-dev libcli11-dev nlohmann-json3-dev libstb-dev catch2)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(python3-numpy python3-pil python3-torch python3-torchvision python3-jsonschema clang-14 libclang-rt-14-dev chromium)
  # Node.js and npm as the machine has them (any source); Debian's where there are none.
  command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The browser test's playwright-core, exactly as tests/browser/package-lock.json pins it (it drives
# /usr/bin/chromium and downloads no browser of its own); again only when the lock file changed.
if [[ "${1:-}" == "--test" ]]; then
  browser="$(dirname "$0")/../tests/browser"
  if [[ ! -f "$browser/node_modules/.package-lock.json" || "$browser/package-lock.json" -nt "$browser/node_modules/.package-lock.json" ]]; then
    (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
fi

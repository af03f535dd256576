#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs every test in a Release
# build (again with the kernels held to each lower instruction set) and in an AddressSanitizer +
# UBSan build, then fuzzes every reader for a short
# pass (MNET_CI_FUZZ_SECONDS per target, default 40; 0 skips it). Tests that need the shared test data
# read $MNET_TESTDATA (default: ../shared/testdata beside the checkout) and skip, saying so,
# where it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_deps.sh --test
if [[ -z "${MNET_TESTDATA:-}" && -d ../shared/testdata ]]; then
  MNET_TESTDATA="$(cd ../shared/testdata && pwd)"
fi
export MNET_TESTDATA="${MNET_TESTDATA:-}"
[[ -n "$MNET_TESTDATA" ]] || echo "note: MNET_TESTDATA is not set and ../shared/testdata is absent: tests on real models will skip" >&2

jobs="$(nproc)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure)

# The HTML reports and figures in a real browser (tests/browser): Debian's headless chromium opens
# them offline, checks they rendered, hovers a bar and reads its tooltip, and takes screenshots.
if [[ -x /usr/bin/chromium && -d tests/browser/node_modules/playwright-core ]]; then
  browser_tmp="$(mktemp -d)"
  trap 'rm -rf "$browser_tmp"' EXIT
  export MNET_CACHE_DIR="$browser_tmp/cache"  # not the user's calibration cache
  build/mnet profile configs/mobilenet_v1.json --runs 3 --warmup 1 --format html -o "$browser_tmp/v1_profile.html" 2>/dev/null
  build/mnet profile configs/mobilenet_v2.json --cost-only --format html -o "$browser_tmp/v2_cost.html"
  build/mnet compare configs/mobilenet_v{1,2,3_large}.json --runs 3 --warmup 1 --format html -o "$browser_tmp/compare.html" 2>/dev/null
  build/mnet manifold --points 400 -o "$browser_tmp/relu_manifold.svg" >/dev/null
  build/mnet activations -o "$browser_tmp/activations.svg" >/dev/null
  node tests/browser/check_reports.mjs --out "$browser_tmp/screenshots" "$browser_tmp"/*.html "$browser_tmp"/*.svg
  unset MNET_CACHE_DIR
else
  echo "skipped: the browser test needs /usr/bin/chromium and tests/browser/node_modules (scripts/install_deps.sh --test)" >&2
fi

# The same suite with the kernels held to each lower instruction set this CPU can run
# (MNET_SIMD, src/kernels/simd_level.h), so the AVX2 and scalar paths that other CPUs take are
# tested here too.
lower_levels=()
if grep -qw avx512f /proc/cpuinfo; then lower_levels=(avx2 scalar)
elif grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then lower_levels=(scalar); fi
for level in "${lower_levels[@]}"; do
  echo "== the suite again with MNET_SIMD=$level"
  (cd build && MNET_SIMD="$level" ctest --output-on-failure)
done

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMNET_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure)

# A short libFuzzer pass over every reader; a crash, hang or leak fails the suite (scripts/fuzz.sh).
fuzz_seconds="${MNET_CI_FUZZ_SECONDS:-40}"
if [[ "$fuzz_seconds" != 0 ]]; then
  MNET_FUZZ_BUILD=build-fuzz-ci scripts/fuzz.sh "$fuzz_seconds"
fi

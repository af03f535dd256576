#!/usr/bin/env bash
# The README's pictures (docs/images/*.png), made the way a user makes them: mnet writes the HTML
# reports and SVG figures, and the browser test (tests/browser/check_reports.mjs, Debian's headless
# chromium) checks each one and takes its screenshot.
#   scripts/make_screenshots.sh [MNET]    MNET: the binary (default build/mnet)
#   MNET_SCREENSHOT_WAIT=SECONDS          how long each measurement waits for a quiet machine (300)
# Needs scripts/install_deps.sh --test. Calibrates first (into the usual cache, waiting up to
# MNET_SCREENSHOT_WAIT seconds for a quiet machine) so that the roofline has its ceiling and memory line; on a machine
# that stays busy the ceiling is not cached, and an earlier one (if any) is used. The measured
# figures are this machine's, at 1 thread.
set -euo pipefail
cd "$(dirname "$0")/.."
mnet="${1:-build/mnet}"
idle_wait="${MNET_SCREENSHOT_WAIT:-300}"
[[ -x "$mnet" ]] || { echo "make_screenshots.sh: $mnet is not built (cmake --build build)" >&2; exit 1; }
[[ -d tests/browser/node_modules/playwright-core ]] || { echo "make_screenshots.sh: run scripts/install_deps.sh --test first" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$mnet" calibrate --threads 1 --wait-idle="$idle_wait" >/dev/null || echo "make_screenshots.sh: calibrate cached nothing new; the roofline uses what the cache has" >&2

"$mnet" profile configs/mobilenet_v1.json --runs 30 --warmup 10 --wait-idle="$idle_wait" --format html -o "$work/v1_profile.html"
"$mnet" profile configs/mobilenet_v2.json --runs 30 --warmup 10 --wait-idle="$idle_wait" --format html -o "$work/v2_profile.html"
"$mnet" compare configs/mobilenet_v1.json configs/mobilenet_v2.json configs/mobilenet_v3_large.json \
  configs/mobilenet_v3_small.json --runs 30 --warmup 10 --wait-idle="$idle_wait" --format html -o "$work/compare_v1_v2_v3.html"
"$mnet" manifold --dims 2,3,5,15,30 --points 1000 --seed 1 -o "$work/relu_manifold.svg" >/dev/null
"$mnet" activations -o "$work/activations.svg" >/dev/null

node tests/browser/check_reports.mjs --out "$work/shots" "$work"/*.html "$work"/*.svg
mkdir -p docs/images
cp "$work/shots/v1_profile.png" docs/images/v1_profile.png
cp "$work/shots/v2_profile-roofline.png" docs/images/v2_roofline.png
cp "$work/shots/compare_v1_v2_v3.png" docs/images/compare_v1_v2_v3.png
cp "$work/shots/relu_manifold.png" docs/images/relu_manifold.png
cp "$work/shots/activations.png" docs/images/activations.png
ls -l docs/images/*.png

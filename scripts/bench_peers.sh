#!/usr/bin/env bash
# mnet against its peers: ONNX Runtime (onnxruntime-node, CPU) and PyTorch, on MobileNet V1, V2,
# V3-Large and V3-Small at 1 and 2 threads. A benchmark that prints figures, not a test.
#
#   scripts/bench_peers.sh [--runs N] [--rounds N] [--warmup N] [--budget S] [--models v1,v2,v3l,v3s]
#                          [--threads 1,2] [--quick] [--mnet PATH] [--work DIR] [--out FILE]
#                          [--torch-mode script+freeze+ofi|script+freeze|eager]
#
# 1. Exports each model once from Debian's PyTorch (/usr/bin/python3: torch 1.13, torchvision
#    0.14): fixed seed, eval mode, batch 1, 3x224x224 fp32 -> ONNX (opset 14, constant folding:
#    BatchNorm folded, checked), a state dict for PyTorch, .safetensors for mnet -- one model,
#    identical weights for all three engines (scripts/bench_peers/export_onnx.py).
# 2. Installs onnxruntime-node (pinned: ORT_VERSION below) with npm into the work folder (CUDA download skipped:
#    the CPU library ships inside the package).
# 3. Runs scripts/bench_peers/bench.py twice: with the environment as it is, and with
#    OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command alone. Each pass alternates
#    the engines in rounds; see bench.py for what the figures mean.
# 4. Prints one markdown table per OpenBLAS setting, then both side by side.
#
# Defaults: 3 rounds x 50 runs (+10 warm-up) per engine, model and thread count, each round capped
# at ~3 s of timed runs (--budget S; 0 = no cap; at least 5 runs): under 10 minutes on an idle
# 2-core machine, and bounded (~12 min) on a loaded one, where 2-thread runs can take a second.
# --quick: 2 rounds x 5 runs (+2 warm-up), a smoke test.
# Work folder: --work, else $XDG_CACHE_HOME/mnet-bench-peers, else /tmp/mnet-bench-peers.
set -euo pipefail

ORT_VERSION=1.30.0
REPO="$(cd "$(dirname "$0")/.." && pwd)"
PY=/usr/bin/python3  # Debian's python: torch 1.13 / torchvision 0.14 / numpy

runs=50 rounds=3 warmup=10 budget=3 models=v1,v2,v3l,v3s threads=1,2 mnet="" work="" out="" torch_mode=""
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --budget) budget="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --mnet) mnet="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --torch-mode) torch_mode="$2"; shift 2 ;;
    --quick) runs=5 rounds=2 warmup=2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_peers.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

mnet="${mnet:-$REPO/build/mnet}"
[[ -x "$mnet" ]] || { echo "bench_peers.sh: no mnet binary at $mnet (build it, or pass --mnet PATH)" >&2; exit 1; }
mnet="$(cd "$(dirname "$mnet")" && pwd)/$(basename "$mnet")"
work="${work:-${XDG_CACHE_HOME:+$XDG_CACHE_HOME/mnet-bench-peers}}"
work="${work:-/tmp/mnet-bench-peers}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
command -v node >/dev/null || { echo "bench_peers.sh: needs node and npm" >&2; exit 1; }
"$PY" -c 'import torch, torchvision, numpy' 2>/dev/null ||
  { echo "bench_peers.sh: $PY needs torch, torchvision and numpy (Debian: python3-torch python3-torchvision)" >&2; exit 1; }

echo "# mnet vs ONNX Runtime vs PyTorch ($(date '+%Y-%m-%d %H:%M'))" >&2
echo "uptime at start:$(uptime)" >&2

# --- ONNX Runtime for node ---------------------------------------------------------------------
npm_dir="$work/npm"
have="$(cd "$npm_dir" 2>/dev/null && node -p "require('onnxruntime-node/package.json').version" 2>/dev/null || true)"
if [[ "$have" != "$ORT_VERSION" ]]; then
  echo "installing onnxruntime-node@$ORT_VERSION into $npm_dir" >&2
  mkdir -p "$npm_dir"
  [[ -f "$npm_dir/package.json" ]] || echo '{"name": "mnet-bench-peers", "private": true}' >"$npm_dir/package.json"
  # ONNXRUNTIME_NODE_INSTALL=skip: the postinstall script would otherwise look for the CUDA
  # provider (not on the npm registry); the CPU library is inside the package.
  (cd "$npm_dir" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --save-exact \
     "onnxruntime-node@$ORT_VERSION" >&2)
fi

# --- the models ----------------------------------------------------------------------------------
arch_list="$("$PY" -c "import sys; sys.path.insert(0, '$REPO/scripts/bench_peers'); import bench; print(' '.join(bench.parse_models('$models')))")"
for arch in $arch_list; do
  d="$work/models/$arch"
  # Re-export when anything the export depends on changed (configs, exporters, mnet).
  key="$(cat "$REPO/configs/$arch.json" "$REPO/scripts/export_torchvision.py" "$REPO/scripts/torch_reference.py" \
           "$REPO/scripts/bench_peers/export_onnx.py" | sha256sum | cut -c1-16)-$("$mnet" --version | sha256sum | cut -c1-8)"
  if [[ "$(cat "$d/.key" 2>/dev/null)" != "$key" || ! -f "$d/export.json" ]]; then
    rm -rf "$d"
    "$PY" -W ignore "$REPO/scripts/bench_peers/export_onnx.py" --arch "$arch" --seed 0 --out-dir "$d" --mnet "$mnet" >&2
    echo "$key" >"$d/.key"
  else
    echo "$arch: using the export in $d" >&2
  fi
done

# --- the two passes ------------------------------------------------------------------------------
stamp="$(date +%Y%m%d-%H%M%S)"
common=(--work "$work/models" --mnet "$mnet" --node-path "$npm_dir/node_modules" --models "$models"
        --threads "$threads" --runs "$runs" --rounds "$rounds" --warmup "$warmup" --budget "$budget")
[[ -n "$torch_mode" ]] && common+=(--torch-mode "$torch_mode")
as_is="$work/results-$stamp-env.json"
unset_json="$work/results-$stamp-unset.json"
"$PY" "$REPO/scripts/bench_peers/bench.py" run "${common[@]}" --json-out "$as_is" \
  --label "Environment as is (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset})"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" "$REPO/scripts/bench_peers/bench.py" run "${common[@]}" \
  --json-out "$unset_json" --label "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (OpenBLAS detects the core)"
echo "uptime at end:$(uptime)" >&2

report="$("$PY" "$REPO/scripts/bench_peers/bench.py" report "$as_is" "$unset_json")"
echo "$report"
if [[ -n "$out" ]]; then
  printf '%s\n' "$report" >"$out"
  echo "wrote $out" >&2
fi
echo "raw results: $as_is $unset_json" >&2

#!/usr/bin/env bash
# Wall-clock seconds of mnet's readers on hostile inputs of size n and of 10n, and their ratio: a
# linear reader shows about 10, a quadratic one about 100. The tests check the same without timing,
# by counting steps (src/core/work_count.h); this shows what a user would wait.
#
#   scripts/bench_readers.sh [MNET_BINARY]      (default: build/mnet)
#
# Adding a case: write a generator `gen_NAME N FILE` that writes the hostile input of size N to
# FILE, and add one line "NAME N MNET-ARGUMENTS" to CASES below, with FILE where the input goes.
# Rejections are expected (exit 3): only the time until mnet exits counts.
set -euo pipefail
cd "$(dirname "$0")/.."
mnet=${1:-build/mnet}
python=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- generators -------------------------------------------------------------------------------

# n empty layers: 400k of them took 55 s (the JSON parser's callback rescanned the list each time).
gen_config_empty_layers() {
  "$python" -c 'import sys; n = int(sys.argv[1]); print("{\"name\": \"x\", \"resolution\": 8, \"layers\": [" + ", ".join(["{}"] * n) + "]}")' "$1" >"$2"
}

# 1000 named layers, then one add naming the last of them n times: 1.4M inputs took 93 s.
gen_config_add_inputs() {
  "$python" -c '
import json, sys
n = int(sys.argv[1])
layers = [{"type": "relu", "name": "l%d" % i} for i in range(1000)]
layers.append({"type": "add", "inputs": ["l999"] * n})
print(json.dumps({"name": "x", "resolution": 8, "layers": layers}))' "$1" >"$2"
}

# A chain of n layers, each naming the one before as its input (n at most kMaxNodes).
gen_config_named_chain() {
  "$python" -c '
import json, sys
n = int(sys.argv[1])
layers = [{"type": "relu", "name": "l0"}]
layers += [{"type": "relu", "name": "l%d" % i, "inputs": ["l%d" % (i - 1)]} for i in range(1, n)]
print(json.dumps({"name": "x", "resolution": 8, "layers": layers}))' "$1" >"$2"
}

# One layer with n keys, the first repeated at the end (a duplicate key).
gen_config_layer_keys() {
  "$python" -c '
import sys
n = int(sys.argv[1])
keys = "".join(", \"k%d\": 1" % i for i in range(n))
print("{\"name\": \"x\", \"resolution\": 8, \"layers\": [{\"type\": \"relu\"" + keys + ", \"k0\": 2}]}")' "$1" >"$2"
}

# --- cases: NAME N MNET-ARGUMENTS (FILE: the generated input) ----------------------------------
CASES=(
  "config_empty_layers 40000 profile FILE --cost-only"
  "config_add_inputs 140000 profile FILE --cost-only"
  "config_named_chain 900 profile FILE --cost-only"
  "config_layer_keys 100000 profile FILE --cost-only"
)

# .tflite cases (mnet reads a model as TFLite by its extension, so these write FILE.tflite), built
# with the flatbuffer writer of tests/fuzz/make_tflite_seeds.py. Before the fix: 9,999 same-named
# RELUs took 16 s (every name search began at _2), 65,535 MULs 24 s (each looked for its gate's
# producer among all operators).
gen_tflite() {
  "$python" - "$@" <<'EOF'
import sys
sys.path.insert(0, "tests/fuzz")
from make_tflite_seeds import S, Table, buffer, finish, model, op, opcode, tensor
kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3] + ".tflite"
tensors, ops = [tensor("input", [1, 4, 4, 3])], []
if kind == "relu":  # n RELUs in a chain, every output named "r"
    for i in range(n):
        tensors.append(tensor("r", [1, 4, 4, 3]))
        ops.append(op(0, [i], [i + 1]))
    code, last = 19, n
else:  # n MULs in a chain, each by a [1,1,1,3] vector nothing computes
    tensors.append(tensor("gate", [1, 1, 1, 3]))
    for i in range(n):
        tensors.append(tensor("m", [1, 4, 4, 3]))
        ops.append(op(0, [0 if i == 0 else i + 1, 1], [i + 2], 21, Table({0: S("b", 0)})))
    code, last = 18, n + 1
with open(out, "wb") as f:
    f.write(finish(model(tensors, ops, [opcode(code)], [buffer()], [0], [last]), "TFL3"))
EOF
}
gen_tflite_same_named_relus() { gen_tflite relu "$1" "$2"; }
gen_tflite_gate_muls() { gen_tflite mul "$1" "$2"; }
CASES+=(
  "tflite_same_named_relus 6500 info FILE.tflite"
  "tflite_gate_muls 6500 info FILE.tflite"
)

# n one-value F32 safetensors tensors given as --weights (the model declares none of them, so they
# are rejected once read): 50k took 26-37 s, 400k over 180 s (nlohmann's parse callback rescanned
# the header object at the end of every entry; each declared name was a linear search).
gen_safetensors_tensors() {
  "$python" -c '
import json, struct, sys
n = int(sys.argv[1])
header = json.dumps({"t%d" % i: {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]} for i in range(n)})
header += " " * (-len(header) % 8)
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header.encode() + bytes(4 * n))' "$1" "$2"
}
# A .npy input whose shape has n dimensions of 1 (the 64 KiB header limit allows about 21k).
gen_npy_dimensions() {
  "$python" -c '
import struct, sys
n = int(sys.argv[1])
h = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: (" + "1, " * n + "), }"
h += " " * (-(10 + len(h) + 1) % 64) + "\n"
with open(sys.argv[2], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + bytes(4))' "$1" "$2"
}
CASES+=(
  "safetensors_tensors 40000 profile configs/tiny_custom.json --weights FILE --runs 1 --warmup 0"
  "npy_dimensions 2000 run configs/tiny_custom.json --input FILE --output /dev/null"
)

# Seconds one run of mnet takes on FILE, as a decimal.
seconds_of() {
  local file=$1
  shift
  local args=("${@//FILE/$file}")
  local start end
  start=$(date +%s.%N)
  "$mnet" "${args[@]}" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}

printf '%-24s %9s %9s %9s %9s %7s\n' case n seconds 10n seconds ratio
for line in "${CASES[@]}"; do
  read -r name n args <<<"$line"
  read -ra argv <<<"$args"
  "gen_$name" "$n" "$tmp/small"
  "gen_$name" "$((10 * n))" "$tmp/large"
  small=$(seconds_of "$tmp/small" "${argv[@]}")
  large=$(seconds_of "$tmp/large" "${argv[@]}")
  ratio=$(awk -v s="$small" -v l="$large" 'BEGIN { if (s > 0) printf "%.1f", l / s; else print "-" }')
  printf '%-24s %9d %9s %9d %9s %7s\n' "$name" "$n" "$small" "$((10 * n))" "$large" "$ratio"
done

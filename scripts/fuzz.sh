#!/usr/bin/env bash
# Fuzzes every reader of hostile input, the command-line parser and the writer behind -o with
# libFuzzer + ASan + UBSan (clang).
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default: 60 s each, all targets
# Targets: config safetensors npy tflite image cli output. They run one after another. The growing corpus
# is kept in build-fuzz/corpus/<target>/ between runs; the committed text seeds (tests/fuzz/corpus/),
# the binary seeds tests/fuzz/make_seeds.py writes at each run (npy, safetensors, tflite, image,
# each with the inputs that once broke that reader), configs/*.json and the models and images of
# $MNET_TESTDATA (default ../shared/testdata) are read as extra seeds, and so are the config
# inputs that once crashed (tests/fuzz/regressions/config/).
# Crashing, hanging or out-of-memory inputs go to build-fuzz/findings/<target>/ and make the script
# exit 1; each, once fixed, gets a generator in tests/fuzz/make_seeds.py (a text input: a file in
# tests/fuzz/regressions/) and a test in tests/test_bad_input.cpp.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(config safetensors npy tflite image cli output)
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2; }

# Largest input per format: small enough that most mutations land in headers and structure
# rather than in bulk data. tflite fits the smallest test model whole (a cut model fails at once);
# the test images are cut to 64 KiB, which still exercises decoding of truncated files. cli is an
# argv of NUL-separated words, output a path, a NUL and the bytes to write.
declare -A max_len=([config]=16384 [safetensors]=4096 [npy]=4096 [tflite]=1048576 [image]=65536 [cli]=1024 [output]=2048)
for t in "${targets[@]}"; do
  [[ -n "${max_len[$t]:-}" ]] || { echo "$0: unknown target '$t' (config safetensors npy tflite image cli output)" >&2; exit 2; }
done

build="${MNET_FUZZ_BUILD:-build-fuzz}"
if [[ -z "${MNET_TESTDATA:-}" && -d ../shared/testdata ]]; then MNET_TESTDATA="$(cd ../shared/testdata && pwd)"; fi
testdata="${MNET_TESTDATA:-}"

mkdir -p "$build"
if ! { cmake -S tests/fuzz -B "$build" -DCMAKE_CXX_COMPILER="${MNET_FUZZ_CXX:-$(command -v clang++-14 || echo clang++)}" &&
       cmake --build "$build" -j"$(nproc)"; } >"$build/build.log" 2>&1; then
  tail -n 30 "$build/build.log" >&2
  echo "$0: building the fuzz targets failed (log: $build/build.log)" >&2
  exit 1
fi

# Seeds that live outside tests/fuzz/corpus, copied fresh on each run. libFuzzer cuts seeds
# longer than -max_len; pass a size limit to leave out the files that would be useless cut.
seeds_from() {  # TARGET MAX_BYTES FILE...
  local dir="$build/seeds/$1" limit="$2"
  shift 2
  rm -rf "$dir" && mkdir -p "$dir"
  local f
  for f in "$@"; do
    if [[ -f "$f" && $(stat -c %s "$f") -le $limit ]]; then cp "$f" "$dir/"; fi
  done
}
no_limit=$((1 << 62))
seeds_from config "${max_len[config]}" configs/*.json
if [[ -n "$testdata" ]]; then
  seeds_from tflite "${max_len[tflite]}" "$testdata"/models/*.tflite
  seeds_from image "$no_limit" "$testdata"/images/*
else
  echo "note: MNET_TESTDATA is not set and ../shared/testdata is absent: tflite and image start from the generated seeds only" >&2
  seeds_from tflite 0
  seeds_from image 0
fi
seeds_from npy 0
seeds_from safetensors 0
seeds_from cli 0     # only the committed seeds
seeds_from output 0
# The generated binary seeds (model, tensor and image files are not committed).
rm -rf "$build/generated"
/usr/bin/python3 tests/fuzz/make_seeds.py --out "$build/generated" --only npy,safetensors,tflite,image 2>/dev/null ||
  { echo "$0: tests/fuzz/make_seeds.py failed (needs /usr/bin/python3 with numpy and Pillow)" >&2; exit 1; }

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
summary=()
failed=0
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t" findings="$build/findings/$t" log="$build/logs/$t.log"
  mkdir -p "$corpus" "$findings" "$(dirname "$log")"
  before=$(find "$findings" -type f | wc -l)
  echo "fuzz_$t: ${seconds}s, -max_len=${max_len[$t]}, log $log" >&2
  status=0
  seed_dirs=("$build/seeds/$t")
  for d in tests/fuzz/corpus/"$t" "$build/generated/$t"; do [[ -d $d ]] && seed_dirs+=("$d"); done
  # Inputs that once crashed: replayed first, as every seed is.
  [[ -d tests/fuzz/regressions/$t ]] && seed_dirs+=(tests/fuzz/regressions/"$t")
  "$build/fuzz_$t" "$corpus" "${seed_dirs[@]}" \
    -max_len="${max_len[$t]}" -timeout=10 -rss_limit_mb=2048 -max_total_time="$seconds" \
    -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1 || status=$?
  after=$(find "$findings" -type f | wc -l)
  # The last status line ("#N DONE cov: C ft: F corp: ...") or, after a crash, the last progress line.
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1, ft \2/p' <<<"$last")
  if [[ $status -ne 0 || $after -gt $before ]]; then
    failed=1
    summary+=("fuzz_$t: FINDING (exit $status) after ${execs:-?} executions, ${cov:-no coverage line}; inputs in $findings/, details in $log")
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -3 | sed 's/^/    /' >&2 || true
  else
    summary+=("fuzz_$t: ok, ${execs:-?} executions, ${cov:-?}, corpus $(find "$corpus" -type f | wc -l) files")
  fi
done

echo >&2
printf '%s\n' "${summary[@]}"
exit "$failed"

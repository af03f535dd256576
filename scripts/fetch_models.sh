#!/usr/bin/env bash
# Fetches the official pretrained MobileNet TensorFlow Lite models (and the ImageNet labels file)
# that TensorFlow hosts, into models/ (gitignored), for `mnet import` / `mnet classify`.
#
#   scripts/fetch_models.sh                        # everything below (about 40 files)
#   scripts/fetch_models.sh v1-quant v2            # groups: v1-quant v1-float v2 v3 labels all
#   scripts/fetch_models.sh mobilenet_v2_1.0_224_quant imagenet_labels
#   scripts/fetch_models.sh --list v3              # what it would fetch, from where; fetches nothing
#   scripts/fetch_models.sh --mirror DIR ...       # copy from a local folder instead of downloading
#   scripts/fetch_models.sh --out DIR ...          # destination (default: models/ in the checkout)
#
# Sources (the published lists):
#   V1 quantized (2018-08-02) and float (2018-02-22), V2 1.0/224: the TensorFlow Lite "hosted
#     models" list, tensorflow/tensorflow tensorflow/lite/g3doc/guide/hosted_models.md;
#     each URL is a .tgz holding the .tflite beside the TF checkpoint and frozen graph.
#   V3 large/small: the MobileNetV3 ImageNet checkpoints of tensorflow/models,
#     research/slim/nets/mobilenet/README.md; each .tgz holds <name>/<name>.tflite.
#   Labels: TensorFlow's ImageNetLabels.txt, 1001 lines, "background" first (the order of
#     every classifier here).
# The models are saved as <name>.tflite with the names `--list` shows (V3's are renamed from
# v3-small_224_1.0_uint8.tflite etc. to the mobilenet_v3_small_1.0_224_quant style); the labels
# as imagenet_labels.txt.
#
# A mirror folder may hold, per model, <name>.tflite, the upstream .tflite name, or the upstream
# .tgz archive (only the .tflite is extracted); for the labels imagenet_labels.txt or
# ImageNetLabels.txt. Files already in the destination that pass the check are kept (--force
# fetches again). Every result is checked (a .tflite must have "TFL3" at bytes 4..8, the labels
# 1001 lines) and written through a temporary file in the destination that is renamed into
# place, so an interrupted or failed fetch leaves no partial file.
#
# Exit codes: 0 all fetched, 1 some could not be fetched (each named on stderr), 2 bad usage.
set -euo pipefail

prog="fetch_models.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"

tf=https://storage.googleapis.com/download.tensorflow.org
v3=https://storage.googleapis.com/mobilenet_v3/checkpoints

# name | group | url | .tflite inside the archive ("-" when the url is the file itself)
catalog() {
  local w r
  for w in 0.25 0.5 0.75 1.0; do
    for r in 128 160 192 224; do
      echo "mobilenet_v1_${w}_${r}_quant|v1-quant|$tf/models/mobilenet_v1_2018_08_02/mobilenet_v1_${w}_${r}_quant.tgz|mobilenet_v1_${w}_${r}_quant.tflite"
    done
  done
  for w in 0.25 0.5 0.75 1.0; do
    for r in 128 160 192 224; do
      echo "mobilenet_v1_${w}_${r}|v1-float|$tf/models/mobilenet_v1_2018_02_22/mobilenet_v1_${w}_${r}.tgz|mobilenet_v1_${w}_${r}.tflite"
    done
  done
  echo "mobilenet_v2_1.0_224_quant|v2|$tf/models/tflite_11_05_08/mobilenet_v2_1.0_224_quant.tgz|mobilenet_v2_1.0_224_quant.tflite"
  echo "mobilenet_v2_1.0_224|v2|$tf/models/tflite_11_05_08/mobilenet_v2_1.0_224.tgz|mobilenet_v2_1.0_224.tflite"
  echo "mobilenet_v3_large_1.0_224|v3|$v3/v3-large_224_1.0_float.tgz|v3-large_224_1.0_float.tflite"
  echo "mobilenet_v3_large_1.0_224_quant|v3|$v3/v3-large_224_1.0_uint8.tgz|v3-large_224_1.0_uint8.tflite"
  echo "mobilenet_v3_large_0.75_224|v3|$v3/v3-large_224_0.75_float.tgz|v3-large_224_0.75_float.tflite"
  echo "mobilenet_v3_small_1.0_224|v3|$v3/v3-small_224_1.0_float.tgz|v3-small_224_1.0_float.tflite"
  echo "mobilenet_v3_small_1.0_224_quant|v3|$v3/v3-small_224_1.0_uint8.tgz|v3-small_224_1.0_uint8.tflite"
  echo "mobilenet_v3_small_0.75_224|v3|$v3/v3-small_224_0.75_float.tgz|v3-small_224_0.75_float.tflite"
  echo "imagenet_labels|labels|$tf/data/ImageNetLabels.txt|-"
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

die_usage() {
  echo "$prog: error: $*" >&2
  echo "$prog: run '$prog --help' for the options" >&2
  exit 2
}

out="$root/models"
mirror=""
list=0
force=0
selectors=()
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --list) list=1 ;;
    --force) force=1 ;;
    --out) (($# >= 2)) || die_usage "--out needs a folder"; out="$2"; shift ;;
    --out=*) out="${1#--out=}" ;;
    --mirror) (($# >= 2)) || die_usage "--mirror needs a folder"; mirror="$2"; shift ;;
    --mirror=*) mirror="${1#--mirror=}" ;;
    -*) die_usage "unknown option '$1'" ;;
    *) selectors+=("$1") ;;
  esac
  shift
done
[[ -n "$out" ]] || die_usage "--out needs a folder"
if [[ -n "$mirror" && ! -d "$mirror" ]]; then die_usage "--mirror $mirror: not a folder"; fi
((${#selectors[@]})) || selectors=(all)

# The selected catalog lines, in catalog order, each once.
mapfile -t all_lines < <(catalog)
declare -A wanted=()
for sel in "${selectors[@]}"; do
  sel="${sel%.tflite}"
  sel="${sel%.txt}"
  found=0
  for line in "${all_lines[@]}"; do
    IFS='|' read -r name group _ _ <<<"$line"
    if [[ "$sel" == all || "$sel" == "$group" || "$sel" == "$name" ||
          ("$sel" == v1 && "$group" == v1-*) ]]; then
      wanted[$name]=1
      found=1
    fi
  done
  ((found)) || die_usage "unknown model or group '$sel' (groups: all v1 v1-quant v1-float v2 v3 labels; '$prog --list' shows every name)"
done
selected=()
for line in "${all_lines[@]}"; do
  IFS='|' read -r name _ _ _ <<<"$line"
  [[ -n "${wanted[$name]:-}" ]] && selected+=("$line")
done

dest_file() { [[ "$2" == labels ]] && echo "$out/imagenet_labels.txt" || echo "$out/$1.tflite"; }

if ((list)); then
  for line in "${selected[@]}"; do
    IFS='|' read -r name group url member <<<"$line"
    if [[ "$member" == - ]]; then
      printf '%s\t%s\n' "$(dest_file "$name" "$group")" "$url"
    else
      printf '%s\t%s (%s)\n' "$(dest_file "$name" "$group")" "$url" "$member"
    fi
  done
  exit 0
fi

# Checks: a TFLite flatbuffer has the file identifier "TFL3" at bytes 4..8; the labels file
# has 1001 lines, "background" first.
is_tflite() { [[ -f "$1" && "$(dd if="$1" bs=1 skip=4 count=4 2>/dev/null)" == TFL3 ]]; }
is_labels() {
  [[ -f "$1" && "$(grep -c '' "$1")" == 1001 && "$(head -n 1 "$1" | tr -d '\r')" == background ]]
}
check() { if [[ "$2" == labels ]]; then is_labels "$1"; else is_tflite "$1"; fi; }

download() {  # url file
  if command -v curl >/dev/null; then
    curl -fsSL --retry 2 --connect-timeout 20 -o "$2" "$1"
  elif command -v wget >/dev/null; then
    wget -q -O "$2" "$1"
  else
    echo "$prog: neither curl nor wget is installed" >&2
    return 1
  fi
}

# Extracts the .tflite named `member` (at any depth; if absent, the archive's only .tflite) from
# the archive into file `to`.
extract() {  # archive member to
  local entries entry
  entries="$(tar -tzf "$1" 2>/dev/null)" || { echo "$prog: $1: not a readable .tgz archive" >&2; return 1; }
  entry="$(grep -E "(^|/)${2//./\\.}\$" <<<"$entries" | head -n 1 || true)"
  if [[ -z "$entry" ]]; then
    local tflites
    tflites="$(grep -E '\.tflite$' <<<"$entries" || true)"
    if [[ -n "$tflites" && "$(wc -l <<<"$tflites")" -eq 1 ]]; then
      entry="$tflites"
    else
      echo "$prog: $1: holds no $2" >&2
      return 1
    fi
  fi
  tar -xzOf "$1" "$entry" >"$3"
}

# The mirror's copy of one catalog entry: a file (the .tflite or labels) or a .tgz; empty if none.
mirror_source() {  # name group url member
  local c
  local candidates=()
  if [[ "$2" == labels ]]; then
    candidates=("$mirror/imagenet_labels.txt" "$mirror/$(basename "$3")")
  else
    candidates=("$mirror/$1.tflite" "$mirror/$4" "$mirror/$(basename "$3")")
  fi
  for c in "${candidates[@]}"; do
    if [[ -f "$c" ]]; then
      echo "$c"
      return 0
    fi
  done
  return 0
}

mkdir -p "$out" || { echo "$prog: error: $out: cannot create the folder" >&2; exit 1; }
temps=()
cleanup() { ((${#temps[@]})) && rm -rf "${temps[@]}"; return 0; }
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=()
fetched=0
for line in "${selected[@]}"; do
  IFS='|' read -r name group url member <<<"$line"
  target="$(dest_file "$name" "$group")"
  if ((!force)) && check "$target" "$group"; then
    echo "$prog: $target: already there" >&2
    continue
  fi
  work="$(mktemp -d "$out/.fetch-$name.XXXXXX")"
  temps+=("$work")
  result="$work/result"
  ok=1
  if [[ -n "$mirror" ]]; then
    src="$(mirror_source "$name" "$group" "$url" "$member")"
    if [[ -z "$src" ]]; then
      echo "$prog: $name: not in the mirror $mirror" >&2
      ok=0
    elif [[ "$src" == *.tgz || "$src" == *.tar.gz ]]; then
      extract "$src" "$member" "$result" || ok=0
    else
      cp "$src" "$result" || ok=0
    fi
  else
    echo "$prog: downloading $url" >&2
    if [[ "$member" == - ]]; then
      download "$url" "$result" || ok=0
    else
      if download "$url" "$work/archive.tgz"; then
        extract "$work/archive.tgz" "$member" "$result" || ok=0
      else
        ok=0
      fi
    fi
    ((ok)) || echo "$prog: $name: could not download $url" >&2
  fi
  if ((ok)) && ! check "$result" "$group"; then
    if [[ "$group" == labels ]]; then
      echo "$prog: $name: the result is not a 1001-line ImageNet labels file" >&2
    else
      echo "$prog: $name: the result is not a TensorFlow Lite model (no TFL3 at bytes 4..8)" >&2
    fi
    ok=0
  fi
  if ((ok)); then
    chmod 644 "$result"
    mv -f "$result" "$target"
    echo "$prog: $target" >&2
    fetched=$((fetched + 1))
  else
    failed+=("$name")
  fi
  rm -rf "$work"
done

if ((${#failed[@]})); then
  echo "$prog: error: could not get ${#failed[@]} of ${#selected[@]}: ${failed[*]}" >&2
  exit 1
fi
echo "$prog: ${#selected[@]} file(s) in $out ($fetched fetched now)" >&2

#!/usr/bin/env bash
# Writes mnet(1) in roff to stdout from the built binary's own help, so the page never drifts from
# the options: NAME, SYNOPSIS, one section per subcommand (its --help verbatim), exit status,
# environment, files. CMake runs it after building mnet (build/mnet.1; installed to man1).
#
#   scripts/make_manpage.sh build/mnet > mnet.1 && man -l mnet.1
set -euo pipefail
mnet="${1:?usage: make_manpage.sh PATH/TO/mnet}"

version="$("$mnet" --version | awk 'NR == 1 {print $2}')"
# Help text as roff: backslashes and leading dots or quotes escaped, the machine's own memory size
# (in --max-memory's default) left out.
roff() { sed -e 's/\\/\\e/g' -e 's/^\([.'\'']\)/\\\&\1/' -e 's/, here [0-9.]* [KMGT]\{0,1\}i\{0,1\}B//'; }
commands="$("$mnet" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')"

cat <<ROFF
.TH MNET 1 "" "mnet $version" "User Commands"
.SH NAME
mnet \\- run, profile and compare MobileNets and the networks they are measured against
.SH SYNOPSIS
.B mnet
.I SUBCOMMAND
[\\fIOPTIONS\\fR] \\fIMODEL\\fR...
.SH DESCRIPTION
.nf
$("$mnet" --help | roff)
.fi
ROFF
for c in $commands; do
  printf '.SH "mnet %s"\n.nf\n' "$c"
  "$mnet" "$c" --help | roff
  printf '.fi\n'
done
cat <<'ROFF'
.SH "EXIT STATUS"
.TP
.B 0
success
.TP
.B 1
a failure while working (an image that failed among others, an eval stopped by Ctrl-C, a file that
could not be written)
.TP
.B 2
a usage error (an unknown option, a value out of range)
.TP
.B 3
bad input: a model, weights, image or array file that is malformed or does not fit; the one
error line names the file and what is wrong
.SH ENVIRONMENT
.TP
.B MNET_SIMD
lower the instruction set the kernels use: avx512, avx2 or scalar (never above the CPU's)
.TP
.B MNET_CACHE_DIR, XDG_CACHE_HOME, HOME
where mnet calibrate caches the GEMM ceiling: $MNET_CACHE_DIR, else $XDG_CACHE_HOME/mnet, else ~/.cache/mnet
.TP
.B OMP_NUM_THREADS, OMP_WAIT_POLICY
read by OpenMP; mnet's own loops take --threads
.TP
.B MNET_TEST_DISTURBED
for tests only: 1 marks every timed measurement as disturbed by other load, 0 none, whatever the machine did
.SH FILES
.TP
.I share/mnet/configs/
the architecture configs: MobileNet V1, V2, V3 and the networks they are compared with (installed beside the binary's prefix)
.SH "SEE ALSO"
The README and docs/ (engine, measurements, models, eval, limits, reliability; report.schema.json, the JSON reports' schema), installed in share/doc/mnet.
ROFF

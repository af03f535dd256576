#!/usr/bin/env python3
"""Regenerates the output blocks of README.md and docs/*.md from the commands that made them.

A fenced block preceded by a marker line is the output of that shell command, run from the
repository root with `mnet` meaning the built binary:

  <!-- output of: mnet profile configs/mobilenet_v1.json --cost-only | sed -n '/^By type/,$p' -->
      deterministic (cost tables): rewritten by default, compared by --check (the test suite runs it)
  <!-- measured by: mnet compare configs/mobilenet_v1.json --runs 100 -->
      timed: rewritten only with --measure, on a quiet machine; the block names the CPU it ran on

  scripts/update_docs.py [--mnet build/mnet] [--check | --measure] [FILE...]

Exit 0 when every block is current (--check) or was rewritten; 1 when --check found a stale block
(its file, line and a diff are printed); 2 on a command that failed or a marker without a block.
"""
import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(r"^<!-- (output of|measured by): (.*) -->$")


def fail(message):
    print("update_docs: " + message, file=sys.stderr)
    sys.exit(2)


def run(command, mnet, deterministic):
    with tempfile.TemporaryDirectory() as bindir:
        os.symlink(os.path.abspath(mnet), os.path.join(bindir, "mnet"))
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        if deterministic:
            env["MNET_CACHE_DIR"] = bindir  # no calibration cache of the user's in these blocks
        r = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=REPO, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        fail(f"`{command}` failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def blocks(lines):
    """(marker line index, kind, command, first content line, closing fence line) per marked block."""
    for i, line in enumerate(lines):
        m = MARKER.match(line.rstrip("\n"))
        if not m:
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
            fail(f"line {i + 1}: a marker must be followed by a ``` block")
        end = i + 2
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        if end == len(lines):
            fail(f"line {i + 2}: the block is not closed")
        yield i, m.group(1), m.group(2), i + 2, end


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mnet", default=os.path.join(REPO, "build", "mnet"))
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare deterministic blocks, change nothing")
    mode.add_argument("--measure", action="store_true", help="also rerun the timed blocks")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    files = args.files or [os.path.join(REPO, "README.md")] + sorted(
        os.path.join(REPO, "docs", f) for f in os.listdir(os.path.join(REPO, "docs")) if f.endswith(".md"))
    stale = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
        out, at = [], 0
        for marker, kind, command, first, end in blocks(lines):
            out += lines[at:first]
            old = lines[first:end]
            if kind == "measured by" and not args.measure:
                new = old
            else:
                text = run(command, args.mnet, kind == "output of")
                new = [l + "\n" for l in text.rstrip("\n").split("\n")]
            if args.check and kind == "output of" and new != old:
                stale += 1
                print(f"{os.path.relpath(path, REPO)}:{first + 1}: stale output of `{command}`:")
                sys.stdout.writelines(difflib.unified_diff(old, new, "in the file", "mnet prints now"))
            out += new
            at = end
        out += lines[at:]
        if not args.check and out != lines:
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(out)
            print(f"updated {os.path.relpath(path, REPO)}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

#!/bin/sh
# Runs one libFuzzer target for a bounded time, for `meson test --suite fuzz`
# (docs/fuzzing.md).
# Usage: run-fuzz-target.sh TARGET CORPUS-DIR DICT|'' ARTIFACT-DIR [LIBFUZZER-OPTION…]
#
# The seed corpus is copied to a temporary directory first: inputs the
# fuzzer finds during CI stay out of the source tree. A crash is saved to
# ARTIFACT-DIR (the build tree) and the run fails.
# FUZZ_SECONDS: how long to fuzz (default 20). libFuzzer exits 77 on a crash
# by default, which meson reads as "skipped": crashes exit 1 here.
set -eu
target=$1
corpus=$2
dict=$3
artifacts=$4
shift 4
seconds=${FUZZ_SECONDS:-20}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$artifacts"
cp -R "$corpus"/. "$work/corpus/"

name=$(basename "$target")
set -- "$@" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -error_exitcode=1 -timeout_exitcode=1 \
       -artifact_prefix="$artifacts/$name-"
if [ -n "$dict" ]; then
  set -- "$@" -dict="$dict"
fi
echo "$name: $(ls "$work/corpus" | wc -l) seed inputs, $seconds s"
status=0
"$target" "$@" "$work/corpus" || status=$?
exit $status

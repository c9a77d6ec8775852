#!/usr/bin/env bash
# Debian's valgrind, for the benchmark's instruction counts (callgrind: bench/instructions.ts), installed
# when missing and this user may (root with apt-get), as ensure-test-packages.sh installs the browser for the
# tests. Never fails: without valgrind `npm run bench` says the counts were not measured.
set -uo pipefail
command -v valgrind >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's valgrind for the benchmark's instruction counts..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null && exit 0
  echo "could not install valgrind: the benchmark will report instruction counts as not measured" >&2
  exit 0
fi
echo "valgrind is not installed (Debian: sudo apt-get install valgrind): the benchmark will report instruction counts as not measured" >&2
exit 0

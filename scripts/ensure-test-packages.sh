#!/usr/bin/env bash
# The Debian packages the test suite drives: chromium (the browser tests, through playwright-core,
# which downloads no browser), openssl (the smoke check's https tests make a certificate with it),
# and python3-boto3 and awscli (boto3's `sso` client and `aws sso ...` against the broker's access
# portal routes, run by absolute path: /usr/bin/python3, /usr/bin/aws, not whatever PATH finds), and
# valgrind (the benchmark's instruction counts, which test/bench checks on this project's Node).
# Installs what is missing when this user may (root with apt-get); otherwise says how.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[ -x "$browser" ] || missing+=(chromium)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import boto3' >/dev/null 2>&1; } || missing+=(python3-boto3)
[ -x /usr/bin/aws ] || missing+=(awscli)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's ${missing[*]} for the tests..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "The tests need ${missing[*]} (Chromium at $browser): install them (Debian: sudo apt-get install ${missing[*]}) or set CHROMIUM_PATH." >&2
exit 1

#!/bin/sh
# render-report.sh REPORT.html OUT.png [WIDTHxHEIGHT]
#
# Renders an HTML report of `filet audit report --format html` to a PNG with headless Chromium, to look at
# it as a person would (desktop by default, 1200x1600; pass 390x1600 for a phone). Not part of CI.
# Installs Debian's `chromium` package when it is missing (needs root and the package mirror).
set -eu
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
  exit 2
fi
report=$1
out=$2
size=$(printf '%s' "${3:-1200x1600}" | tr x ,)
[ -f "$report" ] || { echo "$0: $report: no such file" >&2; exit 2; }
if ! command -v chromium >/dev/null 2>&1; then
  echo "$0: installing chromium" >&2
  apt-get install -y chromium >&2
fi
abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
case $out in /*) abs_out=$out ;; *) abs_out=$(pwd)/$out ;; esac
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# No network is needed: the report is one self-contained file.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$abs_out" --window-size="$size" "file://$abs_report" >/dev/null 2>&1
[ -s "$abs_out" ] || { echo "$0: chromium wrote no image" >&2; exit 1; }
echo "$abs_out"

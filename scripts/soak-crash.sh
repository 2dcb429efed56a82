#!/usr/bin/env bash
# Crash soak (issue 10, item 7): N runs of a mixed runbook (idempotent and non-idempotent commands with side
# effects, waits, a finally step), each SIGKILLed at a seeded random moment and resumed per the README's rules
# (possibly killed again) until it succeeds; then `filet audit verify` on its journal and the effects counted.
# Local files and processes only. See docs/security.md for what the figures mean.
set -euo pipefail
usage() {
    echo "usage: scripts/soak-crash.sh N SEED [--verbose]" >&2
    echo "  N     runs (1..10000); each takes about 2 to 10 s" >&2
    echo "  SEED  integer seed of the kill moments and of which resumes are killed" >&2
    exit 2
}
[ $# -ge 2 ] || usage
[[ "$1" =~ ^[0-9]+$ && "$2" =~ ^[0-9]+$ ]] || usage
cd "$(dirname "$0")/.."
swift build -c release --product filet >&2
exec timeout 7200 python3 scripts/soak_crash.py "$PWD/.build/release/filet" "$@"

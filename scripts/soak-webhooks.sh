#!/usr/bin/env bash
# Webhook soak (issue 10, item 7): a fault-injecting receiver on 127.0.0.1 (5xx, 429 + Retry-After, hangs, resets,
# slow bodies, down windows) that de-duplicates by webhook-id; a runbook of N notify steps to it; `filet run`, then
# `filet outbox deliver` until the outbox is empty (at most --rounds times). Prints delivered once, delivered twice,
# lost, left in the outbox. See docs/security.md for what the figures mean.
set -euo pipefail
usage() {
    echo "usage: scripts/soak-webhooks.sh N SEED [--rounds R] [--keep]" >&2
    echo "  N     notify steps (1..2000)" >&2
    echo "  SEED  integer seed of the receiver's faults" >&2
    echo "  --rounds R  at most R 'filet outbox deliver' after the run (40); --keep  keep the working directory" >&2
    exit 2
}
[ $# -ge 2 ] || usage
[[ "$1" =~ ^[0-9]+$ && "$2" =~ ^[0-9]+$ ]] || usage
cd "$(dirname "$0")/.."
swift build -c release --product filet >&2
exec timeout 1800 python3 scripts/soak_webhooks.py "$PWD/.build/release/filet" "$@"

#!/usr/bin/env bash
# The release binary, the one that ships, on the shipped self-test runbook: through a pipe, in a pseudo-terminal
# (script(1)), as a drill, and its journal verified. The test suite runs a debug build; the optimizer once turned a
# correct program into one that crashed on its first command (Swift 6.3.1, a task-local value), so CI runs this too.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release --product filet
filet="$PWD/.build/release/filet"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r Runbooks "$work/"
cd "$work"

chain="$work/chain.yaml"
{
    echo "runbook: chaine"
    echo "title: Chaîne de commandes"
    echo "steps:"
    for i in $(seq 1 40); do
        if [ "$i" = 1 ]; then echo "  - { id: c$i, run: 'echo $i' }"; else echo "  - { id: c$i, needs: [c$((i - 1))], run: 'echo $i' }"; fi
    done
} >"$chain"

check() {
    local what="$1"
    shift
    if "$@" >"$work/out" 2>&1; then
        echo "release smoke: $what: ok"
    else
        local status=$?
        echo "release smoke: $what: FAILED (exit $status)"
        tail -40 "$work/out"
        exit 1
    fi
}

check "run through a pipe" "$filet" run Runbooks/auto-test.yaml --yes --journal j
check "run in a terminal" script -qec "'$filet' run Runbooks/auto-test.yaml --yes --journal j" /dev/null
check "40 commands in a terminal" script -qec "'$filet' run '$chain' --journal j" /dev/null
check "40 commands as JSON" "$filet" run "$chain" --journal j --format json
check "drill" "$filet" drill Runbooks/auto-test.yaml --journal j
for journal in j/*.jsonl; do
    check "verify $journal" "$filet" audit verify "$journal"
done

#!/usr/bin/env bash
# Fuzzing (issue 10, item 7): libFuzzer with AddressSanitizer on filet's input readers, one target at a time, on
# one core. Targets (Sources/FiletTestSupport/FuzzTarget.swift):
#   runbook    FiletSyntax's parser, then RunbookLoader.load (schema, references, plan) on the bytes
#   condition  Condition(parsing:), the `when` parser
#   journal    the bytes written to a file, then JournalReader.read and JournalVerifier.verify (with and without a key)
# The filet-fuzz product is built by SwiftPM in a build folder of its own (.build/fuzz) with
# -sanitize=fuzzer,address -parse-as-library -D FILET_FUZZ. The corpus grows in .build/fuzz-corpus/TARGET (not
# committed), seeded from Runbooks/, the legacy journals and Tests/Fixtures/fuzz/TARGET. An input that crashes,
# leaks or times out is written to Tests/Fixtures/fuzz/TARGET/ (libFuzzer stops there), where FuzzRegressionTests
# replays it in `swift test`. Without the sanitizers, `swift run filet-fuzz TARGET FILE...` replays files.
set -euo pipefail
usage() {
    echo "usage: scripts/fuzz.sh [TARGET] [SECONDS]" >&2
    echo "  TARGET   runbook | condition | journal | all (default all: each in turn)" >&2
    echo "  SECONDS  per target (default 60, at most 86400)" >&2
    exit 2
}
target="${1:-all}"
seconds="${2:-60}"
case "$target" in runbook | condition | journal | all) ;; *) usage ;; esac
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 86400 ] || usage
cd "$(dirname "$0")/.."
root="$PWD"

swift build -c debug --product filet-fuzz --build-path .build/fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFILET_FUZZ >&2
binary="$(swift build -c debug --product filet-fuzz --build-path .build/fuzz --show-bin-path)/filet-fuzz"

seed() {
    local name="$1" corpus="$2"
    mkdir -p "$corpus"
    case "$name" in
    runbook) cp Runbooks/*.yaml "$corpus/" ;;
    condition)
        printf '%s' "steps.vpn.status == 'succeeded'" >"$corpus/seed-1"
        printf '%s' "not (mode == 'drill') and (vars.site != 'b' or env.X == '1')" >"$corpus/seed-2"
        printf '%s' "steps.a.output == 'ok' or steps.b.status != 'failed'" >"$corpus/seed-3"
        ;;
    journal) find Tests/Fixtures/legacy -name '*.jsonl' -exec cp {} "$corpus/" \; ;;
    esac
    find "Tests/Fixtures/fuzz/$name" -type f ! -name README.md -exec cp {} "$corpus/" \;
}

fuzz_one() {
    local name="$1" corpus="$root/.build/fuzz-corpus/$1" max_len log
    case "$name" in runbook) max_len=8192 ;; condition) max_len=2048 ;; journal) max_len=16384 ;; esac
    seed "$name" "$corpus"
    log="$(mktemp)"
    echo "fuzz: $name for ${seconds}s (corpus $corpus, artifacts Tests/Fixtures/fuzz/$name/)" >&2
    local status=0
    # detect_leaks=0: the Swift runtime's caches and metadata live until exit and read as leaks.
    # SWIFT_BACKTRACE=enable=no: libFuzzer reports the crash itself; the Swift backtracer would wait on it.
    FILET_FUZZ_TARGET="$name" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
        nice -n 19 "$binary" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$root/Tests/Fixtures/fuzz/$name/" "$corpus" >"$log" 2>&1 || status=$?
    local runs crashes
    runs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    crashes="$(grep -c '^artifact_prefix=.*Test unit written to' "$log" || true)"
    echo "fuzz: $name: ${runs} executions in ${seconds}s, corpus $(find "$corpus" -type f | wc -l) files, exit $status, crashes saved: ${crashes}"
    if [ "$status" -ne 0 ]; then
        grep -E 'ERROR|SUMMARY|Fatal error|Test unit written' "$log" | head -20 || true
    fi
    rm -f "$log"
    return "$status"
}

overall=0
if [ "$target" = all ]; then
    for name in runbook condition journal; do fuzz_one "$name" || overall=1; done
else
    fuzz_one "$target" || overall=1
fi
exit "$overall"

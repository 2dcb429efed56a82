#!/bin/sh
# Writes the legacy journals with a filet built before the typed journal schema (commit 7478767):
#
#     sh Tests/Fixtures/legacy/make-fixtures.sh /work/baseline/.build/debug/filet
#
# Everything runs in /tmp/filet-legacy (the runbook paths recorded in run.started point there); only the
# journals (and the public key of complete/) are copied back beside their runbooks. Run ids, times, the
# host and the latencies differ on every run: the tests look for what does not.
set -eu
FILET=${1:?usage: make-fixtures.sh PATH/TO/filet}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=/tmp/filet-legacy
rm -rf "$WORK"
mkdir -p "$WORK"
cp "$HERE"/*/*.yaml "$WORK"/
cd "$WORK"

# Waits (10 s at most) until a journal of directory $1 holds the step.started of step $2.
started() {
    i=0
    until grep -qs "\"type\":\"step.started\".*\"step\":\"$2\"" "$1"/*.jsonl; do
        i=$((i + 1)); [ $i -lt 200 ] || { echo "step $2 never started" >&2; exit 1; }
        sleep 0.05
    done
}

# (a) A complete run: command, check, confirmation (--yes), wait, notification to a file, a step
# skipped by its `when`, a finally step; checkpoints signed with a fresh key (its public half is kept).
"$FILET" audit keygen --out keys >/dev/null
"$FILET" run complete.yaml --yes --operator fixture --journal j-complete --signing-key keys/filet-signing.key >/dev/null

# (b) A drill of the same runbook, its records authenticated with a journal key (see README.md).
FILET_JOURNAL_KEY=legacy-fixture-journal-key "$FILET" drill complete.yaml --operator fixture --journal j-drill >/dev/null

# (c) A run stopped by SIGINT while `slow` runs: closed (status interrupted), `slow` cancelled, `last` skipped.
"$FILET" run interrupted.yaml --operator fixture --journal j-interrupted >/dev/null &
pid=$!
started j-interrupted slow
kill -INT $pid
wait $pid || true

# (c') The same run killed (SIGKILL) while `slow` runs, a torn line appended as a crash mid-write leaves it,
# then resumed: journal.recovered, run.resumed, the rest of the run.
"$FILET" run interrupted.yaml --operator fixture --journal j-resumed >/dev/null &
pid=$!
started j-resumed slow
kill -KILL $pid
wait $pid || true
journal=$(ls j-resumed/*.jsonl)
printf '{"seq":99,"ts":"2026-' >> "$journal"
"$FILET" resume "$journal" --rerun slow --operator fixture >/dev/null 2>&1

# The same runbook with a whole-run time limit shorter than `slow`: run.timed_out, status timed_out.
"$FILET" run interrupted.yaml --timeout 300ms --operator fixture --journal j-timed-out >/dev/null || true

# A confirmation refused (no terminal, no --yes), a failed step retried once, then the completed step rolled
# back (undo.started, undo.finished).
"$FILET" run rollback.yaml --operator fixture --journal j-rollback >/dev/null || true

# (d) Notifications that cannot be sent (a file under /dev/null, a webhook on a closed port) kept in the outbox;
# then `filet outbox deliver` writes the first, a server answers 410 Gone to the second (the third, on the
# same channel, is skipped), and a file of the outbox that is not an entry is reported.
FIXTURE_NOTIFICATIONS=/dev/null/notifications.jsonl FIXTURE_WEBHOOK=http://127.0.0.1:9/hook \
    "$FILET" run outbox.yaml --operator fixture --journal j-outbox >/dev/null
touch j-outbox/outbox/stray.txt
python3 -c '
import http.server, sys
class Gone(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"] or 0))
        self.send_response(410)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *arguments): pass
server = http.server.HTTPServer(("127.0.0.1", 0), Gone)
print(server.server_port, flush=True)
server.serve_forever()' > port &
server=$!
until [ -s port ]; do sleep 0.05; done
FIXTURE_NOTIFICATIONS="$WORK/delivered.jsonl" FIXTURE_WEBHOOK="http://127.0.0.1:$(cat port)/hook" \
    "$FILET" outbox deliver --journal j-outbox >/dev/null || true
kill $server

for name in complete drill interrupted resumed timed-out rollback outbox; do
    rm -f "$HERE/$name"/*.jsonl
    cp j-$name/*.jsonl "$HERE/$name/"
done
cp keys/filet-signing.pub "$HERE/complete/"

#!/usr/bin/env python3
"""Writes the fixed journals the report tests read (golden tests need fixed times and run ids,
which JournalWriter cannot give). Each is hash-chained exactly as docs/journal.md section 3 says,
without a key. Run from this folder: python3 make-fixtures.py"""
import hashlib, json

def journal(run, runbook_sha, records):
    prev, lines = runbook_sha, []
    for seq, (ts, type_, fields) in enumerate(records, 1):
        envelope = {"seq": seq, "ts": ts, "run": run, "type": type_, "prev": prev}
        envelope.update(fields)
        line = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
        lines.append(line)
        prev = hashlib.sha256(line.encode()).hexdigest()
    with open(run + ".jsonl", "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(l + "\n" for l in lines))

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
def plan(*steps): return {"steps": [{"id": s, "level": 0, "action": a, "needs": [], "when": None} for s, a in steps], "finally": []}

journal("20261129T093000Z-ab12", SHA, [
    ("2026-11-29T09:30:00.000Z", "run.started", {"runbook": "bascule-mairie", "title": "Bascule \"site B\" — mairie", "version": 3,
        "runbook_sha256": SHA, "mode": "run", "operator": "alice", "host": "mairie-01", "filet_version": "0.1.0",
        "vars": {"token": "***"}, "concurrency": 8,
        "plan": plan(("check-portail", "check.http"), ("titre", "run"), ("confirmer", "confirm"), ("prevenir", "notify"))}),
    ("2026-11-29T09:30:00.010Z", "step.started", {"step": "check-portail", "title": "Le portail répond", "action": "check.http", "needs": [],
        "phase": "main", "timeout": "10s", "max_attempts": 2}),
    ("2026-11-29T09:30:00.105Z", "step.attempt", {"step": "check-portail", "attempt": 1, "outcome": "failed", "reason": "HTTP 503, expected 200",
        "duration_ms": 95, "observed": {"method": "GET", "status": 503, "latency_ms": 93}}),
    ("2026-11-29T09:30:00.512Z", "step.attempt", {"step": "check-portail", "attempt": 2, "outcome": "succeeded", "reason": None,
        "duration_ms": 81, "observed": {"method": "GET", "status": 200, "latency_ms": 81}}),
    ("2026-11-29T09:30:00.513Z", "step.finished", {"step": "check-portail", "status": "succeeded", "reason": None, "attempts": 2,
        "duration_ms": 503, "output": ""}),
    ("2026-11-29T09:30:00.520Z", "step.started", {"step": "titre", "title": "<script>alert(1)</script>", "action": "run", "needs": ["check-portail"],
        "phase": "main", "timeout": None, "max_attempts": 1}),
    ("2026-11-29T09:30:00.731Z", "step.attempt", {"step": "titre", "attempt": 1, "outcome": "succeeded", "reason": None, "duration_ms": 211,
        "observed": {"exit_code": 0, "signal": None, "duration_ms": 210,
                     "stdout": {"text": "a & b <ok>\n", "bytes": 11, "sha256": SHA, "truncated": False},
                     "stderr": {"text": "", "bytes": 0, "sha256": SHA, "truncated": False}}}),
    ("2026-11-29T09:30:00.732Z", "step.finished", {"step": "titre", "status": "succeeded", "reason": None, "attempts": 1, "duration_ms": 212,
        "output": "a & b <ok>"}),
    ("2026-11-29T09:30:00.740Z", "step.started", {"step": "confirmer", "title": "Feu vert du maire", "action": "confirm", "needs": ["titre"],
        "phase": "main", "timeout": None, "max_attempts": 1}),
    ("2026-11-29T09:30:04.200Z", "step.attempt", {"step": "confirmer", "attempt": 1, "outcome": "succeeded", "reason": None, "duration_ms": 3460,
        "observed": {"by": "alice", "how": "typed 'yes' at the terminal"}}),
    ("2026-11-29T09:30:04.200Z", "confirm.granted", {"step": "confirmer", "by": "alice", "how": "typed 'yes' at the terminal", "reason": None}),
    ("2026-11-29T09:30:04.201Z", "step.finished", {"step": "confirmer", "status": "succeeded", "reason": None, "attempts": 1, "duration_ms": 3461,
        "output": ""}),
    ("2026-11-29T09:30:04.210Z", "step.started", {"step": "prevenir", "title": "Prévenir les services", "action": "notify", "needs": ["confirmer"],
        "phase": "main", "timeout": None, "max_attempts": 1}),
    ("2026-11-29T09:30:06.400Z", "step.attempt", {"step": "prevenir", "attempt": 1, "outcome": "failed",
        "reason": "crise: HTTP 503; secours: connection refused", "duration_ms": 2190,
        "observed": {"message_id": "msg_20261129T093000Z-ab12_prevenir", "outcome": "undelivered", "text": "Bascule en cours",
                     "deliveries": [{"channel": "crise", "outcome": "failed", "reason": "HTTP 503"},
                                    {"channel": "secours", "outcome": "failed", "reason": "connection refused"}],
                     "outbox": "filet-journal/outbox/20261129T093000Z-ab12-prevenir.json"}}),
    ("2026-11-29T09:30:06.401Z", "step.finished", {"step": "prevenir", "status": "failed", "reason": "crise: HTTP 503; secours: connection refused",
        "attempts": 1, "duration_ms": 2191, "output": ""}),
    ("2026-11-29T09:30:06.420Z", "run.finished", {"status": "failed", "counts": {"succeeded": 3, "failed": 1, "skipped": 0, "cancelled": 0},
        "duration_ms": 6420}),
])

journal("20261201T080000Z-cd34", SHA, [
    ("2026-12-01T08:00:00.000Z", "run.started", {"runbook": "bascule-mairie", "title": "Bascule \"site B\" — mairie", "version": 3,
        "runbook_sha256": SHA, "mode": "drill", "operator": "cron", "host": "mairie-01", "filet_version": "0.1.0", "vars": {}, "concurrency": 8,
        "plan": plan(("dns", "check.dns"), ("basculer", "run"), ("prevenir", "notify"), ("optionnel", "run"))}),
    ("2026-12-01T08:00:00.004Z", "step.started", {"step": "dns", "title": None, "action": "check.dns", "needs": [], "phase": "main",
        "timeout": None, "max_attempts": 1}),
    ("2026-12-01T08:00:00.030Z", "step.attempt", {"step": "dns", "attempt": 1, "outcome": "succeeded", "reason": None, "duration_ms": 26,
        "observed": {"addresses": ["127.0.0.1", "::1"], "latency_ms": 25}}),
    ("2026-12-01T08:00:00.031Z", "step.finished", {"step": "dns", "status": "succeeded", "reason": None, "attempts": 1, "duration_ms": 27, "output": ""}),
    ("2026-12-01T08:00:00.032Z", "step.finished", {"step": "basculer", "status": "simulated", "reason": "drill: simulated, not done", "attempts": 0,
        "duration_ms": 0, "would": "run: systemctl start site-b"}),
    ("2026-12-01T08:00:00.040Z", "step.started", {"step": "prevenir", "title": None, "action": "notify", "needs": ["basculer"], "phase": "main",
        "timeout": None, "max_attempts": 1}),
    ("2026-12-01T08:00:00.250Z", "step.attempt", {"step": "prevenir", "attempt": 1, "outcome": "succeeded", "reason": None, "duration_ms": 210,
        "observed": {"message_id": "msg_x", "channel": "crise", "outcome": "delivered", "text": "[EXERCICE] Bascule",
                     "deliveries": [{"channel": "crise", "outcome": "delivered", "reason": None}]}}),
    ("2026-12-01T08:00:00.251Z", "step.finished", {"step": "prevenir", "status": "succeeded", "reason": None, "attempts": 1, "duration_ms": 211,
        "output": ""}),
    ("2026-12-01T08:00:00.252Z", "step.finished", {"step": "optionnel", "status": "skipped", "reason": "when is false: ${vars.x} == 'y'",
        "attempts": 0, "duration_ms": 0}),
    ("2026-12-01T08:00:00.260Z", "run.finished", {"status": "succeeded", "counts": {"succeeded": 2, "failed": 0, "skipped": 1, "cancelled": 0},
        "duration_ms": 260}),
])

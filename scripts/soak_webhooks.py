#!/usr/bin/env python3
"""Webhook soak for filet (issue 10, item 7): a fault-injecting receiver on 127.0.0.1, a runbook of N notify steps
to it, `filet run`, then `filet outbox deliver` until the outbox is empty (or a bound); counts what arrived.

Called by scripts/soak-webhooks.sh, which builds the release binary. Network: 127.0.0.1 only.

The receiver (http.server, one thread per connection) draws a fault per request from a seeded generator:
200, 500/502/503, 429 with Retry-After: 1, a hang past the channel's timeout, a connection reset before
answering, a slow body (200 whose body trickles out), and "processed, then reset" (the message is taken, the
answer lost: filet must retry, the receiver must drop the repeat). Every few seconds it is down (the listening
socket closed: connection refused). A message counts as *processed* when the receiver takes it (it answered,
or began to answer, 2xx; or the processed-then-reset fault). It de-duplicates by `webhook-id`, as
docs/notifications.md asks a receiver to: a second processing of an id is dropped and counted.
Thread timing makes runs with the same seed close, not identical.
"""

import argparse
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = [  # (name, weight)
    ("ok", 40), ("5xx", 14), ("429", 10), ("hang", 7), ("reset", 9), ("slow-body", 8), ("processed-then-reset", 8),
    ("ok-202", 4),
]
CHANNEL_TIMEOUT_S = 2
DOWN_EVERY_S = 7.0
DOWN_FOR_S = 1.5


class Receiver:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.processed: dict[str, int] = {}  # webhook-id -> times processed (1 = once; 2+ = repeats dropped)
        self.faults: dict[str, int] = {}
        self.requests = 0
        self.no_id = 0
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.stopping = threading.Event()
        self.down_windows = 0

    def draw(self) -> str:
        with self.lock:
            self.requests += 1
            names, weights = zip(*FAULTS)
            fault = self.rng.choices(names, weights)[0]
            self.faults[fault] = self.faults.get(fault, 0) + 1
            return fault

    def take(self, message_id: str | None) -> None:
        with self.lock:
            if message_id is None:
                self.no_id += 1
                return
            self.processed[message_id] = self.processed.get(message_id, 0) + 1

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reset(self):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True

            def answer(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"ok"):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                message_id = self.headers.get("webhook-id")
                fault = receiver.draw()
                if fault == "ok":
                    receiver.take(message_id)
                    self.answer(200)
                elif fault == "ok-202":
                    receiver.take(message_id)
                    self.answer(202)
                elif fault == "5xx":
                    self.answer(receiver.rng.choice([500, 502, 503]))
                elif fault == "429":
                    self.answer(429, {"Retry-After": "1"}, b"slow down")
                elif fault == "hang":
                    receiver.stopping.wait(CHANNEL_TIMEOUT_S + 1.5)
                    self.reset()
                elif fault == "reset":
                    self.reset()
                elif fault == "processed-then-reset":
                    receiver.take(message_id)
                    self.reset()
                elif fault == "slow-body":
                    # Taken at once, then a 200 whose 20-byte body takes about 1 to 3 s: filet may time out
                    # mid-body, retry, and the receiver drops the repeat.
                    receiver.take(message_id)
                    body = b"x" * 20
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    pause = receiver.rng.uniform(0.05, 0.15)
                    try:
                        for byte in body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            if receiver.stopping.wait(pause):
                                break
                    except OSError:
                        pass
                    self.close_connection = True

        return Handler

    def up(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler())
        server.daemon_threads = True
        self.port = server.server_address[1]
        self.server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def cycle(self) -> None:
        """Down windows: every DOWN_EVERY_S seconds, the listening socket is closed for DOWN_FOR_S."""
        while not self.stopping.wait(DOWN_EVERY_S):
            self.down()
            self.down_windows += 1
            if self.stopping.wait(DOWN_FOR_S):
                return
            for _ in range(50):  # the port may linger a moment
                try:
                    self.up()
                    break
                except OSError:
                    time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("filet")
    parser.add_argument("n", type=int, help="notify steps (1..2000)")
    parser.add_argument("seed", type=int)
    parser.add_argument("--rounds", type=int, default=40, help="at most this many `filet outbox deliver` (40)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    options = parser.parse_args()
    if not 1 <= options.n <= 2000:
        parser.error("N must be between 1 and 2000")
    work = tempfile.mkdtemp(prefix="filet-soak-webhooks-")
    receiver = Receiver(options.seed)
    receiver.up()
    threading.Thread(target=receiver.cycle, daemon=True).start()
    started = time.monotonic()
    try:
        url = f"http://127.0.0.1:{receiver.port}/hook"
        lines = [
            "runbook: soak-webhooks",
            "title: Webhook soak",
            "channels:",
            "  receiver:",
            f"    webhook: {url}",
            f"    timeout: {CHANNEL_TIMEOUT_S}s",
            "    retries: 2",
            "steps:",
        ]
        for i in range(1, options.n + 1):
            lines += [
                f"  - id: n{i}",
                "    needs: []",
                f"    notify: {{ channel: receiver, text: 'message {i}', undelivered: later }}",
            ]
        with open(f"{work}/soak.yaml", "w") as f:
            f.write("\n".join(lines) + "\n")
        run = subprocess.run([options.filet, "run", "soak.yaml", "--journal", "j"], cwd=work, capture_output=True,
                             text=True, timeout=600)
        journals = [n for n in os.listdir(f"{work}/j") if n.endswith(".jsonl")]
        if len(journals) != 1:
            print(f"soak-webhooks: the run wrote no journal (exit {run.returncode}): {run.stderr[-2000:]}")
            return 1
        run_id = journals[0][: -len(".jsonl")]
        rounds = 0
        deliver_status = None
        outbox = f"{work}/j/outbox"

        def waiting() -> int:
            return len([n for n in os.listdir(outbox) if n.endswith(".json")]) if os.path.isdir(outbox) else 0

        after_run = waiting()
        while waiting() and rounds < options.rounds:
            rounds += 1
            deliver = subprocess.run([options.filet, "outbox", "deliver", "--journal", "j"], cwd=work,
                                     capture_output=True, text=True, timeout=600)
            deliver_status = deliver.returncode
            if deliver.returncode not in (0, 1):
                print(f"soak-webhooks: outbox deliver exited {deliver.returncode}: {deliver.stderr[-1000:]}")
                break
            if waiting():
                time.sleep(0.5)
        left = waiting()
        receiver.stopping.set()
        verify = subprocess.run([options.filet, "audit", "verify", f"j/{run_id}.jsonl"], cwd=work, capture_output=True)
        with receiver.lock:
            expected = [f"msg_{run_id}_n{i}" for i in range(1, options.n + 1)]
            once = sum(1 for m in expected if receiver.processed.get(m, 0) == 1)
            twice = sum(1 for m in expected if receiver.processed.get(m, 0) >= 2)
            repeats = sum(receiver.processed.get(m, 0) - 1 for m in expected if receiver.processed.get(m, 0) >= 2)
            left_ids = set()
            if os.path.isdir(outbox):
                for name in os.listdir(outbox):
                    if name.endswith(".json"):
                        try:
                            with open(f"{outbox}/{name}") as f:
                                left_ids.add(json.load(f)["id"])
                        except (OSError, ValueError, KeyError):
                            pass
            lost = sum(1 for m in expected if m not in receiver.processed and m not in left_ids)
            strangers = sum(1 for m in receiver.processed if m not in expected)
            faults = ", ".join(f"{k} {v}" for k, v in sorted(receiver.faults.items()))
            print(f"soak-webhooks: {options.n} notifications, seed {options.seed}, {time.monotonic() - started:.0f}s")
            print(f"  receiver: {receiver.requests} requests ({faults}), {receiver.down_windows} down windows")
            print(f"  run: exit {run.returncode}, {after_run} left in the outbox after it")
            print(f"  outbox deliver: {rounds} rounds, last exit {deliver_status}")
            print(f"  delivered once:                    {once}")
            print(f"  delivered twice or more (repeats dropped by webhook-id): {twice} ({repeats} repeats)")
            print(f"  lost (never processed, not in the outbox): {lost}")
            print(f"  left in the outbox:                {left}")
            print(f"  requests without webhook-id: {receiver.no_id}, ids of no step: {strangers}")
            print(f"  journal: audit verify exit {verify.returncode}")
        return 1 if lost or left or verify.returncode != 0 else 0
    finally:
        receiver.stopping.set()
        receiver.down()
        if options.keep:
            print(f"  kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Crash soak for filet (issue 10, item 7): run a mixed runbook, SIGKILL filet at a seeded random moment, resume
per the README's rules until the run succeeds, then check the journal and count the effects.

Called by scripts/soak-crash.sh, which builds the release binary. Local files and processes only: no network.

Ground truth: every step appends "begin ID" to markers.log, then applies its effect in one write(2) of one
line with O_APPEND (atomic: present or not, never half), then appends "end ID". A non-idempotent step's effect
is the line "ID" in effects.log, so the script knows whether an interrupted one took effect: present ->
--mark-done, absent -> --rerun. Before deciding, it waits until no command of the killed filet still runs
(a leftover could still apply its effect after the decision), as an operator told "wait until it ends" would.
"""

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import shutil

NON_IDEMPOTENT = ["pay-a", "pay-b", "pay-c", "pay-d"]
IDEMPOTENT = ["prep", "sync-x", "sync-y"]
MAX_SESSIONS = 12  # the run plus at most 11 resumes
SESSION_LIMIT_S = 60  # a run or a resume that takes longer is killed and counted as a failure of the harness


def runbook(work: str) -> str:
    def step(sid: str, idempotent: bool, sleep_before: str, sleep_after: str, needs: list[str] | None) -> str:
        effect = f"echo {sid} >> {work}/effects.log" if not idempotent else f"echo {sid} > {work}/state-{sid}"
        run = (
            f"echo begin {sid} >> {work}/markers.log; sleep {sleep_before}; {effect}; "
            f"sleep {sleep_after}; echo end {sid} >> {work}/markers.log"
        )
        lines = [f"  - id: {sid}", f"    run: '{run}'", f"    idempotent: {'true' if idempotent else 'false'}"]
        if needs is not None:
            lines.append(f"    needs: [{', '.join(needs)}]")
        return "\n".join(lines)

    parts = [
        "runbook: soak-crash",
        "title: Crash soak",
        "steps:",
        step("prep", True, "0.1", "0.05", []),
        step("pay-a", False, "0.2", "0.1", ["prep"]),
        step("sync-x", True, "0.15", "0.1", ["prep"]),
        "  - id: pause\n    wait: 300ms\n    needs: [pay-a]",
        step("pay-b", False, "0.1", "0.2", ["pause", "sync-x"]),
        step("pay-c", False, "0.25", "0.05", ["pause"]),
        step("sync-y", True, "0.1", "0.1", ["pay-b"]),
        "  - id: pause-2\n    wait: 200ms\n    needs: [pay-c]",
        step("pay-d", False, "0.1", "0.1", ["sync-y", "pause-2"]),
        "finally:",
        f"  - id: wrap-up\n    run: 'sleep 0.1; echo wrap-up >> {work}/finally.log'\n    idempotent: true",
    ]
    return "\n".join(parts) + "\n"


def leftovers(work: str) -> list[int]:
    """The pids of processes whose command line names this iteration's directory (the steps' shells)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if work.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            pass
    return found


def wait_for_leftovers(work: str, limit: float = 10.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not leftovers(work):
            return True
        time.sleep(0.05)
    return False


def effect_counts(work: str) -> dict[str, int]:
    counts = {sid: 0 for sid in NON_IDEMPOTENT}
    try:
        with open(f"{work}/effects.log") as f:
            for line in f:
                sid = line.strip()
                if sid in counts:
                    counts[sid] += 1
    except FileNotFoundError:
        pass
    return counts


def begin_counts(work: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    try:
        with open(f"{work}/markers.log") as f:
            for line in f:
                words = line.split()
                if len(words) == 2 and words[0] == "begin":
                    counts[words[1]] = counts.get(words[1], 0) + 1
    except FileNotFoundError:
        pass
    return counts


def session(cmd: list[str], kill_after: float | None, cwd: str) -> tuple[int | None, str, bool]:
    """Runs one filet; SIGKILLs it after kill_after seconds when given. Returns (exit code, stderr, killed)."""
    with open(f"{cwd}/out.log", "ab") as out, open(f"{cwd}/err.tmp", "wb") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        killed = False
        try:
            proc.wait(timeout=kill_after if kill_after is not None else SESSION_LIMIT_S)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed = kill_after is not None
    with open(f"{cwd}/err.tmp", errors="replace") as f:
        text = f.read()
    with open(f"{cwd}/err.log", "a") as f:
        f.write(f"$ {' '.join(cmd)}\n{text}")
    return (None if killed else proc.returncode), text, killed


def journal_of(work: str) -> str | None:
    names = [n for n in os.listdir(f"{work}/j") if n.endswith(".jsonl")] if os.path.isdir(f"{work}/j") else []
    return f"{work}/j/{names[0]}" if len(names) == 1 else None


def one_iteration(filet: str, root: str, index: int, rng: random.Random, verbose: bool) -> dict:
    work = tempfile.mkdtemp(prefix=f"soak-{index}-", dir=root)
    with open(f"{work}/soak.yaml", "w") as f:
        f.write(runbook(work))
    result = {"kills": 0, "succeeded": False, "intact": False, "double": 0, "missing": 0, "sessions": 0,
              "idempotent_reruns": 0, "decisions": [], "problem": None}
    # The whole run takes about 2 s: a kill anywhere in it, sometimes before the first step, sometimes after the end.
    kill_at = rng.uniform(0.0, 2.6)
    rc, err, killed = session([filet, "run", f"{work}/soak.yaml", "--journal", "j"], kill_at, work)
    result["sessions"] = 1
    result["kills"] += int(killed)
    done = rc == 0
    decisions: dict[str, str] = {}
    while not done and result["sessions"] < MAX_SESSIONS:
        journal = journal_of(work)
        if journal is None:
            # Killed before the journal existed: nothing ran (write-ahead), so the run starts again.
            rc, err, killed = session([filet, "run", f"{work}/soak.yaml", "--journal", "j"],
                                      rng.uniform(0.0, 2.6) if rng.random() < 0.5 else None, work)
            result["sessions"] += 1
            result["kills"] += int(killed)
            done = rc == 0
            continue
        if not wait_for_leftovers(work):
            result["problem"] = "a step's process outlived its killed filet by 10 s"
            break
        args = [filet, "resume", journal]
        for sid, how in sorted(decisions.items()):
            args += [f"--{how}", sid]
        # Kill a resume too, half the time, in the first resumes only, so that every run ends.
        kill = rng.uniform(0.0, 2.0) if result["sessions"] < 6 and rng.random() < 0.5 else None
        rc, err, killed = session(args, kill, work)
        result["sessions"] += 1
        result["kills"] += int(killed)
        if rc == 0:
            done = True
        elif rc == 2 and "already succeeded" in err:
            done = True
        elif rc == 2 and "running when the run stopped" in err:
            # filet names the interrupted non-idempotent steps: decide from the ground truth, once no leftover runs.
            line = next(l for l in err.splitlines() if "running when the run stopped" in l)
            counts = effect_counts(work)
            for sid in re.findall(r"'([a-z0-9-]+)'", line.split("running when")[0]):
                how = "mark-done" if counts.get(sid, 0) > 0 else "rerun"
                decisions[sid] = how
                result["decisions"].append(f"{sid}:{how}")
            result["sessions"] -= 1  # a refusal changes nothing: not a session
        elif rc == 2 and "still run" in err:
            time.sleep(0.2)
        elif rc is None:
            # Killed: the decisions given held for that resume only; the next one is told again what is undecided.
            decisions = {}
        else:
            decisions = {}
            if rc not in (1, 130, 143):
                result["problem"] = f"resume exited {rc}: {err.strip().splitlines()[-1] if err.strip() else ''}"
                break
    result["succeeded"] = done
    journal = journal_of(work)
    if journal is not None:
        verify = subprocess.run([filet, "audit", "verify", journal], capture_output=True, text=True)
        result["intact"] = verify.returncode == 0
        if verify.returncode != 0:
            result["problem"] = (result["problem"] or "") + " verify: " + verify.stdout.strip()[-300:]
    counts = effect_counts(work)
    result["double"] = sum(max(0, c - 1) for c in counts.values())
    result["missing"] = sum(1 for c in counts.values() if c == 0) if done else 0
    begins = begin_counts(work)
    result["idempotent_reruns"] = sum(max(0, begins.get(s, 0) - 1) for s in IDEMPOTENT)
    if verbose or result["double"] or result["missing"] or not result["intact"] or not done or result["problem"]:
        print(f"  iteration {index}: kill at {kill_at:.2f}s, {json.dumps(result)}", flush=True)
        if not (result["double"] or result["missing"] or not result["intact"] or not done or result["problem"]):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"  kept {work} (err.log, markers.log, effects.log, the journal)", flush=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("filet", help="the filet binary")
    parser.add_argument("n", type=int, help="iterations (1..10000)")
    parser.add_argument("seed", type=int, help="the seed of every random choice (kill moments, resume kills)")
    parser.add_argument("--keep-dir", help="where iterations' directories go (default: a temp dir, removed)")
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args()
    if not 1 <= options.n <= 10000:
        parser.error("N must be between 1 and 10000")
    rng = random.Random(options.seed)
    root = options.keep_dir or tempfile.mkdtemp(prefix="filet-soak-crash-")
    os.makedirs(root, exist_ok=True)
    totals = {"kills": 0, "intact": 0, "double": 0, "missing": 0, "never": 0, "sessions": 0, "idempotent_reruns": 0,
              "decisions": 0, "problems": 0}
    started = time.monotonic()
    try:
        for index in range(1, options.n + 1):
            r = one_iteration(options.filet, root, index, rng, options.verbose)
            totals["kills"] += r["kills"]
            totals["intact"] += int(r["intact"])
            totals["double"] += r["double"]
            totals["missing"] += r["missing"]
            totals["never"] += int(not r["succeeded"])
            totals["sessions"] += r["sessions"]
            totals["idempotent_reruns"] += r["idempotent_reruns"]
            totals["decisions"] += len(r["decisions"])
            totals["problems"] += int(r["problem"] is not None)
    finally:
        kept = any(os.scandir(root)) if os.path.isdir(root) else False
        if not options.keep_dir and not kept:
            shutil.rmtree(root, ignore_errors=True)
    n = options.n
    print(f"soak-crash: {n} runs, seed {options.seed}, {time.monotonic() - started:.0f}s")
    print(f"  kills (SIGKILL of filet run or resume): {totals['kills']}")
    print(f"  filet sessions (run + resumes):         {totals['sessions']}")
    print(f"  operator decisions (--rerun/--mark-done): {totals['decisions']}")
    print(f"  journals intact (audit verify exit 0):  {totals['intact']} of {n}")
    print(f"  double runs of non-idempotent steps:    {totals['double']}")
    print(f"  non-idempotent steps never applied:     {totals['missing']}")
    print(f"  re-runs of idempotent steps (allowed):  {totals['idempotent_reruns']}")
    print(f"  runs that never succeeded:              {totals['never']}")
    print(f"  iterations with a problem:              {totals['problems']}")
    bad = totals["double"] or totals["missing"] or totals["never"] or totals["intact"] != n or totals["problems"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

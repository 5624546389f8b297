"""Crash test of the audit log's group commit: many submitters keep intents
of concurrent commands sharing fdatasyncs (the log on the test's file
system, not a tmpfs), and the agent is SIGKILLed at random moments, each
time while several commands are between their intent and their result.
After every kill: no torn record (each record is one write), the hash chain
verifies with --verify-audit, every result has its Allowed intent, and
nothing the devices executed lacks an intent. At the next start every intent
left without a result is closed as outcome Unknown, and the chain still
verifies."""
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, AGENT, POLICY_EXAMPLE, Agent, Checker, le32_b64,  # noqa: E402
                      Submitters, read_audit_dir, read_jsonl, submit_until, write_emulated_profile)

ITERATIONS = int(os.environ.get("CXLA_CRASH_ITERATIONS", "6"))
THREADS = 32
c = Checker("audit_group_crash")

WRITER = ("writer", "writer-password-1")
ROLES = [("Writer", ["Login", "CxlCommandRead", "CxlCommandConfigure", "CxlCommandWriteFull"])]
ACCOUNTS = [("admin", ADMIN_PASSWORD, "Administrator"), (WRITER[0], WRITER[1], "Writer")]
# Mostly read-scope commands, the load the group commit is for.
MIX = [("emu-read-telemetry", lambda r: "")] * 3 + \
      [("emu-set-mode", lambda r: le32_b64(r.randrange(4)))]


def hammer(a, tid, stop, stats):
    submit_until(a, stop, stats, WRITER, MIX, random.Random(tid * 104729 + int(time.time())))


def verify_chain(audit_dir, what):
    p = subprocess.run([AGENT, "--verify-audit", audit_dir], capture_output=True, text=True,
                       timeout=60)
    c.eq(p.returncode, 0, "%s: chain verifies: %s" % (what, p.stdout.strip()))
    c.check("torn" not in p.stdout, "%s: no torn line in the chain: %s" % (what, p.stdout.strip()))


def check_log(a, what):
    """The invariants after a kill; returns the allowed intents without a
    result."""
    with open(os.path.join(a.audit_dir, "audit.log"), "rb") as f:
        data = f.read()
    c.check(data.endswith(b"\n"), what + ": the log ends with a whole record")
    recs, torn = read_audit_dir(a.audit_dir)
    c.eq(torn, 0, what + ": no torn record")
    verify_chain(a.audit_dir, what)
    intents = {r["id"]: r for r in recs if r.get("type") == "Intent"}
    results = [r for r in recs if r.get("type") == "Result"]
    orphans = [r["id"] for r in results
               if intents.get(r.get("intent"), {}).get("decision") != "Allowed"]
    c.eq(orphans, [], what + ": every result has its Allowed intent")
    pos = {r["id"]: i for i, r in enumerate(recs)}
    c.check(all(pos[r["intent"]] < pos[r["id"]] for r in results if r["intent"] in pos),
            what + ": every result after its intent in the file")
    allowed = collections.Counter((r["device"], r["opcode"]) for r in intents.values()
                                  if r.get("decision") == "Allowed")
    executed = collections.Counter()
    for path in a.prof["journal"]:
        js, _ = read_jsonl(path)
        executed.update((j["device"], j["opcode"]) for j in js)
    bad = {k: (n, allowed.get(k, 0)) for k, n in executed.items() if n > allowed.get(k, 0)}
    c.check(not bad, "%s: executed without an intent (executed, intents) %r" % (what, bad))
    answered = {r["intent"] for r in results}
    return [i for i in intents.values() if i.get("decision") == "Allowed" and i["id"] not in answered]


def main():
    d = tempfile.mkdtemp(prefix="cxla-gcrash-", dir=os.environ.get("CXLA_CRASH_DIR"))
    prof = write_emulated_profile(d)
    audit_dir = os.path.join(d, "audit")
    widest = 0
    total_open = 0
    try:
        with Agent(config={"emulated_profile": prof["profile"], "policy_file": POLICY_EXAMPLE,
                           "audit_dir": audit_dir, "log_level": "warning", "threads": 2},
                   accounts=ACCOUNTS, roles=ROLES, start=False) as a:
            a.prof = prof
            a.audit_dir = audit_dir
            rnd = random.Random()
            for it in range(ITERATIONS):
                a.start()
                clients = Submitters(a, THREADS, hammer)
                stats = clients.stats
                clients.wait_going()
                time.sleep(rnd.uniform(0.1, 0.6))
                a.proc.send_signal(signal.SIGKILL)
                a.proc.wait()
                a.log.close()
                c.check(clients.finish(), "iteration %d: clients finished" % it)
                c.check(stats[200] > 0, "iteration %d: commands ran" % it)
                still_open = check_log(a, "after kill %d" % (it + 1))
                # Opened by the previous start's reconciliation or this run:
                # only this run's count, so take those after the last start.
                widest = max(widest, len(still_open))
                total_open += len(still_open)
                sys.stderr.write("kill %d: responses %s, intents in flight %d\n"
                                 % (it + 1, dict(stats), len(still_open)))
            # Several commands were between intent and result at one kill
            # at least: the kill fell inside a group, not between commands.
            c.check(widest >= 2, "a kill caught several commands in flight (most: %d)" % widest)
            a.start()
            recs, torn = read_audit_dir(audit_dir)
            results = {r["intent"] for r in recs if r.get("type") == "Result"}
            left = [r["id"] for r in recs if r.get("type") == "Intent"
                    and r.get("decision") == "Allowed" and r["id"] not in results]
            c.eq(left, [], "start-up closed every intent the kills left open")
            unknown = [r for r in recs if r.get("type") == "Result" and r.get("outcome") == "Unknown"]
            c.check(len(unknown) >= widest, "closed as outcome Unknown (%d)" % len(unknown))
            r = a.submit(prof["ids"][0], "emu-read-telemetry", "", user=WRITER)
            c.eq(r.status, 200, "commands work after the kills")
            a.stop()
            check_log(a, "final")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    c.finish()


main()

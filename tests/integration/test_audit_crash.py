"""Crash test: SIGKILL the agent while vendor commands are in flight, ten
times, alternately its broker (the process started, which holds the devices
and the audit log) and its front (the child serving HTTPS); every command
the emulated devices executed (their own execution journals, the profile's
"exec_journal") has an Allowed intent record in the audit log written before
it. A killed broker takes the front with it; a killed front takes the broker
with it, after the broker has recorded the result of every command in
flight. Then the agent starts on the crashed log, serves it, and shuts down
cleanly."""
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

ITERATIONS = int(os.environ.get("CXLA_CRASH_ITERATIONS", "10"))
# Enough concurrent submitters that kills land inside group commits (one
# fdatasync covering several intents).
THREADS = 16
c = Checker("audit_crash")

WRITER = ("writer", "writer-password-1")
VIEWER = ("viewer", "viewer-password-1")
ROLES = [("Writer", ["Login", "CxlCommandRead", "CxlCommandConfigure", "CxlCommandWriteFull"])]
ACCOUNTS = [("admin", ADMIN_PASSWORD, "Administrator"), (WRITER[0], WRITER[1], "Writer"),
            (VIEWER[0], VIEWER[1], "ReadOnly")]
MIX = [("emu-read-telemetry", lambda r: ""),
       ("emu-set-config-after-reset", lambda r: le32_b64(r.randrange(1 << 32))),
       ("emu-set-mode", lambda r: le32_b64(r.randrange(4))),
       ("emu-background-op", lambda r: le32_b64(100))]


def hammer(a, tid, stop, stats):
    user = VIEWER if tid == 0 else WRITER  # one thread only gets denials
    submit_until(a, stop, stats, user, MIX, random.Random(tid * 7919 + int(time.time())))


def check_invariant(a, what):
    """journal(key) <= Allowed intents(key), and every intent that got a
    transport-OK result was executed (so the journal works)."""
    recs, torn = read_audit_dir(a.audit_dir)
    intents = {r["id"]: r for r in recs if r.get("type") == "Intent"}
    allowed = collections.Counter((r["device"], r["opcode"]) for r in intents.values()
                                  if r.get("decision") == "Allowed")
    answered = collections.Counter()
    orphans = []
    for r in recs:
        i = intents.get(r.get("intent")) if r.get("type") == "Result" else None
        if r.get("type") == "Result" and (i is None or i.get("decision") != "Allowed"):
            orphans.append(r)
    c.check(not orphans, "%s: result records without an Allowed intent: %r" % (what, orphans[:5]))
    for iid in {r["intent"] for r in recs if r.get("type") == "Result" and r.get("transport") == "OK"}:
        i = intents.get(iid)
        if i:
            answered[(i["device"], i["opcode"])] += 1
    executed = collections.Counter()
    jtorn = 0
    for path in a.prof["journal"]:
        js, t = read_jsonl(path)
        jtorn += t
        executed.update((j["device"], j["opcode"]) for j in js)
    c.eq(jtorn, 0, what + ": no torn journal lines")
    bad = {k: (n, allowed.get(k, 0)) for k, n in executed.items() if n > allowed.get(k, 0)}
    c.check(not bad, "%s: commands executed without an intent record "
            "(device, opcode): (executed, intents) %r" % (what, bad))
    short = {k: (executed.get(k, 0), n) for k, n in answered.items() if executed.get(k, 0) < n}
    c.check(not short, "%s: answered commands missing from the journal %r" % (what, short))
    results = {r["intent"] for r in recs if r.get("type") == "Result"}
    unfinished = sum(1 for i in intents.values()
                     if i.get("decision") == "Allowed" and i["id"] not in results)
    ids = [int(r["id"]) for r in recs]
    c.check(ids == sorted(set(ids)), what + ": record ids strictly increasing across restarts")
    return sum(executed.values()), sum(allowed.values()), unfinished, torn


def main():
    d = tempfile.mkdtemp(prefix="cxla-crash-")
    prof = write_emulated_profile(d)
    audit_dir = os.path.join(d, "audit")
    totals = collections.Counter()
    try:
        with Agent(config={"emulated_profile": prof["profile"], "policy_file": POLICY_EXAMPLE,
                           "audit_dir": audit_dir, "log_level": "warning", "threads": 4},
                   accounts=ACCOUNTS, roles=ROLES, start=False) as a:
            a.prof = prof
            a.audit_dir = audit_dir
            rnd = random.Random()
            for it in range(ITERATIONS):
                a.start()
                clients = Submitters(a, THREADS, hammer)
                stats = clients.stats
                # Let every client get going, then kill at a random moment.
                clients.wait_going()
                time.sleep(rnd.uniform(0.2, 0.8))
                kill_front = it % 2 == 1
                if kill_front:
                    os.kill(a.children()[0], signal.SIGKILL)
                    try:
                        rc = a.proc.wait(30)
                    except subprocess.TimeoutExpired:
                        rc = None
                        a.proc.kill()
                        a.proc.wait()
                    c.eq(rc, 1, "iteration %d: the broker ends when the front is killed" % it)
                else:
                    a.proc.send_signal(signal.SIGKILL)
                    a.proc.wait()
                a.log.close()
                c.check(clients.finish(), "iteration %d: clients finished" % it)
                ex, al, unfinished, torn = check_invariant(a, "after kill %d" % (it + 1))
                if kill_front:
                    c.eq(unfinished, 0, "iteration %d: a killed front leaves no allowed command "
                         "without a result (the broker finished them)" % it)
                totals.update(stats)
                totals["unfinished"] += unfinished
                sys.stderr.write("kill %d (%s): responses %s; journal %d, allowed intents %d, "
                                 "allowed intents without a result %d, torn audit lines %d\n"
                                 % (it + 1, "front" if kill_front else "broker", dict(stats), ex,
                                    al, unfinished, torn))
                c.check(stats[200] + stats[202] > 0, "iteration %d: commands ran" % it)
            c.check(totals["unfinished"] > 0,
                    "some kill landed between an intent and its result (commands in flight): %d"
                    % totals["unfinished"])
            # The agent starts on the crashed log and serves it.
            a.start()
            recs, torn = read_audit_dir(audit_dir)
            # Start-up closed every command the crashes left open.
            results = {r["intent"] for r in recs if r.get("type") == "Result"}
            still_open = [r["id"] for r in recs if r.get("type") == "Intent"
                          and r.get("decision") == "Allowed" and r["id"] not in results]
            c.eq(still_open, [], "no allowed intent without a result after start-up")
            closed = [r for r in recs if r.get("type") == "Result" and r.get("outcome") == "Unknown"]
            c.check(len(closed) >= totals["unfinished"],
                    "each open intent closed as outcome Unknown (%d for %d)"
                    % (len(closed), totals["unfinished"]))
            r = a.curl("GET", "/redfish/v1/Managers/agent/LogServices/Audit/Entries")
            c.eq(r.status, 200, "audit entries after the crashes")
            c.eq(r.json().get("Members@odata.count"), len(recs), "every readable record served")
            r = a.curl("GET", "/redfish/v1/Managers/agent/LogServices/Audit")
            c.eq(r.json().get("Status", {}).get("Health"), "OK", "audit healthy after the crashes")
            r = a.submit(prof["ids"][0], "emu-set-mode", le32_b64(1), user=WRITER)
            c.eq(r.status, 200, "commands work after the crashes")
            check_invariant(a, "final")
            # The chain survives the crashes: torn lines are passed over,
            # every record links to the one before.
            p = subprocess.run([AGENT, "--verify-audit", audit_dir], capture_output=True,
                               text=True, timeout=60)
            c.eq(p.returncode, 0, "audit chain intact after the crashes: %s" % p.stdout.strip())
            c.check("chain intact" in p.stdout, "--verify-audit says so")
            # One record changed by hand is found.
            with open(os.path.join(audit_dir, "audit.log"), "r+b") as f:
                data = f.read()
                at = data.find(b'"decision":"Allowed"')
                f.seek(at)
                f.write(b'"decision":"Alowed!"')
            p = subprocess.run([AGENT, "--verify-audit", audit_dir], capture_output=True,
                               text=True, timeout=60)
            c.eq(p.returncode, 1, "a changed record breaks the chain: %s" % p.stdout.strip())
    finally:
        shutil.rmtree(d, ignore_errors=True)
    c.finish()


main()

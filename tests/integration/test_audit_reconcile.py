"""A background operation still running when the agent stops is recorded
as abandoned at shutdown, and start-up gives it (and any intent a crash
left without a result) a closing result: no allowed command stays open in
the audit log."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, EMU_DEVICE_IDS, POLICY_EXAMPLE, Agent, Checker,  # noqa: E402
                      le32_b64, read_audit_dir)

c = Checker("audit_reconcile")
WRITER = ("writer", "writer-password-1")


def results_for(recs, intent):
    return [r for r in recs if r.get("type") == "Result" and r.get("intent") == intent]


with Agent(config={"policy_file": POLICY_EXAMPLE},
           accounts=[("admin", ADMIN_PASSWORD, "Administrator"), ("writer", WRITER[1], "Writer")],
           roles=[("Writer", ["Login", "CxlCommandRead", "CxlCommandWriteFull"])]) as a:
    audit_dir = os.path.join(a.state, "audit")
    r = a.submit(EMU_DEVICE_IDS[0], "emu-background-op", le32_b64(10000), user=WRITER)
    c.eq(r.status, 202, "a long background operation starts")
    intent = r.json().get("Oem", {}).get("CxlAgent", {}).get("AuditRecordId") or \
        [x for x in read_audit_dir(audit_dir)[0] if x.get("type") == "Intent"][-1]["id"]
    a.stop()
    recs, _ = read_audit_dir(audit_dir)
    res = results_for(recs, intent)
    c.eq([x.get("mbox_rc") for x in res if "mbox_rc" in x], [1], "started in the background")
    c.eq([x.get("outcome") for x in res if "outcome" in x], ["AbandonedAtShutdown"],
         "recorded as abandoned at shutdown")

    a.start()
    recs, _ = read_audit_dir(audit_dir)
    res = results_for(recs, intent)
    c.eq(len(res), 3, "start-up adds a closing result")
    c.check("start-up" in (res[-1].get("detail") or ""), "its detail says how: %r" % res[-1])
    a.stop()
    recs, _ = read_audit_dir(audit_dir)
    c.eq(len(results_for(recs, intent)), 3, "a closed command is not closed again")

    # A crash between intent and result: start-up closes it as Unknown.
    a.start()
    r = a.submit(EMU_DEVICE_IDS[1], "emu-read-telemetry", user=WRITER)
    c.eq(r.status, 200, "a command runs")
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait()
    a.log.close()
    with open(os.path.join(audit_dir, "audit.log"), "rb") as f:
        lines = f.read().splitlines(keepends=True)
    # Take the result back, as if the crash came before it was written.
    with open(os.path.join(audit_dir, "audit.log"), "wb") as f:
        f.writelines(lines[:-1])
    a.start()
    recs, _ = read_audit_dir(audit_dir)
    last_intent = [x for x in recs if x.get("type") == "Intent"][-1]["id"]
    res = results_for(recs, last_intent)
    c.eq([x.get("outcome") for x in res], ["Unknown"], "closed as outcome Unknown")
    r = a.curl("GET", "/redfish/v1/Managers/agent/LogServices/Audit/Entries/" + res[0]["id"])
    c.eq(r.json().get("Severity"), "Warning", "served as a warning")
    c.eq(r.json().get("MessageId"), "CxlAgent.1.0.VendorCommandOutcomeUnknown", "its MessageId")
    c.payloads.append(("closed record", r.json()))
    c.eq(r.json().get("Oem", {}).get("CxlAgent", {}).get("Outcome"), "Unknown", "with its Outcome")
    r = a.curl("GET", "/redfish/v1/Managers/agent/LogServices/Audit")
    head = r.json().get("Oem", {}).get("CxlAgent", {}).get("ChainHead")
    c.check(isinstance(head, str) and len(head) == 64, "the Audit LogService shows the chain head")
c.finish()

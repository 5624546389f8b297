"""A caller refused again and again cannot flood the audit log: past a
burst its denials are counted into one Suppressed record, so history
written before the flood survives rotation, and the count is on disk."""
import os
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, EMU_DEVICE_IDS, POLICY_EXAMPLE, Agent, Checker,  # noqa: E402
                      read_audit_dir)

c = Checker("audit_flood")
VIEWER = ("viewer", "viewer-password-1")
FLOOD = 400

with Agent(config={"policy_file": POLICY_EXAMPLE, "audit_max_bytes": 65536, "audit_keep_files": 2},
           accounts=[("admin", ADMIN_PASSWORD, "Administrator"),
                     ("viewer", VIEWER[1], "ReadOnly")]) as a:
    audit_dir = os.path.join(a.state, "audit")
    r = a.submit(EMU_DEVICE_IDS[0], "emu-read-telemetry")
    c.eq(r.status, 200, "a command before the flood")
    first = r.json().get("AuditRecordId")

    def deny(_):
        return a.submit(EMU_DEVICE_IDS[0], "emu-read-telemetry", user=VIEWER).status

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(deny, range(FLOOD)))
    c.eq(statuses.count(403), FLOOD, "every flooded Submit is refused")
    recs, _ = read_audit_dir(audit_dir)
    ids = [x.get("id") for x in recs]
    c.check(first in ids, "the record from before the flood is still on disk")
    denials = [x for x in recs if x.get("type") == "Intent" and x.get("user") == "viewer"]
    c.check(len(denials) <= 10, "at most the burst of denials written one by one (%d)" % len(denials))
    r = a.curl("GET", "/redfish/v1/Managers/agent/LogServices/Audit/Entries/" + first)
    c.eq(r.status, 200, "the record from before the flood is served")
    a.stop()
    recs, _ = read_audit_dir(audit_dir)
    summary = [x for x in recs if x.get("type") == "Suppressed" and x.get("user") == "viewer"]
    c.eq(sum(x.get("suppressed", 0) for x in summary) + len(denials), FLOOD,
         "every denial is written or counted in a Suppressed record")
c.finish()

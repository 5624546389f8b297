"""Approved vendor commands over REST on the emulated devices: every command
class (Read, Configure, WriteFull, WriteFull background) submitted by every
predefined role and by custom roles holding CxlCommandWriteFull; a background
operation followed through its Task; every injected fault and device answer
mapped to its HTTP status; each attempt checked against the audit log and the
device's own execution journal."""
import base64
import os
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, POLICY_EXAMPLE, Agent, Checker, le32_b64,  # noqa: E402
                      read_audit_dir, read_jsonl, set_fault, vendor_command_path,
                      write_emulated_profile)

c = Checker("vendor_commands")

ADMIN = ("admin", ADMIN_PASSWORD)
OPERATOR = ("operator", "operator-password-1")
READONLY = ("viewer", "viewer-password-1")
WRITER = ("writer", "writer-password-1")      # custom role: read + configure + write-full
WRITEONLY = ("wonly", "wonly-password-1")     # custom role: write-full only
ROLES = [("Writer", ["Login", "ConfigureSelf", "CxlCommandRead", "CxlCommandConfigure",
                     "CxlCommandWriteFull"]),
         ("WriteOnly", ["Login", "CxlCommandWriteFull"])]
ACCOUNTS = [(ADMIN[0], ADMIN[1], "Administrator"), (OPERATOR[0], OPERATOR[1], "Operator"),
            (READONLY[0], READONLY[1], "ReadOnly"), (WRITER[0], WRITER[1], "Writer"),
            (WRITEONLY[0], WRITEONLY[1], "WriteOnly")]

# id -> (opcode, scope, privilege, a valid payload)
COMMANDS = {
    "emu-read-telemetry": ("0xC000", "Read", "CxlCommandRead", ""),
    "emu-set-config-after-reset": ("0xC001", "Configure", "CxlCommandConfigure", le32_b64(0x1234)),
    "emu-set-mode": ("0xC002", "WriteFull", "CxlCommandWriteFull", le32_b64(2)),
    "emu-background-op": ("0xC003", "WriteFull", "CxlCommandWriteFull", le32_b64(800)),
}
# Which scopes each caller may use: the Done-when of the issue.
ALLOWED = {
    ADMIN: {"Read", "Configure"},
    OPERATOR: {"Read", "Configure"},
    READONLY: set(),
    WRITER: {"Read", "Configure", "WriteFull"},
    WRITEONLY: {"WriteFull"},  # privileges are independent bits
}
AUDIT = "/redfish/v1/Managers/agent/LogServices/Audit"


def ext_oem(resp):
    """Oem.CxlAgent of the extended-info message that carries the outcome."""
    try:
        infos = resp.json()["error"]["@Message.ExtendedInfo"]
    except (ValueError, KeyError):
        return {}
    for m in infos:
        o = m.get("Oem", {}).get("CxlAgent")
        if o:
            return o
    return {}


def audit_records(a):
    recs, torn = read_audit_dir(a.audit_dir)
    return recs


def results_of(recs, intent_id):
    return [r for r in recs if r.get("type") == "Result" and r.get("intent") == intent_id]


def journal(a, dev_index):
    return read_jsonl(a.prof["journal"][dev_index])[0]


def telemetry(a, dev, user=WRITER):
    r = a.submit(dev, "emu-read-telemetry", "", user=user)
    c.eq(r.status, 200, "telemetry read")
    raw = base64.b64decode(r.json()["OutputPayload"]) if r.status == 200 else b"\0" * 64
    return {"magic": raw[0:8], "executed": struct.unpack_from("<Q", raw, 0x10)[0],
            "mode": raw[0x1B], "pending": struct.unpack_from("<I", raw, 0x20)[0],
            "pending_valid": raw[0x24], "bg_running": raw[0x25],
            "bg_done": struct.unpack_from("<H", raw, 0x26)[0], "len": len(raw)}


def check_success(a, r, user, cmd, what):
    c.eq(r.status, 200, what + " status")
    if r.status != 200:
        return None
    doc = c.redfish_json(r, what) or {}
    c.eq(doc.get("@odata.type"), "#CxlAgent.v1_0_0.SubmitResult", what + " type")
    c.eq(doc.get("MailboxReturnCode"), 0, what + " MailboxReturnCode")
    c.eq(doc.get("MailboxReturnCodeName"), "Success", what + " MailboxReturnCodeName")
    c.check(isinstance(doc.get("DurationUs"), int) and doc["DurationUs"] >= 0, what + " DurationUs")
    check_audit_pair(a, doc.get("AuditRecordId"), user, cmd, "Allowed", what)
    return doc


def check_audit_pair(a, rid, user, cmd, decision, what, reason=None):
    """The intent record by its id over REST and on disk; results on disk."""
    c.check(isinstance(rid, str) and rid.isdigit(), what + ": AuditRecordId %r" % rid)
    if not rid:
        return
    r = a.curl("GET", AUDIT + "/Entries/" + rid, user=ADMIN)
    c.eq(r.status, 200, what + ": audit entry over REST")
    rec = (c.redfish_json(r, what + ": audit entry") or {}).get("Oem", {}).get("CxlAgent", {}) \
        if r.status == 200 else {}
    c.eq(rec.get("RecordType"), "Intent", what + ": audit record type")
    c.eq(rec.get("UserName"), user[0], what + ": audit user")
    c.eq(rec.get("Command"), cmd, what + ": audit command")
    c.eq(rec.get("Opcode"), COMMANDS[cmd][0], what + ": audit opcode")
    c.eq(rec.get("Decision"), decision, what + ": audit decision")
    c.eq(r.json().get("Severity"), "OK" if decision == "Allowed" else "Warning",
         what + ": audit entry severity")
    c.eq(r.json().get("MessageId"), "CxlAgent.1.0.VendorCommand" + decision,
         what + ": audit entry MessageId")
    if reason:
        c.eq(rec.get("Reason"), reason, what + ": audit reason")
    res = results_of(audit_records(a), rid)
    if decision == "Denied":
        c.eq(len(res), 0, what + ": a denial has no result record")
    else:
        c.check(len(res) >= 1, what + ": result record for intent %s" % rid)


def check_denied(a, r, user, cmd, status, message_id, reason, what):
    c.error_body(r, status, message_id, what)
    oem = ext_oem(r)
    c.eq(oem.get("DenialReason"), reason, what + " DenialReason")
    if reason == "InsufficientPrivilege":
        c.eq(oem.get("Scope"), COMMANDS[cmd][1], what + " Scope")
    check_audit_pair(a, oem.get("AuditRecordId"), user, cmd, "Denied", what, reason)


def follow_task(a, r, user, cmd, what, duration_s, t_submit):
    """r: the 202 of a Submit sent at t_submit (time.time()) of an operation
    that takes duration_s. What is read while it must still run is judged
    only when the answer came before duration_s had passed since t_submit:
    on a loaded machine the requests in between can take longer than that."""
    c.eq(r.status, 202, what + " status")
    mon = r.header("location") or ""
    c.check(mon.startswith("/redfish/v1/TaskService/TaskMonitors/"), what + " Location %r" % mon)
    if r.status != 202 or not mon:
        return None
    doc = c.redfish_json(r, what + " (Task)")
    loc = doc.get("@odata.id") or ""
    c.check(loc.startswith("/redfish/v1/TaskService/Tasks/"), what + " Task link %r" % loc)
    c.eq(doc.get("TaskMonitor"), mon, what + " TaskMonitor is the Location")
    m = a.curl("GET", mon, user=READONLY)
    if time.time() - t_submit < duration_s:
        c.eq(m.status, 202, what + " monitor while running")
        c.check(m.header("retry-after"), what + " monitor Retry-After")
    c.eq(doc.get("TaskState"), "Running", what + " Task starts Running")
    oem = doc.get("Oem", {}).get("CxlAgent", {})
    c.eq(oem.get("Owner"), user[0], what + " Task owner")
    c.eq(oem.get("Command"), cmd, what + " Task command")
    rid = oem.get("AuditRecordId")
    mid, _ = a.wait_task(loc, user=user, timeout=0.3 * duration_s)  # still running early
    if time.time() - t_submit < duration_s:
        c.eq(mid.json().get("TaskState"), "Running", what + " Task running before the duration")
    # Anyone with Login may read tasks; ReadOnly polls it here.
    final, seen = a.wait_task(loc, user=READONLY, timeout=duration_s + 10)
    # From the submission, which came before the operation started: the
    # requests in between may take as long as the operation on a loaded
    # machine, so a count from after them says nothing.
    took = time.time() - t_submit
    fdoc = c.redfish_json(final, what + " (Task done)")
    c.eq(fdoc.get("TaskState"), "Completed", what + " Task completes (states %r)" % seen)
    c.eq(fdoc.get("TaskStatus"), "OK", what + " TaskStatus")
    c.eq(fdoc.get("PercentComplete"), 100, what + " PercentComplete")
    c.check("EndTime" in fdoc, what + " EndTime")
    c.eq(fdoc.get("Oem", {}).get("CxlAgent", {}).get("MailboxReturnCode"), 0, what + " final rc")
    c.check(took >= duration_s * 0.7, what + " took %.2fs for a %.2fs operation" % (took, duration_s))
    m = a.curl("GET", mon, user=READONLY)
    c.eq(m.status, 200, what + " monitor after completion")
    c.eq(m.json().get("MailboxReturnCode"), 0, what + " monitor: the command's result")
    coll = a.curl("GET", "/redfish/v1/TaskService/Tasks", user=user)
    c.check(any(m["@odata.id"] == loc for m in coll.json().get("Members", [])),
            what + " Task in the collection")
    check_audit_pair(a, rid, user, cmd, "Allowed", what)
    res = results_of(audit_records(a), rid)
    c.eq([x.get("mbox_rc") for x in res], [1, 0],
         what + ": audit results: Background Command Started then the completion")
    return fdoc


def roles_matrix(a):
    dev = a.prof["ids"][0]
    for cmd, (opcode, scope, priv, _) in COMMANDS.items():
        r = a.curl("GET", vendor_command_path(dev, cmd), user=READONLY)
        c.eq(r.status, 200, "GET %s as ReadOnly" % cmd)
        doc = (c.redfish_json(r, "GET " + cmd) or {}) if r.status == 200 else {}
        c.eq(doc.get("Scope"), scope, cmd + " Scope")
        c.eq(doc.get("PrivilegeRequired"), priv, cmd + " PrivilegeRequired")
        c.eq(doc.get("Opcode"), opcode, cmd + " Opcode")
        c.eq(doc.get("EffectsMatchApproval"), True, cmd + " EffectsMatchApproval")
    r = a.curl("GET", vendor_command_path(dev), user=READONLY)
    c.eq((c.redfish_json(r, "VendorCommands") or {}).get("Members@odata.count"), 4, "four approved commands on the device")

    executed = 0
    mode = 0
    for user, allowed in ALLOWED.items():
        for cmd, (opcode, scope, priv, payload) in COMMANDS.items():
            what = "%s by %s" % (cmd, user[0])
            if cmd == "emu-set-mode":
                payload = le32_b64((mode + 1) % 4)
            t_submit = time.time()
            r = a.submit(dev, cmd, payload, user=user)
            if scope not in allowed:
                check_denied(a, r, user, cmd, 403, "InsufficientPrivilege",
                             "InsufficientPrivilege", what)
                continue
            executed += 1
            if cmd == "emu-background-op":
                follow_task(a, r, user, cmd, what, 0.8, t_submit)
                continue
            doc = check_success(a, r, user, cmd, what)
            if doc and cmd == "emu-set-mode":
                prev = base64.b64decode(doc["OutputPayload"])
                c.eq(prev, mode.to_bytes(4, "little"), what + " replies with the previous mode")
                mode = (mode + 1) % 4
            if doc and cmd == "emu-read-telemetry":
                c.eq(len(base64.b64decode(doc["OutputPayload"])), 64, what + " 64-byte telemetry")
    # Only the allowed commands reached the device.
    c.eq(len(journal(a, 0)), executed, "device journal: exactly the allowed commands executed")
    t = telemetry(a, dev)
    c.eq(t["magic"], b"CXLATLM1", "telemetry magic")
    c.eq(t["mode"], mode, "mode set by write-full callers")
    c.eq((t["pending"], t["pending_valid"]), (0x1234, 1), "configuration pending after reset")
    c.eq(t["bg_done"], 2, "two background operations finished (Writer, WriteOnly)")
    # The Done-when, stated against the audit log: no ReadOnly command and no
    # write-full command without the custom roles was ever allowed.
    for rec in audit_records(a):
        if rec.get("type") != "Intent" or rec.get("decision") != "Allowed":
            continue
        c.check(rec.get("user") != READONLY[0], "ReadOnly never allowed: %r" % rec)
        if rec.get("scope") == "WriteFull":
            c.check(rec.get("user") in (WRITER[0], WRITEONLY[0]),
                    "write-full only through a custom role: %r" % rec)


def input_checks(a):
    dev = a.prof["ids"][0]
    before = len(journal(a, 0))
    r = a.submit(dev, "emu-read-telemetry", le32_b64(1), user=ADMIN)
    check_denied(a, r, ADMIN, "emu-read-telemetry", 400, "ActionParameterValueError",
                 "PayloadTooLarge", "telemetry with a 4-byte payload")
    r = a.submit(dev, "emu-set-config-after-reset", "", user=OPERATOR)
    check_denied(a, r, OPERATOR, "emu-set-config-after-reset", 400, "ActionParameterValueError",
                 "PayloadTooSmall", "config with no payload")
    r = a.submit(dev, "emu-set-mode", base64.b64encode(b"\1\0\0\0\0").decode(), user=WRITER)
    check_denied(a, r, WRITER, "emu-set-mode", 400, "ActionParameterValueError",
                 "PayloadTooLarge", "set-mode with 5 bytes")
    # A ReadOnly caller with a wrong payload is still refused for privilege first.
    r = a.submit(dev, "emu-set-mode", "", user=READONLY)
    check_denied(a, r, READONLY, "emu-set-mode", 403, "InsufficientPrivilege",
                 "InsufficientPrivilege", "ReadOnly, wrong size")
    c.eq(len(journal(a, 0)), before, "policy refusals never reach the device")
    # The device's own validation: executed (journalled), answered Invalid Input.
    r = a.submit(dev, "emu-set-mode", le32_b64(7), user=WRITER)
    c.error_body(r, 400, "ActionParameterValueError", "mode 7 (device Invalid Input)")
    c.eq(ext_oem(r).get("MailboxReturnCodeName"), "Invalid Input", "mode 7 rc name")
    r = a.submit(dev, "emu-background-op", le32_b64(50), user=WRITER)
    c.error_body(r, 400, "ActionParameterValueError", "background 50 ms (device Invalid Input)")
    c.eq(len(journal(a, 0)), before + 2, "device-validated commands were executed")
    # Request shape.
    path = vendor_command_path(dev, "emu-read-telemetry", submit=True)
    r = a.curl("POST", path, body={"Payload": "***"}, user=OPERATOR)
    c.error_body(r, 400, "ActionParameterValueFormatError", "Payload not base64")
    r = a.curl("POST", path, body={"Payload": 5}, user=OPERATOR)
    c.error_body(r, 400, "ActionParameterValueTypeError", "Payload not a string")
    for t in (0, 60001):
        r = a.curl("POST", path, body={"Payload": "", "TimeoutMs": t}, user=OPERATOR)
        c.error_body(r, 400, "ActionParameterValueError", "TimeoutMs %d" % t)
    r = a.curl("POST", path, body={"Payload": "", "Extra": 1}, user=OPERATOR)
    c.error_body(r, 400, "ActionParameterUnknown", "unknown parameter")
    r = a.curl("POST", path, raw_body=b"{", headers={"Content-Type": "application/json"},
               user=OPERATOR)
    c.error_body(r, 400, "MalformedJSON", "malformed body")
    r = a.curl("POST", path, headers={"Content-Type": "application/json"}, user=OPERATOR)
    c.eq(r.status, 200, "no body: empty payload")
    # A cross-site form post: no body, no JSON media type. Nothing runs.
    for ctype in (None, "text/plain", "application/x-www-form-urlencoded"):
        hdrs = {"Content-Type": ctype} if ctype else {}
        r = a.curl("POST", path, headers=hdrs, user=OPERATOR)
        c.eq(r.status, 415, "empty POST with Content-Type %s" % ctype)
    r = a.curl("POST", path, body={"Payload": ""}, user=None)
    c.error_body(r, 401, "NoValidSession", "no credentials")
    r = a.curl("GET", path, user=OPERATOR)
    c.error_body(r, 405, "OperationNotAllowed", "GET on the Submit action")
    c.eq(r.header("allow"), "POST", "Allow on the Submit action")
    r = a.curl("PATCH", vendor_command_path(dev, "emu-set-mode"), body={"Name": "x"}, user=ADMIN)
    c.error_body(r, 405, "OperationNotAllowed", "PATCH on a vendor command")
    r = a.submit(dev, "no-such-command", "", user=ADMIN)
    c.error_body(r, 404, "ResourceNotFound", "unknown command id")
    r = a.submit("00000000deadbeef", "emu-read-telemetry", "", user=ADMIN)
    c.error_body(r, 404, "ResourceNotFound", "unknown device")
    # Audit log: ConfigureManager only.
    for u, want in ((READONLY, 403), (OPERATOR, 403), (WRITER, 403), (ADMIN, 200)):
        r = a.curl("GET", AUDIT + "/Entries", user=u)
        c.eq(r.status, want, "audit entries as %s" % u[0])
    r = a.curl("GET", AUDIT, user=ADMIN)
    c.eq(c.redfish_json(r, "audit log service").get("Status", {}).get("Health"), "OK",
         "audit log healthy")


def fault(a, dev_index, name, cmd, want_status, message_id, what, executed, payload=None,
          timeout_ms=None, rc_name=None, retry_after=None, transport=None):
    dev = a.prof["ids"][dev_index]
    opcode = COMMANDS[cmd][0]
    set_fault(a.prof["fault"][dev_index], name, count=1, opcode=opcode)
    before = len(journal(a, dev_index))
    r = a.submit(dev, cmd, COMMANDS[cmd][3] if payload is None else payload, user=WRITER,
                 timeout_ms=timeout_ms)
    what = "fault %s: %s" % (name, what)
    if message_id:
        c.error_body(r, want_status, message_id, what)
    else:
        c.eq(r.status, want_status, what + " status")
    if retry_after:
        c.eq(r.header("retry-after"), retry_after, what + " Retry-After")
    oem = ext_oem(r) if r.status >= 400 else r.json()
    if rc_name:
        c.eq(oem.get("MailboxReturnCodeName"), rc_name, what + " MailboxReturnCodeName")
    if transport is not None:
        c.eq(oem.get("TransportError"), transport, what + " TransportError")
    c.eq(len(journal(a, dev_index)) - before, 1 if executed else 0,
         what + (" executed" if executed else " not executed"))
    rid = oem.get("AuditRecordId")
    c.check(bool(rid), what + " carries an AuditRecordId")
    recs = audit_records(a)
    intent = [x for x in recs if x.get("id") == rid]
    c.check(intent and intent[0].get("decision") == "Allowed", what + " intent recorded")
    c.eq(len(results_of(recs, rid)), 1, what + " result recorded")
    set_fault(a.prof["fault"][dev_index], "none")
    return r


def faults(a):
    fault(a, 0, "busy", "emu-read-telemetry", 503, "ServiceTemporarilyUnavailable",
          "mailbox Busy", False, rc_name="Busy", retry_after="1")
    fault(a, 0, "retry", "emu-set-config-after-reset", 503, "ServiceTemporarilyUnavailable",
          "mailbox Retry Required", False, rc_name="Retry Required", retry_after="1")
    fault(a, 0, "internal", "emu-set-mode", 502, "GeneralError", "mailbox Internal Error",
          False, rc_name="Internal Error")
    fault(a, 0, "bad_payload_length", "emu-read-telemetry", 400, "ActionParameterValueError",
          "mailbox Invalid Payload Length", False, rc_name="Invalid Payload Length")
    t0 = time.time()
    fault(a, 0, "timeout", "emu-read-telemetry", 504, "OperationTimeout", "no answer", False,
          timeout_ms=300, transport=110)
    c.check(0.25 <= time.time() - t0 < 5, "timeout honours TimeoutMs (%.2fs)" % (time.time() - t0))
    fault(a, 0, "oversize_reply", "emu-read-telemetry", 502, "GeneralError",
          "reply longer than the buffer", True, transport=71)
    r = fault(a, 0, "long_reply", "emu-read-telemetry", 200, None, "4 junk bytes", True,
              rc_name="Success")
    if r.status == 200:
        out = base64.b64decode(r.json()["OutputPayload"])
        c.eq((len(out), out[:8], out[64:]), (68, b"CXLATLM1", b"\xee" * 4),
             "long reply passed through as the device sent it")
    # A second background operation while one runs: the device says Busy.
    dev = a.prof["ids"][0]
    r = a.submit(dev, "emu-background-op", le32_b64(1500), user=WRITER)
    c.eq(r.status, 202, "background op started")
    r2 = a.submit(dev, "emu-background-op", le32_b64(100), user=WRITER)
    c.error_body(r2, 503, "ServiceTemporarilyUnavailable", "second background op while running")
    c.eq(ext_oem(r2).get("MailboxReturnCodeName"), "Busy", "second background op: device Busy")
    c.eq(r2.header("retry-after"), "1", "second background op: Retry-After")
    if r.status == 202:
        final, _ = a.wait_task(r.json()["@odata.id"], user=WRITER, timeout=15)
        c.eq(final.json().get("TaskState"), "Completed", "first background op completes")


def contention(a):
    """The mailbox held by a command that never answers: another command gives
    up waiting (503 busy); past 8 waiting per device, new ones are turned away
    at once (503); the other device is not affected."""
    dev = a.prof["ids"][0]
    set_fault(a.prof["fault"][0], "timeout", count=1, opcode="0xC000")
    results = {}

    def go(key, timeout_ms):
        results[key] = a.submit(dev, "emu-read-telemetry", "", user=OPERATOR,
                                timeout_ms=timeout_ms)

    # The holding command is at the device once its allowed intent is on
    # disk (written just before the device is asked); a fixed pause would
    # be too short on a loaded machine.
    before = {r["id"] for r in audit_records(a) if r.get("type") == "Intent"}
    # Held long enough for the checks below and the ten waiting commands
    # to start while it runs, even when each curl takes a second to start.
    hold = threading.Thread(target=go, args=("hold", 4000))
    hold.start()
    deadline = time.time() + 10
    while time.time() < deadline and not any(
            r.get("type") == "Intent" and r.get("decision") == "Allowed" and
            r["id"] not in before for r in audit_records(a)):
        time.sleep(0.02)
    time.sleep(0.1)
    r = a.submit(dev, "emu-read-telemetry", "", user=OPERATOR, timeout_ms=200)
    c.error_body(r, 503, "ServiceTemporarilyUnavailable", "mailbox held by another command")
    c.eq(r.header("retry-after"), "1", "mailbox busy: Retry-After")
    c.eq(ext_oem(r).get("TransportError"), 16, "mailbox busy: EBUSY")
    t0 = time.time()
    r = a.submit(a.prof["ids"][1], "emu-read-telemetry", "", user=OPERATOR)
    c.eq(r.status, 200, "the other device answers meanwhile")
    c.check(time.time() - t0 < 2.5, "the other device is not held up (%.2f s of the held "
            "command's 4 s)" % (time.time() - t0))
    r = a.curl("GET", "/redfish/v1/Chassis/host/PCIeDevices/" + dev, user=OPERATOR)
    c.eq(r.status, 200, "inventory of the held device still served")
    threads = [threading.Thread(target=go, args=(i, 1500)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads + [hold]:
        t.join()
    c.eq(results["hold"].status, 504, "the held command times out")
    statuses = [results[i].status for i in range(10)]
    full = [results[i] for i in range(10) if results[i].status == 503 and
            "Too many commands" in results[i].body]
    sys.stderr.write("contention statuses %r, queue full %d\n" % (statuses, len(full)))
    c.check(len(full) >= 2, "queue full: %d of 10 turned away (statuses %r)" % (len(full), statuses))
    c.check(all(s in (200, 503) for s in statuses), "waiting commands: 200 or 503: %r" % statuses)
    for r in full:
        c.eq(r.header("retry-after"), "1", "queue full: Retry-After")
        rid = ext_oem(r).get("AuditRecordId")
        res = results_of(audit_records(a), rid)
        c.check(len(res) == 1 and res[0].get("transport") == "EBUSY",
                "queue full is audited: %r" % res)


def vanish(a):
    """Device 2 disappears while a background operation runs: the Task ends in
    Exception, the audit log does not claim the operation succeeded, later
    commands get 502."""
    dev = a.prof["ids"][1]
    r = a.submit(dev, "emu-background-op", le32_b64(3000), user=WRITER)
    c.eq(r.status, 202, "vanish: background op started")
    mon = r.header("location")
    loc = r.json().get("@odata.id") if r.status == 202 else None
    rid = r.json().get("Oem", {}).get("CxlAgent", {}).get("AuditRecordId") if r.status == 202 else None
    before = len(journal(a, 1))
    set_fault(a.prof["fault"][1], "vanish")
    r = a.submit(dev, "emu-set-mode", le32_b64(1), user=WRITER)
    c.error_body(r, 502, "GeneralError", "vanish: command to a gone device")
    c.eq(ext_oem(r).get("TransportError"), 19, "vanish: ENODEV")
    r = a.submit(dev, "emu-read-telemetry", "", user=OPERATOR)
    c.error_body(r, 502, "GeneralError", "vanish: every later command")
    c.eq(len(journal(a, 1)), before, "vanish: nothing executed")
    if loc:
        final, seen = a.wait_task(loc, user=WRITER, timeout=10)
        doc = c.redfish_json(final, "task of a vanished device")
        c.eq(doc.get("TaskState"), "Exception", "vanish: Task ends in Exception (%r)" % seen)
        c.eq(doc.get("TaskStatus"), "Critical", "vanish: TaskStatus")
        c.eq([m.get("MessageId") for m in doc.get("Messages", [])],
             ["TaskEvent.1.0.5.TaskAborted"], "vanish: Task message")
        m = a.curl("GET", mon, user=WRITER)
        c.error_body(m, 502, "GeneralError", "vanish: the monitor's final answer")
        c.check(doc.get("Oem", {}).get("CxlAgent", {}).get("MailboxReturnCode") != 0,
                "vanish: the Task must not report mailbox return code 0 (Success) for an "
                "operation whose device vanished: %r" % doc.get("Oem"))
        res = results_of(audit_records(a), rid)
        c.check(len(res) == 2, "vanish: completion audited: %r" % res)
        if len(res) == 2:
            c.check(res[1].get("transport") != "OK" or res[1].get("mbox_rc") != 0,
                    "vanish: the audit log must not record the lost background operation as "
                    "completed successfully: %r" % res[1])
    r = a.submit(a.prof["ids"][0], "emu-read-telemetry", "", user=OPERATOR)
    c.eq(r.status, 200, "vanish: the other device still works")


def bad_cel():
    """A device whose CEL cannot be read offers no vendor command (fails closed)."""
    import tempfile
    d = tempfile.mkdtemp(prefix="cxla-badcel-")
    prof = write_emulated_profile(d)
    set_fault(prof["fault"][0], "bad_cel")
    try:
        with Agent(config={"emulated_profile": prof["profile"], "policy_file": POLICY_EXAMPLE},
                   accounts=ACCOUNTS, roles=ROLES) as b:
            r = b.curl("GET", vendor_command_path(prof["ids"][0]), user=WRITER)
            c.eq(r.status, 200, "bad_cel: collection")
            c.eq(r.json().get("Members@odata.count"), 0, "bad_cel: no approved command offered")
            r = b.submit(prof["ids"][0], "emu-read-telemetry", "", user=WRITER)
            c.error_body(r, 404, "ResourceNotFound", "bad_cel: submit")
            r = b.curl("GET", vendor_command_path(prof["ids"][1]), user=WRITER)
            c.eq(r.json().get("Members@odata.count"), 4, "bad_cel: the other device unaffected")
            c.eq(read_jsonl(prof["journal"][0])[0], [], "bad_cel: nothing executed")
    finally:
        import shutil
        shutil.rmtree(d, ignore_errors=True)


def main():
    import tempfile
    import shutil
    d = tempfile.mkdtemp(prefix="cxla-vc-")
    prof = write_emulated_profile(d)
    audit_dir = os.path.join(d, "audit")
    try:
        with Agent(config={"emulated_profile": prof["profile"], "policy_file": POLICY_EXAMPLE,
                           "audit_dir": audit_dir},
                   accounts=ACCOUNTS, roles=ROLES) as a:
            a.prof = prof
            a.audit_dir = audit_dir
            roles_matrix(a)
            input_checks(a)
            faults(a)
            contention(a)
            vanish(a)
            recs, torn = read_audit_dir(audit_dir)
            c.eq(torn, 0, "no torn audit lines")
            ids = [int(x["id"]) for x in recs]
            c.check(ids == sorted(set(ids)), "audit ids strictly increasing")
        bad_cel()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    c.finish()


main()

#!/usr/bin/python3
"""cxl-agent against the real Linux CXL driver: QEMU (TCG) boots a Debian
kernel with two emulated CXL Type-3 devices (QEMU 7.2 cxl-type3), an initramfs
built by build-initramfs runs the agent with the kernel backend, and this
script talks Redfish to it through a port forwarded to 127.0.0.1.

usage: test_qemu.py [stock|raw|linux-6.12]
  stock       the host's own kernel (linux-image-amd64, 6.1): no raw commands
  raw         the small kernel build-kernel makes from linux-source-6.1 with
              CONFIG_CXL_MEM_RAW_COMMANDS=y: vendor commands reach the device
  linux-6.12  Debian 12's linux-image-6.12.*+deb12-amd64 (fetch-linux-6.12),
              booted with pci=nomsi: command flags, no raw commands

Two kinds of checks:
  harness.*  the guest booted, both memdevs appeared, their sysfs values were
             parsed, the forwarded HTTPS port answered, the agent dropped to
             uid 999. These pass with the stand-in agent too.
  agent.*    the agent's Redfish resources agree with what the guest's sysfs
             and QEMU 7.2 say. The resource map is in the constants below.

Environment:
  CXLA_AGENT            agent binary (set by ctest)
  CXLA_SOURCE_DIR       source tree (set by ctest)
  CXLA_QEMU_STANDIN=1   run tests/qemu/standin-agent instead (harness only)
  CXLA_QEMU_DEVICES     1 or 2 (default 2)
  CXLA_QEMU_KEEP=1      keep the temporary directory
  CXLA_QEMU_LOG_DIR     where the serial log is copied (default: cwd)
  CXLA_KERNEL_CACHE     cache of the raw and 6.12 kernels (build-kernel)
Exit: 0 all passed, 1 a check failed or a prerequisite (QEMU, a kernel) is
missing: the message says which.
"""

import base64
import calendar
import ctypes
import glob
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time


# ---- Redfish resource map (adjust here when the agent's map changes) -------
SERVICE_ROOT = "/redfish/v1"
PCIE_DEVICES = "/redfish/v1/Chassis/host/PCIeDevices"
PCIE_DEVICE = PCIE_DEVICES + "/{id}"
MEMORY = "/redfish/v1/Systems/host/Memory/{id}"
CEL = PCIE_DEVICE + "/Oem/CxlAgent/CommandEffectsLog"
VENDOR_COMMANDS = PCIE_DEVICE + "/Oem/CxlAgent/VendorCommands"
VENDOR_SUBMIT = "{member}/Actions/CxlAgent.Submit"
DEVICE_LOG = PCIE_DEVICE + "/CXLLogicalDevices/0/DeviceLog"
# the agent's tracefs instance (agent/cxl/kernel/trace.h)
TRACE_INSTANCE = "cxl-agent"
ADMIN = "admin"
# Accounts seeded in the guest's state directory: name -> (password, role)
USERS = {}
AGENT_UID = 999

# QEMU 7.2's CEL (CXL-REFERENCE.md sections 5 and 8): opcode -> effects
QEMU72_CEL = {
    0x0100: 0x0000, 0x0101: 0x0010, 0x0102: 0x0000, 0x0103: 0x0002,
    0x0200: 0x0000, 0x0300: 0x0000, 0x0301: 0x0008, 0x0400: 0x0000,
    0x0401: 0x0000, 0x4000: 0x0000, 0x4100: 0x0000, 0x4102: 0x0000,
    0x4103: 0x0006,
}
QEMU72_FIRMWARE = "BWFW VERSION 00"
VENDOR_OPCODE = 0xC000
# Catalogue (agent/policy/catalogue.h format) approving VENDOR_OPCODE for the
# QEMU devices (PCI 8086:0d93, serials 0x1000/0x2000). Installed and named in
# the config as policy_file when the file exists next to this script.
CATALOGUE = "policy-qemu.json"

# ---- time budget (ctest TIMEOUT is 240 s; a normal run takes ~20 s) ----------
BOOT_TIMEOUT = 90        # launch to forwarded port answering
# The guest powers itself off after this many seconds of its own clock, a
# bound for a guest nobody kills (the harness always does). Under a loaded
# host the guest's clock can run several times faster than the host's (TSC
# calibrated while QEMU was starved): 200 s of guest time once ended a run
# after 60 s.
GUEST_TIMEOUT = 1200
REFRESH_MS = 2000        # the guest agent's poller interval
REQUEST_TIMEOUT = 15
TOTAL_BUDGET = 200

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = time.monotonic()
timings = {}


def log(msg):
    print(msg, flush=True)


def missing(msg):
    log("FAIL: %s (packaging/install-deps test installs QEMU and the kernel; "
        "leave this test out with ctest -LE qemu)" % msg)
    sys.exit(1)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    """preexec_fn: QEMU gets SIGKILL if this script dies (ctest timeout)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    os.setsid()


# ---- guest console -----------------------------------------------------------

class Guest:
    """What /init printed on the serial console (protocol in build-initramfs)."""

    def __init__(self, path):
        self.path = path

    def text(self):
        try:
            with open(self.path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def lines(self, tag):
        out = []
        for line in self.text().splitlines():
            i = line.find(tag + ":")
            if i >= 0:
                out.append(line[i + len(tag) + 1:].strip())
        return out

    def first(self, tag):
        v = self.lines(tag)
        return v[0] if v else None

    def memdevs(self):
        devs = {}
        for rest in self.lines("CXLA-MEMDEV"):
            name, _, kv = rest.partition(" ")
            key, _, value = kv.partition("=")
            devs.setdefault(name, {})[key] = value
        return devs

    def cxl_list(self):
        m = re.search(r"CXLA-CXL-LIST-BEGIN\r?\n(.*?)CXLA-CXL-LIST-END", self.text(), re.S)
        return m.group(1).strip() if m else None

    def fatal(self):
        """A reason the guest will never serve, or None."""
        for tag in ("CXLA-ERROR", "CXLA-AGENT-EXIT", "CXLA-POWEROFF"):
            v = self.first(tag)
            if v is not None:
                return "%s: %s" % (tag, v)
        return None


def expected_id(name, dev):
    """The agent's stable id: serial as 16 lowercase hex digits, else memN."""
    serial = int(dev.get("serial", "0"), 0)
    return "%016x" % serial if serial else name


# ---- HTTPS client ------------------------------------------------------------

class HttpError(Exception):
    pass


class Client:
    def __init__(self, port, cafile, password, user=ADMIN):
        self.port = port
        self.cafile = cafile
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.token = None
        self.last_token = None

    def as_user(self, user, password):
        """A client for another account, on a session: one password hash for
        all its requests (each costs seconds under TCG)."""
        c = Client(self.port, self.cafile, password, user)
        status, doc, raw = c.request("POST", "/redfish/v1/SessionService/Sessions",
                                     body={"UserName": user, "Password": password}, auth=False)
        if status != 201 or not c.last_token:
            raise HttpError("login %s: HTTP %d %s" % (user, status, raw[:300]))
        c.token = c.last_token
        return c

    def request(self, method, path, body=None, auth=True):
        if time.monotonic() - T0 > TOTAL_BUDGET:
            raise HttpError("time budget of %d s used up" % TOTAL_BUDGET)
        headers = {"Accept": "application/json"}
        if auth and self.token:
            headers["X-Auth-Token"] = self.token
        elif auth:
            headers["Authorization"] = self.auth
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                           timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            raw = r.read()
            self.last_token = r.getheader("X-Auth-Token")
        except (OSError, http.client.HTTPException) as e:
            raise HttpError("%s %s: %s" % (method, path, e)) from None
        finally:
            conn.close()
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None
        return r.status, doc, raw

    def get_json(self, path, auth=True):
        status, doc, raw = self.request("GET", path, auth=auth)
        if status != 200:
            raise HttpError("GET %s: HTTP %d, expected 200: %s" % (path, status, raw[:300]))
        if not isinstance(doc, dict):
            raise HttpError("GET %s: body is not a JSON object: %r" % (path, raw[:300]))
        return doc


# ---- checks ------------------------------------------------------------------

class Checks:
    def __init__(self):
        self.results = []  # (name, ok, message)

    def run(self, name, fn, *args):
        t = time.monotonic()
        try:
            msg = fn(*args)
            self.results.append((name, True, msg or ""))
            log("PASS %s (%.1f s)%s" % (name, time.monotonic() - t, ": " + msg if msg else ""))
        except AssertionError as e:
            self.results.append((name, False, str(e)))
            log("FAIL %s: %s" % (name, e))
        except HttpError as e:
            self.results.append((name, False, str(e)))
            log("FAIL %s: %s" % (name, e))
        except Exception as e:  # a check must never crash the harness
            self.results.append((name, False, "%s: %s" % (type(e).__name__, e)))
            log("FAIL %s: unexpected %s: %s" % (name, type(e).__name__, e))

    def failed(self):
        return [r for r in self.results if not r[1]]


def need(cond, msg):
    if not cond:
        raise AssertionError(msg)


def dig(doc, *keys):
    for k in keys:
        if not isinstance(doc, dict) or k not in doc:
            return None
        doc = doc[k]
    return doc


def serial_matches(text, serial):
    """SerialNumber as hex (with or without 0x, any width) or decimal."""
    if not isinstance(text, str):
        return False
    t = text.strip().lower()
    for base in (16, 10):
        try:
            if int(t, base) == serial:
                return True
        except ValueError:
            pass
    return False


def check_guest_devices(guest, ndev):
    devs = guest.memdevs()
    need(len(devs) == ndev, "expected %d memdevs in the guest, saw %s" % (ndev, sorted(devs)))
    serials = set()
    for name, d in sorted(devs.items()):
        for key in ("serial", "firmware_version", "payload_max", "label_storage_size",
                    "pmem_size", "ram_size"):
            need(key in d, "%s: no %s in the serial log" % (name, key))
        serials.add(int(d["serial"], 0))
        need(d["firmware_version"] == QEMU72_FIRMWARE,
             "%s: firmware_version %r" % (name, d["firmware_version"]))
    need(len(serials) == ndev, "serials not distinct: %s" % serials)
    return "; ".join("%s serial=%s pmem=%s ram=%s lsa=%s payload_max=%s" % (
        n, d["serial"], d["pmem_size"], d["ram_size"], d["label_storage_size"], d["payload_max"])
        for n, d in sorted(devs.items()))


def check_uid(guest):
    uid = guest.first("CXLA-UID")
    need(uid is not None, "no CXLA-UID line: the agent was not running 0.5-5 s after start")
    need(uid == str(AGENT_UID), "agent runs as uid %s, expected %d" % (uid, AGENT_UID))
    ids = guest.first("CXLA-IDS")
    if ids:
        nums = re.findall(r"\d+", ids)
        need(nums and all(n == str(AGENT_UID) for n in nums),
             "real/effective/saved/fs uid and gid must all be %d: %s" % (AGENT_UID, ids))
    return ids or uid


def check_service_root(client):
    doc = client.get_json(SERVICE_ROOT, auth=False)
    need(doc.get("@odata.id") == SERVICE_ROOT, "@odata.id is %r" % doc.get("@odata.id"))
    return doc.get("Name", "")


def check_collection(client, ids):
    doc = client.get_json(PCIE_DEVICES)
    members = doc.get("Members")
    need(isinstance(members, list), "no Members list")
    got = sorted(m.get("@odata.id", "").rsplit("/", 1)[-1] for m in members)
    need(got == sorted(ids), "members %s, expected %s" % (got, sorted(ids)))
    need(doc.get("Members@odata.count") == len(ids),
         "Members@odata.count %r" % doc.get("Members@odata.count"))
    return ", ".join(got)


def check_pcie_device(client, dev_id, dev):
    doc = client.get_json(PCIE_DEVICE.format(id=dev_id))
    serial = int(dev["serial"], 0)
    need(serial_matches(doc.get("SerialNumber"), serial),
         "SerialNumber %r, sysfs serial %s" % (doc.get("SerialNumber"), dev["serial"]))
    need(doc.get("FirmwareVersion") == dev["firmware_version"],
         "FirmwareVersion %r, sysfs %r" % (doc.get("FirmwareVersion"), dev["firmware_version"]))
    pm = dig(doc, "Oem", "CxlAgent", "PayloadMaxBytes")
    need(pm == int(dev["payload_max"]),
         "Oem.CxlAgent.PayloadMaxBytes %r, sysfs payload_max %s" % (pm, dev["payload_max"]))
    return "SerialNumber=%s FirmwareVersion=%s PayloadMaxBytes=%s" % (
        doc.get("SerialNumber"), doc.get("FirmwareVersion"), pm)


def check_memory(client, dev_id, dev):
    doc = client.get_json(MEMORY.format(id=dev_id))
    mib = 1 << 20
    want = {
        "NonVolatileSizeMiB": int(dev["pmem_size"], 0) // mib,
        "VolatileSizeMiB": int(dev["ram_size"], 0) // mib,
    }
    for key, value in want.items():
        need(doc.get(key) == value, "%s %r, sysfs says %d" % (key, doc.get(key), value))
    lsa = dig(doc, "CXL", "LabelStorageSizeBytes")
    need(lsa == int(dev["label_storage_size"]),
         "CXL.LabelStorageSizeBytes %r, sysfs label_storage_size %s"
         % (lsa, dev["label_storage_size"]))
    # QEMU 7.2 has no Get Health Info: health must be absent, not invented
    need("HealthData" not in doc, "HealthData present although the device has no "
         "Get Health Info: %r" % doc.get("HealthData"))
    return "NonVolatileSizeMiB=%d VolatileSizeMiB=%d LabelStorageSizeBytes=%d, no HealthData" % (
        want["NonVolatileSizeMiB"], want["VolatileSizeMiB"], lsa)


def check_cel(client, dev_id):
    doc = client.get_json(CEL.format(id=dev_id))
    entries = doc.get("Entries")
    need(isinstance(entries, list), "no Entries list")
    got = {}
    for e in entries:
        op = e.get("Opcode")
        need(isinstance(op, str) and re.fullmatch(r"0x[0-9A-Fa-f]{4}", op),
             "Opcode %r is not \"0xNNNN\"" % (op,))
        need(isinstance(e.get("RawEffects"), int), "%s: RawEffects %r" % (op, e.get("RawEffects")))
        need(int(op, 16) not in got, "opcode %s listed twice" % op)
        got[int(op, 16)] = e["RawEffects"]
    need(len(entries) == len(QEMU72_CEL), "%d entries, expected %d" % (len(entries), len(QEMU72_CEL)))
    fmt = lambda d: " ".join("%04x/%04x" % kv for kv in sorted(d.items()))
    need(got == QEMU72_CEL, "CEL %s, expected %s" % (fmt(got), fmt(QEMU72_CEL)))
    return "%d entries as QEMU 7.2" % len(entries)


def is_redfish_error(doc):
    err = doc.get("error") if isinstance(doc, dict) else None
    return isinstance(err, dict) and "code" in err and "message" in err


def catalogue_ids(catalogue, opcode):
    """Ids the catalogue gives to approvals of opcode (they name the members)."""
    if not catalogue:
        return []
    with open(catalogue) as f:
        cat = json.load(f)
    return [c["id"] for c in cat.get("commands", [])
            if int(c.get("opcode", "0"), 16) == opcode]


UNDELIVERABLE_ID = "qemu-get-event-int-policy"  # 0x0102: in the CEL, no named command
AUDIT_ENTRIES = "/redfish/v1/Managers/agent/LogServices/Audit/Entries"
MANAGER = "/redfish/v1/Managers/agent"
# QEMU 7.2 answers Get Event Interrupt Policy with 4 zero bytes
GET_EVENT_INT_POLICY_REPLY = b"\0\0\0\0"
TAINT_WARN = 1 << 9
# A catalogue approving a kernel-owned opcode: --check-config must refuse it
OWNED_CATALOGUE = "policy-qemu-kernel-owned.json"


def check_vendor_commands(client, dev_id, catalogue):
    """0xC000 is approved but not in QEMU's CEL: not offered, and a Submit is
    404. 0x0102 is approved and in the CEL, but Linux 6.1 can carry it only
    through the raw path, which Debian's kernel lacks: listed as unavailable
    with that reason, a Submit is refused with 501 and both the intent and the
    result are in the audit log."""
    need(catalogue, "no catalogue installed")
    base = VENDOR_COMMANDS.format(id=dev_id)
    coll = client.get_json(base)
    members = [m.get("@odata.id", "") for m in coll.get("Members", [])]
    need(coll.get("Members@odata.count") == len(members), "Members@odata.count mismatch")
    for cid in catalogue_ids(catalogue, VENDOR_OPCODE):
        need(base + "/" + cid not in members, "%s is offered though not in the CEL" % cid)
        status, doc, raw = client.request("POST", VENDOR_SUBMIT.format(member=base + "/" + cid),
                                          body={"Payload": ""})
        need(status == 404 and is_redfish_error(doc), "Submit %s: HTTP %d %s" % (cid, status, raw[:300]))
    member = base + "/" + UNDELIVERABLE_ID
    need(member in members, "%s not listed: %s" % (UNDELIVERABLE_ID, members))
    doc = client.get_json(member)
    delivery = doc.get("Delivery", {})
    need(delivery.get("Available") is False and "CONFIG_CXL_MEM_RAW_COMMANDS" in delivery.get("Reason", ""),
         "%s delivery: %s" % (UNDELIVERABLE_ID, delivery))
    status, err, raw = client.request("POST", VENDOR_SUBMIT.format(member=member), body={})
    need(status == 501 and is_redfish_error(err), "Submit %s: HTTP %d %s" % (UNDELIVERABLE_ID, status, raw[:400]))
    infos = err["error"]["@Message.ExtendedInfo"]
    audit_id = None
    for info in infos:
        audit_id = dig(info, "Oem", "CxlAgent", "AuditRecordId") or audit_id
    need(audit_id, "no AuditRecordId in the error: %s" % raw[:400])
    entries = client.get_json(AUDIT_ENTRIES).get("Members", [])
    records = [dig(e, "Oem", "CxlAgent") or {} for e in entries]
    intent = [r for r in records if r.get("RecordId") == audit_id]
    need(intent and intent[0].get("Decision") == "Allowed" and intent[0].get("Opcode") == "0x0102"
         and intent[0].get("Device") == dev_id, "intent record %s: %s" % (audit_id, intent))
    result = [r for r in records
              if r.get("RecordType") == "Result" and r.get("IntentRecordId") == audit_id]
    need(result and result[0].get("Transport") != "OK", "result record for %s: %s" % (audit_id, result))
    return "C000 not offered (404); 0102 unavailable (%s); Submit 501, audited as %s -> %s" % (
        delivery.get("Reason"), audit_id, result[0].get("Transport"))


def audit_records(client, audit_id):
    """The intent record audit_id and the result records that name it."""
    entries = client.get_json(AUDIT_ENTRIES).get("Members", [])
    records = [dig(e, "Oem", "CxlAgent") or {} for e in entries]
    intent = [r for r in records if r.get("RecordId") == audit_id]
    result = [r for r in records
              if r.get("RecordType") == "Result" and r.get("IntentRecordId") == audit_id]
    return (intent[0] if intent else None), (result[0] if result else None)


def error_audit_id(doc):
    for info in dig(doc, "error", "@Message.ExtendedInfo") or []:
        v = dig(info, "Oem", "CxlAgent", "AuditRecordId")
        if v:
            return v
    return None


def pbkdf2_hash(password, iterations=1000):
    """agent/auth/password.c's stored form, at the lowest cost its verifier
    accepts: each Basic request and login verifies it, and under TCG with the
    sanitizer build on a loaded host 100,000 rounds outlasted the request
    timeout."""
    salt = os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, 32)
    return "pbkdf2-sha256$%d$%s$%s" % (iterations, base64.b64encode(salt).decode(),
                                       base64.b64encode(key).decode())


def seed_accounts(path, accounts):
    """The agent's accounts file, written before it starts: (user, password, role)."""
    doc = {"Version": 1, "Accounts": [
        {"Id": str(i + 1), "UserName": u, "RoleId": r, "Enabled": True,
         "PasswordHash": pbkdf2_hash(p)} for i, (u, p, r) in enumerate(accounts)]}
    with open(path, "w") as f:
        json.dump(doc, f)


_users = {}


def make_user(client, name, role):
    """A session of the seeded account name, opened once per run."""
    if name not in _users:
        _users[name] = client.as_user(name, USERS[name][0])
    need(USERS[name][1] == role, "account %s has role %s" % (name, USERS[name][1]))
    return _users[name]


def check_raw_commands(client, dev_id, catalogue):
    """The raw kernel: 0x0102 is offered with delivery KernelRawCommand; an
    Operator's Submit reaches the device and comes back with its real bytes and
    mailbox status Success; a ReadOnly caller is refused with 403; both are
    audited (intent and result) and read back through the Audit LogService.
    0xC000 (approved, not in the CEL: the device does not support it) is not
    offered and a Submit is 404: the CEL gate answers before any mailbox."""
    need(catalogue, "no catalogue installed")
    base = VENDOR_COMMANDS.format(id=dev_id)
    coll = client.get_json(base)
    members = [m.get("@odata.id", "") for m in coll.get("Members", [])]
    for cid in catalogue_ids(catalogue, VENDOR_OPCODE):
        need(base + "/" + cid not in members, "%s is offered though not in the CEL" % cid)
        status, doc, raw = client.request("POST", VENDOR_SUBMIT.format(member=base + "/" + cid),
                                          body={"Payload": ""})
        need(status == 404 and is_redfish_error(doc), "Submit %s: HTTP %d %s" % (cid, status, raw[:300]))
    member = base + "/" + UNDELIVERABLE_ID
    need(member in members, "%s not listed: %s" % (UNDELIVERABLE_ID, members))
    delivery = client.get_json(member).get("Delivery", {})
    need(delivery.get("Available") is True and delivery.get("Method") == "KernelRawCommand",
         "%s delivery: %s" % (UNDELIVERABLE_ID, delivery))

    reader = make_user(client, "reader", "ReadOnly")
    status, doc, raw = reader.request("POST", VENDOR_SUBMIT.format(member=member), body={})
    need(status == 403 and is_redfish_error(doc), "ReadOnly Submit: HTTP %d %s" % (status, raw[:400]))
    denied_id = error_audit_id(doc)
    need(denied_id, "no AuditRecordId in the 403: %s" % raw[:400])
    intent, _ = audit_records(client, denied_id)
    need(intent and intent.get("Decision") != "Allowed" and intent.get("Opcode") == "0x0102",
         "denied intent %s: %s" % (denied_id, intent))

    operator = make_user(client, "operator", "Operator")
    status, doc, raw = operator.request("POST", VENDOR_SUBMIT.format(member=member), body={})
    need(status == 200 and isinstance(doc, dict), "Operator Submit: HTTP %d %s" % (status, raw[:400]))
    need(doc.get("MailboxReturnCode") == 0 and doc.get("MailboxReturnCodeName") == "Success",
         "mailbox status %r %r" % (doc.get("MailboxReturnCode"), doc.get("MailboxReturnCodeName")))
    out = base64.b64decode(doc.get("OutputPayload", ""))
    need(out == GET_EVENT_INT_POLICY_REPLY, "output %r, QEMU 7.2 answers %r"
         % (out, GET_EVENT_INT_POLICY_REPLY))
    audit_id = doc.get("AuditRecordId")
    intent, result = audit_records(client, audit_id)
    need(intent and intent.get("Decision") == "Allowed" and intent.get("Opcode") == "0x0102"
         and intent.get("Device") == dev_id, "intent record %s: %s" % (audit_id, intent))
    need(result and result.get("Transport") == "OK" and result.get("MailboxReturnCode") == 0,
         "result record for %s: %s" % (audit_id, result))
    return ("0102 via RAW: 200, %d bytes %s, Success, audited %s -> %s/%s; ReadOnly 403 (%s, %s); "
            "C000 not offered (404)" % (len(out), out.hex(), audit_id, result.get("Transport"),
                                        result.get("MailboxReturnCodeName"), denied_id,
                                        intent and "audited"))


def check_manager_kernel(client, guest, raw_used):
    """The Manager says whether raw commands were used and shows the taint."""
    oem = dig(client.get_json(MANAGER), "Oem", "CxlAgent") or {}
    state, taint, flags = oem.get("KernelRawCommands"), oem.get("KernelTaint"), oem.get("KernelTaintFlags")
    need(isinstance(taint, int) and isinstance(flags, str), "no KernelTaint/Flags: %s" % oem)
    before = guest.first("CXLA-TAINT")
    need(before is not None and before.isdigit(), "no CXLA-TAINT line")
    if raw_used:
        need(state == "Used", "KernelRawCommands %r after a raw command" % state)
        need(taint & TAINT_WARN and "W" in flags, "taint %r %r lacks W after raw use" % (taint, flags))
        need(not int(before) & TAINT_WARN, "W already set before the agent ran: %s" % before)
    else:
        need(state in ("Unavailable", "Available"), "KernelRawCommands %r" % state)
        need(not taint & TAINT_WARN, "taint %r has W without raw use" % taint)
    return "KernelRawCommands=%s KernelTaint=%d (%s), %s at boot" % (state, taint, flags, before)


def check_device_timestamp(client, dev_id, scenario):
    """Get Timestamp is read with the inventory where the agent may send it.
    6.12 names it (id 21) and its driver set the device clock at probe from
    the guest's clock (QEMU's RTC follows the host's): the PCIeDevice shows it,
    within a day of now. 6.1 has no named command for it and the agent sends
    no reads raw: nothing is shown."""
    oem = dig(client.get_json(PCIE_DEVICE.format(id=dev_id)), "Oem", "CxlAgent") or {}
    is_set, stamp = oem.get("DeviceTimestampSet"), oem.get("DeviceTimestamp")
    if scenario != "linux-6.12":
        need(is_set is None and stamp is None, "timestamp shown on 6.1: %s %s" % (is_set, stamp))
        return "not read (no named Get Timestamp on 6.1)"
    need(is_set is True and isinstance(stamp, str), "DeviceTimestampSet %r %r" % (is_set, stamp))
    when = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
    need(abs(when - time.time()) < 86400, "device clock %s is not near now" % stamp)
    return "DeviceTimestamp %s" % stamp


def check_device_events(client, guest, scenario, ids, t_ready):
    """Who reads the devices' event records. 6.12's driver does (it has the
    cxl:cxl_generic_event trace point): the agent attached to its own tracefs
    instance with the CXL events enabled there, reads them from it, and sends
    no Get/Clear Event Records itself. QEMU 7.2 cannot inject event records
    (its cxl-inject-* QMP commands came in 8.1) and answers Get Event Records
    with none, so no record arrives: the DeviceLog stays empty across several
    poller refreshes (each one reads the trace pipe) while the agent keeps
    answering. On 6.1 the driver does not read them and neither does the
    agent (its Get/Clear Event Records would need raw commands)."""
    oem = dig(client.get_json(MANAGER), "Oem", "CxlAgent") or {}
    reader, note = oem.get("DeviceEventRecords"), oem.get("DeviceEventRecordsNote", "")
    inst = guest.first("CXLA-TRACE")
    if scenario == "linux-6.12":
        need(reader == "KernelTrace", "DeviceEventRecords %r: %s" % (reader, note))
        need("instances/" + TRACE_INSTANCE in note, "note %r names no instance" % note)
        need(inst and "instance=" + TRACE_INSTANCE in inst and "cxl_generic_event=1" in inst
             and "global=0" in inst, "guest's tracefs after start: %r" % inst)
    else:
        need(reader == "NotRead", "DeviceEventRecords %r on 6.1: %s" % (reader, note))
        need(note, "no reason given")
    for dev_id in ids:
        doc = client.get_json(DEVICE_LOG.format(id=dev_id))
        need(doc.get("ServiceEnabled") is True, "%s: DeviceLog %s" % (dev_id, doc))
    # two poller refreshes (refresh_interval_ms) with nothing in the pipe
    time.sleep(max(0.0, t_ready + 2 * REFRESH_MS / 1000.0 + 1 - time.monotonic()))
    for dev_id in ids:
        entries = client.get_json(DEVICE_LOG.format(id=dev_id) + "/Entries")
        need(entries.get("Members") == [], "%s: entries %s" % (dev_id, entries.get("Members")))
    status = client.get_json(MANAGER).get("Status", {})
    need(status.get("Health") in (None, "OK"), "Manager Status %s" % status)
    return "%s (%s); DeviceLogs empty %.0f s after start; guest: %s" % (
        reader, note, time.monotonic() - t_ready, inst)


def check_owned_refused(guest):
    """--check-config on a catalogue approving a kernel-owned opcode fails."""
    lines = guest.lines("CXLA-PRESTART")
    need(lines, "no CXLA-PRESTART output")
    rc = [l for l in lines if l.startswith("check-config rc=")]
    need(rc and rc[-1] != "check-config rc=0", "kernel-owned approval accepted: %s" % lines)
    need(any("kernel-owned" in l for l in lines), "no kernel-owned reason: %s" % lines)
    return [l for l in lines if "kernel-owned" in l][0][:160]


def check_flags_612(client, dev_id):
    """6.12 lists Get Timestamp as a named command, holds Set LSA exclusively
    for cxl_pmem and has no raw commands: the CEL's Delivery says so."""
    entries = {e.get("Opcode"): e for e in client.get_json(CEL.format(id=dev_id)).get("Entries", [])}
    def delivery(op):
        need(op in entries, "%s not in the CEL" % op)
        return entries[op].get("Delivery", {})
    d = delivery("0x0300")
    need(d.get("Method") == "KernelNamedCommand" and d.get("Available") is True, "0x0300: %s" % d)
    d = delivery("0x4103")
    need(d.get("Available") is False and "exclusively" in d.get("Reason", ""), "0x4103: %s" % d)
    excl = d.get("Reason")
    d = delivery("0x0102")
    need(d.get("Available") is False and "CONFIG_CXL_MEM_RAW_COMMANDS" in d.get("Reason", ""),
         "0x0102: %s" % d)
    return "0300 named; 4103 %r; 0102 %r" % (excl, d.get("Reason"))


def check_redfishtool(port, password, what):
    cmd = ["redfishtool", "-r", "127.0.0.1:%d" % port, "-u", ADMIN, "-p", password,
           "-S", "Always", what, "list"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError("redfishtool %s list: timed out" % what)
    need(p.returncode == 0, "redfishtool %s list: exit %d: %s" % (
        what, p.returncode, (p.stderr or p.stdout).strip()[-400:]))
    return "%d bytes of output" % len(p.stdout)


# ---- guest life cycle (also used by test_qemu_mctp.py) ------------------------

def launch_guest(work, initrd, serial_log, ndev, kernel, append, control=False):
    """Start run-guest; returns (process, forwarded HTTPS port, launch time,
    forwarded control port or None). A port taken between free_port() and
    QEMU's bind makes QEMU exit at once: retried with others."""
    for attempt in range(3):
        port = free_port()
        control_port = free_port() if control else None
        t_boot = time.monotonic()
        qemu_out = os.path.join(work, "qemu.out")
        with open(qemu_out, "wb") as out:
            proc = subprocess.Popen(
                [os.path.join(HERE, "run-guest"), "-i", initrd, "-w", os.path.join(work, "vm"),
                 "-p", str(port), "-l", serial_log, "-n", str(ndev), "-t", str(GUEST_TIMEOUT),
                 "-A", append] + (["-k", kernel] if kernel else []) +
                (["-c", str(control_port)] if control_port else []),
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent)
        time.sleep(1)
        if proc.poll() is None:
            break
        with open(qemu_out, errors="replace") as f:
            out = f.read()
        if "forwarding" not in out.lower():
            raise RuntimeError("QEMU exited at once (rc %d):\n%s" % (proc.returncode, out))
        log("port %d taken, retrying: %s" % (port, out.strip()[-200:]))
    log("QEMU pid %d, https://127.0.0.1:%d -> guest :8443, serial log %s"
        % (proc.pid, port, serial_log))
    return proc, port, t_boot, control_port


def wait_port(proc, port, cafile, guest, t_boot):
    """Wait until the agent in the guest answers HTTPS; records the boot
    timings the guest printed. False when it never did (guest.fatal() says
    why, or QEMU exited)."""
    ready = False
    while time.monotonic() - t_boot < BOOT_TIMEOUT:
        if proc.poll() is not None:
            break
        r = subprocess.run(["curl", "-sS", "--max-time", "5", "--cacert", cafile, "-o",
                            os.devnull, "-w", "%{http_code}",
                            "https://127.0.0.1:%d/redfish/v1" % port],
                           capture_output=True, text=True)
        if r.returncode == 0:
            ready = True
            break
        if guest.fatal():
            break
        time.sleep(0.5)
    timings["boot_to_port"] = time.monotonic() - t_boot
    # /init reports the agent's ids from a 0.1 s poll that can trail the
    # agent's first answer on a loaded host
    t = time.monotonic()
    while ready and not guest.first("CXLA-IDS") and time.monotonic() - t < 20:
        time.sleep(0.2)
    for name, value in (("first /init line", "CXLA-INIT"), ("memdevs", "CXLA-DEVICES"),
                        ("agent start", "CXLA-READY")):
        v = guest.first(value)
        if v:
            m = re.search(r"uptime=([\d.]+)", v)
            if m:
                timings["guest uptime at " + name] = float(m.group(1))
    return ready


def stop_guest(proc):
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    timings["total"] = time.monotonic() - T0


def keep_serial_log(serial_log, guest, source, name, failed):
    """Copy the serial log to qemu_<name>.serial.log (never into the source
    tree); print it whole when a check failed."""
    dest_dir = os.environ.get("CXLA_QEMU_LOG_DIR") or os.getcwd()
    if (os.path.realpath(dest_dir) + "/").startswith(os.path.realpath(source) + "/"):
        dest_dir = tempfile.gettempdir()  # never litter the source tree
    try:
        dest = os.path.join(dest_dir, "qemu_%s.serial.log" % name)
        shutil.copyfile(serial_log, dest)
        log("serial log copied to " + dest)
    except OSError as e:
        log("serial log not copied: %s" % e)
    if failed:
        log("---- guest serial log ----\n" + guest.text() + "\n---- end ----")


# ---- main --------------------------------------------------------------------

SCENARIOS = ("stock", "raw", "linux-6.12")
LOG_NAMES = {"stock": "kernel_backend", "raw": "raw_commands", "linux-6.12": "linux_6_12"}  # ctest names


def kernel_for(scenario):
    """(kernel image, build-initramfs options, extra kernel command line)."""
    if scenario == "stock":
        kernels = sorted(glob.glob("/boot/vmlinuz-*"))
        if not kernels:
            missing("no /boot/vmlinuz-* (install linux-image-amd64)")
        if not any(os.access(k, os.R_OK) for k in kernels):
            missing("/boot/vmlinuz-* not readable by this user")
        return None, [], ""
    tool = "build-kernel" if scenario == "raw" else "fetch-linux-6.12"
    p = subprocess.run([os.path.join(HERE, tool)], stdout=subprocess.PIPE, text=True)
    if p.returncode == 77:
        missing("%s: no kernel (see its message)" % tool)
    if p.returncode != 0:
        raise RuntimeError("%s failed (exit %d)" % (tool, p.returncode))
    path = p.stdout.strip().splitlines()[-1]
    if scenario == "raw":
        return path, ["-B"], ""
    images = sorted(glob.glob(os.path.join(path, "boot", "vmlinuz-*")))
    kver = os.path.basename(images[-1])[len("vmlinuz-"):]
    # QEMU 7.2's CXL devices fail cxl_pci's event interrupt setup under 6.12's
    # MSI handling ("Failed to get interrupt for event Info log")
    return images[-1], ["-R", path, "-k", kver], "pci=nomsi"


def main():
    scenario = sys.argv[1] if len(sys.argv) > 1 else "stock"
    if scenario not in SCENARIOS:
        log("usage: test_qemu.py [%s]" % "|".join(SCENARIOS))
        return 2
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        missing("qemu-system-x86_64 not installed")
    t = time.monotonic()
    kernel, initramfs_opts, append = kernel_for(scenario)
    timings["kernel"] = time.monotonic() - t

    standin = os.environ.get("CXLA_QEMU_STANDIN") == "1"
    agent = os.path.join(HERE, "standin-agent") if standin else os.environ.get("CXLA_AGENT", "")
    if not agent or not os.path.isfile(agent):
        log("FAIL: agent binary %r not found: build cxl-agent (CXLA_AGENT), or set "
            "CXLA_QEMU_STANDIN=1 to exercise the harness alone" % agent)
        return 1
    ndev = int(os.environ.get("CXLA_QEMU_DEVICES", "2"))
    source = os.environ.get("CXLA_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
    catalogue = os.path.join(HERE, CATALOGUE)
    catalogue = catalogue if os.path.isfile(catalogue) else None

    work = tempfile.mkdtemp(prefix="cxla-qemu.")
    serial_log = os.path.join(work, "serial.log")
    guest = Guest(serial_log)
    checks = Checks()
    proc = None
    password = "Qemu-" + secrets.token_urlsafe(18)
    USERS[ADMIN] = (password, "Administrator")
    USERS["operator"] = ("Operator-" + secrets.token_urlsafe(12), "Operator")
    USERS["reader"] = ("Reader-" + secrets.token_urlsafe(12), "ReadOnly")
    try:
        # certificates, config, initramfs
        t = time.monotonic()
        certs = os.path.join(work, "certs")
        subprocess.run([os.path.join(source, "certs", "gen-dev-certs"), certs], check=True,
                       capture_output=True)
        config = {
            "listen_addresses": ["0.0.0.0"], "port": 8443,
            "tls_certificate": "/etc/cxl-agent/server.crt",
            "tls_key": "/etc/cxl-agent/server.key",
            "state_dir": "/var/lib/cxl-agent", "backend": "kernel",
            "user": "cxlagent", "log_level": "debug",
            # device_events waits out two refreshes: 2 s apart, not the
            # default 5 s, so that the wait costs 5 s rather than 11 s
            "refresh_interval_ms": REFRESH_MS,
        }
        if catalogue:
            config["policy_file"] = "/etc/cxl-agent/" + os.path.basename(catalogue)
        config_path = os.path.join(work, "config.json")
        with open(config_path, "w") as f:
            json.dump(config, f, indent=2)
        # the same configuration naming a catalogue with a kernel-owned opcode,
        # for --check-config in the guest before the agent starts
        config["policy_file"] = "/etc/cxl-agent/" + OWNED_CATALOGUE
        owned_config = os.path.join(work, "config-kernel-owned.json")
        with open(owned_config, "w") as f:
            json.dump(config, f, indent=2)
        prestart = os.path.join(work, "prestart")
        with open(prestart, "w") as f:
            f.write("#!/bin/sh\n/usr/sbin/cxl-agent --check-config -c /etc/cxl-agent/%s 2>&1\n"
                    "echo \"check-config rc=$?\"\n" % os.path.basename(owned_config))
        initrd = os.path.join(work, "initramfs.cpio")
        cmd = [os.path.join(HERE, "build-initramfs"), "-o", initrd, "-a", agent, "-c", config_path,
               "-n", str(ndev), "-t", str(GUEST_TIMEOUT),
               "-e", "CXLA_INITIAL_ADMIN_PASSWORD=" + password] + initramfs_opts
        if not standin:
            accounts = os.path.join(work, "accounts.json")
            seed_accounts(accounts, [(u, p, r) for u, (p, r) in USERS.items()])
            cmd += ["-s", accounts]
        for name in ("server.crt", "server.key", "ca.crt"):
            cmd += ["-f", os.path.join(certs, name)]
        if not standin:
            cmd += ["-p", prestart, "-f", owned_config, "-f", os.path.join(HERE, OWNED_CATALOGUE)]
        if catalogue:
            cmd += ["-f", catalogue]
        if standin:
            cmd += ["-b", "openssl"]
        subprocess.run(cmd, check=True)
        timings["initramfs"] = time.monotonic() - t

        proc, port, t_boot, _ = launch_guest(work, initrd, serial_log, ndev, kernel, append)
        cafile = os.path.join(certs, "ca.crt")
        ready = wait_port(proc, port, cafile, guest, t_boot)

        checks.run("harness.guest_devices", check_guest_devices, guest, ndev)
        cxl_list = guest.cxl_list()
        if cxl_list:
            log("cxl list -M in the guest:\n" + cxl_list)

        def port_ready():
            if ready:
                return "answered after %.1f s" % timings["boot_to_port"]
            why = guest.fatal() or ("QEMU exited (rc %s)" % proc.returncode
                                    if proc.poll() is not None else "no answer")
            raise AssertionError("https://127.0.0.1:%d/redfish/v1 not answering within %d s: %s"
                                 % (port, BOOT_TIMEOUT, why))
        checks.run("harness.port_forward", port_ready)
        checks.run("harness.agent_uid", check_uid, guest)

        if ready:
            t = time.monotonic()
            # one session for the administrator's requests (redfishtool below
            # uses Basic authentication)
            client = Client(port, cafile, password).as_user(ADMIN, password)
            devs = guest.memdevs()
            ids = {expected_id(n, d): d for n, d in devs.items()}
            checks.run("agent.service_root", check_service_root, client)
            checks.run("agent.pcie_devices", check_collection, client, list(ids))
            for dev_id, d in sorted(ids.items()):
                checks.run("agent.pcie_device[%s]" % dev_id, check_pcie_device, client, dev_id, d)
                checks.run("agent.memory[%s]" % dev_id, check_memory, client, dev_id, d)
                checks.run("agent.cel[%s]" % dev_id, check_cel, client, dev_id)
                if scenario == "raw":
                    checks.run("agent.raw_commands[%s]" % dev_id,
                               check_raw_commands, client, dev_id, catalogue)
                else:
                    checks.run("agent.vendor_commands[%s]" % dev_id,
                               check_vendor_commands, client, dev_id, catalogue)
                if scenario == "linux-6.12":
                    checks.run("agent.command_flags[%s]" % dev_id, check_flags_612, client, dev_id)
                if not standin:
                    checks.run("agent.device_timestamp[%s]" % dev_id, check_device_timestamp,
                               client, dev_id, scenario)
            if not standin:
                checks.run("agent.manager_kernel", check_manager_kernel, client, guest,
                           scenario == "raw")

                checks.run("agent.kernel_owned_refused", check_owned_refused, guest)
            if shutil.which("redfishtool"):
                checks.run("agent.redfishtool_chassis", check_redfishtool, port, password, "Chassis")
                checks.run("agent.redfishtool_systems", check_redfishtool, port, password, "Systems")
            else:
                log("NOTE redfishtool not installed: its checks not run")
            if not standin:
                # last: it waits until two poller refreshes have passed since the port answered
                checks.run("agent.device_events", check_device_events, client, guest, scenario,
                           list(ids), t_boot + timings["boot_to_port"])
            timings["checks"] = time.monotonic() - t
    except Exception as e:
        checks.results.append(("harness.setup", False, str(e)))
        log("FAIL harness.setup: %s: %s" % (type(e).__name__, e))
    finally:
        stop_guest(proc)
        failed = checks.failed()
        keep_serial_log(serial_log, guest, source, LOG_NAMES[scenario], bool(failed))
        log("timings: " + ", ".join("%s %.1f s" % kv for kv in timings.items()))
        log("%d checks, %d failed%s" % (len(checks.results), len(failed),
                                        ": " + ", ".join(f[0] for f in failed) if failed else ""))
        if os.environ.get("CXLA_QEMU_KEEP") == "1":
            log("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if checks.failed() or not checks.results else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())

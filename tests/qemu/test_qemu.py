#!/usr/bin/python3
"""cxl-agent against the real Linux CXL driver: QEMU (TCG) boots the host's own
Debian kernel with two emulated CXL Type-3 devices (QEMU 7.2 cxl-type3), an
initramfs built by build-initramfs runs the agent with the kernel backend, and
this script talks Redfish to it through a port forwarded to 127.0.0.1.

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
Exit: 0 all passed, 1 a check failed or a prerequisite (QEMU, a readable
/boot/vmlinuz-*) is missing: the message says which.
"""

import base64
import ctypes
import glob
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
ADMIN = "admin"
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
GUEST_TIMEOUT = 200      # the guest powers itself off after this
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

    def tail(self, n=80):
        return "\n".join(self.text().splitlines()[-n:])


def expected_id(name, dev):
    """The agent's stable id: serial as 16 lowercase hex digits, else memN."""
    serial = int(dev.get("serial", "0"), 0)
    return "%016x" % serial if serial else name


# ---- HTTPS client ------------------------------------------------------------

class HttpError(Exception):
    pass


class Client:
    def __init__(self, port, cafile, password):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (ADMIN, password)).encode()).decode()

    def request(self, method, path, body=None, auth=True):
        if time.monotonic() - T0 > TOTAL_BUDGET:
            raise HttpError("time budget of %d s used up" % TOTAL_BUDGET)
        headers = {"Accept": "application/json"}
        if auth:
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
        try:
            msg = fn(*args)
            self.results.append((name, True, msg or ""))
            log("PASS %s%s" % (name, ": " + msg if msg else ""))
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


UNDELIVERABLE_ID = "qemu-get-event-int-policy"  # 0x0102: in the CEL, no 6.1 named command
AUDIT_ENTRIES = "/redfish/v1/Managers/agent/LogServices/Audit/Entries"


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


# ---- main --------------------------------------------------------------------

def main():
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        missing("qemu-system-x86_64 not installed")
    kernels = sorted(glob.glob("/boot/vmlinuz-*"))
    if not kernels:
        missing("no /boot/vmlinuz-* (install linux-image-amd64)")
    if not any(os.access(k, os.R_OK) for k in kernels):
        missing("/boot/vmlinuz-* not readable by this user")

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
        }
        if catalogue:
            config["policy_file"] = "/etc/cxl-agent/" + os.path.basename(catalogue)
        config_path = os.path.join(work, "config.json")
        with open(config_path, "w") as f:
            json.dump(config, f, indent=2)
        initrd = os.path.join(work, "initramfs.cpio.gz")
        cmd = [os.path.join(HERE, "build-initramfs"), "-o", initrd, "-a", agent, "-c", config_path,
               "-n", str(ndev), "-t", str(GUEST_TIMEOUT),
               "-e", "CXLA_INITIAL_ADMIN_PASSWORD=" + password]
        for name in ("server.crt", "server.key", "ca.crt"):
            cmd += ["-f", os.path.join(certs, name)]
        if catalogue:
            cmd += ["-f", catalogue]
        if standin:
            cmd += ["-b", "openssl"]
        subprocess.run(cmd, check=True)
        timings["initramfs"] = time.monotonic() - t

        # boot; a port taken between free_port() and QEMU's bind makes QEMU exit at once
        for attempt in range(3):
            port = free_port()
            t_boot = time.monotonic()
            qemu_out = os.path.join(work, "qemu.out")
            with open(qemu_out, "wb") as out:
                proc = subprocess.Popen(
                    [os.path.join(HERE, "run-guest"), "-i", initrd, "-w", os.path.join(work, "vm"),
                     "-p", str(port), "-l", serial_log, "-n", str(ndev), "-t", str(GUEST_TIMEOUT)],
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

        cafile = os.path.join(certs, "ca.crt")
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
        for name, value in (("first /init line", "CXLA-INIT"), ("memdevs", "CXLA-DEVICES"),
                            ("agent start", "CXLA-READY")):
            v = guest.first(value)
            if v:
                m = re.search(r"uptime=([\d.]+)", v)
                if m:
                    timings["guest uptime at " + name] = float(m.group(1))

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
            client = Client(port, cafile, password)
            devs = guest.memdevs()
            ids = {expected_id(n, d): d for n, d in devs.items()}
            checks.run("agent.service_root", check_service_root, client)
            checks.run("agent.pcie_devices", check_collection, client, list(ids))
            for dev_id, d in sorted(ids.items()):
                checks.run("agent.pcie_device[%s]" % dev_id, check_pcie_device, client, dev_id, d)
                checks.run("agent.memory[%s]" % dev_id, check_memory, client, dev_id, d)
                checks.run("agent.cel[%s]" % dev_id, check_cel, client, dev_id)
                checks.run("agent.vendor_commands[%s]" % dev_id,
                           check_vendor_commands, client, dev_id, catalogue)
            if shutil.which("redfishtool"):
                checks.run("agent.redfishtool_chassis", check_redfishtool, port, password, "Chassis")
                checks.run("agent.redfishtool_systems", check_redfishtool, port, password, "Systems")
            else:
                log("NOTE redfishtool not installed: its checks not run")
            timings["checks"] = time.monotonic() - t
    except Exception as e:
        checks.results.append(("harness.setup", False, str(e)))
        log("FAIL harness.setup: %s: %s" % (type(e).__name__, e))
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        timings["total"] = time.monotonic() - T0
        failed = checks.failed()
        dest_dir = os.environ.get("CXLA_QEMU_LOG_DIR") or os.getcwd()
        if (os.path.realpath(dest_dir) + "/").startswith(os.path.realpath(source) + "/"):
            dest_dir = tempfile.gettempdir()  # never litter the source tree
        try:
            dest = os.path.join(dest_dir, "qemu_kernel_backend.serial.log")
            shutil.copyfile(serial_log, dest)
            log("serial log copied to " + dest)
        except OSError as e:
            log("serial log not copied: %s" % e)
        if failed:
            log("---- guest serial log (tail) ----\n" + guest.tail() + "\n---- end ----")
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

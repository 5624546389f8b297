#!/usr/bin/python3
"""cxl-agent with backend "mctp" on the kernel's MCTP stack: QEMU (TCG) boots
the raw-command test kernel (build-kernel: CONFIG_MCTP=y,
CONFIG_MCTP_SERIAL=y); in the guest, mctp-guest makes two kernel MCTP serial
links on ptys (mctp-serial-link: N_MCTP line discipline, link up, local EID,
route to the peer) with an mctp-responder serving one device of the emulated
model behind each (EIDs 8 and 10). The agent, as uid 999, reaches them over
AF_MCTP sockets. From the host, through forwarded ports (HTTPS, and a control
channel into the guest to arm responder faults and kill/restart responders):
 - inventory and CEL of both devices are schema-valid and equal what the
   emulated backend serves for the same model on the host;
 - an approved vendor command runs end to end over MCTP, its intent and
   result read back through the Audit LogService;
 - faults injected at a responder map: no answer or a bad FCS (dropped by the
   kernel, counted in its rx_crc_errors) -> 504; garbage, wrong tag,
   oversize, bad length -> 502; junk on the line before each answer -> 504
   (the kernel loses the frame), before one answer -> 200 (resent); the
   agent never dies;
 - a responder killed makes its device Absent while the other keeps serving;
   started again, the device returns and serves commands.

usage: test_qemu_mctp.py            (ctest: qemu.mctp)
Environment: as test_qemu.py (CXLA_AGENT, CXLA_SOURCE_DIR, CXLA_QEMU_KEEP,
CXLA_QEMU_LOG_DIR, CXLA_KERNEL_CACHE), plus CXLA_MCTP_RESPONDER and
CXLA_MCTP_LINK (the two guest programs, set by ctest).

The guest part is also used by tests/bench/mctp_guest_rtt.py (MctpGuest)."""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import test_qemu as tq  # noqa: E402
from agentlib import (ADMIN_PASSWORD, CHASSIS_DEVICES, POLICY_EXAMPLE, SOURCE_DIR, Agent,  # noqa: E402
                      Checker, write_emulated_profile)

BUILD = os.path.join(SOURCE_DIR, "build")
RESPONDER = os.environ.get("CXLA_MCTP_RESPONDER", os.path.join(BUILD, "tests", "mctp", "mctp-responder"))
LINK = os.environ.get("CXLA_MCTP_LINK", os.path.join(BUILD, "tests", "mctp", "mctp-serial-link"))
GUEST_SCRIPT = os.path.join(HERE, "mctp-guest")
# endpoint i: responder EID 8+2i behind mctpserial<i> (mctp-guest)
ENDPOINTS = ["net=1,eid=8,name=mctp0", "net=1,eid=10,name=mctp1"]
LAUNCHER = ("/usr/bin/setpriv --reuid=%d --regid=%d --clear-groups --inh-caps=+net_raw "
            "--ambient-caps=+net_raw" % (tq.AGENT_UID, tq.AGENT_UID))
AUDIT_ENTRIES = "/redfish/v1/Managers/agent/LogServices/Audit/Entries"
MCTP_TIMEOUT_MS = 1000
COMMAND = "emu-read-telemetry"  # C000h, Read scope, 64-byte reply
TELEMETRY_BYTES = 64


class MctpGuest:
    """The test kernel's guest with the MCTP links, the responders and the
    agent (config merged over the MCTP defaults; extra_files go to
    /etc/cxl-agent/). Use as a context manager;
    .agent is an agentlib.Agent (never started on the host) whose curl()
    reaches the guest's agent; .control() talks to mctp-guest."""

    def __init__(self, profile, config=None, extra_files=()):
        self.profile = profile
        self.extra_files = list(extra_files)
        self.agent = Agent(accounts=[("admin", ADMIN_PASSWORD, "Administrator")], start=False)
        self.work = os.path.join(self.agent.tmp, "guest")
        os.makedirs(self.work)
        self.serial_log = os.path.join(self.work, "serial.log")
        self.guest = tq.Guest(self.serial_log)
        self.proc = None
        self.control_port = None
        self.config = {
            "listen_addresses": ["0.0.0.0"], "port": 8443,
            "tls_certificate": "/etc/cxl-agent/server.crt",
            "tls_key": "/etc/cxl-agent/server.key",
            "state_dir": "/var/lib/cxl-agent", "user": "cxlagent", "log_level": "info",
            "backend": "mctp", "mctp_endpoints": ENDPOINTS,
            # the product's default wait: a TCG guest on a loaded host can
            # stall for hundreds of milliseconds between request and answer
            "mctp_timeout_ms": MCTP_TIMEOUT_MS, "mctp_retries": 1, "refresh_interval_ms": 300,
            "policy_file": "/etc/cxl-agent/" + os.path.basename(POLICY_EXAMPLE),
        }
        self.config.update(config or {})

    def initramfs(self, agent_bin):
        for prog in (agent_bin, RESPONDER, LINK):
            if not os.path.isfile(prog):
                raise RuntimeError("%s not built" % prog)
        config = os.path.join(self.work, "config.json")
        with open(config, "w") as f:
            json.dump(self.config, f, indent=2)
        # the model without its host-side fault and journal files
        with open(self.profile) as f:
            prof = json.load(f)
        for d in prof["devices"]:
            d.pop("fault_control", None)
            d.pop("exec_journal", None)
        guest_profile = os.path.join(self.work, "mctp-profile.json")
        with open(guest_profile, "w") as f:
            json.dump(prof, f)
        initrd = os.path.join(self.work, "initramfs.cpio")
        cmd = [os.path.join(HERE, "build-initramfs"), "-o", initrd, "-a", agent_bin, "-c", config,
               "-B", "-N", "-n", "0", "-t", str(tq.GUEST_TIMEOUT),
               "-e", "CXLA_INITIAL_ADMIN_PASSWORD=" + ADMIN_PASSWORD,
               "-s", os.path.join(self.agent.state, "accounts.json"),
               "-b", RESPONDER, "-b", LINK, "-p", GUEST_SCRIPT,
               # AF_MCTP wants CAP_NET_RAW in every sending thread: started as
               # its user with the capability, as systemd would
               "-b", "setpriv", "-L", LAUNCHER,
               "-f", POLICY_EXAMPLE, "-f", guest_profile]
        for extra in self.extra_files:
            cmd += ["-f", extra]
        for name in ("server.crt", "server.key", "ca.crt"):
            cmd += ["-f", os.path.join(self.agent.certs, name)]
        subprocess.run(cmd, check=True)
        return initrd

    def boot(self, agent_bin):
        t = time.monotonic()
        kernel, _, _ = tq.kernel_for("raw")
        tq.timings["kernel"] = time.monotonic() - t
        t = time.monotonic()
        initrd = self.initramfs(agent_bin)
        tq.timings["initramfs"] = time.monotonic() - t
        self.proc, port, t_boot, self.control_port = tq.launch_guest(
            self.work, initrd, self.serial_log, 0, kernel, "", control=True)
        self.agent.port = port
        return tq.wait_port(self.proc, port, self.agent.ca, self.guest, t_boot)

    def control(self, line, timeout=10):
        """One request to mctp-guest's control server; its answer line."""
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=timeout) as s:
            s.sendall((line + "\n").encode())
            s.shutdown(socket.SHUT_WR)
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        answer = data.decode(errors="replace").strip()
        if not answer.startswith("ok"):
            raise RuntimeError("control %r: %r" % (line, answer))
        return answer

    def stats(self, i):
        """The kernel's counters of link i, as ints."""
        words = self.control("stats %d" % i).split()[3:]
        return {k: int(v) for k, v in (w.split("=") for w in words)}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        tq.stop_guest(self.proc)
        if os.environ.get("CXLA_QEMU_KEEP") == "1":
            keep = tempfile.mkdtemp(prefix="cxla-qemu-mctp.")
            shutil.copytree(self.work, keep, dirs_exist_ok=True)
            tq.log("kept " + keep)
        self.agent.__exit__(None, None, None)


# ---- checks --------------------------------------------------------------------

PCIE_KEYS = ("SerialNumber", "FirmwareVersion", "Manufacturer", "Model", "PartNumber",
             "PCIeInterface", "DeviceType")
MEMORY_KEYS = ("CapacityMiB", "VolatileSizeMiB", "NonVolatileSizeMiB", "MemoryDeviceType",
               "Manufacturer", "SerialNumber")


def snapshot(c, a, dev, where):
    """Inventory and CEL of dev as served by agent a: the fields both
    backends must agree on. Every body is kept for schema validation."""
    out = {}
    paths = (("pcie", CHASSIS_DEVICES + "/" + dev, PCIE_KEYS),
             ("memory", "/redfish/v1/Systems/host/Memory/" + dev, MEMORY_KEYS),
             ("cel", CHASSIS_DEVICES + "/" + dev + "/Oem/CxlAgent/CommandEffectsLog", ()))
    for what, path, keys in paths:
        r = a.curl("GET", path)
        c.eq(r.status, 200, "%s %s %s" % (where, dev, what))
        doc = c.redfish_json(r, "%s %s %s" % (where, dev, what)) if r.status == 200 else None
        doc = doc or {}
        if what == "cel":
            out["cel"] = sorted((e.get("Opcode"), e.get("RawEffects"))
                                for e in doc.get("Entries", []))
            out["delivery"] = sorted({str(e.get("Delivery", {}).get("Method"))
                                      for e in doc.get("Entries", [])})
        else:
            out[what] = {k: doc.get(k) for k in keys if k in doc}
    return out


def reference(profile):
    """What the emulated backend serves for the model, on the host."""
    c = Checker("mctp_reference")
    with Agent({"backend": "emulated", "emulated_profile": profile}) as a:
        ids = [m["@odata.id"].rsplit("/", 1)[-1]
               for m in a.curl("GET", CHASSIS_DEVICES).json().get("Members", [])]
        return {dev: snapshot(c, a, dev, "emulated") for dev in sorted(ids)}


def audit_pair(a, record_id):
    """(intent, result) records of record_id from the Audit LogService."""
    r = a.curl("GET", AUDIT_ENTRIES)
    recs = [(e.get("Oem") or {}).get("CxlAgent") or {} for e in r.json().get("Members", [])] \
        if r.status == 200 else []
    intent = [x for x in recs if x.get("RecordId") == record_id]
    result = [x for x in recs if x.get("RecordType") == "Result" and
              x.get("IntentRecordId") == record_id]
    return (intent[0] if intent else None), (result[0] if result else None)


def state_of(a, dev):
    r = a.curl("GET", CHASSIS_DEVICES + "/" + dev)
    return r.json().get("Status", {}).get("State") if r.status == 200 else r.status


def wait_state(a, dev, want, timeout=20):
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = state_of(a, dev)
        if got == want:
            break
        time.sleep(0.3)
    return got


def check_inventory(c, g, want):
    a = g.agent
    r = a.curl("GET", "/redfish/v1/Managers/agent")
    c.eq(((r.json().get("Oem") or {}).get("CxlAgent") or {}).get("Backend"), "mctp",
         "Manager names the mctp backend")
    r = a.curl("GET", CHASSIS_DEVICES)
    got_ids = sorted(m["@odata.id"].rsplit("/", 1)[-1] for m in r.json().get("Members", []))
    c.eq(got_ids, sorted(want), "devices over MCTP")
    for dev, ref in sorted(want.items()):
        got = snapshot(c, a, dev, "mctp")
        for part in ("pcie", "memory", "cel"):
            c.eq(got[part], ref[part], "%s %s over MCTP equals the emulated model" % (dev, part))
        c.check(len(got["cel"]) > 5, "%s CEL has %d entries" % (dev, len(got["cel"])))
        c.eq(got["delivery"], ["MctpCci"], "%s CEL delivery over MCTP" % dev)
        tq.log("%s: %s, %d CEL entries, delivery %s" % (dev, got["pcie"].get("SerialNumber"),
                                                       len(got["cel"]), got["delivery"]))


def check_command(c, g, dev):
    a = g.agent
    r = a.submit(dev, COMMAND, "")
    c.eq(r.status, 200, "%s over MCTP" % COMMAND)
    if r.status != 200:
        tq.log("submit: %r" % r)
        return
    doc = c.redfish_json(r, "Submit result") or {}
    out = base64.b64decode(doc.get("OutputPayload", ""))
    c.eq(len(out), TELEMETRY_BYTES, "telemetry bytes from the responder's model")
    c.eq(doc.get("MailboxReturnCodeName"), "Success", "mailbox status over MCTP")
    rid = doc.get("AuditRecordId")
    intent, result = audit_pair(a, rid)
    c.check(intent is not None and intent.get("Decision") == "Allowed" and
            intent.get("Opcode") == "0xC000" and intent.get("Device") == dev,
            "intent %s in the Audit LogService: %s" % (rid, intent))
    c.check(result is not None and result.get("Transport") == "OK" and
            result.get("MailboxReturnCode") == 0,
            "result of %s in the Audit LogService: %s" % (rid, result))
    tq.log("%s: 200, %d bytes, audited %s -> %s" % (COMMAND, len(out), rid, result))


# (fault, times, HTTP status of a Submit of C000h while it is armed). Junk
# before an answer costs the kernel's deframer that frame (it takes the
# answer's opening flag as the end of the junk): once, the agent's resend
# gets through.
FAULTS = (("drop", -1, 504), ("bad_crc", -1, 504), ("garbage", -1, 502),
          ("wrong_tag", -1, 502), ("oversize", -1, 502), ("bad_length", -1, 502),
          ("noise", -1, 504), ("noise", 1, 200))


def check_faults(c, g, dev):
    a = g.agent
    crc_before = g.stats(0).get("rx_crc_errors", 0)
    for fault, times, want in FAULTS:
        g.control("fault 0 %s %d 0xC000" % (fault, times))
        # time for both attempts: "noise" once is answered on the resend
        r = a.submit(dev, COMMAND, "", timeout_ms=MCTP_TIMEOUT_MS * 5 // 2)
        c.eq(r.status, want, "responder fault %s x%d -> HTTP" % (fault, times))
        if r.status != 200:
            c.redfish_json(r, "fault %s error" % fault)
        g.control("fault 0 none")
        # an answered command between faults: two unanswered ones in a row
        # would rightly make the device Absent
        r2 = a.submit(dev, COMMAND, "")
        c.eq(r2.status, 200, "answered again after fault %s x%d" % (fault, times))
        tq.log("fault %s x%d: HTTP %d, then %d" % (fault, times, r.status, r2.status))
    crc_after = g.stats(0).get("rx_crc_errors", 0)
    c.check(crc_after > crc_before, "the kernel counted the bad FCS (%d -> %d rx_crc_errors)"
            % (crc_before, crc_after))
    r = a.submit(dev, COMMAND, "")
    c.eq(r.status, 200, "clean again after the faults")
    c.eq(state_of(a, dev), "Enabled", "device Enabled after the faults")


def check_absent(c, g, d0, d1):
    a = g.agent
    c.eq(wait_state(a, d0, "Enabled"), "Enabled", "device Enabled before its responder dies")
    g.control("kill 0")
    c.eq(wait_state(a, d0, "Absent"), "Absent", "killed responder -> Absent")
    c.eq(state_of(a, d1), "Enabled", "the other device stays Enabled")
    c.eq(a.submit(d1, COMMAND, "").status, 200, "the other device serves while one is absent")
    g.control("start 0")
    c.eq(wait_state(a, d0, "Enabled"), "Enabled", "restarted responder -> Enabled again")
    c.eq(a.submit(d0, COMMAND, "").status, 200, "command after the device returned")


def main():
    agent_bin = os.environ.get("CXLA_AGENT", os.path.join(BUILD, "agent", "cxl-agent"))
    if not shutil.which("qemu-system-x86_64"):
        tq.missing("qemu-system-x86_64 not installed")
    c = Checker("qemu.mctp")
    tmp = tempfile.mkdtemp(prefix="cxla-mctp-ref.")
    failed = True
    try:
        prof = write_emulated_profile(tmp)
        want = reference(prof["profile"])
        with MctpGuest(prof["profile"]) as g:
            try:
                ready = g.boot(agent_bin)
                c.check(ready, "agent in the guest answering: %s" % (g.guest.fatal() or "no answer"))
                lines = g.guest.lines("CXLA-PRESTART")
                tq.log("guest: " + "; ".join(lines))
                c.eq(g.guest.first("CXLA-UID"), str(tq.AGENT_UID), "agent runs as uid %d"
                     % tq.AGENT_UID)
                c.eq(len([ln for ln in lines if ln.startswith("link ") and "endpoint" in ln]), 2,
                     "two kernel MCTP serial links")
                if ready:
                    d0, d1 = sorted(want)
                    check_inventory(c, g, want)
                    check_command(c, g, d0)
                    check_faults(c, g, d0)
                    check_absent(c, g, d0, d1)
                    c.eq(g.agent.curl("GET", "/redfish/v1", user=None).status, 200,
                         "agent still serving at the end")
                    c.check(g.guest.first("CXLA-AGENT-EXIT") is None,
                            "agent never exited: %s" % g.guest.first("CXLA-AGENT-EXIT"))
                    c.validate_oem_schemas()
                    c.validate_schemas()
            except Exception as e:  # a harness error is a failure, never a crash
                c.check(False, "harness: %s: %s" % (type(e).__name__, e))
            finally:
                tq.stop_guest(g.proc)
                tq.keep_serial_log(g.serial_log, g.guest, SOURCE_DIR, "mctp", bool(c.failures))
        failed = bool(c.failures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        tq.log("timings: " + ", ".join("%s %.1f s" % kv for kv in tq.timings.items()))
    print("qemu.mctp: %d passed, %d failed%s" % (c.passed, len(c.failures),
                                                ": " + "; ".join(c.failures) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())

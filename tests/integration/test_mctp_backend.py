"""The agent with the mctp backend over user-space DSP0253 framing: two
mctp-responder processes serve the emulated device model on ptys, the agent
reaches them through "serial:" endpoints. Checked from the REST side:
 - inventory and CEL of both devices match what the emulated backend serves
   for the same profile, and validate (DMTF + OEM schemas);
 - an approved vendor command runs end to end, intent and result audited,
   delivered by the "MCTP CCI" path;
 - responder faults map: no answer -> 504, garbage -> 502; the agent lives;
 - a responder killed makes its device Absent (the other stays Enabled), and
   restarted on the same line brings it back; another device answering on
   that line instead keeps it Absent;
 - kernel MCTP endpoints and a switch of user from root: refused at start."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, CHASSIS_DEVICES, POLICY_EXAMPLE, SOURCE_DIR, Agent,  # noqa: E402
                      Checker, read_audit_dir, write_emulated_profile, scratch_dir)

c = Checker("mctp_backend")
ADMIN = ("admin", ADMIN_PASSWORD)
RESPONDER = os.environ.get("CXLA_MCTP_RESPONDER",
                           os.path.join(SOURCE_DIR, "build", "tests", "mctp", "mctp-responder"))


class Line:
    """A pty whose master side is served by an mctp-responder; the agent
    opens the slave path. The test keeps both ends open so the line outlives
    a killed responder."""

    def __init__(self, tmp, prof, index, device=None):
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.control = os.path.join(tmp, "control-%d.json" % index)
        device = index if device is None else device
        self.args = [RESPONDER, "--fd", str(self.master), "--profile", prof["profile"],
                     "--device", str(device), "--state-dir", os.path.join(tmp, "rstate%d" % index),
                     "--control", self.control]
        os.makedirs(os.path.join(tmp, "rstate%d" % index), exist_ok=True)
        self.fault("none")
        self.proc = None
        self.start()

    def start(self, device=None):
        """Serve the profile's device of this line, or another one."""
        args = list(self.args)
        if device is not None:
            args[args.index("--device") + 1] = str(device)
        self.proc = subprocess.Popen(args, pass_fds=(self.master,))

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def fault(self, name, count=-1, opcode=None):
        import json
        doc = {"fault": name, "count": count}
        if opcode:
            doc["opcode"] = opcode
        with open(self.control + ".tmp", "w") as f:
            json.dump(doc, f)
        os.replace(self.control + ".tmp", self.control)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.kill()
        os.close(self.master)
        os.close(self.slave)


def state_of(a, dev):
    r = a.curl("GET", CHASSIS_DEVICES + "/" + dev)
    return r.json().get("Status", {}).get("State") if r.status == 200 else r.status


def wait_state(a, dev, want, timeout=15):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = state_of(a, dev)
        if got == want:
            return got
        time.sleep(0.2)
    return got


def snapshot(a, dev):
    """What must match between backends: inventory and CEL."""
    pd = a.curl("GET", CHASSIS_DEVICES + "/" + dev)
    cel = a.curl("GET", CHASSIS_DEVICES + "/" + dev + "/Oem/CxlAgent/CommandEffectsLog")
    mem = a.curl("GET", "/redfish/v1/Systems/host/Memory/" + dev)
    c.eq(pd.status, 200, "%s PCIeDevice" % dev)
    c.eq(cel.status, 200, "%s CEL" % dev)
    c.eq(mem.status, 200, "%s Memory" % dev)
    for r in (pd, cel, mem):
        if r.status == 200:
            c.redfish_json(r, "%s resource" % dev)
    p, m, e = pd.json(), mem.json(), cel.json()
    return {"serial": p.get("SerialNumber"), "fw": p.get("FirmwareVersion"),
            "capacity": m.get("CapacityMiB"), "vendor": p.get("PCIeInterface", {}).get("VendorId")
            if isinstance(p.get("PCIeInterface"), dict) else None,
            "cel": sorted((x.get("Opcode"), x.get("Effects") and str(x.get("Effects")))
                          for x in e.get("Entries", []))}, e


def main():
    if not os.path.exists(RESPONDER):
        sys.exit("mctp-responder not built: %s" % RESPONDER)
    tmp = scratch_dir("cxla-mctp-")
    prof = write_emulated_profile(os.path.join(tmp, "prof"))
    want = {}
    with Agent({"backend": "emulated", "emulated_profile": prof["profile"]}) as a:
        for dev in prof["ids"]:
            want[dev], _ = snapshot(a, dev)

    lines = [Line(tmp, prof, i) for i in range(2)]
    audit_dir = os.path.join(tmp, "audit")
    try:
        cfg = {"backend": "mctp", "policy_file": POLICY_EXAMPLE, "audit_dir": audit_dir,
               "refresh_interval_ms": 300, "mctp_timeout_ms": 150, "mctp_retries": 1,
               "mctp_endpoints": ["serial:%s,eid=8,name=mctp%d" % (ln.path, i)
                                  for i, ln in enumerate(lines)]}
        with Agent(cfg) as a:
            run(a, prof, want, lines, audit_dir)
            c.check(a.proc.poll() is None, "agent still running after every fault")
    finally:
        for ln in lines:
            ln.close()
    silent_endpoint_beside_a_good_one(tmp, prof)
    net_raw_in_broker_only()
    c.finish()


def data_age(a, dev):
    """Seconds since the agent last read dev (DataReadAt, whole seconds)."""
    import calendar
    r = a.curl("GET", CHASSIS_DEVICES + "/" + dev)
    at = r.json().get("Oem", {}).get("CxlAgent", {}).get("DataReadAt") if r.status == 200 else None
    if not at:
        return None
    return time.time() - calendar.timegm(time.strptime(at, "%Y-%m-%dT%H:%M:%SZ"))


def silent_endpoint_beside_a_good_one(tmp, prof):
    """An endpoint that stops answering, with a long per-command timeout
    (4 s), holds only its own refresh: the other device's data stays as
    fresh as the refresh interval (300 ms) plus the second DataReadAt is
    rounded to, instead of the silent one's timeout."""
    d0, d1 = prof["ids"]
    lines = [Line(tmp, prof, i + 2, device=i) for i in range(2)]
    try:
        cfg = {"backend": "mctp", "refresh_interval_ms": 300, "mctp_timeout_ms": 150,
               "mctp_retries": 1,
               "mctp_endpoints": ["serial:%s,eid=8,name=mctp0,timeout_ms=4000,retries=0"
                                  % lines[0].path,
                                  "serial:%s,eid=8,name=mctp1" % lines[1].path]}
        with Agent(cfg) as a:
            c.eq(wait_state(a, d1, "Enabled"), "Enabled", "silent: good device Enabled")
            lines[0].kill()
            worst = 0.0
            deadline = time.time() + 10
            while time.time() < deadline:
                age = data_age(a, d1)
                if age is not None:
                    worst = max(worst, age)
                time.sleep(0.1)
            print("silent endpoint beside a good one: the good device's data at most %.1f s old"
                  % worst)
            c.check(worst < 2.5, "good device's data fresh beside a silent endpoint "
                    "(at most %.1f s old)" % worst)
            c.eq(state_of(a, d0), "Absent", "silent endpoint -> Absent")
    finally:
        for ln in lines:
            ln.close()


def caps(pid):
    with open("/proc/%d/status" % pid) as f:
        st = dict(ln.split(":", 1) for ln in f.read().splitlines() if ":" in ln)
    return int(st["Uid"].split()[1]), int(st["CapEff"].strip(), 16), int(st["CapAmb"].strip(), 16)


def net_raw_in_broker_only():
    """AF_MCTP wants CAP_NET_RAW in the sending thread: with kernel
    endpoints and a switch of user from root, the broker (which holds the
    MCTP sockets) keeps CAP_NET_RAW and nothing else; the front has none."""
    net_raw = 1 << 13
    with Agent({"backend": "mctp", "mctp_endpoints": ["net=1,eid=8,name=k0"],
                "user": "nobody"}) as a:
        uid, eff, amb = caps(a.proc.pid)
        c.check(uid != 0, "broker runs as nobody (uid %d)" % uid)
        c.eq(eff, net_raw, "broker keeps CAP_NET_RAW alone (CapEff %x)" % eff)
        c.eq(amb, net_raw, "broker's threads get CAP_NET_RAW (CapAmb %x)" % amb)
        # Every thread that sends (main, poller, request pool) has it; only
        # the audit log's syncer, started before the drop, does not.
        without = []
        for tid in os.listdir("/proc/%d/task" % a.proc.pid):
            with open("/proc/%d/task/%s/status" % (a.proc.pid, tid)) as f:
                eff_t = [ln for ln in f if ln.startswith("CapEff:")][0].split()[1]
            if not int(eff_t, 16) & net_raw:
                without.append(tid)
        c.check(len(without) <= 1, "broker threads without CAP_NET_RAW: %s" % without)
        for pid in a.children():
            uid, eff, amb = caps(pid)
            c.eq((eff, amb), (0, 0), "front %d has no capability" % pid)
            c.check(uid != 0, "front runs as nobody (uid %d)" % uid)


def run(a, prof, want, lines, audit_dir):
    d0, d1 = prof["ids"]
    r = a.curl("GET", "/redfish/v1/Managers/agent")
    c.eq(r.json().get("Oem", {}).get("CxlAgent", {}).get("Backend"), "mctp", "manager names the backend")
    for dev in prof["ids"]:
        got, cel = snapshot(a, dev)
        c.eq(got, want[dev], "%s over MCTP matches the emulated backend" % dev)
        c.check(len(got["cel"]) > 5, "%s CEL has entries (%d)" % (dev, len(got["cel"])))
        methods = {str(x.get("Delivery", {}).get("Method")) for x in cel.get("Entries", [])
                   if isinstance(x.get("Delivery"), dict)} or \
            {str(x.get("Oem", {}).get("CxlAgent", {}).get("Delivery", {}).get("Method"))
             for x in cel.get("Entries", [])}
        c.check("MctpCci" in str(cel), "%s CEL names the MctpCci path (%s)" % (dev, methods))

    # An approved command end to end, intent and result on disk.
    r = a.submit(d0, "emu-read-telemetry", "")
    c.eq(r.status, 200, "vendor command over MCTP")
    rid = r.json().get("AuditRecordId") if r.status == 200 else None
    recs, torn = read_audit_dir(audit_dir)
    intents = [x for x in recs if x.get("type") == "Intent" and str(x.get("id")) == str(rid)]
    results = [x for x in recs if x.get("type") == "Result" and str(x.get("intent")) == str(rid)]
    c.eq(len(intents), 1, "intent audited (%s)" % rid)
    c.eq(len(results), 1, "result audited (%s)" % rid)
    c.eq(torn, 0, "no torn audit lines")

    # No answer: 504. Garbage: 502. The device stays.
    lines[0].fault("drop", opcode="0xC000")
    r = a.submit(d0, "emu-read-telemetry", "", timeout_ms=1000)
    c.eq(r.status, 504, "dropped reply -> 504")
    lines[0].fault("none")
    lines[0].fault("garbage", opcode="0xC000")
    r = a.submit(d0, "emu-read-telemetry", "", timeout_ms=1000)
    c.eq(r.status, 502, "garbage reply -> 502")
    lines[0].fault("none")
    r = a.submit(d0, "emu-read-telemetry", "")
    c.eq(r.status, 200, "clean again after the faults")

    # A dead endpoint goes Absent, the other does not; restarted, it is back.
    c.eq(wait_state(a, d0, "Enabled"), "Enabled", "device Enabled before the kill")
    lines[0].kill()
    c.eq(wait_state(a, d0, "Absent"), "Absent", "killed responder -> Absent")
    c.eq(state_of(a, d1), "Enabled", "other device untouched")
    r = a.submit(d1, "emu-read-telemetry", "")
    c.eq(r.status, 200, "other device serves commands while one is absent")
    lines[0].start()
    c.eq(wait_state(a, d0, "Enabled"), "Enabled", "restarted responder -> Enabled again")
    r = a.submit(d0, "emu-read-telemetry", "")
    c.eq(r.status, 200, "vendor command after the device returned")

    # Another device answering at that endpoint (the line now serves the
    # profile's second device: another serial) is not taken for the first:
    # the slot stays Absent and nothing is sent to the newcomer under the
    # first one's id; the first device back on its line brings it back.
    lines[0].kill()
    c.eq(wait_state(a, d0, "Absent"), "Absent", "killed again -> Absent")
    lines[0].start(device=1)
    time.sleep(2)  # several refresh rounds at 300 ms
    c.eq(state_of(a, d0), "Absent", "another device at the endpoint -> still Absent")
    r = a.curl("GET", CHASSIS_DEVICES + "/" + d0)
    c.eq(r.json().get("SerialNumber"), want[d0]["serial"], "the slot keeps its own serial")
    r = a.submit(d0, "emu-read-telemetry", "")
    c.check(r.status != 200, "no command for the absent device reaches the newcomer (%d)" % r.status)
    lines[0].kill()
    lines[0].start()
    c.eq(wait_state(a, d0, "Enabled"), "Enabled", "the device itself back -> Enabled")


if __name__ == "__main__":
    main()

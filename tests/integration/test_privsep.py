"""Privilege separation: after start-up the agent is two processes. The
broker (the process started) holds the devices and the audit log; the front
(its child) serves HTTPS and holds neither: no descriptor of the audit log
or a device, no view of the audit directory, no capability, no_new_privs,
and a seccomp filter that kills it on a system call outside its list (a
test-build hook makes it call one). Killing either process ends the other;
the front stopping on its own ends the broker with a failure and a reason.
With no user configured and no dedicated account, start-up is refused."""
import os
import pwd
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, AGENT, EMU_DEVICE_IDS, POLICY_EXAMPLE, Agent,  # noqa: E402
                      Checker, read_audit_dir)

c = Checker("privsep")
WRITER = ("writer", "writer-password-1")
ACCOUNTS = [("admin", ADMIN_PASSWORD, "Administrator"), (WRITER[0], WRITER[1], "Writer")]
ROLES = [("Writer", ["Login", "CxlCommandRead", "CxlCommandWriteFull"])]
NOBODY = pwd.getpwnam("nobody").pw_uid


def front_of(a):
    kids = a.children()
    c.eq(len(kids), 1, "the broker has exactly one child, the front")
    # The front confines itself right after its server starts listening.
    deadline = time.time() + 20
    while "front: running as" not in a.logtext() and time.time() < deadline:
        time.sleep(0.05)
    return kids[0]


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def fd_targets(pid):
    d = "/proc/%d/fd" % pid
    out = []
    for n in os.listdir(d):
        try:
            out.append(os.readlink(os.path.join(d, n)))
        except OSError:
            pass
    return out


def front_ends(front, timeout=10):
    """Whether the front exits (gone, or a zombie) within timeout seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open("/proc/%d/stat" % front) as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return True
        except OSError:
            return True
        time.sleep(0.02)
    return False


def start_as(user, **kw):
    a = Agent(config=dict({"policy_file": POLICY_EXAMPLE, "user": user}, **kw.pop("config", {})),
              accounts=ACCOUNTS, roles=ROLES, start=False, **kw)
    # The unprivileged user must reach its state directory.
    os.chmod(a.tmp, 0o711)
    a.start()
    return a


with start_as("nobody") as a:
    audit_dir = os.path.join(a.state, "audit")
    front = front_of(a)
    r = a.submit(EMU_DEVICE_IDS[0], "emu-read-telemetry", user=WRITER)
    c.eq(r.status, 200, "a vendor command runs through the broker")
    audit_id = r.json().get("AuditRecordId")
    c.check(audit_id, "the broker's audit record id reaches the caller")

    fs, bs = status(front), status(a.proc.pid)
    for name, st in (("front", fs), ("broker", bs)):
        c.eq(st["Uid"].split(), [str(NOBODY)] * 4, name + " runs as nobody (real, effective, saved, fs)")
        for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            c.eq(int(st[cap], 16), 0, "%s %s is empty" % (name, cap))
        c.eq(st["NoNewPrivs"], "1", name + " has no_new_privs")
    c.eq(fs["Seccomp"], "2", "the front runs under a seccomp filter")
    c.eq(bs["Seccomp"], "2", "the broker runs under its own seccomp filter")

    front_fds, broker_fds = fd_targets(front), fd_targets(a.proc.pid)
    c.check(any(t.startswith(audit_dir) for t in broker_fds),
            "the broker holds the audit log open: %r" % broker_fds)
    c.check(not any(t.startswith(audit_dir) or "audit" in t for t in front_fds),
            "the front holds no audit descriptor: %r" % front_fds)
    c.check(not any(t.startswith("/dev/cxl") or t.endswith(".lsa") for t in front_fds),
            "the front holds no device descriptor: %r" % front_fds)
    c.check(any(t.startswith("socket:") for t in front_fds), "the front holds its sockets")
    # The audit directory is empty as the front sees it.
    c.check(os.listdir(audit_dir), "the audit directory holds the log")
    c.eq(os.listdir("/proc/%d/root%s" % (front, audit_dir)), [],
         "the front's view of the audit directory is empty")

    # The front reads the audit log through the broker only.
    r = a.curl("GET", "/redfish/v1/Managers/agent/LogServices/Audit/Entries/%s" % audit_id)
    c.eq(r.status, 200, "an audit entry is served through the broker")
    r = a.curl("GET", "/redfish/v1/Managers/agent/LogServices/Audit")
    c.eq(r.json().get("Status", {}).get("Health"), "OK", "the audit health reaches the front")
    head = r.json().get("Oem", {}).get("CxlAgent", {}).get("ChainHead", "")
    c.eq(len(head), 64, "and its chain head")
    r = a.curl("GET", "/redfish/v1/Chassis/host/PCIeDevices")
    c.eq(r.status, 200, "inventory is served from the broker's snapshots")

    # A system call outside the filter kills the front; the broker follows.
    a.expect_clean_exit = False
    os.kill(front, signal.SIGUSR1)
    rc = a.proc.wait(timeout=20)
    c.eq(rc, 1, "the broker exits with an error when the front dies")
    c.check("killed by signal %d" % signal.SIGSYS in a.logtext(),
            "the front was killed by SIGSYS: %s" % a.logtext()[-800:])
    recs, _ = read_audit_dir(audit_dir)
    c.check(any(x.get("id") == audit_id for x in recs), "the audit log is intact")

# A system call outside its filter kills the broker; the front follows.
with start_as("nobody") as a:
    front = front_of(a)
    a.expect_clean_exit = False
    a.proc.send_signal(signal.SIGUSR1)
    c.eq(a.proc.wait(timeout=20), -signal.SIGSYS, "the broker is killed by SIGSYS")
    c.check(front_ends(front), "the front is gone with its broker")

# Killing the broker ends the front at once (it listens no more).
with start_as("nobody") as a:
    front = front_of(a)
    a.expect_clean_exit = False
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait()
    c.check(front_ends(front), "the front is gone after the broker was killed")

# Killing the front ends the broker, which closes what was in flight.
with start_as("nobody") as a:
    front = front_of(a)
    a.expect_clean_exit = False
    os.kill(front, signal.SIGKILL)
    c.eq(a.proc.wait(timeout=20), 1, "the broker exits when the front is killed")

# A stop signal that reaches the front alone: it stops gracefully, and the
# broker ends too with a failure (so that the service manager restarts both)
# and says why; it used to exit 1 with no line saying so.
with start_as("nobody") as a:
    front = front_of(a)
    a.expect_clean_exit = False
    os.kill(front, signal.SIGTERM)
    c.eq(a.proc.wait(timeout=20), 1, "the broker fails when the front stops on its own")
    c.check("the front stopped without the broker asking it to" in a.logtext(),
            "and the log says why: %s" % a.logtext()[-600:])

# A graceful stop ends both, cleanly.
with start_as("nobody") as a:
    front = front_of(a)
    c.eq(a.stop(), 0, "SIGTERM to the broker stops both with status 0")
    c.check(not os.path.exists("/proc/%d/status" % front) or status(front)["State"].startswith("Z"),
            "the front stopped too")

# No user and no dedicated account: refused, not run as root.
try:
    pwd.getpwnam("cxl-agent")
    have_account = True
except KeyError:
    have_account = False
if not have_account:
    a = Agent(start=False)
    a.config.pop("user")
    import json
    with open(a.config_path, "w") as f:
        json.dump(a.config, f)
    p = subprocess.run([AGENT, "-c", a.config_path], capture_output=True, text=True, timeout=30,
                       env=a.env)
    c.eq(p.returncode, 1, "no user configured, no cxl-agent account: refused")
    c.check("useradd --system cxl-agent" in p.stderr, "and says what to do: %s" % p.stderr)
    q = subprocess.run([AGENT, "--check-config", "-c", a.config_path], capture_output=True,
                       text=True, timeout=30, env=a.env)
    c.check(q.returncode != 0 and "useradd --system cxl-agent" in q.stderr,
            "--check-config refuses what the start refuses: %r %r" % (q.stdout, q.stderr))
    a.__exit__(None, None, None)
c.finish()

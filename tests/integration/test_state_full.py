"""State directory full, then read-only: every change to the event
subscriptions, accounts and session settings is refused with a clear Redfish
error (507 when full, 500 when read-only) and changes nothing, in memory or
on disk; the agent keeps no descriptor per failure; with room again, or
writable again, the same requests succeed without a restart.

The state directory is a small tmpfs mounted for the test (root ignores
permission bits, so a full file system and a read-only remount are the honest
ways to make the writes fail). The audit log is kept in a directory of its
own (audit_dir): a read-only remount is refused while it is open for writing
there, and test_audit_unwritable covers the log itself. Where mounting is
not permitted the test fails and says so."""
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import agentlib  # noqa: E402
from agentlib import Agent, Checker  # noqa: E402

c = Checker("state_full")
SUBS = "/redfish/v1/EventService/Subscriptions"
ACCOUNTS = "/redfish/v1/AccountService/Accounts"
DEST = {"Destination": "https://127.0.0.1:9/events", "Protocol": "Redfish"}


def mount(*args):
    return subprocess.run(["mount"] + list(args), capture_output=True, text=True)


def fill(directory):
    """Fill the filesystem of directory; returns the filler's path."""
    path = os.path.join(directory, "filler")
    with open(path, "wb", buffering=0) as f:
        for n in (4096, 1024, 256, 16, 1):  # down to whatever is left in the last page
            try:
                while True:
                    f.write(b"\0" * n)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
    return path


def files(state):
    out = {}
    for name in ("subscriptions.json", "accounts.json"):
        try:
            with open(os.path.join(state, name), "rb") as f:
                out[name] = f.read()
        except FileNotFoundError:
            out[name] = None
    return out


def members(a):
    return sorted(m["@odata.id"] for m in a.curl("GET", SUBS).json()["Members"])


def fds(pids):
    """Open descriptors of the agent's processes once the count holds still:
    a connection just answered is closed a moment after its client has
    read the answer, so one sample can count it or not."""
    last = None
    for _ in range(50):
        n = sum(len(os.listdir("/proc/%d/fd" % p)) for p in pids)
        if n == last:
            return n
        last = n
        time.sleep(0.1)
    return last


def refused(a, why, status, sub_uri):
    before, subs = files(a.state), members(a)
    for method, path, body in (("POST", SUBS, DEST), ("DELETE", sub_uri, None),
                               ("POST", sub_uri + "/Actions/EventDestination.ResumeSubscription", {}),
                               ("POST", ACCOUNTS, {"UserName": "late", "Password": "late-password-1",
                                                   "RoleId": "ReadOnly"}),
                               ("PATCH", "/redfish/v1/SessionService", {"SessionTimeout": 1234})):
        r = a.curl(method, path, body=body)
        c.eq(r.status, status, "%s: %s %s refused" % (why, method, path))
        c.check("error" in (r.json() if r.body else {}), "%s: %s %s: a Redfish error" % (why, method, path))
    c.eq(members(a), subs, why + ": subscriptions unchanged in memory")
    c.check(a.curl("GET", "/redfish/v1/SessionService").json().get("SessionTimeout") != 1234,
            why + ": session settings unchanged in memory")
    c.eq(a.curl("GET", sub_uri).status, 200, why + ": the undeleted subscription is still served")
    after = files(a.state)
    c.eq(after, before, why + ": files unchanged on disk")
    c.check(json.loads(after["subscriptions.json"]) is not None, why + ": subscriptions file whole")
    c.eq(sorted(n for n in os.listdir(a.state) if ".tmp." in n), [], why + ": no temporaries left")


def main():
    audit = tempfile.mkdtemp(prefix="cxla-audit-")
    a = Agent(start=False, config={"audit_dir": audit})
    os.makedirs(a.state, mode=0o700, exist_ok=True)
    m = mount("-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", a.state)
    if m.returncode != 0:
        shutil.rmtree(a.tmp, ignore_errors=True)
        agentlib.missing("permission to mount a tmpfs (%s)" % m.stderr.strip(),
                         "run the suite as root, or leave this test out: ctest -E state_full")
    try:
        with a:
            a.start()
            r = a.curl("POST", SUBS, body=DEST)
            c.eq(r.status, 201, "room: subscription created")
            sub = r.header("location")
            sub = sub[sub.index("/redfish"):]
            pids = [a.proc.pid] + a.children()

            filler = fill(a.state)
            refused(a, "full", 507, sub)
            n = fds(pids)
            for _ in range(100):
                a.curl("DELETE", sub)
            c.eq(fds(pids), n, "full: no descriptor kept by 100 failed writes")
            refused(a, "full again", 507, sub)

            os.unlink(filler)

            r = a.curl("POST", sub + "/Actions/EventDestination.ResumeSubscription", body={})
            c.eq(r.status, 204, "room again: resume")
            r = a.curl("DELETE", sub)
            c.eq(r.status, 204, "room again: deleted")
            c.eq(members(a), [], "room again: gone in memory")
            c.eq(json.loads(files(a.state)["subscriptions.json"])["Subscriptions"], [],
                 "room again: gone on disk")
            r = a.curl("POST", SUBS, body=DEST)
            c.eq(r.status, 201, "room again: created")
            sub = r.header("location")
            sub = sub[sub.index("/redfish"):]

            m = mount("-o", "remount,ro", a.state)
            c.eq(m.returncode, 0, "state directory remounted read-only: %s" % m.stderr.strip())
            refused(a, "read-only", 500, sub)
            m = mount("-o", "remount,rw", a.state)
            c.eq(m.returncode, 0, "state directory writable again: %s" % m.stderr.strip())
            c.eq(a.curl("DELETE", sub).status, 204, "writable again: deleted")
            c.eq(members(a), [], "writable again: gone in memory")
    finally:
        subprocess.run(["umount", "-l", a.state], capture_output=True)
        shutil.rmtree(a.tmp, ignore_errors=True)
        shutil.rmtree(audit, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()

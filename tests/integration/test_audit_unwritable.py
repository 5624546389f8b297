"""Audit log unwritable -> every command refused (503, nothing reaches the
device), GETs still served, health shows it; writable again -> commands run.

The audit directory is a small tmpfs mounted for the test (root ignores
permission bits, so a full filesystem and a read-only remount are the honest
ways to make the writes fail). Where mounting is not permitted the test
fails and says so; it does not skip."""
import errno
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import agentlib  # noqa: E402
from agentlib import (ADMIN_PASSWORD, POLICY_EXAMPLE, Agent, Checker, le32_b64,  # noqa: E402
                      read_audit_dir, read_jsonl, vendor_command_path, write_emulated_profile)

c = Checker("audit_unwritable")
ADMIN = ("admin", ADMIN_PASSWORD)
OPERATOR = ("operator", "operator-password-1")
VIEWER = ("viewer", "viewer-password-1")
WRITER = ("writer", "writer-password-1")
ROLES = [("Writer", ["Login", "CxlCommandRead", "CxlCommandConfigure", "CxlCommandWriteFull"])]
ACCOUNTS = [("admin", ADMIN_PASSWORD, "Administrator"), (OPERATOR[0], OPERATOR[1], "Operator"),
            (VIEWER[0], VIEWER[1], "ReadOnly"), (WRITER[0], WRITER[1], "Writer")]
AUDIT = "/redfish/v1/Managers/agent/LogServices/Audit"


def mount(*args):
    return subprocess.run(["mount"] + list(args), capture_output=True, text=True)


def journal_len(prof):
    return sum(len(read_jsonl(p)[0]) for p in prof["journal"])


def fill(directory):
    """Fill the filesystem of directory; returns the filler's path."""
    path = os.path.join(directory, "filler")
    block = b"\0" * 4096
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
    for n in (1024, 256, 16, 1):  # whatever is left in the last page
        try:
            with open(path, "ab", buffering=0) as f:
                while True:
                    f.write(b"\0" * n)
        except OSError:
            pass
    return path


def refused(a, prof, why, want_text):
    """Every kind of submission is refused with 503 and reaches no device."""
    dev = prof["ids"][0]
    before = journal_len(prof)
    for user, cmd, payload in ((OPERATOR, "emu-read-telemetry", ""),
                               (OPERATOR, "emu-set-config-after-reset", le32_b64(7)),
                               (WRITER, "emu-set-mode", le32_b64(3)),
                               (WRITER, "emu-background-op", le32_b64(200)),
                               (VIEWER, "emu-read-telemetry", "")):  # even a denial
        r = a.submit(dev, cmd, payload, user=user)
        what = "%s: %s by %s" % (why, cmd, user[0])
        c.error_body(r, 503, "ServiceTemporarilyUnavailable", what)
        c.eq(r.header("retry-after"), "60", what + " Retry-After")
        c.check(want_text in r.body, "%s: reason %r in %s" % (what, want_text, r.body[-400:]))
        c.check(r.header("location") is None, what + ": no task")
    c.eq(journal_len(prof), before, why + ": no command reached a device")


def gets_served(a, prof, why, health):
    dev = prof["ids"][0]
    for path, user in (("/redfish/v1", None), ("/redfish/v1/Chassis/host/PCIeDevices/" + dev, VIEWER),
                       (vendor_command_path(dev), OPERATOR),
                       (vendor_command_path(dev, "emu-read-telemetry"), OPERATOR),
                       ("/redfish/v1/Systems", VIEWER), ("/redfish/v1/TaskService/Tasks", VIEWER),
                       (AUDIT + "/Entries", ADMIN)):
        r = a.curl("GET", path, user=user)
        c.eq(r.status, 200, "%s: GET %s" % (why, path))
    r = a.curl("GET", AUDIT, user=ADMIN)
    c.eq(r.json().get("Status", {}).get("Health"), health, why + ": audit LogService health")
    r = a.curl("GET", "/redfish/v1/Managers/agent", user=VIEWER)
    doc = c.redfish_json(r, why + ": Manager")
    c.eq(doc.get("Status", {}).get("Health"), health, why + ": Manager health")
    c.eq(doc.get("Oem", {}).get("CxlAgent", {}).get("AuditHealthy"), health == "OK",
         why + ": Manager AuditHealthy")


def works(a, prof, why):
    before = journal_len(prof)
    r = a.submit(prof["ids"][0], "emu-read-telemetry", "", user=OPERATOR)
    c.eq(r.status, 200, why + ": command runs")
    c.eq(journal_len(prof), before + 1, why + ": executed once")


def main():
    d = tempfile.mkdtemp(prefix="cxla-auditfull-")
    prof = write_emulated_profile(d)
    audit_dir = os.path.join(d, "audit")
    os.mkdir(audit_dir, 0o700)
    m = mount("-t", "tmpfs", "-o", "size=128k,mode=0700", "tmpfs", audit_dir)
    if m.returncode != 0:
        shutil.rmtree(d, ignore_errors=True)
        agentlib.missing("permission to mount a tmpfs (%s)" % m.stderr.strip(),
                         "run the suite as root, or leave this test out: ctest -E audit_unwritable")
    try:
        with Agent(config={"emulated_profile": prof["profile"], "policy_file": POLICY_EXAMPLE,
                           "audit_dir": audit_dir}, accounts=ACCOUNTS, roles=ROLES) as a:
            works(a, prof, "writable")
            gets_served(a, prof, "writable", "OK")

            # Full: commands may still land while the last page has room; from
            # the first refusal on, every command is refused.
            filler = fill(audit_dir)
            first = None
            for i in range(40):
                r = a.submit(prof["ids"][0], "emu-read-telemetry", "", user=OPERATOR)
                if r.status != 200:
                    first = r
                    break
            c.check(first is not None and first.status == 503,
                    "full: a command is refused within 40 (%r)" % first)
            refused(a, prof, "full", "No space left on device")
            gets_served(a, prof, "full", "Critical")
            recs, torn = read_audit_dir(audit_dir)
            c.eq(torn, 0, "full: no partial record left behind")
            os.unlink(filler)
            works(a, prof, "space again")
            gets_served(a, prof, "space again", "OK")

            # Read-only: fail one write on a full filesystem so the agent
            # closes audit.log, then remount read-only (no writer left).
            filler = fill(audit_dir)
            for i in range(40):
                if a.submit(prof["ids"][0], "emu-read-telemetry", "", user=OPERATOR).status != 200:
                    break
            os.unlink(filler)
            m = mount("-o", "remount,ro", audit_dir)
            c.check(m.returncode == 0, "remount read-only: " + m.stderr)
            if m.returncode == 0:
                refused(a, prof, "read-only", "Read-only file system")
                gets_served(a, prof, "read-only", "Critical")
                m = mount("-o", "remount,rw", audit_dir)
                c.check(m.returncode == 0, "remount read-write: " + m.stderr)
                works(a, prof, "read-write again")
                gets_served(a, prof, "read-write again", "OK")
            recs, torn = read_audit_dir(audit_dir)
            c.eq(torn, 0, "no partial record left behind")
            intents = {x["id"] for x in recs if x["type"] == "Intent" and x["decision"] == "Allowed"}
            c.check(len(intents) >= journal_len(prof),
                    "every executed command has its intent (%d intents, %d executed)"
                    % (len(intents), journal_len(prof)))
    finally:
        subprocess.run(["umount", audit_dir], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)
    c.finish()


main()

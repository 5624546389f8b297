"""DMTF's Redfish-Service-Validator against the agent, on a fresh start and
after activity that creates every kind of resource the agent serves: audit
records of every decision, device log entries, a finished and a running
task (the finished one followed through its task monitor, the running one's
monitor live while the validator walks), custom roles, accounts, sessions,
the host's identity, an event subscription and an open event stream (its
EventDestination validated with the rest). Zero FAIL is the bar; every
log entry served is a message of the agent's registry."""
import glob
import os
import re
import subprocess
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, EMU_DEVICE_IDS, POLICY_EXAMPLE, SHARED, SOURCE_DIR,  # noqa: E402
                      Agent, Checker, free_port, le32_b64, scratch_dir, set_fault,
                      write_emulated_profile)
from sselib import Stream  # noqa: E402

c = Checker("conformance")
# DMTF's Redfish-Service-Validator, unmodified, as ../shared/tools/
# redfish-service-validator runs it (offline, with the DMTF CSDL set and the
# agent's OEM CSDL), less the Excel report it writes at the end: styling that
# workbook's cells took two thirds of the validator's CPU, and nothing reads
# it. The HTML report and the debug log are still written.
DMTF = os.path.join(SHARED, "tools", "dmtf")
VALIDATOR = os.path.join(DMTF, "Redfish-Service-Validator", "RedfishServiceValidator.py")
if not os.path.exists(VALIDATOR):
    print("FAIL: DMTF's validator is missing at %s: this test needs the shared "
          "reference tree beside the checkout (or CXLA_SHARED_DIR)" % VALIDATOR)
    sys.exit(1)
RUN_VALIDATOR = """import sys
from redfish_service_validator import console_scripts, report
report.xlsx_report = lambda *args: None
sys.argv[0] = %r
console_scripts.main()
""" % VALIDATOR

ROLES = "/redfish/v1/AccountService/Roles"
ACCOUNTS = "/redfish/v1/AccountService/Accounts"
SESSIONS = "/redfish/v1/SessionService/Sessions"
MONITORS = "/redfish/v1/TaskService/TaskMonitors/"
OPERATOR = ("operator", "operator-password-1")
VIEWER = ("viewer", "viewer-password-1")
WRITER = ("writer", "writer-password-1")


def csdl_dir(work):
    """DMTF's CSDL and the agent's OEM CSDL in one directory, as the
    validator reads them; made once, before any validation starts."""
    csdl = os.path.join(work, "csdl")
    os.makedirs(csdl)
    for d in (os.path.join(SHARED, "redfish", "csdl"), os.path.join(SOURCE_DIR, "schemas")):
        for f in glob.glob(os.path.join(d, "*.xml")):
            shutil.copy(f, csdl)


def validate(a, what, work):
    csdl = os.path.join(work, "csdl")
    logs = tempfile.mkdtemp(prefix="logs-", dir=work)
    # It verifies no certificate, as DMTF intends for self-signed services.
    env = {k: v for k, v in os.environ.items()
           if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")}
    env["PYTHONPATH"] = ":".join(os.path.join(DMTF, d) for d in (
        "python-redfish-library", "Redfish-Tacklebox", "Redfish-Service-Validator"))
    p = subprocess.run(["/usr/bin/python3", "-c", RUN_VALIDATOR, "-r",
                        "https://127.0.0.1:%d" % a.port, "-u", "admin", "-p", ADMIN_PASSWORD,
                        "--authtype", "Session", "--skipschema", "--schema_directory", csdl,
                        "--logdir", logs], env=env, capture_output=True, text=True, timeout=600)
    summary = [line for line in p.stdout.splitlines() if line[:1] in ("|", "+")][-5:]
    errors = set()
    for log in glob.glob(os.path.join(logs, "*", "*Debug*.log")):
        with open(log, errors="replace") as f:
            errors.update(re.sub(r"^.* - ERROR - ", "", line.rstrip())
                          for line in f if " - ERROR - " in line)
    c.check(p.returncode == 0, "validator %s: no FAIL (exit %d)\n%s\ndistinct errors:\n%s\n"
            "output:\n%s" % (what, p.returncode, "\n".join(summary),
                              "\n".join(sorted(errors)[:60]), (p.stdout + p.stderr)[-2000:]))
    print("validator %s:\n%s" % (what, "\n".join(summary)))


def accounts_and_roles(a):
    r = a.curl("POST", ROLES, body={"RoleId": "DeviceWriter",
                                    "AssignedPrivileges": ["Login", "ConfigureSelf"],
                                    "OemPrivileges": ["CxlCommandRead", "CxlCommandWriteFull"]})
    c.eq(r.status, 201, "custom role")
    for (user, pw), role in ((OPERATOR, "Operator"), (VIEWER, "ReadOnly"), (WRITER, "DeviceWriter")):
        r = a.curl("POST", ACCOUNTS, body={"UserName": user, "Password": pw, "RoleId": role})
        c.eq(r.status, 201, "account %s" % user)
    for user, pw in (("admin", ADMIN_PASSWORD), VIEWER):
        r = a.curl("POST", SESSIONS, body={"UserName": user, "Password": pw}, user=None)
        c.eq(r.status, 201, "session for %s" % user)


def vendor_commands(a, faults):
    dev = EMU_DEVICE_IDS[0]
    # Allowed at each scope, denied for each reason the API can reach, failed.
    c.eq(a.submit(dev, "emu-read-telemetry", user=OPERATOR).status, 200, "Read by Operator")
    c.eq(a.submit(dev, "emu-set-config-after-reset", le32_b64(7), user=OPERATOR).status, 200,
         "Configure by Operator")
    c.eq(a.submit(dev, "emu-set-mode", le32_b64(1), user=WRITER).status, 200, "WriteFull by writer")
    c.eq(a.submit(dev, "emu-read-telemetry", user=VIEWER).status, 403, "Read denied to ReadOnly")
    c.eq(a.submit(dev, "emu-set-mode", le32_b64(1), user=OPERATOR).status, 403,
         "WriteFull denied to Operator")
    c.eq(a.submit(dev, "emu-set-mode", le32_b64(9), user=WRITER).status, 400,
         "invalid input refused by the device")
    set_fault(faults[0], "busy", opcode=0xC000)
    c.eq(a.submit(dev, "emu-read-telemetry", user=OPERATOR).status, 503, "busy device")
    set_fault(faults[0], "none")
    # A background operation that finishes (and queues a device event),
    # followed as a client does: through its task monitor.
    # Status polls answer Busy until the monitor has been seen running, so a
    # slow machine cannot let the operation finish before the first poll.
    set_fault(faults[0], "busy", opcode=0x0002)
    r = a.submit(dev, "emu-background-op", le32_b64(1500), user=WRITER)
    c.eq(r.status, 202, "short background operation")
    task, monitor = r.json().get("@odata.id"), r.header("location")
    c.check((monitor or "").startswith(MONITORS), "Location is a task monitor: %r" % monitor)
    c.eq(r.json().get("TaskMonitor"), monitor, "the Task names its monitor")
    polls = [a.curl("GET", monitor).status]
    set_fault(faults[0], "none")
    deadline = time.time() + 20
    while time.time() < deadline:
        m = a.curl("GET", monitor)
        polls.append(m.status)
        if m.status != 202:
            break
        time.sleep(0.05)
    c.check(polls[0] == 202 and polls[-1] == 200, "monitor: 202 while running, then 200: %r" % polls)
    c.eq(m.json().get("MailboxReturnCode"), 0, "the monitor's final answer is the result")
    c.eq(a.curl("GET", task).json().get("TaskState"), "Completed",
         "short background operation completed")


def subscription(a):
    # Nothing listens there: the subscription stays, retrying, while the
    # validator reads it.
    r = a.curl("POST", "/redfish/v1/EventService/Subscriptions",
               body={"Destination": "https://127.0.0.1:%d/events" % free_port(),
                     "Protocol": "Redfish", "Context": "conformance",
                     "DeliveryRetryPolicy": "RetryForever"})
    c.eq(r.status, 201, "event subscription")


def event_stream(a):
    """A stream left open while the validator walks: its EventDestination
    (SSE-<n>) is a member of the Subscriptions collection meanwhile."""
    s = Stream(a, "RegistryPrefix eq 'ResourceEvent' or RegistryPrefix eq 'TaskEvent'")
    c.eq(s.status, 200, "event stream")
    subs = a.curl("GET", "/redfish/v1/EventService/Subscriptions").json()
    c.check(any("/SSE-" in m["@odata.id"] for m in subs.get("Members", [])),
            "the stream is a Subscriptions member: %r" % subs.get("Members"))
    return s


def log_entries(a):
    """Keep every audit and device log entry for the registry check."""
    dev = EMU_DEVICE_IDS[0]
    for uri in ("/redfish/v1/Managers/agent/LogServices/Audit/Entries",
                "/redfish/v1/Chassis/host/PCIeDevices/%s/CXLLogicalDevices/0/DeviceLog/Entries"
                % dev):
        doc = c.redfish_json(a.curl("GET", uri), uri) or {}
        c.check(doc.get("Members"), "%s has entries" % uri)


def device_log_seen(a):
    dev = EMU_DEVICE_IDS[0]
    uri = "/redfish/v1/Chassis/host/PCIeDevices/%s/CXLLogicalDevices/0/DeviceLog/Entries" % dev
    deadline = time.time() + 10
    while time.time() < deadline:
        r = a.curl("GET", uri)
        if r.status == 200 and r.json().get("Members"):
            return
        time.sleep(0.2)
    c.check(False, "device log has entries")


def host_tree(root):
    """A host's identity files, as CXLA_HOST_ROOT reads them."""
    files = {"sys/class/dmi/id/product_uuid": "4C4C4544-0042-3510-8052-B4C04F4A4B32\n",
             "sys/class/dmi/id/chassis_serial": "CN7475\n",
             "sys/class/dmi/id/chassis_vendor": "Dell Inc.\n",
             "sys/class/dmi/id/product_name": "PowerEdge R760\n",
             "proc/sys/kernel/hostname": "node-17\n"}
    for leaf, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, leaf)), exist_ok=True)
        with open(os.path.join(root, leaf), "w") as f:
            f.write(text)
    return root


def host_identity(a):
    doc = a.curl("GET", "/redfish/v1/Systems/host").json()
    c.eq(doc.get("UUID"), "4c4c4544-0042-3510-8052-b4c04f4a4b32", "System UUID from DMI")
    c.eq(doc.get("HostName"), "node-17", "HostName")
    c.check(doc.get("Status", {}).get("HealthRollup") in ("OK", "Warning", "Critical"),
            "System HealthRollup %r" % doc.get("Status"))
    c.check(doc.get("MemorySummary", {}).get("TotalSystemMemoryGiB", 0) > 0, "MemorySummary")
    doc = a.curl("GET", "/redfish/v1/Chassis/host").json()
    c.eq([doc.get(k) for k in ("SerialNumber", "Manufacturer", "Model")],
         ["CN7475", "Dell Inc.", "PowerEdge R760"], "Chassis identity from DMI")


def validate_beside(a, what, work):
    """validate() on a thread of its own; what goes wrong there fails the
    test like a failed check."""
    def run():
        try:
            validate(a, what, work)
        except Exception as e:  # noqa: BLE001 - reported as a failure
            c.check(False, "validator %s: %s: %s" % (what, type(e).__name__, e))
    t = threading.Thread(target=run)
    t.start()
    return t


def after_activity(emu, profile_dir):
    with Agent(config={"policy_file": POLICY_EXAMPLE, "emulated_profile": emu["profile"]},
               env={"CXLA_HOST_ROOT": host_tree(os.path.join(profile_dir, "host"))}) as a:
        host_identity(a)
        accounts_and_roles(a)
        vendor_commands(a, emu["fault"])
        device_log_seen(a)
        subscription(a)
        stream = event_stream(a)
        log_entries(a)
        # Still running while the validator walks the tree: the device answers
        # Busy to every status poll meanwhile, so the task cannot end early.
        r = a.submit(EMU_DEVICE_IDS[1], "emu-background-op", le32_b64(10000), user=WRITER)
        c.eq(r.status, 202, "long background operation")
        set_fault(emu["fault"][1], "busy", opcode=0x0002)
        validate(a, "after activity", profile_dir)
        c.check(not stream.ended.is_set(), "the stream stayed open while the validator walked")
        stream.close()
        # The validator walked a running and a finished Task beside a live monitor.
        c.eq(a.curl("GET", r.header("location")).status, 202, "the running task's monitor")
        tasks = a.curl("GET", "/redfish/v1/TaskService/Tasks").json().get("Members", [])
        states = sorted(a.curl("GET", t["@odata.id"]).json().get("TaskState") for t in tasks)
        c.eq(states, ["Completed", "Running"], "Tasks the validator saw")
        set_fault(emu["fault"][1], "none")


profile_dir = scratch_dir("cxla-conformance-")
csdl_dir(profile_dir)
emu = write_emulated_profile(profile_dir)
# The two agents share nothing: the fresh one is validated while the other
# is put through its activity.
with Agent(config={"policy_file": POLICY_EXAMPLE}) as fresh:
    first = validate_beside(fresh, "on a fresh start", profile_dir)
    try:
        after_activity(emu, profile_dir)
    finally:
        first.join()
c.finish()

"""Task monitors as DSP0266 defines them, as two client libraries use them:
a background vendor command answers 202 with Location at a task monitor,
which answers 202 with Retry-After while the operation runs and the
command's result once it is done. python3-sushy's TaskMonitor.wait() and
DMTF's python-redfish-library (its response.monitor() loop, as Tacklebox
runs it) both wait for the completion. Task ids continue after a restart."""
import os
import sys
import tempfile
import shutil
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, POLICY_EXAMPLE, SHARED, Agent, Checker,  # noqa: E402
                      le32_b64, vendor_command_path, write_emulated_profile)

c = Checker("task_monitors")
WRITER = ("writer", "writer-password-1")
ROLES = [("Writer", ["Login", "CxlCommandRead", "CxlCommandWriteFull"])]
ACCOUNTS = [("admin", ADMIN_PASSWORD, "Administrator"), (WRITER[0], WRITER[1], "Writer")]
LIBRARY = os.path.join(SHARED, "tools", "dmtf", "python-redfish-library")
DURATION_MS = 1000


def start_op(a):
    r = a.submit(a.prof["ids"][0], "emu-background-op", le32_b64(DURATION_MS), user=WRITER)
    c.eq(r.status, 202, "background operation started")
    return r


def with_sushy(a):
    # Sushy.get_task_monitor() needs the standard registries Debian's
    # python3-sushy does not ship: the same TaskMonitor on its connector.
    from sushy import connector, taskmonitor
    conn = connector.Connector(a.url(""), verify=a.ca)
    conn.set_http_basic_auth(WRITER[0], WRITER[1])
    r = start_op(a)
    mon_uri = r.header("location")
    t0 = time.time()
    mon = taskmonitor.TaskMonitor(conn, mon_uri)
    c.check(mon.is_processing, "sushy: the monitor is processing at first")
    c.eq(str(mon.task.task_state.value) if mon.task else None, "Running",
         "sushy: Task state while running")
    mon.wait(30)
    took = time.time() - t0
    c.check(not mon.is_processing, "sushy: done after wait()")
    c.check(took >= DURATION_MS / 1000.0 * 0.7,
            "sushy: wait() returned after %.2fs for a %.1fs operation" % (took, DURATION_MS / 1000.0))
    c.eq(mon.response.status_code, 200, "sushy: final response status")
    c.eq(mon.response.json().get("MailboxReturnCode"), 0, "sushy: the command's result")
    task = a.curl("GET", r.json()["@odata.id"]).json()
    c.eq(task.get("TaskState"), "Completed", "sushy: the Task is Completed once wait() returns")
    return int(r.json()["Id"])


def with_redfish_library(a):
    sys.path.insert(0, LIBRARY)
    import redfish
    ctx = redfish.redfish_client(base_url=a.url(""), username=WRITER[0], password=WRITER[1],
                                 cafile=a.ca)
    ctx.login(auth="basic")
    body = {"Payload": le32_b64(DURATION_MS)}
    t0 = time.time()
    resp = ctx.post(vendor_command_path(a.prof["ids"][0], "emu-background-op", submit=True),
                    body=body)
    c.eq(resp.status, 202, "redfish library: 202")
    c.check(resp.is_processing, "redfish library: processing")
    polls = 0
    mon = resp
    # The loop of Tacklebox's poll_task_monitor, with the library's parsing
    # of Retry-After (its fallback for a date is 5 s; keep the test short).
    while mon.is_processing and polls < 100:
        polls += 1
        c.eq(mon.dict.get("TaskState"), "Running", "redfish library: Task body while running")
        time.sleep(0.2)
        mon = resp.monitor(ctx)
    took = time.time() - t0
    c.check(polls >= 2, "redfish library: polled while running (%d)" % polls)
    c.eq(mon.status, 200, "redfish library: final status")
    c.eq(mon.dict.get("MailboxReturnCode"), 0, "redfish library: the command's result")
    c.check(took >= DURATION_MS / 1000.0 * 0.7, "redfish library: took %.2fs" % took)
    ctx.logout()


def main():
    # requests lets these override a session's own CA file: the agent's
    # test CA must be the one trusted here.
    for k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        os.environ.pop(k, None)
    d = tempfile.mkdtemp(prefix="cxla-taskmon-")
    prof = write_emulated_profile(os.path.join(d, "prof"))
    try:
        with Agent(config={"emulated_profile": prof["profile"], "policy_file": POLICY_EXAMPLE},
                   accounts=ACCOUNTS, roles=ROLES) as a:
            a.prof = prof
            first = with_sushy(a)
            with_redfish_library(a)
            # The Task stays 200 while and after its monitor answers.
            r = start_op(a)
            task_uri = r.json()["@odata.id"]
            c.eq(a.curl("GET", task_uri).status, 200, "Task read while running")
            c.eq(a.curl("GET", r.header("location")).status, 202, "monitor while running")
            # Ids continue after a restart.
            a.stop()
            a.start()
            r = start_op(a)
            again = int(r.json()["Id"]) if r.status == 202 else 0
            c.check(again > first + 1, "task id after a restart %d, before %d" % (again, first))
            c.eq(a.curl("GET", "/redfish/v1/TaskService/TaskMonitors/%d" % first).status, 404,
                 "a monitor from before the restart is gone")
            if r.status == 202:
                done, states = a.wait_task(r.json()["@odata.id"], interval=0.05)
                c.eq(states[-1], "Completed", "the operation after the restart completes")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()

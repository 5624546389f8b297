"""Under a low descriptor limit (LimitNOFILE=) the agent either refuses to
start with one line that names the limit and what it needs, or derives a
connection limit that leaves it descriptors of its own: with every
connection it allows held open, a request that writes a state file is still
answered, and the agent serves as before once the connections close.

Under a low task limit (RLIMIT_NPROC for the agent's user, as TasksMax=
would) a request whose thread cannot start is refused with 503, Retry-After
and a Redfish body, and served once the limit is lifted."""
import os
import re
import resource
import shutil
import subprocess
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402

c = Checker("limits")
SUBS = "/redfish/v1/EventService/Subscriptions"


def limited(n):
    return ["prlimit", "--nofile=%d:%d" % (n, n), "--"]


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


# Too few descriptors to serve at all: one clear line, no half start.
a = Agent(launcher=limited(32), start=False)
try:
    a.start(timeout=10)
    c.check(False, "the agent refuses to start with 32 descriptors")
except RuntimeError:
    lines = [ln for ln in a.logtext().splitlines() if "RLIMIT_NOFILE" in ln]
    c.eq(len(lines), 1, "one line names the descriptor limit")
    c.check(lines and "32" in lines[0] and "64" in lines[0],
            "it says what there is and what is needed: %r" % lines)
finally:
    a.stop()
    shutil.rmtree(a.tmp, ignore_errors=True)

# A configured connection limit the descriptors cannot carry is refused too.
a = Agent(launcher=limited(256), config={"connection_limit": 1000}, start=False)
try:
    a.start(timeout=10)
    c.check(False, "connection_limit 1000 is refused with 256 descriptors")
except RuntimeError:
    c.check(re.search(r"connection_limit 1000 .*RLIMIT_NOFILE", a.logtext()) is not None,
            "the refusal names connection_limit and the descriptor limit")
finally:
    a.stop()
    shutil.rmtree(a.tmp, ignore_errors=True)

for nofile in (64, 128):
    with Agent(launcher=limited(nofile), config={"connections_per_address": 100000}) as a:
        m = re.search(r"connections: at most (\d+)", a.logtext())
        c.check(m is not None, "%d: the connection limit is logged" % nofile)
        limit = int(m.group(1)) if m else 0
        front = a.children()[0]
        c.check(limit >= 16, "%d: some connections are allowed (%d)" % (nofile, limit))
        c.check(open_fds(front) + limit <= nofile - 16,
                "%d: the connections (%d) leave the front descriptors of its own (%d open)"
                % (nofile, limit, open_fds(front)))
        held = [socket.create_connection(("127.0.0.1", a.port)) for _ in range(limit - 1)]
        time.sleep(0.5)
        # The last connection the limit allows: a subscription is written to
        # the state directory, which takes descriptors of the front's own.
        try:
            status = a.curl("POST", SUBS, body={"Destination": "https://127.0.0.1:9/x",
                                                "Protocol": "Redfish"}, timeout=5).status
        except RuntimeError as e:
            status = str(e)
        c.eq(status, 201, "%d: a request that writes state at the connection limit" % nofile)
        c.check("Too many open files" not in a.logtext(),
                "%d: no descriptor runs out at the connection limit" % nofile)
        for s in held:
            s.close()
        time.sleep(0.5)
        c.eq(a.curl("GET", "/redfish/v1").status, 200, "%d: served once they close" % nofile)
        c.check(open_fds(front) < 40, "%d: no descriptor is kept (%d)" % (nofile, open_fds(front)))

# The task limit binds only a user other than root. Threads of the agent's
# user are counted from the moment it drops to it: 8 lets it start (it needs
# about 6 then) and leaves none for a password check. The limit is lifted
# and set again as the user itself may: the soft limit, by a process of the
# same user.
hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
hard = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)


def task_limit(a, soft):
    for pid in a.pids():
        subprocess.run(["setpriv", "--reuid=games", "--regid=games", "--clear-groups", "prlimit",
                        "--pid", str(pid), "--nproc=%s:%s" % (soft, hard)], check=True)


# No thread at all for the user: start-up stops and names the limit.
a = Agent(launcher=["prlimit", "--nproc=1:" + hard, "--"], config={"user": "games"}, start=False)
os.chmod(a.tmp, 0o711)
try:
    a.start(timeout=10)
    c.check(False, "the agent refuses to start with no thread for its user")
except RuntimeError:
    c.check(re.search(r"<3>.*task limit \(TasksMax=, or RLIMIT_NPROC of user games\)",
                      a.logtext()) is not None,
            "start-up names the task limit: %r" % a.logtext()[-300:])
finally:
    a.stop()
    shutil.rmtree(a.tmp, ignore_errors=True)

a = Agent(launcher=["prlimit", "--nproc=8:" + hard, "--"], config={"user": "games"}, start=False)
os.chmod(a.tmp, 0o711)  # the state directory is reached by path as the user
with a:
    a.start()
    r = a.curl("GET", "/redfish/v1/Systems", user=("admin", "wrong"))
    c.error_body(r, 503, "ServiceTemporarilyUnavailable", "a password check with no thread")
    c.check(r.header("Retry-After") not in (None, ""), "and Retry-After")
    c.check(re.search(r"<4>.*no thread", a.logtext()) is not None, "the refusal is logged")
    task_limit(a, hard)
    r = a.curl("GET", "/redfish/v1/Systems", user=("admin", "wrong"))
    c.eq(r.status, 401, "the check runs once threads can start again")
    r = a.curl("POST", "/redfish/v1/SessionService/Sessions", user=None,
               body={"UserName": "admin", "Password": ADMIN_PASSWORD})
    c.eq(r.status, 201, "a session")
    token = {"X-Auth-Token": r.header("X-Auth-Token") or ""}

    task_limit(a, 8)
    sub = {"Destination": "https://127.0.0.1:9/x", "Protocol": "Redfish"}
    r = a.curl("POST", SUBS, body=sub, user=None, headers=token)
    c.error_body(r, 503, "ServiceTemporarilyUnavailable", "a subscription with no thread")
    c.check(r.header("Retry-After") not in (None, ""), "and Retry-After")
    task_limit(a, hard)
    r = a.curl("POST", SUBS, body=sub, user=None, headers=token)
    c.eq(r.status, 201, "the subscription is made once threads can start again")
    r = a.curl("GET", SUBS, user=None, headers=token)
    c.eq(r.json().get("Members@odata.count") if r.status == 200 else r.status, 1,
         "only the one made is listed")

c.finish()

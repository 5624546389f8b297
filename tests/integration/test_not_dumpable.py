"""Neither process is dumpable, even when the agent runs from the start as
its own user (systemd's User=), so no change of user clears the flag: the
front holds the TLS private key, session tokens and passwords in flight, and
a dumpable front would leave them in a core file and open its memory and
/proc entries to any process of the same user. A reader with the agent's
uid but no capability stands for such a process: it is refused both."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import Agent, Checker  # noqa: E402

c = Checker("not_dumpable")
CAPLESS = ["setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--"]


def readable_without_caps(path):
    """Whether a process of the same uid with no capability may read path."""
    p = subprocess.run(CAPLESS + [sys.executable, "-c", "open(%r, 'rb').read(1)" % path],
                       capture_output=True, text=True, timeout=20)
    return p.returncode == 0, p.stderr.strip().splitlines()[-1:] if p.stderr else ""


# The method can tell: a dumpable process of the same uid, as capless as
# the front, is open to the reader.
with subprocess.Popen(CAPLESS + ["sleep", "30"]) as sleeper:
    ok, err = readable_without_caps("/proc/%d/maps" % sleeper.pid)
    c.check(ok, "a dumpable capless process of the same uid is readable: %s" % err)
    sleeper.kill()

with Agent() as a:  # uid 0 throughout: no change of user
    front = a.fronts[0]
    for name, pid in (("broker", a.proc.pid), ("front", front)):
        for entry in ("environ", "maps"):
            ok, err = readable_without_caps("/proc/%d/%s" % (pid, entry))
            c.check(not ok, "the %s's /proc %s is closed to its own uid: %s" % (name, entry, err))
    c.eq(a.curl("GET", "/redfish/v1/Systems").status, 200, "the agent still serves")
c.finish()

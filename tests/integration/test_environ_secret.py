"""The initial administrator password handed over in the environment
(CXLA_INITIAL_ADMIN_PASSWORD) is used, then wiped: /proc/PID/environ of the
running agent shows neither the password nor the variable."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402

c = Checker("environ_secret")

with Agent(seed_admin=False) as a:
    c.eq(a.curl("GET", "/redfish/v1/Systems").status, 200, "the password from the environment works")
    with open("/proc/%d/environ" % a.proc.pid, "rb") as f:
        env = f.read()
    c.check(ADMIN_PASSWORD.encode() not in env, "the password is not in /proc/PID/environ")
    c.check(b"CXLA_INITIAL_ADMIN_PASSWORD" not in env, "nor is the variable")
    c.check(b"PATH=" in env, "the rest of the environment is still there")
c.finish()

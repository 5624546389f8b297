"""A password typed into the user field (the usual failed login) never
reaches the log: a failed attempt names its user only when that is an
account's name, for Basic, a session login and the rate-limit warning."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402

c = Checker("log_secrets")
TYPED = "Typed-Into-User-4711"

with Agent(config={"auth_failures_per_minute": 3}) as a:
    for _ in range(6):
        a.curl("GET", "/redfish/v1/Systems", user=(TYPED, TYPED))
    r = a.curl("POST", "/redfish/v1/SessionService/Sessions", body={"UserName": TYPED, "Password": "x"},
               user=None)
    c.eq(r.status in (400, 401, 429), True, "the session login fails: %d" % r.status)
    r = a.curl("GET", "/redfish/v1/Systems", user=("admin", "wrong-password-1"))
    c.eq(r.status, 401, "a wrong password for an account fails")
    log = a.logtext()
    c.check("authentication failed" in log and "failed password attempts for \"(not an account)\"" in log,
            "failed attempts and the rate limit are logged")
    c.check(TYPED not in log, "a name that is no account's is not in the log")
    c.check("(not an account)" in log, "the log says the name was none")
    c.check('authentication failed: user "admin"' in log, "an account's name is still logged")
c.finish()

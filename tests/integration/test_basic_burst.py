"""Many clients starting at once with the same Basic credential (a load
generator, a fleet tool opening its connections, parallel scripts): the
credential is verified once, at the production PBKDF2 cost, and every
request waits for that one verification instead of taking a place in the
password pool's queue. None is answered 503. The same burst with a wrong
password costs one verification too, and every request of it is refused
401 and counted by the failure rate limit."""
import http.client
import os
import ssl
import sys
import threading
from base64 import b64encode

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402

c = Checker("basic_burst")
CLIENTS = 24
# Several bursts: the first one against an empty cache, the next ones after
# the cached credential was invalidated by an account change.
ROUNDS = 3


def basic(user, password):
    return {"Authorization": "Basic " + b64encode(("%s:%s" % (user, password)).encode()).decode()}


def burst(a, headers, n=CLIENTS):
    """n connections, handshakes done, then one GET each, all released at
    once. The statuses, in no particular order."""
    ctx = ssl.create_default_context(cafile=a.ca)
    conns = []
    for _ in range(n):
        conn = http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx, timeout=60)
        conn.connect()
        conns.append(conn)
    go = threading.Barrier(n)
    statuses = [None] * n

    def one(i):
        go.wait()
        try:
            conns[i].request("GET", "/redfish/v1/Systems", headers=headers)
            r = conns[i].getresponse()
            r.read()
            statuses[i] = r.status
        except OSError as e:
            statuses[i] = repr(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for conn in conns:
        conn.close()
    return statuses


def summary(statuses):
    return ", ".join("%d x %s" % (statuses.count(s), s) for s in sorted(set(statuses), key=str))


# The bootstrapped administrator's hash is made by the agent itself, at the
# production iteration count: each verification is a real PBKDF2.
with Agent(config={"auth_failures_per_minute": 100000}) as a:
    for rnd in range(ROUNDS):
        statuses = burst(a, basic("admin", ADMIN_PASSWORD))
        print("burst %d with the right password: %s" % (rnd + 1, summary(statuses)))
        c.eq(statuses.count(200), CLIENTS,
             "burst %d: every request of the burst answered 200 (%s)" % (rnd + 1, summary(statuses)))
        # An account change invalidates the cached credential: the next
        # burst starts from nothing again.
        r = a.curl("POST", "/redfish/v1/AccountService/Accounts",
                   {"UserName": "burst%d" % rnd, "Password": "burst-password-%d" % rnd,
                    "RoleId": "ReadOnly"})
        c.eq(r.status, 201, "an account added, so the accounts generation moves")

    statuses = burst(a, basic("admin", "not-the-password-1"))
    print("burst with a wrong password: %s" % summary(statuses))
    c.eq(statuses.count(401), CLIENTS,
         "every request with the wrong password answered 401 (%s)" % summary(statuses))

with Agent(config={"auth_failures_per_minute": CLIENTS, "log_burst": 0}) as a:
    statuses = burst(a, basic("admin", "not-the-password-2"))
    c.eq(statuses.count(401), CLIENTS, "a wrong burst within the limit: all 401 (%s)"
         % summary(statuses))
    # Each joined request counted as a failed attempt: the pair is now limited.
    r = a.curl("GET", "/redfish/v1/Systems", user=("admin", "not-the-password-3"))
    c.eq(r.status, 429, "after %d failures the next attempt is rate limited" % CLIENTS)
    log = a.logtext()
    c.eq(log.count("authentication failed: user \"admin\""), CLIENTS,
         "each failed request of the burst logged once")
c.finish()

"""SIGKILL the agent in a loop while two clients PATCH accounts concurrently:
after every kill the accounts file parses, validates at the next start, and
holds for each account either the last acknowledged state or the one that
was in flight; temporary files left by the kill are cleaned up at start."""
import json
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402
import authlib  # noqa: E402
from authlib import Client  # noqa: E402

c = Checker("accounts_crash")
ROUNDS = int(os.environ.get("CXLA_CRASH_ROUNDS", "12"))
ADMIN = ("admin", ADMIN_PASSWORD)


def patcher(a, acct_id, prefix, state, stop):
    """PATCH the account's UserName to prefix-N (N increasing), sometimes
    with a new password; state records the last acknowledged N and the one
    in flight."""
    cl = Client(a, timeout=10)
    n = state["acked"]
    while not stop.is_set():
        n += 1
        body = {"UserName": "%s-%d" % (prefix, n)}
        if n % 2:
            body["Password"] = "crash-password-%d" % n
        state["inflight"] = n
        try:
            r = cl.request("PATCH", "/redfish/v1/AccountService/Accounts/" + acct_id, body=body,
                           basic=ADMIN)
        except Exception:
            break
        if r.status == 200:
            state["acked"] = n
        else:
            state["errors"].append(r.status)
    cl.close()


a = Agent(start=False)
with a:
    authlib.seed_accounts(a, [("admin", ADMIN_PASSWORD, "Administrator"),
                              ("alpha-0", "alpha-password-0", "Operator"),
                              ("beta-0", "beta-password-00", "ReadOnly")])
    a.start()
    path = os.path.join(a.state, "accounts.json")
    states = {"2": {"prefix": "alpha", "acked": 0, "inflight": 0, "errors": []},
              "3": {"prefix": "beta", "acked": 0, "inflight": 0, "errors": []}}
    rng = random.Random(4242)
    for rnd in range(ROUNDS):
        stop = threading.Event()
        threads = [threading.Thread(target=patcher, args=(a, i, s["prefix"], s, stop))
                   for i, s in states.items()]
        acked_before = sum(s["acked"] for s in states.values())
        for t in threads:
            t.start()
        # Each round kills the agent with PATCHes landing, not before the
        # first one is through: on a loaded machine the first request of a
        # restarted agent (a key derivation) can take longer than the window.
        deadline = time.time() + 20
        while (sum(s["acked"] for s in states.values()) == acked_before
               and time.time() < deadline and all(t.is_alive() for t in threads)):
            time.sleep(0.02)
        time.sleep(rng.uniform(0.2, 1.0))
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        stop.set()
        for t in threads:
            t.join(20)
        try:
            with open(path) as f:
                doc = json.load(f)
            parsed = True
        except (OSError, ValueError) as e:
            parsed = False
            c.check(False, "round %d: accounts file does not parse: %s" % (rnd, e))
        if parsed:
            names = {acc["Id"]: acc["UserName"] for acc in doc["Accounts"]}
            c.eq(len(doc["Accounts"]), 3, "round %d: every account present" % rnd)
            for acct_id, s in states.items():
                n = int(names[acct_id].rsplit("-", 1)[1])
                c.check(n in (s["acked"], s["inflight"]),
                        "round %d: %s holds state %d, acked %d, in flight %d" % (
                            rnd, acct_id, n, s["acked"], s["inflight"]))
                s["acked"] = n  # the next round continues from what is on disk
        a.expect_clean_exit = False
        a.log.close()
        a.start()
        leftovers = [f for f in os.listdir(a.state) if f.startswith("accounts.json.tmp.")]
        c.eq(leftovers, [], "round %d: no temporary files after restart" % rnd)
        r = a.curl("GET", "/redfish/v1/AccountService/Accounts/2")
        c.eq(r.status, 200, "round %d: agent serves after the kill" % rnd)
        if parsed:
            c.eq(r.json()["UserName"], names["2"], "round %d: served state is the file's" % rnd)
        for s in states.values():
            c.eq(s["errors"], [], "round %d: no failed PATCH" % rnd)
            s["errors"] = []
    total = sum(s["acked"] for s in states.values())
    c.check(total >= ROUNDS // 2, "PATCHes landed between the kills (%d)" % total)
    print("accounts_crash: %d rounds, %d acknowledged PATCHes" % (ROUNDS, total))
    a.expect_clean_exit = True
c.finish()
